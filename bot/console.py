"""A local chat in the terminal that runs the same services as the Discord bot.

For trying the models and the feedback loop without a Discord token: answers are logged and
votes recorded in the same database, under one local user. Works with piped input too.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import queue
import sys
import threading
from pathlib import Path
from typing import TextIO

try:
    import readline
    import termios
except ImportError:  # Windows: plain input(), still usable
    readline = termios = None  # type: ignore[assignment]

from bot.cogs import slash_commands
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
# Every command the console accepts (case does not matter), and its line in /help.
CONSOLE_HELP = [
    *((f"/{task} {task_spec(task).command.option}", task_spec(task).command.help)
      for task in TASKS),
    ("/right", "the last answer was right"),
    ("/wrong label", "the last answer was wrong; the right one is `label`"),
    ("/why", "what drove the last answer"),
    ("/about", next(what for usage, what in HELP if usage == "/about")),
    ("/help", "this list"),
    ("/quit", "leave (/exit and end of input do too)"),
]
QUIT = ("/quit", "/exit")
COMMANDS = {usage.split()[0] for usage, _ in CONSOLE_HELP} | set(QUIT)
# The bot's slash commands the console does not have (/teach, /forget-me, /admin ...).
DISCORD_ONLY = [f"/{name}" for name in slash_commands() if f"/{name}" not in COMMANDS]
CONSOLE_VOTING = "After every answer, /right or /wrong <label>"


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
        command, arg = command.casefold(), arg.strip()
        if not command:
            return True
        if command in QUIT:
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
            self.say(*about_lines(await services.models.status(), await services.feedback.stats(),
                                  voting=CONSOLE_VOTING))
        elif command == "/help":
            width = max(len(usage) for usage, _ in CONSOLE_HELP)
            self.say(*(f"{usage.ljust(width)}  {what}" for usage, what in CONSOLE_HELP),
                     f"Only on Discord: {', '.join(DISCORD_ONLY)}.")
        else:
            self.say(_unknown(command))

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


def _unknown(command: str) -> str:
    """Why a line did nothing: a Discord-only command, another unknown one, or no command."""
    example = f"for example {CONSOLE_HELP[0][0]}"
    if command in DISCORD_ONLY:
        return f"{command} works only on Discord, not in the console: try /help."
    if command.startswith("/"):
        return f"There is no {command} command: try /help."
    return f"Commands start with /, {example}. Try /help."


def _ask_commands() -> str:
    return " or ".join(f"/{task}" for task in TASKS)


class LineReader:
    """Lines from stdin, read in a daemon thread (a blocked read never keeps the process
    alive), one line per `next()`: a terminal shows the prompt only once the last answer is
    printed, and gets line editing and history from the stdlib readline where it has one."""

    def __init__(self, stdin: TextIO, stdout: TextIO, loop: asyncio.AbstractEventLoop,
                 history: Path | None) -> None:
        self.stdin, self.stdout, self.loop = stdin, stdout, loop
        self.interactive = stdin.isatty() and stdin is sys.stdin  # input() reads sys.stdin
        self.lines: asyncio.Queue[str] = asyncio.Queue()
        self.wanted: queue.SimpleQueue[None] = queue.SimpleQueue()
        if isinstance(stdin, io.TextIOWrapper):  # bytes that are not text become U+FFFD
            stdin.reconfigure(errors="replace")
        self.history = _line_editing(history) if self.interactive else None
        # How the terminal was set: Ctrl-C can end the chat while readline has changed it.
        self.terminal = termios.tcgetattr(stdin) if self.interactive and termios else None
        threading.Thread(target=self._read, name="console-stdin", daemon=True).start()

    async def next(self) -> str:
        """The next line, or "" at the end of input."""
        self.wanted.put(None)
        return await self.lines.get()

    def close(self) -> None:
        if self.terminal is not None:
            termios.tcsetattr(self.stdin, termios.TCSADRAIN, self.terminal)
        if self.history is not None:
            with contextlib.suppress(OSError):
                self.history.parent.mkdir(parents=True, exist_ok=True)
                readline.write_history_file(self.history)

    def _read(self) -> None:
        line = None
        try:
            while line != "":
                self.wanted.get()
                line = self._read_line()
                self.loop.call_soon_threadsafe(self.lines.put_nowait, line)
        finally:  # whatever ends the reading, the chat ends instead of waiting forever
            self.loop.call_soon_threadsafe(self.lines.put_nowait, "")  # end of input

    def _read_line(self) -> str:
        if not self.interactive:
            return self.stdin.readline()
        try:
            return input(PROMPT) + "\n"
        except EOFError:  # Ctrl-D: the shell's prompt starts on a line of its own
            print(file=self.stdout, flush=True)
            return ""


def _line_editing(history: Path | None) -> Path | None:
    """Arrow keys and history for input(), where the stdlib readline exists (not on Windows);
    the history file, if it could be read."""
    if readline is None or history is None:
        return None
    readline.set_history_length(1000)
    try:
        readline.read_history_file(history)
    except FileNotFoundError:
        pass
    except OSError:
        return None
    return history


async def run_console(
    services: Services, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout,
    history: Path | None = None,
) -> None:
    """The chat, until /quit or the end of input; `history`: where a terminal's lines are
    kept (SEQBOT_CONSOLE_HISTORY)."""
    console = Console(services, stdout)
    console.say("Type /help for commands, /quit to leave.")
    reader = LineReader(stdin, stdout, asyncio.get_running_loop(), history)
    try:
        while True:
            line = await reader.next()
            if not line or not await console.handle(line):
                return
    finally:
        reader.close()
