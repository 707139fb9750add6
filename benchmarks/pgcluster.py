"""A throwaway PostgreSQL cluster from the machine's own binaries, for tests and benchmarks.

`initdb` and `pg_ctl` are found through `pg_config --bindir`, else on PATH, else in Debian's
/usr/lib/postgresql/<version>/bin. PostgreSQL refuses to run as root, so as root they run as
the `postgres` user (runuser, else su) in a temporary folder that user owns. The server
listens on a free loopback port and a Unix socket in that folder, with trust authentication
for local connections only, and is stopped and its folder removed on exit. `durable=False`
(tests) turns off fsync: nothing needs to survive a power cut of a cluster deleted after.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shlex
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

SUPERUSER = "postgres"
TEMPLATE = "seqbot_template"


def find_bindir() -> Path | None:
    """The folder holding initdb and pg_ctl, or None when PostgreSQL is not installed."""
    candidates = []
    if pg_config := shutil.which("pg_config"):
        with contextlib.suppress(OSError, subprocess.CalledProcessError):
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True,
                                 check=True, timeout=30).stdout.strip()
            candidates.append(Path(out))
    if initdb := shutil.which("initdb"):
        candidates.append(Path(initdb).resolve().parent)
    # Debian keeps the server's binaries off PATH, one folder per major version
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"),
                         key=lambda folder: _major(folder.parent.name), reverse=True)
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    return None


class Cluster:
    """A running throwaway cluster; `url(name)` connects as the superuser without password."""

    def __init__(self, bindir: Path, root: Path, port: int) -> None:
        self.bindir = bindir
        self.root = root
        self.port = port
        self.data = root / "data"
        self._next = 0

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{dbname}"

    def psql(self, sql: str, dbname: str = "postgres") -> str:
        """Run SQL through psql (as the cluster's OS user); returns its output."""
        return self._run([str(self.bindir / "psql"), "-X", "-q", "-A", "-t", "-v",
                          "ON_ERROR_STOP=1", "-h", str(self.root), "-p", str(self.port),
                          "-U", SUPERUSER, "-d", dbname, "-c", sql])

    def create_database(self, template: str = "template0") -> str:
        """A new empty database (or a copy of `template`); returns its name."""
        self._next += 1
        name = f"seqbot_{os.getpid()}_{self._next}"
        self.psql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return name

    def drop_database(self, name: str) -> None:
        self.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def add_password_user(self, name: str, password: str) -> None:
        """A role that must log in with its password over TCP (everyone else is trusted)."""
        quoted = password.replace("'", "''")
        self.psql(f"CREATE ROLE {name} LOGIN SUPERUSER PASSWORD '{quoted}'")
        hba = self.data / "pg_hba.conf"
        hba.write_text(f"host all {name} 127.0.0.1/32 scram-sha-256\n" + hba.read_text())
        self.psql("SELECT pg_reload_conf()")

    def database_bytes(self, name: str) -> bytes:
        """Every byte of one database's files (tables, indexes, TOAST), after a checkpoint
        wrote them out: what someone reading the disk would find."""
        self.psql("CHECKPOINT")
        oid = self.psql(f"SELECT oid FROM pg_database WHERE datname = '{name}'").strip()
        folder = self.data / "base" / oid
        return b"".join(path.read_bytes() for path in sorted(folder.iterdir()) if path.is_file())

    def start(self, *, durable: bool) -> None:
        self._run([str(self.bindir / "initdb"), "-D", str(self.data), "-A", "trust", "-U",
                   SUPERUSER, "-E", "UTF8", "--locale=C", "--no-sync"])
        options = [f"-p {self.port}", f"-k {self.root}", "-c listen_addresses=127.0.0.1",
                   "-c max_connections=200"]
        if not durable:
            options += ["-c fsync=off", "-c synchronous_commit=off",
                        "-c full_page_writes=off"]
        self._run([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-o", " ".join(options),
                   "-l", str(self.root / "log"), "-w", "-t", "120", "start"])

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w",
                       "stop"])

    def log_tail(self, lines: int = 20) -> str:
        path = self.root / "log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) \
            if path.exists() else ""

    def _run(self, argv: list[str]) -> str:
        if os.geteuid() == 0:
            argv = _as_user(SUPERUSER, argv)
        result = subprocess.run(argv, capture_output=True, text=True, timeout=180, cwd="/")
        if result.returncode != 0:
            raise subprocess.CalledProcessError(result.returncode, argv, result.stdout,
                                                result.stderr)
        return result.stdout


@contextlib.contextmanager
def throwaway_cluster(*, durable: bool = False) -> Iterator[Cluster]:
    """Start a cluster, yield it, stop it and delete its files; RuntimeError without the
    PostgreSQL binaries or when the server does not start (its log tail says why)."""
    bindir = find_bindir()
    if bindir is None:
        raise RuntimeError("no PostgreSQL binaries (initdb, pg_ctl) via pg_config or PATH")
    root = Path(tempfile.mkdtemp(prefix="seqbot-pg-"))
    if os.geteuid() == 0:
        user = pwd.getpwnam(SUPERUSER)
        os.chown(root, user.pw_uid, user.pw_gid)
    cluster = Cluster(bindir, root, _free_port())
    try:
        try:
            cluster.start(durable=durable)
        except subprocess.CalledProcessError as error:
            raise RuntimeError(f"PostgreSQL did not start: {error.stderr.strip()}\n"
                               f"{cluster.log_tail()}") from None
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


def _as_user(user: str, argv: list[str]) -> list[str]:
    if runuser := shutil.which("runuser"):
        return [runuser, "-u", user, "--", *argv]
    return ["su", user, "-s", "/bin/sh", "-c", shlex.join(argv)]


def _major(version: str) -> int:
    return int(version) if version.isdigit() else -1


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
