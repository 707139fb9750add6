"""What keeps slow or many clients from holding the HTTP service (inference.server).

aiohttp waits for a request's headers as long as a client cares to send them, and keeps an
idle connection for an hour, so 2,000 connections that never finish their headers held as
many file descriptors; once those ran out, every real request timed out and asyncio logged a
traceback for each failed accept. Every connection passes through a `GuardedProtocol`:

- the first request's headers must arrive within `header_timeout_s` of the connection, or it
  is closed (later requests on the connection: aiohttp's keep-alive timeout, which the
  server sets to `idle_timeout_s`, closes a connection idle or stuck in its headers);
- at most `max_connections` are open at once: one more is answered 503 and closed;
- "socket.accept() out of system resource" (descriptors ran out anyway) is logged at most
  once a minute, one line without a traceback, with the count of those it held back.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from prometheus_client import CollectorRegistry, Counter

from inference.telemetry import LiveGauge

log = logging.getLogger("seqbot.inference")

ACCEPT_FAILED = "socket.accept() out of system resource"
_BUSY_BODY = b'{"error": "too many connections; try again in a moment", "code": "busy"}'
BUSY = (b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
        b"Retry-After: 1\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s"
        % (len(_BUSY_BODY), _BUSY_BODY))
HEADERS_END = b"\r\n\r\n"


class ConnectionGuard:
    """Counts open connections and wraps each in a GuardedProtocol."""

    def __init__(self, *, header_timeout_s: float, max_connections: int,
                 registry: CollectorRegistry) -> None:
        if header_timeout_s <= 0 or max_connections < 1:
            raise ValueError("header_timeout_s must be > 0 and max_connections >= 1")
        self.header_timeout_s, self.max_connections = header_timeout_s, max_connections
        self.open = 0
        self.closed = Counter(
            "seqbot_http_connections_closed_total",
            "Connections the service closed early, by reason (header_timeout, "
            "too_many).", ("reason",), registry=registry)
        for reason in ("header_timeout", "too_many"):  # exported as 0 from the start
            self.closed.labels(reason)
        registry.register(LiveGauge("seqbot_http_connections", "Open HTTP connections.", (),
                                    lambda: {(): self.open}))

    def factory(self, inner: Callable[[], asyncio.Protocol]) -> Callable[[], asyncio.Protocol]:
        """A protocol factory for loop.create_server around aiohttp's."""
        return lambda: GuardedProtocol(inner(), self)


class GuardedProtocol(asyncio.Protocol):
    """Forwards everything to aiohttp's protocol, with the header timeout and the cap."""

    def __init__(self, inner: Any, guard: ConnectionGuard) -> None:
        self.inner, self.guard = inner, guard
        self.counted = False
        self.timer: asyncio.TimerHandle | None = None
        self.tail = b""  # the last bytes seen, to find the end of headers split over reads
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        guard = self.guard
        if guard.open >= guard.max_connections:
            guard.closed.labels("too_many").inc()
            transport.write(BUSY)  # type: ignore[attr-defined]
            transport.close()
            return
        guard.open += 1
        self.counted = True
        self.timer = asyncio.get_running_loop().call_later(guard.header_timeout_s,
                                                           self._headers_late)
        self.inner.connection_made(transport)

    def _headers_late(self) -> None:
        self.timer = None
        self.guard.closed.labels("header_timeout").inc()
        if self.transport is not None:
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        if not self.counted:
            return
        if self.timer is not None:
            seen = self.tail + data
            if HEADERS_END in seen:
                self.timer.cancel()
                self.timer = None
            self.tail = seen[-(len(HEADERS_END) - 1):]
        self.inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self.inner.eof_received() if self.counted else None

    def pause_writing(self) -> None:
        if self.counted:
            self.inner.pause_writing()

    def resume_writing(self) -> None:
        if self.counted:
            self.inner.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.counted:
            return
        self.counted = False
        self.guard.open -= 1
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        self.inner.connection_lost(exc)


class AcceptErrors:
    """A loop exception handler that turns failed accepts into one line a `period_s`."""

    def __init__(self, loop: asyncio.AbstractEventLoop, period_s: float = 60.0) -> None:
        self.loop, self.period_s = loop, period_s
        self.previous = loop.get_exception_handler()
        self.last = -period_s
        self.held = 0

    def __call__(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if context.get("message") != ACCEPT_FAILED:
            if self.previous is not None:
                self.previous(loop, context)
            else:
                loop.default_exception_handler(context)
            return
        now = time.monotonic()
        if now - self.last < self.period_s:
            self.held += 1
            return
        held, self.held, self.last = self.held, 0, now
        log.error("%s (%s): new connections wait; %d more like it in the last %g s",
                  ACCEPT_FAILED, context.get("exception"), held, self.period_s)

    def install(self) -> None:
        self.loop.set_exception_handler(self)

    def remove(self) -> None:
        if self.loop.get_exception_handler() is self:
            self.loop.set_exception_handler(self.previous)
