"""How sure an answer is, with one schema for every task, and checkpoints from before the
verdicts and the evidence serving unchanged."""

from pathlib import Path

import pytest
import torch

from inference.checkpoint import load_checkpoint
from inference.models import pad_batch
from inference.predictor import Predictor
from inference.registry import set_current, task_dir
from inference.results import Prediction
from inference.verdict import NOT_SURE, SURE, UNKNOWN_LANGUAGE, verdict
from inference.worker import InferenceWorker
from tests.helpers import write_checkpoint


def test_verdicts_follow_the_thresholds_of_the_model() -> None:
    assert verdict({}, 0.2) == SURE  # a model without thresholds is always sure
    assert verdict({"not_sure_below": 0.4}, 0.39) == NOT_SURE
    assert verdict({"not_sure_below": 0.4}, 0.55) == SURE
    assert verdict({"not_sure_below": 0.6}, 0.6) == SURE
    # a half or less is no likelier right than wrong: never sure, whatever the threshold
    assert verdict({"not_sure_below": 0.4976}, 0.5) == NOT_SURE
    assert verdict({"not_sure_below": 0.4976}, 0.499) == NOT_SURE
    assert verdict({"not_sure_below": 0.4976}, 0.501) == SURE
    assert verdict({"not_sure_below": 0.5}, 0.99, unknown_language=True) == UNKNOWN_LANGUAGE


def test_the_json_carries_the_verdict_and_reads_old_answers(checkpoints) -> None:
    predictor = Predictor(load_checkpoint(checkpoints["origin"], "origin"))
    predictor.ckpt.verdicts = {"not_sure_below": 1.0}
    [answer] = predictor.predict(["Müller"])
    data = answer.to_json()
    assert (data["confidence"], data["source"], data["script"]) == (NOT_SURE, "model", "Latin")
    assert data["evidence"][0]["text"] == "the letter ü (German)"
    assert data["label"] == answer.label and data["probability"] == round(answer.probability, 6)
    assert Prediction.from_json("origin", data).to_json() == data
    old = {k: v for k, v in data.items()
           if k not in ("confidence", "source", "script", "evidence")}
    read = Prediction.from_json("origin", old)  # from a service that predates them
    assert (read.confidence, read.source, read.script, read.evidence) == (SURE, "model", "",
                                                                         ())


def test_sentiment_answers_carry_the_same_fields(checkpoints) -> None:
    predictor = Predictor(load_checkpoint(checkpoints["sentiment"], "sentiment"))
    [answer] = predictor.predict(["great film"])
    assert (answer.confidence, answer.source, answer.script, answer.evidence) == (
        SURE, "model", "", ())


def test_a_name_in_a_script_none_of_the_languages_uses(checkpoints) -> None:
    predictor = Predictor(load_checkpoint(checkpoints["origin"], "origin"))
    [answer] = predictor.predict(["כהן"])
    assert answer.confidence == UNKNOWN_LANGUAGE and answer.script == "Hebrew"


def model_alone(predictor: Predictor, name: str) -> list[float]:
    """The checkpoint's own answer, computed here from its weights: pipeline, model,
    temperature and softmax, nothing else."""
    ckpt = predictor.ckpt
    _, ids, _ = ckpt.pipeline.encode(ckpt.vocab, name)
    batch, lengths = pad_batch([ids], torch.device("cpu"))
    with torch.inference_mode():
        logits = ckpt.build_model()(batch, lengths) / ckpt.temperature
    return torch.softmax(logits.float(), -1)[0].tolist()


async def test_an_already_promoted_checkpoint_serves_as_it_was_trained(tmp_path: Path) -> None:
    """A checkpoint promoted before verdicts, known inputs and evidence existed: it is read
    with the pipeline it records (v1), answers "sure" (it carries no thresholds), answers
    nothing from memory (it carries no known inputs), and a name with no clue in its
    writing gets exactly the model's own probabilities."""
    version = "origin-20250101-000001"
    path = write_checkpoint(task_dir(tmp_path, "origin") / f"{version}.safetensors", "origin",
                            version, seed=3)
    set_current(tmp_path, "origin", version)
    ckpt = load_checkpoint(path, "origin")
    assert (ckpt.preprocess_version, ckpt.verdicts, ckpt.known_inputs) == (1, {}, ())
    async with InferenceWorker(tasks=("origin",), model_dir=tmp_path, device="cpu",
                               threads=1) as worker:
        answers = await worker.predict("origin", ["Nakamura", "Smith", "Dvorak"], top_k=18)
    predictor = Predictor(ckpt)
    for answer in answers:
        assert answer.model_version == version and answer.source == "model"
        assert answer.confidence == SURE and answer.evidence == ()
        normalized, ids, _ = ckpt.pipeline.encode(ckpt.vocab, answer.input)
        assert (answer.normalized, predictor.prepare(answer.input).ids) == (normalized, ids)
        alone = dict(zip(ckpt.labels, model_alone(predictor, answer.input), strict=True))
        assert dict(answer.top) == pytest.approx(alone, abs=1e-6)
