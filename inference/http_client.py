"""InferenceClient over HTTP: the bot talking to `python -m inference serve`.

Every call is bounded by `timeout_s` in total, retries included, so a dead or stuck service
costs the bot one short wait and an InferenceUnavailable, never a hang. Connection failures
are retried with exponential backoff: predictions are idempotent, so a retry is safe.

`url` may name several services, separated by commas (INFERENCE_URL). Requests go to the
healthy ones in turn; one that fails to answer is marked down for a backoff that doubles
with each failure in a row (`down_s` to `max_down_s`), and the request moves on to the next
at once. With every service down, the one due back first is tried. Each attempt then gets
an equal share of `timeout_s`, so a service that accepts connections but never answers
costs a share, not the whole call. The agreed inputs and reloads go to every service (each
keeps its own); a rollback goes to one, which moves the shared model folder's CURRENT
pointer, and the others follow it through their `--watch-interval-s`.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass

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


def split_urls(url: str) -> list[str]:
    """The services of a comma-separated INFERENCE_URL, without trailing slashes."""
    urls = [u.strip().rstrip("/") for u in url.split(",") if u.strip()]
    if not urls:
        raise ValueError("no inference service URL given")
    return urls


@dataclass(eq=False)
class Endpoint:
    """One inference service and what this client has seen of it lately."""

    url: str
    failures: int = 0  # in a row
    down_until: float = 0.0  # time.monotonic(); 0: healthy

    def healthy(self, now: float) -> bool:
        return self.down_until <= now


class HttpInferenceClient(InferenceClient):
    """Talks to one or several inference servers (inference.server); same contract as
    InferenceWorker."""

    def __init__(
        self,
        url: str,
        secret: str | None = None,
        timeout_s: float = 5.0,
        *,
        attempts: int = 3,
        backoff_s: float = 0.05,
        down_s: float = 1.0,
        max_down_s: float = 30.0,
    ) -> None:
        self.endpoints = [Endpoint(u) for u in split_urls(url)]
        self.url = ",".join(e.url for e in self.endpoints)
        self.secret = secret or None
        self.timeout_s = timeout_s
        # every service gets a try, and the last one `attempts` with backoff
        self.attempts = max(1, attempts) + len(self.endpoints) - 1
        self.backoff_s = backoff_s
        self.down_s = down_s
        self.max_down_s = max_down_s
        self._turn = 0
        # a share of the call's time per attempt, so a stuck service leaves time for another
        n = len(self.endpoints)
        self._attempt_s = timeout_s if n == 1 else timeout_s / (n + 1)
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                headers={SECRET_HEADER: self.secret} if self.secret else None,
                timeout=aiohttp.ClientTimeout(total=self._attempt_s),
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
        data = await self._everywhere("PUT", f"/v1/agreed/{task}",
                                      {"agreed": [a.to_json() for a in agreed]})
        return int(data["joined"]), int(data["left"])

    async def reload(self, task: str, version: str | None = None) -> str:
        payload = {"task": task} if version is None else {"task": task, "version": version}
        return str((await self._everywhere("POST", "/v1/reload", payload))["version"])

    async def rollback(self, task: str) -> str:
        # twice would roll back two versions
        return str((await self._call("POST", "/v1/rollback", {"task": task},
                                     idempotent=False))["version"])

    async def _call(self, method: str, path: str, payload: dict | None = None, *,
                    idempotent: bool = True, endpoint: Endpoint | None = None) -> dict:
        """One request to the next healthy service (or to `endpoint` alone)."""
        try:
            return await asyncio.wait_for(
                self._attempts(method, path, payload, idempotent, endpoint), self.timeout_s)
        except asyncio.TimeoutError as exc:
            raise InferenceUnavailable(
                f"The inference service did not answer within {self.timeout_s:g} s.") from exc

    async def _everywhere(self, method: str, path: str, payload: dict) -> dict:
        """An idempotent request to every service at once; the first one's answer. A service
        that cannot be reached is skipped (the bot sends the agreed inputs again regularly,
        and a reload is the watcher's too); it fails only when none answers."""
        if len(self.endpoints) == 1:
            return await self._call(method, path, payload)
        answers = await asyncio.gather(
            *(self._call(method, path, payload, endpoint=e) for e in self.endpoints),
            return_exceptions=True)
        for answer in answers:  # a refusal (a bad version, a bad set) is everyone's
            if isinstance(answer, BaseException) and not isinstance(answer,
                                                                     InferenceUnavailable):
                raise answer
        for answer in answers:
            if isinstance(answer, dict):
                return answer
        raise answers[0]  # type: ignore[misc]

    def _pick(self) -> Endpoint:
        """The next healthy service in turn; with none healthy, the one due back first."""
        now = time.monotonic()
        n = len(self.endpoints)
        for i in range(n):
            endpoint = self.endpoints[(self._turn + i) % n]
            if endpoint.healthy(now):
                self._turn = (self._turn + i + 1) % n
                return endpoint
        return min(self.endpoints, key=lambda e: e.down_until)

    def _failed(self, endpoint: Endpoint) -> None:
        endpoint.failures += 1
        endpoint.down_until = time.monotonic() + min(
            self.max_down_s, self.down_s * 2 ** (endpoint.failures - 1))

    def healthy(self) -> list[str]:
        """The services this client would send a request to now."""
        now = time.monotonic()
        return [e.url for e in self.endpoints if e.healthy(now)]

    async def _attempts(self, method: str, path: str, payload: dict | None,
                        idempotent: bool, only: Endpoint | None) -> dict:
        """Retry while the services come up: the next healthy one at once, else with
        backoff. A call that must not run twice is retried only when no connection was
        made: once the request was sent, the service may have acted even if its answer was
        lost."""
        await self.start()
        attempts = self.attempts if only is None else self.attempts - len(self.endpoints) + 1
        deadline = time.monotonic() + self.timeout_s
        for attempt in range(1, attempts + 1):
            endpoint = only or self._pick()
            try:
                data = await self._send(endpoint.url, method, path, payload)
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                self._failed(endpoint)
                sent = not isinstance(exc, aiohttp.ClientConnectorError)
                # a timed-out attempt with no time left for another whole one: say so now,
                # not past the deadline
                late = isinstance(exc, asyncio.TimeoutError) and (
                    time.monotonic() + self._attempt_s > deadline)
                if attempt >= attempts or (sent and not idempotent) or late:
                    reason = exc if isinstance(exc, aiohttp.ClientError) else "no answer"
                    raise InferenceUnavailable(
                        f"Cannot reach the inference service at {endpoint.url}: "
                        f"{reason}") from exc
                if only is not None or not self.healthy():
                    await asyncio.sleep(self.backoff_s * 2 ** (attempt - 1))
                continue
            endpoint.failures, endpoint.down_until = 0, 0.0
            return data
        raise AssertionError("unreachable")  # the last attempt returns or raises

    async def _send(self, url: str, method: str, path: str, payload: dict | None) -> dict:
        assert self._session is not None
        async with self._session.request(method, url + path, json=payload) as response:
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
