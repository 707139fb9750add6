"""Errors the inference client raises; the bot turns each into a friendly reply."""

from inference.text import InputError


class InferenceBusy(RuntimeError):
    """The request queue is full: back off and retry shortly."""


class InferenceUnavailable(RuntimeError):
    """The inference service cannot be reached or timed out."""


__all__ = ["InferenceBusy", "InferenceUnavailable", "InputError"]
