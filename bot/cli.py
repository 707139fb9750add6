"""`python -m bot`: run the Discord bot, or the console when no token is set; `sync` commands."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

import discord

from bot.console import HINT, run_console
from bot.core import create_bot
from bot.logs import setup_logging
from bot.runner import run_bot
from bot.services import Services
from bot.settings import Settings, SettingsError
from bot.sync import command_payload, sync_commands
from db.errors import SecretError, StoreError
from inference.errors import CheckpointError, InputError

# What `python -m bot` reports as one line (settings.cli.run): the message says it all.
KNOWN_ERRORS = (StoreError, CheckpointError, InputError)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="seqbot: ML in chat. With DISCORD_TOKEN set, runs the Discord bot; "
                    "without it, a local console chat. Settings come from .env and the "
                    "environment (see .env.example).")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("run", help="the Discord bot, or the console without DISCORD_TOKEN "
                                    "(the default)")
    commands.add_parser("console", help="the local console chat, even with a token")
    sync = commands.add_parser("sync", help="publish the slash commands to Discord")
    scope = sync.add_mutually_exclusive_group()
    scope.add_argument("--guild", type=int, help="sync to this server only (instant); "
                                                 "default DEV_GUILD_ID if set")
    scope.add_argument("--global", dest="everywhere", action="store_true",
                       help="sync globally even when DEV_GUILD_ID is set")
    sync.add_argument("--dry-run", action="store_true",
                      help="print the JSON payload instead of sending it (needs no token)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.load()
    except SettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    setup_logging(settings.log_level, settings.secrets())
    try:
        if args.command == "sync":
            guild = None if args.everywhere else args.guild or settings.dev_guild_id
            return asyncio.run(sync(settings, guild, args.dry_run))
        if args.command == "console" or not settings.token:
            if args.command != "console":
                print(HINT, file=sys.stderr)
            asyncio.run(console(settings))
        else:
            asyncio.run(run_bot(settings))
    except SecretError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    except StoreError as exc:  # the database cannot be opened or is damaged: one line
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except discord.LoginFailure:
        print("Discord rejected DISCORD_TOKEN: check it in the developer portal.", file=sys.stderr)
        return 2
    return 0


async def console(settings: Settings) -> None:
    services = await Services.open(settings, dev_mode=True)
    try:
        await run_console(services, history=settings.console_history)
    finally:
        await services.close()


async def sync(settings: Settings, guild_id: int | None, dry_run: bool) -> int:
    """Print the payload, or log in over HTTP only (no gateway, no models) and sync."""
    bot = create_bot(settings)
    where = f"guild {guild_id}" if guild_id else "global"
    if dry_run:
        await bot.add_features()
        print(json.dumps(command_payload(bot.tree), indent=2, ensure_ascii=False))
        print(f"dry run: {len(bot.tree.get_commands())} commands would be synced ({where})",
              file=sys.stderr)
        return 0
    if not settings.token:
        print("DISCORD_TOKEN is not set: cannot sync (try --dry-run)", file=sys.stderr)
        return 2
    async with bot:
        await bot.login(settings.token)  # runs setup_hook, which adds the commands
        try:
            synced = await sync_commands(bot.tree,
                                         discord.Object(guild_id) if guild_id else None)
        except discord.HTTPException as exc:
            print(f"Discord refused the sync ({where}): {exc}. Is the bot in that server, "
                  "invited with the applications.commands scope?", file=sys.stderr)
            return 1
    print(f"synced {len(synced)} commands ({where})", file=sys.stderr)
    return 0
