"""InferenceClient over HTTP: the bot talking to `python -m inference serve`.

Every call is bounded by `timeout_s` in total, retries included, so a dead or stuck service
costs the bot one short wait and an InferenceUnavailable, never a hang. Connection failures
are retried with exponential backoff: predictions are idempotent, so a retry is safe.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from itertools import count

import aiohttp

from inference.client import InferenceClient, check_inputs
from inference.errors import CheckpointError, InferenceBusy, InferenceUnavailable, InputError
from inference.memory import AgreedInput
from inference.results import Explanation, ModelInfo, Prediction

SECRET_HEADER = "X-Seqbot-Secret"  # carries the shared secret (INFERENCE_SECRET)


def _raise_for(status: int, data: dict) -> None:
    message = str(data.get("error", f"HTTP {status}"))
    if status == 429 or data.get("code") == "busy":
        raise InferenceBusy(message)
    if status == 409:
        raise CheckpointError(message)
    if status in (400, 413):
        raise ValueError(f"the inference service rejected the request: {message}")
    raise InferenceUnavailable(f"The inference service answered {status}: {message}")


class HttpInferenceClient(InferenceClient):
    """Talks to an inference server (inference.server); same contract as InferenceWorker."""

    def __init__(
        self,
        url: str,
        secret: str | None = None,
        timeout_s: float = 5.0,
        *,
        attempts: int = 3,
        backoff_s: float = 0.05,
    ) -> None:
        self.url = url.rstrip("/")
        self.secret = secret or None
        self.timeout_s = timeout_s
        self.attempts = max(1, attempts)
        self.backoff_s = backoff_s
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                headers={SECRET_HEADER: self.secret} if self.secret else None,
                timeout=aiohttp.ClientTimeout(total=self.timeout_s),
            )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def predict(
        self, task: str, inputs: Sequence[str], top_k: int | None = None
    ) -> list[Prediction | InputError]:
        """POST /v1/<task>."""
        results = await self._results(f"/v1/{task}", inputs, top_k)
        return [InputError(r["error"]) if "error" in r else Prediction.from_json(task, r)
                for r in results]

    async def _results(self, path: str, inputs: Sequence[str], top_k: int | None) -> list[dict]:
        """POST inputs to a per-input endpoint; its results, one per input."""
        payload: dict = {"inputs": check_inputs(inputs)}
        if top_k is not None:
            payload["top_k"] = top_k
        results = (await self._call("POST", path, payload)).get("results")
        if not isinstance(results, list) or len(results) != len(payload["inputs"]):
            raise InferenceUnavailable("The inference service sent a malformed answer.")
        return results

    async def explain(
        self, task: str, inputs: Sequence[str], top_k: int | None = None
    ) -> list[Explanation | InputError]:
        """POST /v1/explain/<task>: results like predict's, each with an explanation."""
        results = await self._results(f"/v1/explain/{task}", inputs, top_k)
        try:
            return [InputError(r["error"]) if "error" in r else Explanation.from_json(task, r)
                    for r in results]
        except (KeyError, TypeError, ValueError) as exc:
            raise InferenceUnavailable("The inference service sent a malformed "
                                       f"explanation: {exc}") from exc

    async def health(self) -> dict:
        return await self._call("GET", "/healthz")

    async def model_info(self) -> dict[str, ModelInfo]:
        """From GET /healthz, which carries the worker's model_info per task."""
        infos = (await self.health()).get("model_info")
        try:
            if not isinstance(infos, dict):
                raise TypeError("model_info must be an object")
            return {str(task): ModelInfo.from_json(info) for task, info in infos.items()}
        except (KeyError, TypeError, ValueError) as exc:
            raise InferenceUnavailable("The inference service sent malformed model "
                                       f"information: {exc}") from exc

    async def set_agreed(self, task: str, agreed: Sequence[AgreedInput]) -> tuple[int, int]:
        """PUT /v1/agreed/<task>: the whole set, so sending it twice changes nothing."""
        data = await self._call("PUT", f"/v1/agreed/{task}",
                                {"agreed": [a.to_json() for a in agreed]})
        return int(data["joined"]), int(data["left"])

    async def reload(self, task: str, version: str | None = None) -> str:
        payload = {"task": task} if version is None else {"task": task, "version": version}
        return str((await self._call("POST", "/v1/reload", payload))["version"])

    async def rollback(self, task: str) -> str:
        # twice would roll back two versions
        return str((await self._call("POST", "/v1/rollback", {"task": task},
                                     idempotent=False))["version"])

    async def _call(self, method: str, path: str, payload: dict | None = None, *,
                    idempotent: bool = True) -> dict:
        try:
            return await asyncio.wait_for(self._attempts(method, path, payload, idempotent),
                                          self.timeout_s)
        except asyncio.TimeoutError as exc:
            raise InferenceUnavailable(
                f"The inference service did not answer within {self.timeout_s:g} s.") from exc

    async def _attempts(self, method: str, path: str, payload: dict | None,
                        idempotent: bool) -> dict:
        """Retry with backoff while the service comes up. A call that must not run twice is
        retried only when no connection was made: once the request was sent, the service
        may have acted even if its answer was lost."""
        await self.start()
        for attempt in count(1):
            try:
                return await self._send(method, path, payload)
            except aiohttp.ClientError as exc:
                sent = not isinstance(exc, aiohttp.ClientConnectorError)
                if attempt >= self.attempts or (sent and not idempotent):
                    raise InferenceUnavailable(
                        f"Cannot reach the inference service at {self.url}: {exc}") from exc
                await asyncio.sleep(self.backoff_s * 2 ** (attempt - 1))

    async def _send(self, method: str, path: str, payload: dict | None) -> dict:
        assert self._session is not None
        async with self._session.request(method, self.url + path, json=payload) as response:
            status, text = response.status, await response.text()
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise InferenceUnavailable(f"The inference service answered {status} "
                                       "with something that is not JSON.") from exc
        if not isinstance(data, dict):
            raise InferenceUnavailable("The inference service sent a malformed answer.")
        if status != 200:
            _raise_for(status, data)
        return data
