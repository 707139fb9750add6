"""int8 on the CPU: dynamic quantization of a model's RNN and linear layers at load time.

The weights of every nn.GRU, nn.LSTM and nn.Linear become int8; activations are quantized
on the fly per call, so no calibration data is needed and the stored checkpoint (fp16 on
disk, fp32 in training) is unchanged. The embedding stays fp32: a lookup gains nothing.

API: `torch.ao.quantization.quantize_dynamic`. It is deprecated in favour of torchao, but
torchao's dynamic int8 (`quantize_` with Int8DynamicActivationInt8WeightConfig) rewrites
nn.Linear only: torch's RNN modules run their fused kernels (`_VF.gru`/`_VF.lstm`) and
torchao has no replacement for them, while `quantize_dynamic` swaps them for
DynamicQuantizedGRU/LSTM, whose int8 kernels (fbgemm/x86) carry most of the speed-up
(docs/scaling.md, "int8 on the CPU"). Its deprecation warnings are silenced here only.

Never on CUDA or MPS: the quantized kernels are CPU-only, and a GPU gains nothing from them.
Activations are quantized per batch, so under int8 an input's probabilities may move in the
third decimal with the inputs batched beside it; whether a task serves int8 by default is
decided by measurement (TaskSpec.int8: top-1 agreement and accuracy against fp32 on the
test set, benchmarks/int8.py).
"""

from __future__ import annotations

import warnings

import torch
from torch import nn

from inference.tasks import task_spec

QUANTIZED_LAYERS = {nn.GRU, nn.LSTM, nn.Linear}


def quantize_int8(model: nn.Module) -> nn.Module:
    """A copy of `model` (a CPU model in eval mode) with int8 RNN and linear layers."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning,
                                message=r".*torch\.ao\.quantization.*")
        warnings.filterwarnings("ignore", category=UserWarning,
                                message=r".*quantize_per_tensor.*")
        return torch.ao.quantization.quantize_dynamic(model, QUANTIZED_LAYERS,
                                                      dtype=torch.qint8)


def serves_int8(task: str, device: torch.device, enabled: bool) -> bool:
    """Whether a task's model runs in int8: switched on, on a CPU, and measured fit for it."""
    return enabled and device.type == "cpu" and task_spec(task).int8
