"""The one interface the bot uses for predictions, in-process or over HTTP.

Torch-free (Prediction is only named in annotations), like inference.errors, so code that
only talks to a client need not load the models' stack.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from inference.errors import InputError

if TYPE_CHECKING:
    from inference.explain import Explanation
    from inference.predictor import Prediction


def _metric(metrics: Mapping[str, Any], key: str) -> float | None:
    value = metrics.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


@dataclass(frozen=True)
class ModelInfo:
    """What one task's served model is, from its checkpoint's metadata.

    The test_* figures are those recorded when the checkpoint was evaluated on its held-out
    test split; each is None when the checkpoint carries no such metric (as tiny test
    checkpoints do).
    """

    version: str
    labels: tuple[str, ...]
    created: str  # ISO 8601 time the checkpoint was made
    device: str  # where it runs: "cpu", "cuda:0", ...
    test_accuracy: float | None = None
    test_macro_f1: float | None = None
    test_ece: float | None = None
    test_n: int | None = None

    @classmethod
    def from_metadata(
        cls, version: str, labels: tuple[str, ...] | list[str], created: str, device: str,
        metrics: Mapping[str, Any],
    ) -> ModelInfo:
        """From a checkpoint's fields and its metrics dict (unknown or odd keys ignored)."""
        n = _metric(metrics, "test_n")
        return cls(str(version), tuple(str(label) for label in labels), str(created),
                   str(device), _metric(metrics, "test_accuracy"),
                   _metric(metrics, "test_macro_f1"), _metric(metrics, "test_ece"),
                   None if n is None else int(n))

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["labels"] = list(self.labels)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ModelInfo:
        """The inverse of to_json; KeyError or TypeError when a field is missing or odd."""
        labels = data["labels"]
        if not isinstance(labels, list):
            raise TypeError("labels must be a list")
        return cls.from_metadata(data["version"], labels, data["created"], data["device"],
                                 data)


# The largest top_k a client may ask for (the HTTP service refuses more). No model has this
# many labels, so asking for it lists every label with its probability.
MAX_TOP_K = 100


class InferenceClient(Protocol):
    """Implemented by the in-process worker and by the HTTP client.

    `top_k` is how many labels a prediction lists in `top`, most likely first; it must be
    at least 1, and one larger than the model's number of labels lists every label (the
    HTTP service accepts at most 100). Predictions raise InputError (message safe for
    users), InferenceBusy or InferenceUnavailable; reload and rollback also raise
    CheckpointError, with the current model still serving.
    """

    async def origin(self, name: str, top_k: int = 3) -> Prediction: ...

    async def sentiment(self, text: str, top_k: int = 2) -> Prediction: ...

    async def predict_many(
        self, task: str, raws: Sequence[str], top_k: int | None = None
    ) -> list[Prediction | InputError]:
        """Many inputs in one call (one HTTP request); an invalid one yields its InputError
        in its place."""
        ...

    async def explain(self, task: str, raw: str, top_k: int | None = None) -> Explanation:
        """The served model's answer for `raw` and what drove it: every part's effect on the
        answer's label when removed (occlusion, see inference.explain). Raises like a
        prediction; it costs up to a few hundred forward passes."""
        ...

    async def model_versions(self) -> dict[str, str]:
        """The version served per task."""
        ...

    async def model_info(self) -> dict[str, ModelInfo]:
        """Version, labels, recorded test metrics, creation time and device per task."""
        ...

    async def reload(self, task: str, version: str | None = None) -> str:
        """Load the current promoted checkpoint (or `version`); returns the version now served."""
        ...

    async def rollback(self, task: str) -> str:
        """Serve the version promoted before the current one; returns it."""
        ...

    async def start(self) -> None: ...

    async def close(self) -> None: ...


_Client = TypeVar("_Client", bound="ClientBase")


class ClientBase(ABC):
    """The per-task shortcuts and `async with` both clients share, in terms of their own
    predict/start/close."""

    @abstractmethod
    async def predict(self, task: str, raw: str, top_k: int | None = None) -> Prediction: ...

    @abstractmethod
    async def explain_many(
        self, task: str, raws: Sequence[str], top_k: int | None = None
    ) -> list[Explanation | InputError]: ...

    async def explain(self, task: str, raw: str, top_k: int | None = None) -> Explanation:
        """What drove the answer for one input; its InputError is raised."""
        [result] = await self.explain_many(task, [raw], top_k)
        if isinstance(result, InputError):
            raise result
        return result

    @abstractmethod
    async def start(self) -> None: ...

    @abstractmethod
    async def close(self) -> None: ...

    async def __aenter__(self: _Client) -> _Client:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def origin(self, name: str, top_k: int = 3) -> Prediction:
        return await self.predict("origin", name, top_k)

    async def sentiment(self, text: str, top_k: int = 2) -> Prediction:
        return await self.predict("sentiment", text, top_k)
