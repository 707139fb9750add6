"""Entry point of `python -m training`; see training/cli.py."""

from settings.cli import run

run("training.cli")
