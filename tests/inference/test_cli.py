"""`python -m inference predict`, run as a user would, in a subprocess."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from inference.cli import main
from inference.predictor import Predictor
from tests.helpers import (
    free_port,
    promote_both,
    write_ready_origin,
    write_ready_sentiment,
)

ROOT = Path(__file__).resolve().parents[2]
LINES = ["Nakamura", "", "Smith", "x" * 70, "Dvořák", "  O'Neill  ", "🙂", "Rossi"]
INVALID = {1, 3, 6}


def run(*args: str, stdin: str | None = None, int8: str = "0") -> subprocess.CompletedProcess:
    """The CLI on the CPU; fp32 unless `int8` says otherwise (SEQBOT_INT8, "" for unset): a
    tiny random model's answers are all near ties, which int8's rounding may reorder."""
    env = {**os.environ, "SEQBOT_DEVICE": "cpu", "SEQBOT_INT8": int8}
    if not int8:
        env.pop("SEQBOT_INT8")
    env.pop("SEQBOT_MODEL_DIR", None)
    return subprocess.run([sys.executable, "-m", "inference", "predict", *args], cwd=ROOT,
                          env=env, input=stdin, capture_output=True, text=True, timeout=60)


def check_json_lines(stdout: str, ckpt: Path) -> list[dict]:
    rows = [json.loads(line) for line in stdout.splitlines()]
    assert [row["input"] for row in rows] == LINES  # one output line per input line
    want = Predictor.load("origin", ckpt, device="cpu")
    for i, row in enumerate(rows):
        if i in INVALID:
            assert set(row) == {"input", "error"}
            continue
        assert {"input", "label", "probability", "top", "model_version"} <= row.keys()
        assert row["model_version"] == "origin-tiny" and len(row["top"]) == 5
        expected = want.predict([LINES[i]], 5)[0]
        assert dict(row["top"]) == pytest.approx(dict(expected.top), abs=1e-5)
    return rows


def test_predict_file_as_json_with_invalid_lines_in_place(checkpoints, tmp_path):
    path = tmp_path / "names.txt"
    path.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    batched = run("origin", "--file", str(path), "--json", "--top-k", "5",
                  "--checkpoint", str(checkpoints["origin"]))
    assert batched.returncode == 1, batched.stderr  # some inputs were rejected
    rows = check_json_lines(batched.stdout, checkpoints["origin"])
    unbatched = run("origin", "--file", "-", "--json", "--top-k", "5", "--max-batch", "1",
                    "--checkpoint", str(checkpoints["origin"]), stdin="\n".join(LINES) + "\n")
    assert [r.get("label") for r in check_json_lines(unbatched.stdout, checkpoints["origin"])] == [
        r.get("label") for r in rows]


def test_predict_text_arguments_human_readable(checkpoints):
    done = run("sentiment", "I loved it!", "a " * 500 + "film", "--top-k", "1",
               "--checkpoint", str(checkpoints["sentiment"]))
    assert done.returncode == 0, done.stderr
    first, second = done.stdout.splitlines()
    assert first.startswith("I loved it!: ") and first.endswith("%")
    assert second.endswith("[truncated]") and len(second) < 120


def popen(*args: str) -> subprocess.Popen:
    env = {**os.environ, "SEQBOT_DEVICE": "cpu"}
    env.pop("SEQBOT_MODEL_DIR", None)
    return subprocess.Popen([sys.executable, "-m", "inference", "predict", *args], cwd=ROOT,
                            env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_only_a_newline_ends_an_input_line_from_a_file_or_stdin(checkpoints, tmp_path):
    text = "O\rBrien\nSmith\r\nRossi\n"  # a stray CR inside a line, and a CRLF ending
    path = tmp_path / "names.txt"
    path.write_bytes(text.encode())
    outputs = [run("origin", "--file", source, "--json", "--checkpoint",
                   str(checkpoints["origin"]), stdin=stdin).stdout
               for source, stdin in ((str(path), None), ("-", text))]
    for out in outputs:
        assert [json.loads(line)["input"] for line in out.splitlines()] == [
            "O\rBrien", "Smith", "Rossi"]


def test_text_arguments_and_stdin_still_stream(checkpoints):
    # Answers must come while stdin is still open: the whole input is never read first.
    proc = popen("origin", "Smith", "--file", "-", "--max-batch", "1", "--checkpoint",
                 str(checkpoints["origin"]))
    timer = threading.Timer(60, proc.kill)  # if it waits for the end of stdin, fail, not hang
    timer.start()
    try:
        proc.stdin.write("Nakamura\n" * 50)
        proc.stdin.flush()
        assert proc.stdout.readline().startswith("Smith: ")  # stdin is not closed yet
        assert proc.stdout.readline().startswith("Nakamura: ")
    finally:
        timer.cancel()
        proc.kill()
        proc.wait()


def test_output_closed_early_is_a_quiet_success(checkpoints, tmp_path):
    path = tmp_path / "names.txt"
    path.write_text("Nakamura\n" * 5000)
    proc = popen("origin", "--file", str(path), "--max-batch", "4", "--checkpoint",
                 str(checkpoints["origin"]))
    proc.stdin.close()
    assert proc.stdout.readline().startswith("Nakamura: ")
    proc.stdout.close()  # as `| head -1` does
    assert proc.wait(timeout=60) == 0
    err = proc.stderr.read()
    assert "Traceback" not in err and "error" not in err.lower(), err


def test_predict_reports_bad_setup_clearly(checkpoints, capsys, monkeypatch, tmp_path):
    monkeypatch.setattr("inference.device.torch.cuda.is_available", lambda: False)
    assert main(["predict", "origin", "Abe", "--device", "cuda",
                 "--checkpoint", str(checkpoints["origin"])]) == 2
    assert "CUDA is not available" in capsys.readouterr().err
    assert main(["predict", "origin", "Abe", "--checkpoint", str(tmp_path / "none")]) == 2
    assert "checkpoint not found" in capsys.readouterr().err
    assert main(["predict", "origin", "Abe", "--checkpoint", str(checkpoints["sentiment"])]) == 2
    with pytest.raises(SystemExit):
        main(["predict", "origin"])  # no input at all


def test_serve_answers_until_sigterm(tmp_path):
    promote_both(tmp_path)
    port = free_port()
    env = {**os.environ, "SEQBOT_DEVICE": "cpu", "SEQBOT_MODEL_DIR": str(tmp_path),
           "INFERENCE_SECRET": "s3cret-0123456789"}
    proc = subprocess.Popen([sys.executable, "-m", "inference", "serve", "--port", str(port)],
                            cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    result = None
    try:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/v1/origin", data=b'{"inputs": ["Nakamura"]}',
            headers={"X-Seqbot-Secret": "s3cret-0123456789", "Content-Type": "application/json"})
        for _ in range(300):
            try:
                with urllib.request.urlopen(request, timeout=5) as resp:
                    result = json.load(resp)["results"][0]
                break
            except OSError:
                time.sleep(0.05)
        assert result and result["model_version"] == "origin-20260101-000001"
    finally:
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 0, stderr
    assert "listening on http://127.0.0.1" in stderr and "stopped" in stderr


def test_predict_carries_the_verdict_source_script_and_evidence(tmp_path):
    """With a checkpoint made ready to serve: known names, and not sure below 1.0."""
    ckpt = write_ready_origin(tmp_path / "origin.safetensors")
    done = run("origin", "Nakamura", "김", "Dr. Maria de la Cruz", "--json", "--checkpoint",
               str(ckpt))
    assert done.returncode == 0, done.stderr
    known, hangul, full = (json.loads(line) for line in done.stdout.splitlines())
    assert full["words"] == ["Maria", "de la Cruz"]  # read word by word, the title left out
    assert known["words"] == hangul["words"] == []  # answered whole
    assert (known["label"], known["probability"], known["source"]) == ("Japanese", 1.0,
                                                                      "known_name")
    assert known["confidence"] == "sure" and known["script"] == "Latin"
    assert known["evidence"][0]["text"] == "known name: Japanese in the data"
    assert (hangul["confidence"], hangul["source"], hangul["script"]) == ("not_sure", "model",
                                                                          "Hangul")
    assert hangul["evidence"][0]["text"] == "written in Hangul (Korean)"
    plain = run("origin", "Nakamura", "김", "--checkpoint", str(ckpt)).stdout.splitlines()
    assert plain[0].endswith("[known name: Japanese in the data]")
    assert "[not sure] [written in Hangul (Korean)]" in plain[1]


def test_predict_json_carries_the_sentiment_verdicts(tmp_path):
    ckpt = write_ready_sentiment(tmp_path / "sentiment.safetensors")
    done = run("sentiment", "great film", "Отличный фильм", "--json", "--checkpoint", str(ckpt))
    assert done.returncode == 0, done.stderr
    plain, russian = (json.loads(line) for line in done.stdout.splitlines())
    assert (plain["confidence"], russian["confidence"]) == ("not_sure", "unknown_language")
    assert russian["label"] in ("positive", "negative") and 0.5 <= russian["probability"] <= 1
    text = run("sentiment", "Отличный фильм", "--checkpoint", str(ckpt)).stdout
    assert "[unknown language]" in text
