"""`python -m inference predict|serve`: score inputs from the shell, or run the service.

`predict --explain` adds what drove each answer (inference.explain): an "explanation" field
with --json, indented lines otherwise.

predict loads its model through the same worker as the bot and scores a file of many
thousand lines in its padded batches, a chunk at a time (InferenceWorker.predict_bulk); the
file is read lazily, a bounded number of lines in flight, and answered in input order, one
output line per input line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
from collections import deque
from collections.abc import Iterable, Iterator
from itertools import chain, islice
from pathlib import Path

from inference.errors import CheckpointError, InputError
from inference.results import Explanation, Prediction
from inference.server import MAX_EXPLAIN_INPUTS, InferenceServer
from inference.settings import (
    HEADER_TIMEOUT_S,
    IDLE_TIMEOUT_S,
    MAX_CONNECTIONS,
    InferenceSettings,
)
from inference.tasks import TASKS
from inference.verdict import SURE
from inference.worker import InferenceWorker, version_path

log = logging.getLogger("seqbot.inference")
# What `python -m inference` reports as one line (settings.cli.run).
KNOWN_ERRORS = (CheckpointError, InputError)

# Lines per predict call; two calls are in flight, so the next lines are already queued
# while a finished chunk is printed.
CHUNK_BATCHES = 4
# --max-batch by default. predict scores a file as fast as it can: big batches sort the
# inputs by length over more of them (less padding) and pay the per-batch costs less often.
MAX_BATCH = {"predict": 512, "serve": 64}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m inference",
                                     description="Run seqbot's models from the shell.")
    commands = parser.add_subparsers(dest="command", required=True)

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--device",
                        help="auto, cpu, cuda, cuda:N or mps (default: $SEQBOT_DEVICE, else auto)")
    common.add_argument("--model-dir", type=Path,
                        help="promoted models (default: $SEQBOT_MODEL_DIR, else models/ beside "
                             "$SEQBOT_DB, as for the bot); the shipped weights serve a task "
                             "with none promoted")
    common.add_argument("--threads", type=int, help="CPU intra-op threads (default 1)")
    common.add_argument("--max-batch", type=int,
                        help="largest batch; 1 disables batching (default 64; predict: "
                             f"{MAX_BATCH['predict']})")
    common.add_argument("--max-wait-ms", type=float, default=2.0,
                        help="longest wait for a batch to fill (default 2)")
    common.add_argument("--no-int8", dest="int8", action="store_false", default=None,
                        help="serve every model as stored, not in int8 on a CPU "
                             "(default: $SEQBOT_INT8, else int8 where measured fit)")

    predict = commands.add_parser("predict", parents=[common], help="score inputs")
    predict.add_argument("task", choices=TASKS, help="the task whose model scores them")
    predict.add_argument("texts", nargs="*", metavar="TEXT", help="inputs to score")
    predict.add_argument("--file", help="read one input per line from this file (- for stdin)")
    predict.add_argument("--top-k", type=int,
                         help="labels to list per input (default: the task's, e.g. 3 for origin)")
    predict.add_argument("--json", action="store_true", help="one JSON object per input")
    predict.add_argument("--explain", action="store_true",
                         help="also say which parts drove each answer (occlusion; slower)")
    source = predict.add_mutually_exclusive_group()
    source.add_argument("--checkpoint", type=Path, help="score with this checkpoint file")
    source.add_argument("--version", help="score with this promoted version from --model-dir")

    serve = commands.add_parser("serve", parents=[common], help="run the HTTP service")
    serve.add_argument("--host", default="127.0.0.1",
                       help="the address to listen on (default %(default)s: loopback only)")
    serve.add_argument("--port", type=int, default=8765,
                       help="the port to listen on; 0 picks a free one (default %(default)s)")
    serve.add_argument("--insecure", action="store_true",
                       help="allow a non-loopback host without INFERENCE_SECRET (default: off)")
    serve.add_argument("--max-queue", type=int, default=1024,
                       help="requests waiting per task before answering busy "
                            "(default %(default)s)")
    serve.add_argument("--watch-interval-s", type=float,
                       help="poll the model dir this often and load newly promoted models "
                            "(default: never; the bot's SEQBOT_MODEL_WATCH_S is 60)")
    serve.add_argument("--header-timeout-s", type=float,
                       help="close a connection whose first request's headers take longer "
                            f"(default: $INFERENCE_HEADER_TIMEOUT_S, else {HEADER_TIMEOUT_S:g})")
    serve.add_argument("--idle-timeout-s", type=float,
                       help="close a connection idle this long between requests "
                            f"(default: $INFERENCE_IDLE_TIMEOUT_S, else {IDLE_TIMEOUT_S:g})")
    serve.add_argument("--max-connections", type=int,
                       help="open connections at most; more are answered 503 "
                            f"(default: $INFERENCE_MAX_CONNECTIONS, else {MAX_CONNECTIONS})")
    return parser


def _lines(path: str) -> Iterator[str]:
    if path == "-":
        for line in sys.stdin:
            yield line.rstrip("\r\n")
        return
    # lines end at "\n" only, as on stdin: a lone "\r" stays inside its line
    with open(path, encoding="utf-8", errors="replace", newline="\n") as fh:
        for line in fh:
            yield line.rstrip("\r\n")


def _chunks(items: Iterable[str], size: int) -> Iterator[list[str]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def _shorten(text: str, width: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _format(raw: str, result: Prediction | Explanation | InputError, as_json: bool) -> str:
    if as_json:
        data = ({"input": raw, "error": str(result)} if isinstance(result, InputError)
                else result.to_json())
        return json.dumps(data, ensure_ascii=False)
    if isinstance(result, InputError):
        return f"{_shorten(raw)}: error: {result}"
    prediction = result.prediction if isinstance(result, Explanation) else result
    others = ", ".join(f"{label} {p:.1%}" for label, p in prediction.top[1:])
    line = f"{_shorten(raw)}: {prediction.label} {prediction.probability:.1%}"
    line += f" ({others})" if others else ""
    line += " [truncated]" if prediction.truncated else ""
    line += "" if prediction.confidence == SURE else f" [{prediction.confidence.replace('_', ' ')}]"
    line += "".join(f" [{e.text}]" for e in prediction.evidence)
    if isinstance(result, Explanation):
        line += "".join(f"\n  {why}" for why in result.summary())
    return line


async def predict(args: argparse.Namespace) -> int:
    """Score TEXT arguments and/or --file lines; exit status 1 if any input was rejected."""
    checkpoint = args.checkpoint or (args.version and
                                     version_path(args.model_dir, args.task, args.version))
    chunk = max(1, args.max_batch) * CHUNK_BATCHES
    worker = InferenceWorker(
        tasks=(args.task,), checkpoints={args.task: checkpoint} if checkpoint else None,
        model_dir=args.model_dir, device=args.device, threads=args.threads,
        max_batch=args.max_batch, max_wait_ms=args.max_wait_ms, max_queue=2 * chunk,
        max_explanations=2 * chunk, load_timeout_s=args.load_timeout_s, int8=args.int8)
    score = worker.explain if args.explain else worker.predict_bulk
    inputs = chain(args.texts, _lines(args.file)) if args.file else iter(args.texts)
    rejected = False
    async with worker:
        in_flight: deque[tuple[list[str], asyncio.Task]] = deque()

        def emit() -> None:
            nonlocal rejected
            raws, task = in_flight.popleft()
            results = task.result()
            rejected |= any(isinstance(r, InputError) for r in results)
            sys.stdout.write("".join(_format(raw, r, args.json) + "\n"
                                     for raw, r in zip(raws, results, strict=True)))

        try:
            for raws in _chunks(inputs, chunk):
                in_flight.append((raws, asyncio.create_task(score(args.task, raws, args.top_k))))
                if len(in_flight) > 1:
                    await in_flight[0][1]
                    emit()
            while in_flight:
                await in_flight[0][1]
                emit()
        finally:  # output closed early (| head): drop the chunk still being scored
            for _, task in in_flight:
                task.cancel()
    sys.stdout.flush()
    return 1 if rejected else 0


async def serve(args: argparse.Namespace, secret: str | None) -> int:
    """Run the HTTP service until SIGINT or SIGTERM."""
    worker = InferenceWorker(
        model_dir=args.model_dir, device=args.device, threads=args.threads,
        max_batch=args.max_batch, max_wait_ms=args.max_wait_ms, max_queue=args.max_queue,
        max_explanations=MAX_EXPLAIN_INPUTS, watch_interval_s=args.watch_interval_s,
        load_timeout_s=args.load_timeout_s, int8=args.int8)
    server = InferenceServer(worker, host=args.host, port=args.port,
                             secret=secret, insecure=args.insecure,
                             header_timeout_s=args.header_timeout_s,
                             idle_timeout_s=args.idle_timeout_s,
                             max_connections=args.max_connections)
    async with worker:
        await server.start()
        log.info("listening on %s: models %s on %s", server.url, worker.versions(), worker.device)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            await stop.wait()
        finally:
            await server.close()
    log.info("stopped")
    return 0


def parse_args(argv: list[str] | None, settings: InferenceSettings) -> argparse.Namespace:
    """The command line, its defaults filled in from the command and the settings."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "predict" and not args.texts and not args.file:
        parser.error("give TEXT arguments or --file")
    args.max_batch = MAX_BATCH[args.command] if args.max_batch is None else args.max_batch
    args.device = args.device or settings.device
    args.model_dir = args.model_dir or settings.models
    args.load_timeout_s = settings.model_load_timeout_s
    args.int8 = settings.int8 if args.int8 is None else args.int8
    if args.command == "serve":
        args.header_timeout_s = args.header_timeout_s or settings.header_timeout_s
        args.idle_timeout_s = args.idle_timeout_s or settings.idle_timeout_s
        args.max_connections = args.max_connections or settings.max_connections
    return args


def main(argv: list[str] | None = None) -> int:
    settings = InferenceSettings.load_or_exit()
    args = parse_args(argv, settings)
    logging.basicConfig(level=logging.INFO if args.command == "serve" else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return asyncio.run(predict(args) if args.command == "predict"
                           else serve(args, settings.inference_secret))
    except BrokenPipeError:  # piped into `head`: stop quietly, also at interpreter exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (CheckpointError, ValueError, OSError) as exc:  # OSError after its BrokenPipeError
        print(f"error: {exc}", file=sys.stderr)
        return 2
