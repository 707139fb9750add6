"""The CUDA path, proven wherever a CUDA GPU is present (skipped elsewhere): the same
answers as the CPU, batching still invisible, training runs there. Hot swap on the GPU is
tests/inference/test_reload.py's test, run once per device."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
import torch

from inference.device import resolve_device
from inference.predictor import Predictor
from inference.registry import shipped_checkpoint
from inference.telemetry import sample
from inference.worker import InferenceWorker
from tests.helpers import NAMES, TEXTS, TINY_SENTIMENT, assert_same_prediction
from training.cli import main as training_main

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")

INPUTS = {"origin": NAMES, "sentiment": TEXTS}


def test_auto_picks_the_gpu() -> None:
    assert resolve_device("auto").type == "cuda"
    assert resolve_device("cuda:0") == torch.device("cuda:0")


@pytest.mark.parametrize("task", ["origin", "sentiment"])
@pytest.mark.parametrize("weights", ["tiny", "shipped"])
def test_the_gpu_answers_as_the_cpu_does(checkpoints, task: str, weights: str) -> None:
    path = checkpoints[task] if weights == "tiny" else shipped_checkpoint(task)
    on_cpu = Predictor.load(task, path, device="cpu").predict(INPUTS[task], top_k=18)
    on_gpu = Predictor.load(task, path, device="cuda").predict(INPUTS[task], top_k=18)
    for got, want in zip(on_gpu, on_cpu, strict=True):
        assert_same_prediction(got, want, tol=1e-5)


@pytest.mark.parametrize("task", ["origin", "sentiment"])
async def test_batched_equals_unbatched_on_the_gpu(checkpoints, task: str) -> None:
    inputs = INPUTS[task] * 6
    async with InferenceWorker(checkpoints=checkpoints, device="cuda", max_batch=64,
                               max_wait_ms=20) as batched:
        together = await asyncio.gather(*(batched.predict_one(task, x, 18) for x in inputs))
        assert batched.infos()[task].device.startswith("cuda")
        passes = sample(batched.registry, "seqbot_inference_batch_size_count", task=task)
        assert passes < len(inputs) / 4  # batching really happened
    async with InferenceWorker(checkpoints=checkpoints, device="cuda", max_batch=1) as single:
        alone = await asyncio.gather(*(single.predict_one(task, x, 18) for x in inputs))
    for a, b in zip(together, alone, strict=True):
        assert_same_prediction(a, b, tol=1e-5)


def test_training_and_pretraining_run_on_the_gpu(names_zip: Path, imdb_tar: Path,
                                                 tmp_path: Path) -> None:
    assert training_main(["origin", "--data", str(names_zip), "--out", str(tmp_path / "o"),
                          "--epochs", "12", "--hidden", "32", "--emb-dim", "16",
                          "--patience", "12", "--batch-size", "32", "--device", "cuda"]) == 0
    origin = json.loads((tmp_path / "o" / "origin_metrics.json").read_text())
    assert origin["checkpoint"]["device"].startswith("cuda")
    assert origin["history"]["train_loss"][-1] < 0.7 * origin["history"]["train_loss"][0]
    assert origin["test"]["accuracy"] > 3 / 18
    assert training_main(["sentiment", "--data", str(imdb_tar), "--out", str(tmp_path / "s"),
                          *TINY_SENTIMENT, "--epochs", "8", "--w2v-epochs", "0",
                          "--lm-epochs", "3", "--lm-batch-size", "8", "--patience", "8",
                          "--device", "cuda"]) == 0
    lm = json.loads((tmp_path / "s" / "sentiment_lm_metrics.json").read_text())
    sentiment = json.loads((tmp_path / "s" / "sentiment_metrics.json").read_text())
    assert lm["train_loss"][-1] < lm["train_loss"][0]
    assert sentiment["test"]["accuracy"] > 0.65  # chance is 0.5
