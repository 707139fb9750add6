"""Errors the inference client raises; the bot turns each into a friendly reply.

Torch-free, so the bot can catch every one of them without loading the models' stack.
"""


class InputError(ValueError):
    """Input that cannot be scored; the message is safe to show to a user."""


class InferenceBusy(RuntimeError):
    """The request queue is full: back off and retry shortly."""


class InferenceUnavailable(RuntimeError):
    """The inference service cannot be reached or timed out."""


class TooMuchWork(ValueError):
    """A request bigger than one call may ask for (an explanation of too many units); the
    message says the limit and is safe to show."""


class CheckpointError(RuntimeError):
    """A checkpoint that is missing, corrupt, or made for another pipeline.

    Raised by loading, and by reload and rollback, which leave the current model serving.
    """


__all__ = ["CheckpointError", "InferenceBusy", "InferenceUnavailable", "InputError",
           "TooMuchWork"]
