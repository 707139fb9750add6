"""A local chat in the terminal that runs the same services as the Discord bot.

For trying the models and the feedback loop without a Discord token: answers are logged and
votes recorded in the same database, under one local user. Works with piped input too.
"""

from __future__ import annotations

import asyncio
import io
import sys
import threading
from typing import TextIO

from bot.errors import user_message
from bot.present import HELP, about_lines, feedback_line, prediction_card, why_card
from bot.services import Answer, Requester, Services
from db import CONFIRMED
from db.shown import visible
from inference.tasks import TASKS, task_spec

CONSOLE_USER = Requester(user_id=0)
PROMPT = "> "
HINT = ("seqbot console: no DISCORD_TOKEN is set, so this is a local chat. "
        "Set DISCORD_TOKEN in .env to run the Discord bot.")
CONSOLE_HELP = [
    *((usage, what) for usage, what in HELP if usage.startswith("/")
      and usage not in ("/forget-me", "/teach")),
    ("/right", "the last answer was right"),
    ("/wrong label", "the last answer was wrong; the right one is `label`"),
    ("/why", "what drove the last answer"),
    ("/quit", "leave (end of input does too)"),
]


class Console:
    def __init__(self, services: Services, out: TextIO) -> None:
        self.services = services
        self.out = out
        self.last: Answer | None = None

    def say(self, *lines: str) -> None:
        """Print lines with what a terminal would obey taken out (db.shown): user text is
        in them, and must not clear the screen, retitle the window or hide itself."""
        for line in lines:
            print(visible(line), file=self.out)
        self.out.flush()

    async def handle(self, line: str) -> bool:
        """Run one input line; False when the user asked to leave."""
        command, _, arg = line.strip().partition(" ")
        arg = arg.strip()
        if not command:
            return True
        if command in ("/quit", "/exit"):
            return False
        try:
            await self._dispatch(command, arg)
        except Exception as exc:  # as on Discord: explained, or an error id, and the chat goes on
            self.say(user_message(exc, f"{command!r} in the console"))
        return True

    async def _dispatch(self, command: str, arg: str) -> None:
        task = command.removeprefix("/")
        if command.startswith("/") and task in TASKS:
            if not arg:
                self.say(f"Usage: {command} {task_spec(task).command.option}")
                return
            self.last = await self.services.predictions.predict(task, arg, CONSOLE_USER)
            self._show(self.last)
        elif command == "/right":
            await self._vote(CONFIRMED)
        elif command == "/wrong":
            await self._vote(arg)
        elif command == "/why":
            await self._why()
        elif command == "/about":
            services = self.services
            self.say(*about_lines(await services.models.status(), await services.feedback.stats()))
        elif command == "/help":
            width = max(len(usage) for usage, _ in CONSOLE_HELP)
            self.say(*(f"{usage.ljust(width)}  {what}" for usage, what in CONSOLE_HELP))
        else:
            self.say("Commands start with /, for example /origin Nakamura. Try /help.")

    def _show(self, answer: Answer) -> None:
        card = prediction_card(answer)
        self.say(f"{card.title}: {card.subject}")
        if card.read_as:
            self.say(f"Read as: {card.read_as}")
        self.say(card.headline, *(f"  {row}" for row in card.chart), *card.notes, card.footer)
        if answer.votable:
            self.say("Was I right? /right, or /wrong <label>")

    async def _why(self) -> None:
        if self.last is None or self.last.prediction_id is None:
            self.say(f"Nothing to explain yet: ask {_ask_commands()} first.")
            return
        card = why_card(await self.services.explanations.explain(self.last.prediction_id))
        self.say(card.title, "Read as: " + card.joiner.join(
            f"[{text}]{card.arrow(mark)}" if mark else text for text, mark in card.read))
        for heading, rows in card.sections:
            if rows:
                self.say(f"{heading}:", *(f"  {part}  {effect}" for part, effect in rows))
        self.say(*card.notes, card.footer)

    async def _vote(self, label: str) -> None:
        if self.last is None or self.last.prediction_id is None:
            self.say(f"Nothing to vote on yet: ask {_ask_commands()} first.")
            return
        pred_id = self.last.prediction_id
        if label != CONFIRMED:
            model_label, choices = await self.services.feedback.choices(pred_id)
            by_name = {c.label.casefold(): c.label for c in choices}
            if label.casefold() not in by_name:
                names = ", ".join(c.label for c in choices)
                self.say(f"I said {model_label}. Which is right? /wrong <one of: {names}>")
                return
            label = by_name[label.casefold()]
        tally = await self.services.feedback.vote(pred_id, CONSOLE_USER, label)
        self.say("Thanks, vote recorded (voting again replaces it).", feedback_line(tally))


def _ask_commands() -> str:
    return " or ".join(f"/{task}" for task in TASKS)


def _start_reader(stdin: TextIO, loop: asyncio.AbstractEventLoop) -> asyncio.Queue[str]:
    """Read lines in a daemon thread: a blocked read never keeps the process alive."""
    lines: asyncio.Queue[str] = asyncio.Queue()

    def read() -> None:
        try:
            for line in iter(stdin.readline, ""):
                loop.call_soon_threadsafe(lines.put_nowait, line)
        finally:  # whatever ends the reading, the chat ends instead of waiting forever
            loop.call_soon_threadsafe(lines.put_nowait, "")  # end of input

    if isinstance(stdin, io.TextIOWrapper):  # bytes that are not text become U+FFFD
        stdin.reconfigure(errors="replace")

    threading.Thread(target=read, name="console-stdin", daemon=True).start()
    return lines


async def run_console(
    services: Services, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout
) -> None:
    console = Console(services, stdout)
    interactive = stdin.isatty()
    console.say("Type /help for commands, /quit to leave.")
    lines = _start_reader(stdin, asyncio.get_running_loop())
    while True:
        if interactive:
            print(PROMPT, end="", file=stdout, flush=True)
        line = await lines.get()
        if not line or not await console.handle(line):
            return
