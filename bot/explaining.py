"""The "Why?" use case: explain a logged answer, from its stored input, with the model serving
now. Like the other services it knows nothing about Discord.

The answer may have come from an earlier model (a promotion or rollback since): the stored
input is explained by the one serving now, and the reply says so instead of pretending.
"""

from __future__ import annotations

from dataclasses import dataclass

from db import FeedbackStore
from inference.client import MAX_TOP_K, InferenceClient
from inference.errors import InputError
from inference.results import Explanation


class NotExplainable(Exception):
    """An answer that cannot be explained; the message is safe to show to its user."""


@dataclass(frozen=True)
class Why:
    explanation: Explanation
    answered_by: str  # the model version that gave the answer being explained
    answered_label: str

    @property
    def same_model(self) -> bool:
        return self.explanation.prediction.model_version == self.answered_by


class ExplanationService:
    def __init__(self, client: InferenceClient, store: FeedbackStore) -> None:
        self.client = client
        self.store = store

    async def explain(self, pred_id: int) -> Why:
        """Raises NotExplainable when the answer was erased or its input no longer reads,
        else InferenceBusy or InferenceUnavailable from the client."""
        record = await self.store.get_prediction(pred_id)
        if record is None:
            raise NotExplainable("I can't find that answer any more (it may have been "
                                 "erased), so I can't explain it.")
        try:  # every label, so the reply can name the others
            explanation = await self.client.explain_one(record.task, record.input_text,
                                                        top_k=MAX_TOP_K)
        except InputError as exc:
            raise NotExplainable(f"I can't read that input any more, so I can't explain it: "
                                 f"{exc}") from exc
        return Why(explanation, record.model_version, record.label)
