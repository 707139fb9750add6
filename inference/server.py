"""HTTP face of the worker, so the models can run in a process (or host) of their own.

POST /v1/<task> (/v1/origin, /v1/sentiment, one per task spec) takes {"inputs": [...],
"top_k": k} and answers one result per input; an input failing validation becomes
{"input", "error"} without failing the rest. POST /v1/explain/<task> takes the same body (at
most MAX_EXPLAIN_INPUTS inputs: each costs many forward passes) and answers the same results,
each with an "explanation" field (inference.results.Explanation); the valid inputs may hold
at most MAX_EXPLAIN_UNITS words or characters between them (400 "too_much_work" beyond).
Explanations run behind predictions, and a request whose client disconnects is cancelled, so
the work it had left is dropped (inference.modelthread).
PUT /v1/agreed/<task> (a task whose spec keeps known inputs) takes {"agreed": [{"reference",
"input", "label"}, ...]}, the community's whole agreed set, and answers {"task", "joined",
"left", "agreed"} (inference.memory).
GET /healthz reports the status, device, queue depths and, per task, the version served
("models"), its model information ("model_info": labels, recorded test metrics, ...) and,
where the last checkpoint offered was refused, which and why ("refused");
GET /metrics exports the worker's and the server's metrics (inference.telemetry).
Listens on loopback by default; a shared secret (X-Seqbot-Secret) is required on every path
but /healthz when one is set, and binding elsewhere without one needs an explicit opt-in.
Slow or many clients are bounded by inference.guard: a header-read timeout, an idle timeout
and a cap on open connections.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.aiohttp import make_aiohttp_handler

from inference.client import MAX_TOP_K
from inference.errors import (
    CheckpointError,
    InferenceBusy,
    InferenceUnavailable,
    InputError,
    TooMuchWork,
)
from inference.guard import AcceptErrors, ConnectionGuard
from inference.http_client import SECRET_HEADER
from inference.memory import AgreedInput
from inference.results import Explanation, Prediction
from inference.settings import HEADER_TIMEOUT_S, IDLE_TIMEOUT_S, MAX_CONNECTIONS
from inference.tasks import TASKS, task_spec
from inference.telemetry import LATENCY_BUCKETS
from inference.text import MAX_TOKENS
from inference.worker import InferenceWorker

log = logging.getLogger("seqbot.inference")

MAX_INPUTS = 256
MAX_EXPLAIN_INPUTS = 16
# Eight texts of the longest the models read (MAX_TOKENS words; a 2,000-character Discord
# message holds fewer): an explanation costs about as many forward passes as units.
MAX_EXPLAIN_UNITS = 8 * MAX_TOKENS
# 256 inputs of 4000 characters, with room for JSON escapes of non-ASCII text.
MAX_BODY_BYTES = 8 << 20
OPEN_PATHS = frozenset({"/healthz"})

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Reject(Exception):
    """A request the service refuses; becomes {"error": message, "code": code}."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code = status, code


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_bind(host: str, secret: str | None, insecure: bool) -> None:
    """Refuse to expose the models beyond this machine without a shared secret."""
    if not is_loopback(host) and not secret and not insecure:
        raise ValueError(
            f"refusing to listen on {host} without a shared secret: set INFERENCE_SECRET, "
            "or pass --insecure if the network is trusted"
        )


def _error(status: int, code: str, message: str, **headers: str) -> web.Response:
    return web.json_response({"error": message, "code": code}, status=status, headers=headers)


def _item(raw: str, result: Prediction | Explanation | InputError) -> dict:
    if isinstance(result, InputError):
        return {"input": raw, "error": str(result)}
    return result.to_json()


class InferenceServer:
    """aiohttp application and listener around a started InferenceWorker."""

    def __init__(
        self,
        worker: InferenceWorker,
        *,
        host: str = "127.0.0.1",
        port: int = 8765,
        secret: str | None = None,
        insecure: bool = False,
        max_inputs: int = MAX_INPUTS,
        max_explain_inputs: int = MAX_EXPLAIN_INPUTS,
        max_explain_units: int = MAX_EXPLAIN_UNITS,
        max_body_bytes: int = MAX_BODY_BYTES,
        header_timeout_s: float = HEADER_TIMEOUT_S,
        idle_timeout_s: float = IDLE_TIMEOUT_S,
        max_connections: int = MAX_CONNECTIONS,
    ) -> None:
        check_bind(host, secret, insecure)
        self.worker, self.host, self.port = worker, host, port
        self.secret = secret or None
        # A request the worker could never admit whole would be "busy" forever: cap it here,
        # so it gets a 400 that says the limit instead.
        self.max_inputs = min(max_inputs, worker.max_queue)
        self.max_explain_inputs = min(max_explain_inputs, worker.max_explanations)
        self.max_explain_units = max_explain_units
        self.max_body_bytes = max_body_bytes
        self.registry = CollectorRegistry()
        self.registry.register(worker.registry)
        self._requests = Counter(
            "seqbot_http_requests_total", "HTTP requests by route and status.",
            ("route", "status"), registry=self.registry)
        self._duration = Histogram(
            "seqbot_http_request_duration_seconds", "Seconds spent answering HTTP requests.",
            ("route",), buckets=LATENCY_BUCKETS, registry=self.registry)
        if idle_timeout_s <= 0:
            raise ValueError("idle_timeout_s must be > 0")
        self.idle_timeout_s = idle_timeout_s
        self.guard = ConnectionGuard(header_timeout_s=header_timeout_s,
                                     max_connections=max_connections, registry=self.registry)
        self._listener: asyncio.AbstractServer | None = None
        self._accept_errors: AcceptErrors | None = None
        self.app = web.Application(middlewares=[self._guard], client_max_size=max_body_bytes)
        for task in TASKS:
            self.app.router.add_post(f"/v1/{task}", self._predict_handler(task))
            self.app.router.add_post(f"/v1/explain/{task}", self._explain_handler(task))
            if task_spec(task).memory is not None:
                self.app.router.add_put(f"/v1/agreed/{task}", self._agreed_handler(task))
        self.app.router.add_post("/v1/reload", self._reload)
        self.app.router.add_post("/v1/rollback", self._rollback)
        self.app.router.add_get("/healthz", self._healthz)
        self.app.router.add_get("/metrics", make_aiohttp_handler(self.registry))
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        """Listen; with port=0 the system picks a free port, reflected in `url`."""
        # handler_cancellation: a client that disconnects cancels its request's work;
        # keepalive_timeout: how long a connection may idle (or dawdle in later headers)
        self._runner = web.AppRunner(self.app, access_log=None, handle_signals=False,
                                     handler_cancellation=True,
                                     keepalive_timeout=self.idle_timeout_s)
        await self._runner.setup()
        loop = asyncio.get_running_loop()
        self._accept_errors = AcceptErrors(loop)
        self._accept_errors.install()
        self._listener = await loop.create_server(
            self.guard.factory(self._runner.server), self.host, self.port,  # type: ignore[arg-type]
            reuse_address=True)
        self.port = self._listener.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._accept_errors is not None:
            self._accept_errors.remove()
            self._accept_errors = None

    @web.middleware
    async def _guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Secret check, uniform JSON errors, and request metrics."""
        started = time.perf_counter()
        resource = request.match_info.route.resource
        route = resource.canonical if resource is not None else "unmatched"
        try:
            if self.secret and request.path not in OPEN_PATHS and not self._authorized(request):
                raise Reject(401, "unauthorized", f"wrong or missing {SECRET_HEADER} header")
            response = await handler(request)
        except Reject as exc:
            headers = {"Retry-After": "1"} if exc.code == "busy" else {}
            response = _error(exc.status, exc.code, str(exc), **headers)
        except web.HTTPException as exc:  # raised by aiohttp itself: 404, 405, 413
            response = _error(exc.status, exc.reason.lower().replace(" ", "_"), exc.reason)
        except Exception:  # a bug: still a JSON answer, logged and counted
            log.exception("%s %s failed", request.method, request.path)
            response = _error(500, "internal", "internal error; the service log has details")
        self._requests.labels(route, str(response.status)).inc()
        self._duration.labels(route).observe(time.perf_counter() - started)
        return response

    def _authorized(self, request: web.Request) -> bool:
        given = request.headers.get(SECRET_HEADER, "")
        # aiohttp decodes header bytes that are not UTF-8 as surrogates: encode them back
        return hmac.compare_digest(given.encode("utf-8", "surrogateescape"),
                                   self.secret.encode())  # type: ignore[union-attr]

    async def _json_body(self, request: web.Request) -> dict:
        if request.content_length is not None and request.content_length > self.max_body_bytes:
            raise Reject(413, "too_large", f"request bodies are limited to {self.max_body_bytes} "
                                           "bytes")
        raw = await request.read()  # aiohttp enforces client_max_size on chunked bodies
        try:
            body = json.loads(raw)
        except (ValueError, RecursionError) as exc:  # RecursionError: nested too deeply
            raise Reject(400, "bad_json", f"the body is not valid JSON: {exc}") from exc
        if not isinstance(body, dict):
            raise Reject(400, "bad_request", "the body must be a JSON object")
        return body

    async def _inputs(self, request: web.Request, task: str,
                      max_inputs: int) -> tuple[list[str], int]:
        """The validated "inputs" and "top_k" of a per-input endpoint's body."""
        body = await self._json_body(request)
        inputs = body.get("inputs")
        if not isinstance(inputs, list) or not all(isinstance(x, str) for x in inputs):
            raise Reject(400, "bad_request", '"inputs" must be a list of strings')
        if len(inputs) > max_inputs:
            raise Reject(400, "too_many_inputs", f"at most {max_inputs} inputs per request")
        top_k = body.get("top_k", task_spec(task).top_k)
        if isinstance(top_k, bool) or not isinstance(top_k, int) or not 0 < top_k <= MAX_TOP_K:
            raise Reject(400, "bad_request", f'"top_k" must be an integer, 1 to {MAX_TOP_K}')
        return inputs, top_k

    @staticmethod
    async def _answer(inputs: list[str],
                      work: Awaitable[Sequence[Prediction | Explanation | InputError]],
                      ) -> web.Response:
        try:
            results = await work
        except InferenceBusy as exc:
            raise Reject(503, "busy", str(exc)) from exc
        except InferenceUnavailable as exc:
            raise Reject(503, "unavailable", str(exc)) from exc
        except TooMuchWork as exc:
            raise Reject(400, "too_much_work", str(exc)) from exc
        return web.json_response(
            {"results": [_item(raw, r) for raw, r in zip(inputs, results, strict=True)]})

    def _predict_handler(self, task: str) -> Handler:
        async def handler(request: web.Request) -> web.Response:
            inputs, top_k = await self._inputs(request, task, self.max_inputs)
            return await self._answer(inputs, self.worker.predict(task, inputs, top_k))

        return handler

    def _explain_handler(self, task: str) -> Handler:
        async def handler(request: web.Request) -> web.Response:
            inputs, top_k = await self._inputs(request, task, self.max_explain_inputs)
            return await self._answer(inputs, self.worker.explain(
                task, inputs, top_k, max_units=self.max_explain_units))

        return handler

    def _agreed_handler(self, task: str) -> Handler:
        async def handler(request: web.Request) -> web.Response:
            entries = (await self._json_body(request)).get("agreed")
            try:
                if not isinstance(entries, list):
                    raise TypeError
                agreed = [AgreedInput.from_json(e) for e in entries]
            except (KeyError, TypeError) as exc:
                raise Reject(400, "bad_request", '"agreed" must be a list of objects with '
                                                 'string "reference", "input" and "label"'
                             ) from exc
            try:
                joined, left = await self.worker.set_agreed(task, agreed)
            except InferenceUnavailable as exc:
                raise Reject(503, "unavailable", str(exc)) from exc
            except ValueError as exc:
                raise Reject(400, "bad_request", str(exc)) from exc
            return web.json_response({"task": task, "joined": joined, "left": left,
                                      "agreed": len({a.reference for a in agreed})})

        return handler

    async def _task_body(self, request: web.Request, more: str = "") -> tuple[str, dict]:
        """The task a reload or rollback names, and its body; a missing or empty body, or
        an unknown task, is told the body the endpoint needs."""
        body = await self._json_body(request) if request.body_exists else {}
        task = body.get("task")
        if task not in self.worker.tasks:
            tasks = " or ".join(f'"{t}"' for t in self.worker.tasks)
            raise Reject(400, "bad_request",
                         f'{request.path} needs a JSON body {{"task": {tasks}{more}}}')
        return task, body

    async def _reload(self, request: web.Request) -> web.Response:
        task, body = await self._task_body(request, ', optionally "version": "..."')
        version = body.get("version")
        if version is not None and not isinstance(version, str):
            raise Reject(400, "bad_request", '"version" must be a string')
        try:
            served = await self.worker.reload(task, version)
        except CheckpointError as exc:
            raise Reject(409, "checkpoint", str(exc)) from exc
        return web.json_response({"task": task, "version": served})

    async def _rollback(self, request: web.Request) -> web.Response:
        task, _ = await self._task_body(request)
        try:
            served = await self.worker.rollback(task)
        except CheckpointError as exc:
            raise Reject(409, "checkpoint", str(exc)) from exc
        return web.json_response({"task": task, "version": served})

    async def _healthz(self, request: web.Request) -> web.Response:
        worker = self.worker
        return web.json_response(
            {
                "status": "ok" if worker.running else "stopped",
                "models": worker.versions(),
                "model_info": {t: info.to_json() for t, info in worker.infos().items()},
                "device": str(worker.device),
                "queue_depth": {t: worker.queue_depth(t) for t in worker.tasks},
                "refused": worker.refusals(),
            },
            status=200 if worker.running else 503,
        )
