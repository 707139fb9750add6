"""Pick the torch device and CPU thread count once, from settings."""

from __future__ import annotations

import torch

# The model thread always shares the CPU with the bot's event loop; on a small machine a
# second intra-op thread competes with it (benchmarks/bench_training_step.py: 2 threads help
# only a quiet machine), so serving uses one and gets its throughput from batching.
DEFAULT_CPU_THREADS = 1


def resolve_device(spec: str = "auto") -> torch.device:
    """auto -> CUDA when present (then MPS), else CPU; an explicit device must exist."""
    spec = (spec or "auto").strip().lower()
    if spec == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(spec)
    except RuntimeError as exc:
        raise ValueError(f"unknown device {spec!r}: use auto, cpu, cuda, cuda:N or mps") from exc
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"device {spec!r} requested but CUDA is not available")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise ValueError(f"device {spec!r} requested but only "
                             f"{torch.cuda.device_count()} CUDA device(s) exist")
    elif device.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError("device 'mps' requested but MPS is not available")
    elif device.type not in ("cpu", "cuda", "mps"):
        raise ValueError(f"unsupported device {spec!r}")
    return device


def configure_threads(threads: int | None) -> int:
    """Set torch's intra-op threads (None -> the measured default); returns the count."""
    n = DEFAULT_CPU_THREADS if threads is None else max(1, threads)
    torch.set_num_threads(n)
    return n
