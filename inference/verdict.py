"""Sure or not sure: when an answer's top probability is too low to state it as the answer.

Torch-free. The threshold is chosen on the clean validation split by
`benchmarks/origin_eval.py`: the lowest top probability at which the answers given as sure
are right at least SURE_ACCURACY of the time there (docs/origin-evidence.md has the
risk-coverage curve). A name written in a script that none of the languages uses is never
sure.
"""

from __future__ import annotations

SURE_ACCURACY = 0.9
NOT_SURE_BELOW: dict[str, float] = {"origin": 0.5}  # chosen: 0.5002 (origin_eval.json)


def confidence(task: str, top_probability: float, unknown_script: bool = False) -> str:
    """"sure" or "not_sure" (the card then says "Not sure — maybe X, Y or Z")."""
    if unknown_script or top_probability < NOT_SURE_BELOW.get(task, 0.0):
        return "not_sure"
    return "sure"
