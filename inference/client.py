"""The one interface the bot uses for predictions, in-process or over HTTP.

Torch-free, like inference.results and inference.errors, so code that only talks to a client
need not load the models' stack.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import TypeVar

from inference.errors import InputError
from inference.memory import AgreedInput
from inference.results import Explanation, ModelInfo, Prediction

# The largest top_k a client may ask for (the HTTP service refuses more). No model has this
# many labels, so asking for it lists every label with its probability.
MAX_TOP_K = 100

_Client = TypeVar("_Client", bound="InferenceClient")
_Result = TypeVar("_Result", Prediction, Explanation)


class InferenceClient(ABC):
    """Implemented by the in-process worker (inference.worker.InferenceWorker) and by the HTTP
    client (inference.http_client.HttpInferenceClient).

    `inputs` is a sequence of raw inputs, answered in order in one call (one HTTP request); an
    input that fails validation yields its InputError (message safe for users) in its place.
    `top_k` is how many labels a prediction lists in `top`, most likely first (default: the
    task spec's); it must be at least 1, and one larger than the model's number of labels
    lists every label (the HTTP service accepts at most MAX_TOP_K). Calls raise
    InferenceBusy or InferenceUnavailable; reload and rollback raise CheckpointError, with
    the current model still serving.
    """

    @abstractmethod
    async def predict(
        self, task: str, inputs: Sequence[str], top_k: int | None = None
    ) -> list[Prediction | InputError]:
        """The served model's answer for each input."""

    @abstractmethod
    async def explain(
        self, task: str, inputs: Sequence[str], top_k: int | None = None
    ) -> list[Explanation | InputError]:
        """The served model's answer for each input and what drove it: every part's effect
        on the answer's label when removed (occlusion, see inference.explain). It costs up
        to a few hundred forward passes an input."""

    @abstractmethod
    async def model_info(self) -> dict[str, ModelInfo]:
        """Version, labels, recorded test metrics, creation time and device per task served."""

    @abstractmethod
    async def set_agreed(self, task: str, agreed: Sequence[AgreedInput]) -> tuple[int, int]:
        """Replace the inputs the community agreed on in the task's known-input memory
        (its spec's `memory`), which answers them from then on; returns how many joined and
        how many left. ValueError for a task that keeps no known inputs."""

    @abstractmethod
    async def reload(self, task: str, version: str | None = None) -> str:
        """Load the current promoted checkpoint (or `version`); returns the version now served."""

    @abstractmethod
    async def rollback(self, task: str) -> str:
        """Serve the version promoted before the current one; returns it."""

    @abstractmethod
    async def start(self) -> None: ...

    @abstractmethod
    async def close(self) -> None: ...

    async def predict_one(self, task: str, raw: str, top_k: int | None = None) -> Prediction:
        """The answer for one input; its InputError is raised."""
        return _one(await self.predict(task, [raw], top_k))

    async def explain_one(self, task: str, raw: str, top_k: int | None = None) -> Explanation:
        """What drove the answer for one input; its InputError is raised."""
        return _one(await self.explain(task, [raw], top_k))

    async def model_versions(self) -> dict[str, str]:
        """The version served per task."""
        return {task: info.version for task, info in (await self.model_info()).items()}

    async def __aenter__(self: _Client) -> _Client:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


def _one(results: list[_Result | InputError]) -> _Result:
    [result] = results
    if isinstance(result, InputError):
        raise result
    return result


def check_inputs(inputs: Sequence[str]) -> list[str]:
    """`inputs` as a list; a lone string is refused, since it would be read as its letters."""
    if isinstance(inputs, str):
        raise TypeError("inputs must be a sequence of strings, not one string: "
                        "use predict_one / explain_one for a single input")
    return list(inputs)
