"""Discord API v10 object payloads, shaped as Discord sends them, for the fake server.

Only what discord.py reads is filled in, with realistic values (snowflakes that encode the
current time, string ids, ISO timestamps), so the client parses them exactly as it would
parse Discord's.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

DISCORD_EPOCH_MS = 1420070400000
ADMINISTRATOR = 1 << 3
# View channel, send messages, embed links, read history, use application commands.
MEMBER_PERMISSIONS = (1 << 10) | (1 << 11) | (1 << 14) | (1 << 16) | (1 << 31)
EPHEMERAL = 1 << 6
LOADING = 1 << 7

_counter = itertools.count()


def snowflake() -> int:
    """A new id whose timestamp is now, as Discord's are (cooldowns read it)."""
    ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
    return (ms << 22) | (next(_counter) & 0x3FFFFF)


def iso_now() -> str:
    return datetime.now(timezone.utc).isoformat()


def user(user_id: int, name: str, *, bot: bool = False) -> dict[str, Any]:
    return {"id": str(user_id), "username": name, "discriminator": "0", "global_name": name,
            "avatar": None, "bot": bot, "public_flags": 0}


def role(role_id: int, name: str, permissions: int = 0, position: int = 1) -> dict[str, Any]:
    return {"id": str(role_id), "name": name, "permissions": str(permissions),
            "position": position, "color": 0, "hoist": False, "managed": False,
            "mentionable": True, "flags": 0, "icon": None, "unicode_emoji": None}


def text_channel(channel_id: int, guild_id: int, name: str) -> dict[str, Any]:
    return {"id": str(channel_id), "type": 0, "guild_id": str(guild_id), "name": name,
            "position": 0, "permission_overwrites": [], "nsfw": False, "topic": None,
            "last_message_id": None, "rate_limit_per_user": 0, "parent_id": None}


@dataclass
class Guild:
    id: int
    name: str
    owner_id: int
    channel_id: int
    roles: list[dict[str, Any]] = field(default_factory=list)

    def payload(self) -> dict[str, Any]:
        """GUILD_CREATE data."""
        return {
            "id": str(self.id), "name": self.name, "icon": None, "splash": None,
            "discovery_splash": None, "owner_id": str(self.owner_id), "afk_channel_id": None,
            "afk_timeout": 300, "verification_level": 0, "default_message_notifications": 0,
            "explicit_content_filter": 0, "roles": self.roles, "emojis": [], "stickers": [],
            "features": [], "mfa_level": 0, "application_id": None, "system_channel_id": None,
            "system_channel_flags": 0, "rules_channel_id": None, "vanity_url_code": None,
            "description": None, "banner": None, "premium_tier": 0,
            "preferred_locale": "en-US", "public_updates_channel_id": None, "nsfw_level": 0,
            "premium_progress_bar_enabled": False, "joined_at": iso_now(), "large": False,
            "unavailable": False, "member_count": 2, "voice_states": [], "members": [],
            "channels": [text_channel(self.channel_id, self.id, "general")], "threads": [],
            "presences": [], "stage_instances": [], "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }


@dataclass
class Actor:
    """A user as seen in interactions: a guild member (with roles) or a DM user."""

    user: dict[str, Any]
    guild: Guild | None = None
    role_ids: list[int] = field(default_factory=list)
    permissions: int = MEMBER_PERMISSIONS

    @property
    def id(self) -> int:
        return int(self.user["id"])

    def member(self, *, with_user: bool = True) -> dict[str, Any]:
        data = {"roles": [str(r) for r in self.role_ids], "joined_at": iso_now(),
                "deaf": False, "mute": False, "flags": 0, "nick": None, "avatar": None,
                "premium_since": None, "pending": False, "permissions": str(self.permissions),
                "communication_disabled_until": None}
        if with_user:
            data["user"] = self.user
        return data

    def where(self) -> dict[str, Any]:
        """The interaction fields that say who and where."""
        if self.guild is None:
            dm = {"id": self.user["id"], "type": 1, "recipients": [self.user]}
            return {"user": self.user, "channel_id": self.user["id"], "channel": dm,
                    "context": 1, "authorizing_integration_owners": {"1": self.user["id"]}}
        g = self.guild
        channel = {**text_channel(g.channel_id, g.id, "general"),
                   "permissions": str(self.permissions)}
        return {"guild_id": str(g.id), "guild": {"id": str(g.id), "locale": "en-US",
                                                "features": []},
                "guild_locale": "en-US", "channel_id": str(g.channel_id), "channel": channel,
                "member": self.member(), "context": 0,
                "authorizing_integration_owners": {"0": str(g.id)}}


def message(
    *,
    message_id: int,
    channel_id: int,
    author: dict[str, Any],
    content: str = "",
    guild_id: int | None = None,
    embeds: list | None = None,
    components: list | None = None,
    flags: int = 0,
    application_id: int | None = None,
    interaction_metadata: dict | None = None,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(message_id), "channel_id": str(channel_id), "author": author,
        "content": content, "timestamp": iso_now(), "edited_timestamp": None, "tts": False,
        "mention_everyone": False, "mentions": [], "mention_roles": [], "attachments": [],
        "embeds": embeds or [], "components": components or [], "pinned": False,
        "type": 0 if interaction_metadata is None else 20, "flags": flags,
    }
    if guild_id is not None:
        data["guild_id"] = str(guild_id)
    if application_id is not None:
        data["application_id"] = data["webhook_id"] = str(application_id)
    if interaction_metadata is not None:
        data["interaction_metadata"] = interaction_metadata
    return data


def option(name: str, value: Any) -> dict[str, Any]:
    """A command option; the type follows the value (an Actor is a user option)."""
    if isinstance(value, Actor):
        return {"name": name, "type": 6, "value": value.user["id"]}
    if isinstance(value, bool):
        return {"name": name, "type": 5, "value": value}
    if isinstance(value, int):
        return {"name": name, "type": 4, "value": value}
    if isinstance(value, float):
        return {"name": name, "type": 10, "value": value}
    return {"name": name, "type": 3, "value": value}


def resolved_for(values: dict[str, Any]) -> dict[str, Any]:
    """`resolved` data for user options, as Discord attaches it."""
    actors = [v for v in values.values() if isinstance(v, Actor)]
    if not actors:
        return {}
    resolved: dict[str, Any] = {"users": {a.user["id"]: a.user for a in actors}}
    members = {a.user["id"]: a.member(with_user=False) for a in actors if a.guild is not None}
    if members:
        resolved["members"] = members
    return resolved
