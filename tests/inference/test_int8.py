"""int8 on the CPU (inference.quantize): on by default where the task was measured fit for
it, off with the switch, never off the CPU, and answering like fp32 on the shipped model."""

from __future__ import annotations

import json

import pytest
import torch
from torch.ao.nn.quantized.dynamic import GRU as QuantizedGRU
from torch.ao.nn.quantized.dynamic import LSTM as QuantizedLSTM

from inference.checkpoint import load_checkpoint
from inference.cli import parse_args
from inference.factory import make_client
from inference.predictor import Predictor, Prepared
from inference.quantize import quantize_int8, serves_int8
from inference.registry import shipped_checkpoint
from inference.settings import InferenceSettings
from inference.tasks import TASKS, task_spec
from settings import SettingsError
from tests.inference.test_cli import run

INT8_TASKS = [t for t in TASKS if task_spec(t).int8]


def quantized(predictor: Predictor) -> bool:
    return any(isinstance(m, (QuantizedGRU, QuantizedLSTM)) for m in predictor.model.modules())


def test_the_setting_is_on_unless_switched_off() -> None:
    assert InferenceSettings.load({}).int8 is True
    for off in ("0", "false", "OFF", "no"):
        assert InferenceSettings.load({"SEQBOT_INT8": off}).int8 is False
    with pytest.raises(SettingsError, match="SEQBOT_INT8"):
        InferenceSettings.load({"SEQBOT_INT8": "maybe"})


def test_only_a_cpu_and_a_task_measured_fit_serve_int8() -> None:
    assert INT8_TASKS, "no task serves int8: the default would be dead"
    for task in TASKS:
        assert serves_int8(task, torch.device("cpu"), True) is task_spec(task).int8
        assert not serves_int8(task, torch.device("cpu"), False)
        assert not serves_int8(task, torch.device("cuda"), True)
        assert not serves_int8(task, torch.device("mps"), True)


async def test_the_default_client_serves_int8_on_the_cpu_and_the_switch_turns_it_off(
        checkpoints) -> None:
    for int8, want in ((InferenceSettings.load({}).int8, set(INT8_TASKS)),
                       (InferenceSettings.load({"SEQBOT_INT8": "0"}).int8, set())):
        async with make_client(device="cpu", int8=int8, threads=1) as client:
            assert client.int8_tasks() == want
            for task in TASKS:
                predictor = client._lanes[task].predictor
                assert quantized(predictor) is (task in want)
                assert (await client.predict_one(task, "Nakamura O'Neill")).model_version


@pytest.mark.parametrize("task", INT8_TASKS)
def test_predict_cli_scores_in_int8_by_default_and_fp32_with_no_int8(checkpoints, task):
    """One input, so one batch of one either way: int8's per-batch rounding is the same."""
    ckpt = load_checkpoint(checkpoints[task], task)
    fp32 = Predictor(ckpt, "cpu").predict(["Kowalczyk"], 5)[0]
    int8 = Predictor(ckpt, "cpu", int8=True).predict(["Kowalczyk"], 5)[0]
    assert dict(fp32.top) != pytest.approx(dict(int8.top), abs=1e-6)  # they can be told apart
    for args, env, want in (((), "", int8), (("--no-int8",), "", fp32), ((), "0", fp32),
                            ((), "1", int8)):
        done = run(task, "Kowalczyk", "--json", "--top-k", "5",
                   "--checkpoint", str(checkpoints[task]), *args, int8=env)
        assert done.returncode == 0, done.stderr
        assert dict(json.loads(done.stdout)["top"]) == pytest.approx(dict(want.top), abs=1e-6)


def test_quantizing_leaves_the_stored_model_alone() -> None:
    ckpt = load_checkpoint(shipped_checkpoint("origin"), "origin")
    model = ckpt.build_model()
    quantize_int8(model)
    assert not any(isinstance(m, QuantizedGRU) for m in model.modules())


@pytest.mark.parametrize("task", INT8_TASKS)
def test_the_shipped_model_in_int8_agrees_with_fp32_on_a_sample(task) -> None:
    """400 of the names the checkpoint knows (its data), scored by the model itself."""
    ckpt = load_checkpoint(shipped_checkpoint(task), task)
    fp32, int8 = Predictor(ckpt, "cpu"), Predictor(ckpt, "cpu", int8=True)
    assert quantized(int8) and not quantized(fp32)
    inputs = [name for name, _ in ckpt.known_inputs[::max(1, len(ckpt.known_inputs) // 400)]]
    items = [p for p in fp32.prepare_many(inputs) if isinstance(p, Prepared)]
    assert len(items) >= 300
    want, got = fp32.probabilities(items), int8.probabilities(items)
    agreement = (want.argmax(-1) == got.argmax(-1)).float().mean().item()
    assert agreement >= 0.99
    assert (want - got).abs().max().item() < 0.1


def test_predict_batches_a_file_in_big_batches_and_serve_in_small_ones() -> None:
    settings = InferenceSettings.load({})
    assert parse_args(["predict", "origin", "Abe"], settings).max_batch == 512
    assert parse_args(["serve"], settings).max_batch == 64
    assert parse_args(["predict", "origin", "Abe", "--max-batch", "8"], settings).max_batch == 8
    assert parse_args(["predict", "origin", "Abe"], settings).int8 is True
    assert parse_args(["predict", "origin", "Abe", "--no-int8"], settings).int8 is False
    off = InferenceSettings.load({"SEQBOT_INT8": "0"})
    assert parse_args(["serve"], off).int8 is False
