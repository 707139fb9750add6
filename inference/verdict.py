"""How sure an answer is: "sure", "not_sure" or "unknown_language", for every task.

The label and its probability are always the most likely label and its calibrated
probability; the verdict only qualifies them, so a client that ignores it still reads the
answer as before. Its thresholds are chosen on validation data for one model and travel in
that model's checkpoint (`Checkpoint.verdicts`); a checkpoint without them answers "sure"
except where the input itself says otherwise:
- `not_sure_below`: a top probability below it is "not_sure" (the card then says "Not sure —
  maybe X, Y or Z" instead of "Most likely X"); and so is one of a half or less, whatever
  the threshold, since the answer is then no likelier right than wrong (a tie: "Kim",
  Korean or Vietnamese in the data, half each; "王力宏", Chinese or Japanese);
- unknown language: the task's own reading of the input says that none of the model's
  languages is written this way (for surnames: a script none of the 18 languages uses, as
  Hebrew or Thai, inference.evidence), whatever probability the model gives;
- `unknown_words_at_least`: at least this share of the input's words is new to the model
  (inference.language: another language, or gibberish) is "unknown_language" too.

Torch-free.
"""

from __future__ import annotations

from collections.abc import Mapping

SURE, NOT_SURE, UNKNOWN_LANGUAGE = "sure", "not_sure", "unknown_language"
VERDICTS = (SURE, NOT_SURE, UNKNOWN_LANGUAGE)
NOT_SURE_BELOW, UNKNOWN_WORDS = "not_sure_below", "unknown_words_at_least"  # threshold keys


def verdict(verdicts: Mapping[str, float], probability: float,
            unknown_language: bool = False, new_words: float = 0.0) -> str:
    """The verdict on an answer whose top probability is `probability` and whose input has
    this share of `new_words`, under a model's thresholds (`verdicts`, from its checkpoint)."""
    if unknown_language or new_words >= verdicts.get(UNKNOWN_WORDS, float("inf")):
        return UNKNOWN_LANGUAGE
    threshold = verdicts.get(NOT_SURE_BELOW)
    if threshold is not None and (probability < threshold or probability <= 0.5):
        return NOT_SURE
    return SURE
