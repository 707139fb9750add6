"""Entry point of `python -m inference`; see inference/cli.py."""

from dotenv import load_dotenv

from inference.cli import main

load_dotenv(".env")  # as the bot reads it; real environment variables win
raise SystemExit(main())
