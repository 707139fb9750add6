"""Pick the bot's inference client: a remote service when a URL is set, else in-process.

Torch is imported only for the in-process worker: a bot with a URL never loads it.
"""

from __future__ import annotations

from pathlib import Path

from inference.client import InferenceClient
from inference.http_client import HttpInferenceClient


def make_client(
    inference_url: str | None = None,
    *,
    secret: str | None = None,
    timeout_s: float = 5.0,
    device: str = "auto",
    model_dir: str | Path | None = None,
    threads: int | None = None,
    max_batch: int = 64,
    max_wait_ms: float = 2.0,
    max_queue: int = 1024,
    watch_interval_s: float | None = None,
    load_timeout_s: float = 60.0,
    int8: bool = True,
) -> InferenceClient:
    """HttpInferenceClient for `inference_url`, else an InferenceWorker (call start())."""
    if inference_url:
        return HttpInferenceClient(inference_url, secret, timeout_s)
    from inference.worker import InferenceWorker

    return InferenceWorker(
        device=device,
        model_dir=model_dir,
        threads=threads,
        max_batch=max_batch,
        max_wait_ms=max_wait_ms,
        max_queue=max_queue,
        watch_interval_s=watch_interval_s,
        load_timeout_s=load_timeout_s,
        int8=int8,
    )
