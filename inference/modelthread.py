"""The one thread every forward pass runs on, predictions first.

A ThreadPoolExecutor runs its jobs in the order given, so one explanation (hundreds of
variants of a long text) queued before a prediction held that prediction for its whole
length. Here every job has a priority: a waiting prediction batch always runs before the
next step of an explanation, and an explanation is many short steps (inference.worker), so
a prediction waits at most one step. A job cancelled before it starts (its requester gave
up) is skipped, not run.
"""

from __future__ import annotations

import itertools
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

PREDICT, EXPLAIN = 0, 1  # lower runs first
_STOP = 2  # after everything already queued


class ModelThread:
    """A single worker thread with a priority queue; submit() returns a Future."""

    def __init__(self, initializer: Callable[..., object] | None = None,
                 initargs: tuple = (), name: str = "seqbot-model") -> None:
        self._queue: queue.PriorityQueue[tuple[int, int, Future | None, Callable | None,
                                               tuple]] = queue.PriorityQueue()
        self._order = itertools.count()  # FIFO within a priority
        self._initializer, self._initargs = initializer, initargs
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, priority: int, fn: Callable[..., Any], *args: Any) -> Future:
        future: Future = Future()
        self._queue.put((priority, next(self._order), future, fn, args))
        return future

    def shutdown(self) -> None:
        """Run what is queued, then stop the thread (blocking: call it off the loop)."""
        self._queue.put((_STOP, next(self._order), None, None, ()))
        self._thread.join()

    def _run(self) -> None:
        if self._initializer is not None:
            self._initializer(*self._initargs)
        while True:
            _, _, future, fn, args = self._queue.get()
            if future is None or fn is None:
                return
            if not future.set_running_or_notify_cancel():  # cancelled while it waited
                continue
            try:
                result = fn(*args)
            except BaseException as exc:  # handed to the awaiting task
                future.set_exception(exc)
            else:
                future.set_result(result)
