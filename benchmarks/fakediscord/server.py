"""A loopback fake of Discord: REST API v10 and the gateway, on 127.0.0.1.

A real discord.py client connects to it (see `harness.connected`): it logs in over REST,
identifies on the websocket, receives READY and GUILD_CREATE, and then gets the
INTERACTION_CREATE events a test dispatches. Everything the client sends back (interaction
callbacks, followups, edits, command syncs) is recorded and applied to an in-memory model
of the messages, with Discord's rules where a bot can get them wrong:

- an interaction must be acknowledged within `ack_deadline_s` (3 s), once;
- followups and edits need an acknowledged interaction; the first followup after a
  deferral replaces the "thinking..." message; after a component's update (type 7) or
  deferred update (type 6), @original is the message the component is on;
- ephemeral messages can be edited only through their own interaction or a component on them.

Reusable beyond unit tests: many simulated users can drive one client concurrently.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from benchmarks.fakediscord import payloads as p

API = "/api/v10"


def _json(data: Any, status: int = 200) -> web.Response:
    """Exactly Discord's content type: discord.py parses nothing else as JSON."""
    return web.Response(body=json.dumps(data).encode(), status=status,
                        headers={"Content-Type": "application/json"})


@dataclass
class Call:
    """One REST request from the client."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    at: float
    status: int = 200


@dataclass
class InteractionRecord:
    """One dispatched interaction and everything the client did in answer to it."""

    id: int
    token: str
    payload: dict[str, Any]
    actor: p.Actor
    dispatched_at: float
    calls: list[Call] = field(default_factory=list)  # callbacks, followups, edits, in order
    response: Call | None = None  # the accepted callback
    original_id: int | None = None
    followup_ids: list[int] = field(default_factory=list)
    fake: FakeDiscord | None = field(default=None, repr=False)

    @property
    def type(self) -> int:
        return self.payload["type"]

    @property
    def response_type(self) -> int | None:
        return None if self.response is None else self.response.body["type"]

    @property
    def ack_latency(self) -> float | None:
        """Seconds from dispatch to the accepted callback."""
        return None if self.response is None else self.response.at - self.dispatched_at

    @property
    def original(self) -> dict[str, Any] | None:
        assert self.fake is not None
        return None if self.original_id is None else self.fake.messages.get(self.original_id)

    @property
    def followups(self) -> list[dict[str, Any]]:
        assert self.fake is not None
        return [self.fake.messages[i] for i in self.followup_ids if i in self.fake.messages]

    async def acknowledged(self, timeout: float = 5.0) -> Call:
        assert self.fake is not None
        await self.fake.wait_until(lambda: self.response is not None, timeout)
        assert self.response is not None
        return self.response

    async def final(self, timeout: float = 5.0) -> dict[str, Any]:
        """The original response once it is no longer a "thinking..." placeholder."""
        assert self.fake is not None

        def ready() -> bool:
            message = self.original
            return message is not None and not message["flags"] & p.LOADING

        await self.fake.wait_until(ready, timeout)
        assert self.original is not None
        return self.original

    async def followup(self, index: int = 0, timeout: float = 5.0) -> dict[str, Any]:
        assert self.fake is not None
        await self.fake.wait_until(lambda: len(self.followups) > index, timeout)
        return self.followups[index]

    def message_bodies(self) -> list[dict[str, Any]]:
        """Every message payload the client sent for this interaction (for allowed_mentions)."""
        bodies = []
        for call in self.calls:
            data = (call.body or {}).get("data") if call.path.endswith("/callback") else call.body
            if data and any(k in data for k in ("content", "embeds", "components")):
                bodies.append(data)
        return bodies


class _Session:
    """One gateway connection (one shard)."""

    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws
        self.session_id = secrets.token_hex(16)
        self.shard: tuple[int, int] = (0, 1)
        self.seq = 0
        self.sent: list[dict[str, Any]] = []  # dispatches, for RESUME replays
        self.identified = False
        self.lock = asyncio.Lock()

    async def send(self, payload: dict[str, Any]) -> None:
        async with self.lock:
            if not self.ws.closed:
                await self.ws.send_str(json.dumps(payload))

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        self.seq += 1
        payload = {"op": 0, "s": self.seq, "t": event, "d": data}
        self.sent.append(payload)
        await self.send(payload)


class FakeDiscord:
    def __init__(
        self,
        *,
        token: str = "fake.bot.token",
        ack_deadline_s: float = 3.0,
        heartbeat_interval_ms: int = 41250,
        shards: int = 1,
    ) -> None:
        self.token = token
        self.ack_deadline_s = ack_deadline_s
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.shards = shards
        self.application_id = p.snowflake()
        self.bot_user = p.user(self.application_id, "seqbot", bot=True)
        self.owner = p.user(p.snowflake(), "owner")
        self.guilds: dict[int, p.Guild] = {}
        self.messages: dict[int, dict[str, Any]] = {}
        self.interactions: dict[str, InteractionRecord] = {}
        self.calls: list[Call] = []
        self.commands: dict[int | None, list[dict[str, Any]]] = {}  # guild id (None: global)
        self.sessions: list[_Session] = []
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.app = web.Application()
        self._routes()

    # lifecycle

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    async def start(self) -> FakeDiscord:
        self._runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def close(self) -> None:
        for session in self.sessions:
            await session.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeDiscord:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # world building

    def add_guild(self, name: str = "Test Server") -> p.Guild:
        guild_id = p.snowflake()
        guild = p.Guild(guild_id, name, int(self.owner["id"]), p.snowflake(),
                        [p.role(guild_id, "@everyone", p.MEMBER_PERMISSIONS, 0)])
        self.guilds[guild_id] = guild
        return guild

    def add_role(self, guild: p.Guild, name: str, permissions: int = 0) -> int:
        role_id = p.snowflake()
        guild.roles.append(p.role(role_id, name, permissions, len(guild.roles)))
        return role_id

    def member(self, guild: p.Guild, name: str, *, roles: list[int] | None = None,
               admin: bool = False, user_id: int | None = None) -> p.Actor:
        permissions = p.MEMBER_PERMISSIONS | (p.ADMINISTRATOR if admin else 0)
        return p.Actor(p.user(user_id or p.snowflake(), name), guild, roles or [], permissions)

    def dm_user(self, name: str) -> p.Actor:
        return p.Actor(p.user(p.snowflake(), name))

    def user_message(self, actor: p.Actor, content: str) -> dict[str, Any]:
        """A message a user posted (a target for message context menus)."""
        assert actor.guild is not None
        data = p.message(message_id=p.snowflake(), channel_id=actor.guild.channel_id,
                         guild_id=actor.guild.id, author=actor.user, content=content)
        self.messages[int(data["id"])] = data
        return data

    # interactions a test sends

    async def slash(self, actor: p.Actor, command: str, **options: Any) -> InteractionRecord:
        """A chat-input command; "admin status" is the subcommand status of /admin."""
        name, *path = command.split()
        opts = [p.option(k, v) for k, v in options.items()]
        for sub in reversed(path):
            opts = [{"name": sub, "type": 1, "options": opts}]
        data: dict[str, Any] = {"id": str(self._command_id(name, actor)), "name": name,
                                "type": 1, "options": opts}
        if resolved := p.resolved_for(options):
            data["resolved"] = resolved
        return await self.interact(actor, 2, data)

    async def message_command(self, actor: p.Actor, name: str,
                              target: dict[str, Any]) -> InteractionRecord:
        data = {"id": str(self._command_id(name, actor)), "name": name, "type": 3,
                "target_id": target["id"], "resolved": {"messages": {target["id"]: target}}}
        return await self.interact(actor, 2, data)

    async def click(self, actor: p.Actor, message: dict[str, Any],
                    custom_id: str) -> InteractionRecord:
        """Press a button that is on the message now (Discord offers no other)."""
        current = self._current(message, custom_id)
        return await self.interact(actor, 3, {"custom_id": custom_id, "component_type": 2},
                                   message=current)

    async def choose(self, actor: p.Actor, message: dict[str, Any], custom_id: str,
                     values: list[str]) -> InteractionRecord:
        """Pick options of a select menu that is on the message now."""
        current = self._current(message, custom_id)
        return await self.interact(
            actor, 3, {"custom_id": custom_id, "component_type": 3, "values": values},
            message=current)

    def _current(self, message: dict[str, Any], custom_id: str) -> dict[str, Any]:
        """The message as it is now (a snapshot), checked to carry `custom_id`."""
        current = copy.deepcopy(self.messages.get(int(message["id"]), message))
        self.find_component(current, custom_id)
        return current

    async def interact(self, actor: p.Actor, kind: int, data: dict[str, Any], *,
                       message: dict[str, Any] | None = None) -> InteractionRecord:
        """Dispatch INTERACTION_CREATE to the client's session for the actor's guild."""
        interaction_id, token = p.snowflake(), "itoken-" + secrets.token_urlsafe(24)
        payload = {"id": str(interaction_id), "application_id": str(self.application_id),
                   "type": kind, "data": data, "token": token, "version": 1,
                   "app_permissions": str(p.MEMBER_PERMISSIONS), "locale": "en-US",
                   "entitlements": [], "attachment_size_limit": 8 << 20, **actor.where()}
        if message is not None:
            payload["message"] = message
        session = self._session_for(actor.guild.id if actor.guild else None)
        loop = asyncio.get_running_loop()
        record = InteractionRecord(interaction_id, token, payload, actor, loop.time(), fake=self)
        self.interactions[token] = record
        await session.dispatch("INTERACTION_CREATE", payload)
        return record

    def find_component(self, message: dict[str, Any], prefix: str) -> str:
        """The custom_id of the first component on `message` whose id starts with `prefix`."""
        for row in message["components"]:
            for component in row.get("components", []):
                if component.get("custom_id", "").startswith(prefix):
                    return component["custom_id"]
        raise LookupError(f"no component {prefix!r}* on message {message['id']} now")

    # gateway control

    async def wait_identified(self, count: int = 1, timeout: float = 10.0) -> None:
        await self.wait_until(lambda: sum(s.identified and not s.ws.closed
                                          for s in self.sessions) >= count, timeout)

    async def request_reconnect(self) -> None:
        """Ask the client to reconnect (op 7); it comes back with RESUME."""
        for session in self.sessions:
            if session.identified and not session.ws.closed:
                await session.send({"op": 7, "d": None})

    # waiting

    async def wait_until(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), timeout)

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # internals: routing

    def _routes(self) -> None:
        r = self.app.router
        r.add_get("/gateway", self._gateway)
        r.add_get(API + "/gateway", self._get_gateway)
        r.add_get(API + "/gateway/bot", self._get_gateway_bot)
        r.add_get(API + "/users/@me", self._get_me)
        r.add_get(API + "/oauth2/applications/@me", self._get_application)
        r.add_put(API + "/applications/{app}/commands", self._put_commands)
        r.add_put(API + "/applications/{app}/guilds/{guild}/commands", self._put_commands)
        r.add_get(API + "/applications/{app}/commands", self._get_commands)
        r.add_get(API + "/applications/{app}/guilds/{guild}/commands", self._get_commands)
        r.add_post(API + "/interactions/{id}/{token}/callback", self._callback)
        r.add_post(API + "/webhooks/{app}/{token}", self._followup)
        r.add_route("*", API + "/webhooks/{app}/{token}/messages/{message}", self._webhook_message)
        r.add_post(API + "/channels/{channel}/messages", self._channel_message)
        r.add_route("*", API + "/{tail:.*}", self._unknown)

    async def _record(self, request: web.Request) -> Call:
        body = await request.json() if request.can_read_body else None
        call = Call(request.method, request.path.removeprefix(API), dict(request.query), body,
                    asyncio.get_running_loop().time())
        self.calls.append(call)
        return call

    def _authorized(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"Bot {self.token}"

    @staticmethod
    def _error(status: int, code: int, message: str) -> web.Response:
        return _json({"message": message, "code": code}, status=status)

    async def _done(self, call: Call, response: web.Response) -> web.Response:
        call.status = response.status
        await self._notify()
        return response

    # REST: login and gateway discovery

    async def _get_gateway(self, request: web.Request) -> web.Response:
        return _json({"url": self.gateway_url})

    async def _get_gateway_bot(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self._error(401, 0, "401: Unauthorized")
        return _json({
            "url": self.gateway_url, "shards": self.shards,
            "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 0,
                                    "max_concurrency": 1}})

    async def _get_me(self, request: web.Request) -> web.Response:
        call = await self._record(request)
        if not self._authorized(request):
            return await self._done(call, self._error(401, 0, "401: Unauthorized"))
        return await self._done(call, _json(self.bot_user))

    async def _get_application(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self._error(401, 0, "401: Unauthorized")
        return _json({
            "id": str(self.application_id), "name": "seqbot", "icon": None,
            "description": "", "bot_public": True, "bot_require_code_grant": False,
            "owner": self.owner, "verify_key": "0" * 64, "flags": 0, "team": None,
            "summary": "", "rpc_origins": [], "interactions_endpoint_url": None,
            "bot": self.bot_user})

    # REST: application commands

    async def _put_commands(self, request: web.Request) -> web.Response:
        call = await self._record(request)
        if not self._authorized(request):
            return await self._done(call, self._error(401, 0, "401: Unauthorized"))
        guild = int(request.match_info["guild"]) if "guild" in request.match_info else None
        if guild is not None and guild not in self.guilds:  # as Discord: not a member there
            return await self._done(call, self._error(403, 50001, "Missing Access"))
        registered = []
        for command in call.body:
            entry = {**command, "id": str(p.snowflake()), "application_id":
                     str(self.application_id), "version": str(p.snowflake())}
            entry.setdefault("description", "")
            entry.setdefault("options", [])
            if guild is not None:
                entry["guild_id"] = str(guild)
            registered.append(entry)
        self.commands[guild] = registered
        return await self._done(call, _json(registered))

    async def _get_commands(self, request: web.Request) -> web.Response:
        guild = int(request.match_info["guild"]) if "guild" in request.match_info else None
        return _json(self.commands.get(guild, []))

    def _command_id(self, name: str, actor: p.Actor) -> int:
        scopes = [actor.guild.id] if actor.guild else []
        for scope in [*scopes, None]:
            for command in self.commands.get(scope, []):
                if command["name"] == name:
                    return int(command["id"])
        return p.snowflake()  # never synced: Discord would not offer it, the client cannot tell

    # REST: interaction responses

    async def _callback(self, request: web.Request) -> web.Response:
        call = await self._record(request)
        record = self.interactions.get(request.match_info["token"])
        if record is None or str(record.id) != request.match_info["id"]:
            return await self._done(call, self._error(404, 10062, "Unknown interaction"))
        record.calls.append(call)
        if call.at - record.dispatched_at > self.ack_deadline_s:
            return await self._done(call, self._error(404, 10062, "Unknown interaction"))
        if record.response is not None:
            return await self._done(call, self._error(
                400, 40060, "Interaction has already been acknowledged."))
        kind, data = call.body["type"], call.body.get("data") or {}
        message = None
        if kind in (4, 5):
            flags = int(data.get("flags", 0)) & p.EPHEMERAL | (p.LOADING if kind == 5 else 0)
            message = self._new_message(record, data if kind == 4 else {}, flags)
            record.original_id = int(message["id"])
        elif kind == 7:
            if record.type != 3:
                return await self._done(call, self._error(400, 50035, "Invalid Form Body"))
            message = self._edit(int(record.payload["message"]["id"]), data)
        elif kind != 6:
            return await self._done(call, self._error(400, 50035, "Invalid Form Body"))
        if kind in (6, 7) and record.type == 3:
            # Updating a component's message (now or deferred) makes it the original response.
            record.original_id = int(record.payload["message"]["id"])
        record.response = call
        if call.query.get("with_response") not in ("1", "true"):
            return await self._done(call, web.Response(status=204))
        answer: dict[str, Any] = {"interaction": {
            "id": str(record.id), "type": record.type, "activity_instance_id": None,
            "response_message_id": message["id"] if message else None,
            "response_message_loading": kind == 5,
            "response_message_ephemeral": bool(message and message["flags"] & p.EPHEMERAL)}}
        if message is not None:
            answer["resource"] = {"type": kind, "message": message}
        return await self._done(call, _json(answer))

    async def _followup(self, request: web.Request) -> web.Response:
        call = await self._record(request)
        record = self._record_for(request)
        if record is None or record.response is None:
            return await self._done(call, self._error(404, 10015, "Unknown Webhook"))
        record.calls.append(call)
        original = record.original
        if original is not None and original["flags"] & p.LOADING:
            # The first followup after a deferral becomes the deferred response.
            message = self._edit(int(original["id"]), call.body, clear_loading=True)
        else:
            flags = int(call.body.get("flags", 0)) & p.EPHEMERAL
            message = self._new_message(record, call.body, flags)
            record.followup_ids.append(int(message["id"]))
        if call.query.get("wait") not in ("1", "true"):
            return await self._done(call, web.Response(status=204))
        return await self._done(call, _json(message))

    async def _webhook_message(self, request: web.Request) -> web.Response:
        call = await self._record(request)
        record = self._record_for(request)
        if record is None or record.response is None:
            return await self._done(call, self._error(404, 10015, "Unknown Webhook"))
        record.calls.append(call)
        target = request.match_info["message"]
        message_id = record.original_id if target == "@original" else int(target)
        if message_id is None or not self._may_edit(record, message_id):
            return await self._done(call, self._error(404, 10008, "Unknown Message"))
        if request.method == "GET":
            return await self._done(call, _json(self.messages[message_id]))
        if request.method == "DELETE":
            del self.messages[message_id]
            return await self._done(call, web.Response(status=204))
        if request.method != "PATCH":
            return await self._done(call, self._error(405, 0, "405: Method Not Allowed"))
        message = self._edit(message_id, call.body, clear_loading=True)
        return await self._done(call, _json(message))

    async def _channel_message(self, request: web.Request) -> web.Response:
        """A message the bot posts by itself (not in answer to an interaction)."""
        call = await self._record(request)
        if not self._authorized(request):
            return await self._done(call, self._error(401, 0, "401: Unauthorized"))
        channel_id = int(request.match_info["channel"])
        guild = next((g for g in self.guilds.values() if g.channel_id == channel_id), None)
        if guild is None:
            return await self._done(call, self._error(404, 10003, "Unknown Channel"))
        message = p.message(message_id=p.snowflake(), channel_id=channel_id, guild_id=guild.id,
                            author=self.bot_user, content=call.body.get("content") or "",
                            embeds=call.body.get("embeds"),
                            components=call.body.get("components"))
        self.messages[int(message["id"])] = message
        return await self._done(call, _json(message))

    async def _unknown(self, request: web.Request) -> web.Response:
        call = await self._record(request)
        return await self._done(call, self._error(404, 0, "404: Not Found"))

    def _record_for(self, request: web.Request) -> InteractionRecord | None:
        record = self.interactions.get(request.match_info["token"])
        if record is None or request.match_info["app"] != str(self.application_id):
            return None
        return record

    def _may_edit(self, record: InteractionRecord, message_id: int) -> bool:
        message = self.messages.get(message_id)
        if message is None or message.get("application_id") != str(self.application_id):
            return False
        if message["channel_id"] != record.payload["channel_id"]:
            return False
        own = message_id == record.original_id or message_id in record.followup_ids
        on_it = record.type == 3 and record.payload["message"]["id"] == message["id"]
        return own or on_it or not message["flags"] & p.EPHEMERAL

    # internals: the message model

    def _new_message(self, record: InteractionRecord, body: dict[str, Any],
                     flags: int) -> dict[str, Any]:
        metadata = {"id": str(record.id), "type": record.type, "user": record.actor.user,
                    "authorizing_integration_owners":
                        record.payload["authorizing_integration_owners"]}
        if record.type == 3:
            metadata["interacted_message_id"] = record.payload["message"]["id"]
        guild = record.actor.guild
        message = p.message(
            message_id=p.snowflake(), channel_id=int(record.payload["channel_id"]),
            guild_id=guild.id if guild else None, author=self.bot_user,
            content=body.get("content") or "", embeds=body.get("embeds"),
            components=body.get("components"), flags=flags,
            application_id=self.application_id, interaction_metadata=metadata)
        self.messages[int(message["id"])] = message
        return message

    def _edit(self, message_id: int, body: dict[str, Any], *,
              clear_loading: bool = False) -> dict[str, Any]:
        """Fields present in the body replace the message's; absent ones stay."""
        message = self.messages[message_id]
        for key in ("content", "embeds", "components"):
            if key in body:
                message[key] = body[key] if body[key] is not None else \
                    ("" if key == "content" else [])
        if clear_loading:
            message["flags"] &= ~p.LOADING
        message["edited_timestamp"] = p.iso_now()
        return message

    # internals: gateway

    def _session_for(self, guild_id: int | None) -> _Session:
        shard = 0 if guild_id is None else (guild_id >> 22) % self.shards
        live = [s for s in self.sessions if s.identified and not s.ws.closed
                and s.shard[0] == shard]
        if not live:
            raise RuntimeError(f"no client connected for shard {shard}")
        return live[-1]

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        session = _Session(ws)
        await session.send({"op": 10, "s": None, "t": None,
                            "d": {"heartbeat_interval": self.heartbeat_interval_ms}})
        async for frame in ws:
            if frame.type != WSMsgType.TEXT:
                continue
            data = json.loads(frame.data)
            op = data.get("op")
            if op == 1:
                await session.send({"op": 11, "s": None, "t": None, "d": None})
            elif op == 2:
                await self._identify(session, data["d"])
            elif op == 6:
                await self._resume(session, data["d"])
        return ws

    async def _identify(self, session: _Session, data: dict[str, Any]) -> None:
        if data.get("token") != self.token:
            await session.ws.close(code=4004, message=b"Authentication failed.")
            return
        session.shard = tuple(data.get("shard", (0, 1)))  # type: ignore[assignment]
        guilds = [g for g in self.guilds.values()
                  if (g.id >> 22) % session.shard[1] == session.shard[0]]
        await session.dispatch("READY", {
            "v": 10, "user": self.bot_user, "session_id": session.session_id,
            "resume_gateway_url": self.gateway_url, "shard": list(session.shard),
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
            "application": {"id": str(self.application_id), "flags": 0},
            "private_channels": [], "relationships": [], "presences": [],
            "guild_join_requests": [], "geo_ordered_rtc_regions": [],
        })
        for guild in guilds:
            await session.dispatch("GUILD_CREATE", guild.payload())
        session.identified = True
        self.sessions.append(session)
        await self._notify()

    async def _resume(self, session: _Session, data: dict[str, Any]) -> None:
        old = next((s for s in self.sessions if s.session_id == data.get("session_id")), None)
        if old is None or data.get("token") != self.token:
            await session.send({"op": 9, "s": None, "t": None, "d": False})
            return
        session.session_id, session.shard, session.seq = old.session_id, old.shard, old.seq
        session.sent = old.sent
        missed = [e for e in old.sent if e["s"] > (data.get("seq") or 0)]
        with contextlib.suppress(ValueError):
            self.sessions.remove(old)
        session.identified = True
        self.sessions.append(session)
        for event in missed:
            await session.send(event)
        await session.dispatch("RESUMED", {})
        await self._notify()
