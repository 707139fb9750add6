"""Simulated Discord users for the load benchmark: commands and votes sent to a FakeDiscord.

Each user pauses (exponentially distributed, mean `think_s`), then asks /origin with a real
surname, asks /sentiment with a real review, or votes on an earlier answer somebody got:
"Right", or "Wrong" and then a label from the correction menu. Every interaction sent is
kept, with what it asked, for the database reconciliation afterwards.
"""

from __future__ import annotations

import asyncio
import random
from collections import deque
from dataclasses import dataclass, field

from benchmarks.fakediscord import Actor, FakeDiscord, InteractionRecord
from benchmarks.fakediscord.payloads import LOADING
from inference.tasks import TASKS, task_spec

COMMANDS = tuple(TASKS)  # the asking commands: one per task
VOTES = ("right", "fix")  # the kinds that record a vote ("wrong" only opens the menu)
DISCORD_OPTION_CHARS = 2000  # Discord refuses longer string options
RECENT_ANSWERS = 500  # votes go to recent answers, as they would in a channel


@dataclass
class Sent:
    """One interaction a simulated user sent, and what it was about."""

    kind: str  # origin, sentiment, right, wrong or fix
    record: InteractionRecord
    user_id: int
    text: str | None = None  # what a command asked
    pred_id: int | None = None  # what a vote was on
    label: str | None = None  # the label a vote gave


@dataclass(frozen=True)
class Mix:
    """Shares of the actions a user picks."""

    origin: float = 0.4
    sentiment: float = 0.3  # the rest are votes, when there is an answer to vote on
    wrong: float = 0.15  # share of votes that say "Wrong" and pick a correction


def settled(record: InteractionRecord) -> bool:
    """Answered and no longer "thinking...", or refused by the fake (e.g. too late)."""
    if record.response is None:
        return any(call.status >= 400 for call in record.calls)
    original = record.original
    return original is None or not original["flags"] & LOADING


class Settlements:
    """Wakes each user when its interaction settles, from one waiter on the fake.

    A user per waiter on FakeDiscord.wait_until would have every REST call wake every
    user: at hundreds of users and calls per second, the harness would eat the CPU it is
    supposed to measure.
    """

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self._waiting: dict[str, tuple[InteractionRecord, asyncio.Future[None]]] = {}
        self._seen = 0

    async def wait(self, record: InteractionRecord, timeout: float) -> bool:
        """True once settled; False if it did not settle within `timeout` seconds."""
        if settled(record):
            return True
        future = asyncio.get_running_loop().create_future()
        self._waiting[record.token] = (record, future)
        try:
            await asyncio.wait_for(future, timeout)
            return True
        except asyncio.TimeoutError:
            return False
        finally:
            self._waiting.pop(record.token, None)

    async def run(self) -> None:
        calls = self.fake.calls
        while True:
            await self.fake.wait_until(lambda: len(calls) > self._seen, timeout=1e9)
            new, self._seen = calls[self._seen:], len(calls)
            for call in new:
                parts = call.path.split("/")  # /interactions/ID/TOKEN/..., /webhooks/APP/TOKEN...
                token = parts[3] if len(parts) > 3 else ""
                waiting = self._waiting.get(token)
                if waiting is not None and settled(waiting[0]) and not waiting[1].done():
                    waiting[1].set_result(None)


@dataclass
class Crowd:
    """The simulated users' shared world: inputs, answers to vote on, and the log."""

    fake: FakeDiscord
    settlements: Settlements
    names: list[str]
    reviews: list[str]
    think_s: float
    mix: Mix = Mix()
    settle_timeout_s: float = 15.0
    rng: random.Random = field(default_factory=lambda: random.Random(0))
    sent: list[Sent] = field(default_factory=list)
    answers: deque[tuple[dict, int]] = field(default_factory=lambda: deque(maxlen=RECENT_ANSWERS))
    voted: set[tuple[int, int]] = field(default_factory=set)
    undelivered: int = 0  # actions while their shard had no connected process

    async def user(self, actor: Actor, until: float) -> None:
        """Act, pause, act... until `until` (loop time); returns when its last one settled."""
        loop = asyncio.get_running_loop()
        while True:
            pause = self.rng.expovariate(1 / self.think_s)
            await asyncio.sleep(min(pause, max(0.0, until - loop.time())))
            if loop.time() >= until:
                return
            await self.act(actor)

    async def act(self, actor: Actor) -> None:
        """One action; one that no bot process could be sent (its shard's process down, as
        with --kill-after) is counted in `undelivered`."""
        try:
            await self._act(actor)
        except ConnectionResetError:  # the process died as the event was being sent
            self.undelivered += 1
        except RuntimeError as exc:
            if not str(exc).startswith("no client connected"):
                raise
            self.undelivered += 1

    async def _act(self, actor: Actor) -> None:
        roll = self.rng.random()
        if roll < self.mix.origin:
            await self.ask(actor, "origin", self.rng.choice(self.names))
        elif roll < self.mix.origin + self.mix.sentiment or not self.answers:
            await self.ask(actor, "sentiment",
                           self.rng.choice(self.reviews)[:DISCORD_OPTION_CHARS])
        else:
            await self.vote(actor)

    async def ask(self, actor: Actor, task: str, text: str) -> None:
        record = await self.fake.slash(actor, task, **{task_spec(task).command.option: text})
        self.sent.append(Sent(task, record, actor.id, text=text))
        if not await self.settlements.wait(record, self.settle_timeout_s):
            return
        answer = record.original
        if answer is not None and answer["components"]:
            custom_id = self.fake.find_component(answer, "seqbot:vote:")
            self.answers.append((answer, int(custom_id.split(":")[2])))

    async def vote(self, actor: Actor) -> None:
        for _ in range(5):  # an answer this user has not voted on yet
            answer, pred_id = self.rng.choice(self.answers)
            if (actor.id, pred_id) not in self.voted:
                break
        else:
            return
        self.voted.add((actor.id, pred_id))
        if self.rng.random() >= self.mix.wrong:
            record = await self.fake.click(actor, answer, f"seqbot:vote:{pred_id}:right")
            self.sent.append(Sent("right", record, actor.id, pred_id=pred_id, label="confirmed"))
            await self.settlements.wait(record, self.settle_timeout_s)
            return
        record = await self.fake.click(actor, answer, f"seqbot:vote:{pred_id}:wrong")
        self.sent.append(Sent("wrong", record, actor.id, pred_id=pred_id))
        if not await self.settlements.wait(record, self.settle_timeout_s) or \
                record.original is None or not record.original["components"]:
            return
        menu = record.original
        [select] = [c for row in menu["components"] for c in row["components"]]
        label = self.rng.choice(select["options"])["value"]
        fix = await self.fake.choose(actor, menu, select["custom_id"], [label])
        self.sent.append(Sent("fix", fix, actor.id, pred_id=pred_id, label=label))
        await self.settlements.wait(fix, self.settle_timeout_s)
