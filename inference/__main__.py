"""Entry point of `python -m inference`; see inference/cli.py."""

from settings.cli import run

run("inference.cli")
