"""Device selection: auto falls back to the CPU, an explicit device must exist."""

from __future__ import annotations

import pytest
import torch

from inference.device import configure_threads, resolve_device
from inference.worker import InferenceWorker

no_cuda = pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")


@pytest.mark.skipif(torch.cuda.is_available() or torch.backends.mps.is_available(),
                    reason="needs a CPU-only machine")
def test_auto_is_the_cpu_here():
    assert resolve_device("auto") == torch.device("cpu")
    assert resolve_device("") == torch.device("cpu")


@no_cuda
@pytest.mark.parametrize("spec", ["cuda", "cuda:0", "CUDA:1"])
def test_cuda_without_cuda_is_a_clear_error(spec):
    with pytest.raises(ValueError, match="CUDA is not available"):
        resolve_device(spec)
    with pytest.raises(ValueError, match="CUDA is not available"):
        InferenceWorker(device=spec)


def test_unknown_devices_are_refused():
    for spec in ("tpu", "gpu0", "cuda:x"):
        with pytest.raises(ValueError):
            resolve_device(spec)


def test_cpu_is_always_available_and_threads_default_to_one():
    assert resolve_device(" CPU ") == torch.device("cpu")
    before = torch.get_num_threads()
    try:
        assert configure_threads(None) == 1 and torch.get_num_threads() == 1
        assert configure_threads(0) == 1
    finally:
        torch.set_num_threads(before)
