"""A loopback fake Discord (REST + gateway) for driving a real discord.py client in tests."""

from benchmarks.fakediscord.harness import connected, pointed_at
from benchmarks.fakediscord.payloads import Actor, Guild
from benchmarks.fakediscord.server import Call, FakeDiscord, InteractionRecord

__all__ = ["Actor", "Call", "FakeDiscord", "Guild", "InteractionRecord", "connected",
           "pointed_at"]
