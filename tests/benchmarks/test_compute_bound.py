"""The compute-bound benchmark's FLOP count: a GRU's and an LSTM's matrix products."""

from __future__ import annotations

from benchmarks.compute_bound import flops_per_input, gemm_peak
from inference.models import ModelConfig


def test_flops_count_every_gate_both_directions_and_the_head() -> None:
    gru = ModelConfig(vocab_size=30, n_classes=18, emb_dim=64, hidden=256, cell="gru")
    # per step and direction: 3 gates x 256 x (64 inputs + 256 hidden) multiply-adds
    assert flops_per_input(gru, 7) == 2 * 7 * 2 * 3 * 256 * (64 + 256) + 2 * 6 * 256 * 18
    lstm = ModelConfig(vocab_size=30, n_classes=2, emb_dim=8, hidden=4, layers=2, cell="lstm")
    per_step = 2 * 4 * 4 * (8 + 4) + 2 * 4 * 4 * (8 + 4)  # layer 2 reads both directions (8)
    assert flops_per_input(lstm, 3) == 2 * 3 * per_step + 2 * 6 * 4 * 2
    assert flops_per_input((gru, gru), 7) == 2 * flops_per_input(gru, 7)  # an ensemble


def test_gemm_peak_is_a_plausible_rate() -> None:
    assert 1e8 < gemm_peak(seconds=0.05, sizes=(64,), bursts=1) < 1e13
