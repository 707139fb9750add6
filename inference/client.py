"""The one interface the bot uses for predictions, in-process or over HTTP."""

from __future__ import annotations

from typing import Protocol

from inference.predictor import Prediction


class InferenceClient(Protocol):
    """Implemented by the in-process worker and by the HTTP client.

    Each call raises InputError (message safe for users), InferenceBusy or
    InferenceUnavailable.
    """

    async def origin(self, name: str, top_k: int = 3) -> Prediction: ...

    async def sentiment(self, text: str, top_k: int = 2) -> Prediction: ...

    async def model_versions(self) -> dict[str, str]: ...

    async def reload(self, task: str, version: str | None = None) -> str:
        """Load the current promoted checkpoint (or `version`); returns the version now served."""
        ...

    async def start(self) -> None: ...

    async def close(self) -> None: ...
