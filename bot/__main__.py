"""Entry point of `python -m bot`; see bot/cli.py."""

from settings.cli import run

run("bot.cli")
