"""The real bot, `bot.runner.run_bot`, in a process of its own, talking to a fake Discord.

The load benchmark and the kill -9 fault test need the bot outside their own process: to
measure its CPU and memory alone, and to kill it mid-write. Settings come from the
environment exactly as for `python -m bot` (no .env is read); only discord.py's REST base
URL and gateway are redirected to the fake at --discord. On SIGTERM the bot shuts down as
in production; with --metrics, the in-process worker's Prometheus text is written after.

    python -m benchmarks.bot_process --discord http://127.0.0.1:PORT [--metrics FILE]
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import dataclass
from pathlib import Path

from prometheus_client import generate_latest

from benchmarks.fakediscord import pointed_at
from bot.logs import setup_logging
from bot.runner import run_bot
from bot.services import Services
from bot.settings import Settings


@dataclass(frozen=True)
class Endpoint:
    """Where a FakeDiscord listens: all that `pointed_at` reads from one."""

    url: str

    @property
    def gateway_url(self) -> str:
        return self.url.replace("http://", "ws://", 1) + "/gateway"


async def serve(discord_url: str, metrics: Path | None) -> None:
    settings = Settings.load(dotenv_path=None)
    setup_logging(settings.log_level, settings.secrets())
    services = await Services.open(settings)
    with pointed_at(Endpoint(discord_url)):  # type: ignore[arg-type]
        await run_bot(settings, services)
    registry = getattr(services.client, "registry", None)  # only the in-process worker
    if metrics is not None and registry is not None:
        metrics.write_bytes(generate_latest(registry))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--discord", required=True, help="the fake Discord's http://host:port")
    parser.add_argument("--metrics", type=Path, help="write the worker's metrics here at exit")
    args = parser.parse_args(argv)
    asyncio.run(serve(args.discord, args.metrics))


if __name__ == "__main__":
    main()
