"""Pick the bot's inference client: a remote service when a URL is set, else in-process.

Torch is imported only for the in-process worker: a bot with a URL never loads it.
"""

from __future__ import annotations

from typing import Any

from inference.client import InferenceClient
from inference.http_client import HttpInferenceClient


def make_client(
    inference_url: str | None = None,
    *,
    secret: str | None = None,
    timeout_s: float = 5.0,
    **worker_options: Any,
) -> InferenceClient:
    """HttpInferenceClient for `inference_url`, else an InferenceWorker with `worker_options`
    (device, model_dir, threads, batching, watching, int8...; call start())."""
    if inference_url:
        return HttpInferenceClient(inference_url, secret, timeout_s)
    from inference.worker import InferenceWorker

    return InferenceWorker(**worker_options)
