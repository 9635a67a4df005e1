"""Every command the README shows, run as it shows it, against the real broker and Postgres; and
what each says, in one line and with a non-zero exit, when the broker or the database is not there.

The commands run in-process through ``socializer.cli.main`` with real arguments (a Python start-up
per command would cost seconds); the ones that must be watched from outside — ``tail -f`` until
Ctrl-C, and every failure's stderr and exit code, where a traceback would show — run as processes.
Test data use sites no seed file names (``cli-…``), so a running system dead-letters or skips them
and no other test's posts or accounts see them."""

from __future__ import annotations

import asyncio
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from adapters.api_keys import ApiKeys
from adapters.postgres import create_pool
from schemas import topics
from schemas.events import ContentSkipped, PostSkipped
from schemas.registry import registry
from socializer.cli import main
from socializer.devstack import free_port
from tests.integration.articles import article
from tests.integration.test_dead_letters import topic_messages

pytestmark = pytest.mark.integration
POSITION = re.compile(r"^(\S+) -> content\.published\[(\d+)\]@(\d+)$")
NO_SITE = "data.site_id: no site 'cli-nowhere' is configured"  # intake's reason for an unknown site


@pytest.fixture
def cli(infra: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    """The tools pointed at the test broker and database, as an operator's environment would."""
    monkeypatch.setenv("SOCIALIZER_BROKER", infra.broker)
    monkeypatch.setenv("SOCIALIZER_DATABASE_URL", infra.dsn)
    monkeypatch.setenv("SOCIALIZER_DATA_DIR", str(tmp_path / "data"))
    return infra


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """``socializer ARGV`` in-process; its stdout, after checking it succeeded without a word on stderr
    other than replay's progress."""
    main(argv)
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and "socializer:" not in captured.err, captured.err
    return captured.out


def produce(broker: str, topic: str, records: list[tuple[bytes, bytes, list[tuple[str, bytes]]]]) -> list[tuple[int, int]]:
    """Send (key, value, headers) records; their (partition, offset)."""

    async def send() -> list[tuple[int, int]]:
        producer = AIOKafkaProducer(bootstrap_servers=broker, enable_idempotence=False)
        await producer.start()
        try:
            out = []
            for key, value, headers in records:
                md = await producer.send_and_wait(topic, value, key=key, headers=headers)
                out.append((md.partition, md.offset))
            return out
        finally:
            await producer.stop()

    return asyncio.run(send())


def envelope_record(message: Any, subject: str) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    env = registry.envelope(message, source="tests/cli", subject=subject)
    return subject.encode(), env.encode(), env.headers()


def dead_letter(content_id: str) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    """What intake writes for an article of an unknown site: the original bytes and headers, and why."""
    key, value, headers = envelope_record(article(content_id, site_id="cli-nowhere"), content_id)
    return key, value, [*headers, ("dlq-reason", NO_SITE.encode()), ("dlq-agent", b"intake"), ("dlq-topic", b"content.published")]


def record_at(broker: str, topic: str, partition: int, offset: int) -> Any:
    async def read() -> Any:
        consumer = AIOKafkaConsumer(bootstrap_servers=broker, enable_auto_commit=False)
        await consumer.start()
        try:
            tp = TopicPartition(topic, partition)
            consumer.assign([tp])
            consumer.seek(tp, offset)
            for _ in range(20):
                for m in (await consumer.getmany(tp, timeout_ms=500)).get(tp, []):
                    if m.offset == offset:
                        return m
            return None
        finally:
            await consumer.stop()

    return asyncio.run(read())


async def sql(dsn: str, query: str, *args: Any) -> list[Any]:
    pool = await create_pool(dsn, max_size=1)
    try:
        return list(await pool.fetch(query, *args))
    finally:
        await pool.close()


# ---------------------------------------------------------------- the commands, as the README shows them


def test_emit_of_a_three_article_list_prints_three_positions_and_each_is_that_article_on_the_topic(
    cli: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = ["cli-emit-1", "cli-emit-2", "cli-emit-3"]
    path = tmp_path / "article.json"
    path.write_bytes(orjson.dumps([article(cid, site_id="cli-nowhere").model_dump(mode="json") for cid in ids]))
    lines = run_cli(["emit", str(path)], capsys).splitlines()
    assert len(lines) == 3 and all(POSITION.match(line) for line in lines), lines
    for cid, line in zip(ids, lines, strict=True):
        event_id, partition, offset = POSITION.match(line).groups()  # type: ignore[union-attr]
        record = record_at(cli.broker, topics.CONTENT_PUBLISHED, int(partition), int(offset))
        assert record is not None and record.key == cid.encode() and dict(record.headers)["ce_id"] == event_id.encode()
        decoded = registry.decode(record.value)
        assert decoded.message.content_id == cid and decoded.envelope.source == "socializer/cli"  # type: ignore[attr-defined]

    path.write_bytes(orjson.dumps(article("cli-emit-4", site_id="cli-nowhere").model_dump(mode="json")))  # an object, too
    assert len(run_cli(["emit", str(path)], capsys).splitlines()) == 1


def test_tail_from_the_beginning_prints_each_event_and_dead_letters_with_their_reason(cli: Any, capsys: pytest.CaptureFixture[str]) -> None:
    post_ids = ["cli-tail-post-1", "cli-tail-post-2"]
    skipped = [
        PostSkipped(
            post_id=pid,
            site_id="cli-tail",
            content_id="cli-tail",
            account_id="cli-acct",
            platform="x",
            post_type="thread",
            reason="no points",
        )
        for pid in post_ids
    ]
    at = produce(cli.broker, topics.POSTS, [envelope_record(ev, ev.post_id) for ev in skipped])
    out = run_cli(["tail", "social.posts", "-b"], capsys)  # pretty, from the beginning
    for pid, (partition, offset) in zip(post_ids, at, strict=True):
        assert re.search(rf"^social\.posts\[{partition}\]@{offset}  \S+  socializer\.post\.skipped\.v1  subject={pid}$", out, re.M), out
    assert '"reason": "no points"' in out

    ((partition, offset),) = produce(cli.broker, "content.published.dlq", [dead_letter("cli-tail-dead")])
    out = run_cli(["tail", "content.published.dlq", "-b"], capsys)  # dead letters with their reasons
    head = f"content.published.dlq[{partition}]@{offset}  "
    assert head in out and f"    dlq-reason: {NO_SITE}" in out.split(head, 1)[1].splitlines()[1], out


def test_tail_following_with_json_type_and_subject_prints_only_that_subjects_events_of_that_type(cli: Any) -> None:
    """``tail social.posts -f --json --type scheduled.v1 --subject <post_id>``, with a type no agent
    acts on (a made-up post's ``PostScheduled`` would be scheduled by a running worker)."""
    mine, other = "cli-follow-post", "cli-follow-other"
    env = {**os.environ, "SOCIALIZER_BROKER": cli.broker}
    argv = ["tail", "social.posts", "-f", "--json", "--type", "post.skipped.v1", "--subject", mine]
    proc = subprocess.Popen([sys.executable, "-m", "socializer", *argv], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True).start()  # type: ignore[union-attr]

    def skipped(pid: str) -> PostSkipped:
        return PostSkipped(
            post_id=pid, site_id="cli-tail", content_id="cli-follow", account_id="cli-acct", platform="x", post_type="thread", reason="r"
        )

    got: list[dict[str, Any]] = []
    try:
        deadline = time.monotonic() + 60
        while not got and time.monotonic() < deadline:  # it follows from the end: send until it has started and prints one
            produce(
                cli.broker,
                topics.POSTS,
                [
                    envelope_record(skipped(other), other),  # another subject
                    envelope_record(ContentSkipped(content_id="cli-follow", site_id="cli-tail", reason="r"), mine),  # another type
                    envelope_record(skipped(mine), mine),
                ],
            )
            try:
                got.append(orjson.loads(lines.get(timeout=2)))
            except queue.Empty:
                continue
        time.sleep(1)  # anything else it would print for that round
        while not lines.empty():
            got.append(orjson.loads(lines.get()))
    finally:
        proc.send_signal(signal.SIGINT)  # Ctrl-C
        _, err = proc.communicate(timeout=30)
    assert got, f"nothing printed within a minute: {err}"
    for line in got:
        assert line["topic"] == "social.posts" and line["key"] == mine
        assert line["value"]["type"] == "socializer.post.skipped.v1" and line["value"]["subject"] == mine
        assert line["headers"]["ce_type"] == "socializer.post.skipped.v1"
    assert proc.returncode == 0 and "Traceback" not in err, err


def test_replay_verifies_and_swaps_in_or_rebuilds_every_projection_without_swapping(cli: Any, capsys: pytest.CaptureFixture[str]) -> None:
    from projections.read_models import ALL

    out = run_cli(["replay", "posts", "--verify"], capsys)
    assert re.fullmatch(r"replay posts: \d+ events in \S+s \(\S+/s\); rebuilt copy identical; swapped in\n", out), out
    lines = run_cli(["replay", "all", "--no-swap"], capsys).splitlines()
    assert [line.split(":")[0] for line in lines] == [f"replay {name}" for name in ALL]
    assert all(line.endswith("; not swapped") for line in lines), lines


def test_redrive_lists_what_a_dry_run_would_resend_then_resends_each_dead_letter_once(cli: Any, capsys: pytest.CaptureFixture[str]) -> None:
    ((partition, offset),) = produce(cli.broker, "content.published.dlq", [dead_letter("cli-redrive-1")])
    mine = f"content.published.dlq/{partition}@{offset} to content.published: {NO_SITE}"

    out = run_cli(["redrive", "content.published.dlq", "--reason", "no site", "--dry-run"], capsys)  # what would go back
    assert f"would re-send {mine}" in out.splitlines()
    assert re.search(r"^content\.published\.dlq: \d+ dead letters; would re-send [1-9]\d*; ", out, re.M), out
    done = 'SELECT 1 FROM dead_letters_redriven WHERE dlq_topic = $1 AND partition = $2 AND "offset" = $3'
    assert not asyncio.run(sql(cli.dsn, done, "content.published.dlq", partition, offset))  # a dry run re-sends nothing

    out = run_cli(["redrive", "content.published.dlq"], capsys)  # re-send each dead letter to its topic
    assert f"re-sent {mine}" in out.splitlines(), out
    assert asyncio.run(sql(cli.dsn, done, "content.published.dlq", partition, offset))
    trail = f"content.published.dlq/{partition}@{offset}".encode()
    back = [m for m in asyncio.run(topic_messages(cli.broker, "content.published")) if dict(m.headers or []).get("redriven-from") == trail]
    assert len(back) == 1 and back[0].key == b"cli-redrive-1" and registry.decode(back[0].value).message.site_id == "cli-nowhere"  # type: ignore[attr-defined]

    out = run_cli(["redrive", "content.published.dlq"], capsys)  # once: a second run leaves it
    assert f"re-sent {mine}" not in out and re.search(r"; [1-9]\d* re-sent earlier;", out), out


def test_apikey_create_prints_a_working_key_and_revoke_ends_it(cli: Any, capsys: pytest.CaptureFixture[str]) -> None:
    key = run_cli(["apikey", "create", "cli-site", "--scopes", "read,write"], capsys).strip()
    assert re.fullmatch(r"sk_[0-9a-f]{12}_\S{20,}", key), key
    key_id = key.split("_")[1]
    read_only = run_cli(["apikey", "create", "cli-site", "--scopes", "read"], capsys).strip()

    async def verify(k: str) -> Any:
        pool = await create_pool(cli.dsn, max_size=1)
        try:
            return await ApiKeys(pool, ttl=0).verify(k)
        finally:
            await pool.close()

    caller = asyncio.run(verify(key))
    assert caller is not None and caller.site_id == "cli-site" and caller.scopes == {"read", "write"} and caller.key_id == key_id
    assert asyncio.run(verify(read_only)).scopes == {"read"}  # type: ignore[union-attr]

    assert run_cli(["apikey", "revoke", key_id], capsys).strip() == f"revoked {key_id}"
    assert asyncio.run(verify(key)) is None
    with pytest.raises(SystemExit) as exited:  # revoked already: said, and not a success
        main(["apikey", "revoke", key_id])
    err = capsys.readouterr().err
    assert exited.value.code != 0 and err.splitlines() == [
        f"socializer: no active API key {key_id!r} (never created, or revoked already): nothing revoked"
    ]
    run_cli(["apikey", "revoke", read_only], capsys)  # the whole key does too; only its id is shown
    assert asyncio.run(verify(read_only)) is None


def test_vault_rotate_rewraps_every_data_key_under_the_new_master_key(
    cli: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """In a database of its own: rotation re-wraps every data key of a database, and the running
    system's must stay under the system's key."""
    import asyncpg

    from adapters.postgres import migrate
    from adapters.vault.crypto import Keyring, Secret
    from adapters.vault.store import TokenVault

    old_line = run_cli(["vault", "new-key", "k-old"], capsys).strip()
    new_line = run_cli(["vault", "new-key", "k-new"], capsys).strip()
    own = cli.dsn.rsplit("/", 1)[0] + "/cli_vault"

    async def seal() -> None:
        conn = await asyncpg.connect(cli.dsn)
        try:
            await conn.execute("DROP DATABASE IF EXISTS cli_vault")
            await conn.execute("CREATE DATABASE cli_vault")
        finally:
            await conn.close()
        await migrate(own)
        pool = await create_pool(own, max_size=1)
        try:
            vault = TokenVault(pool, Keyring.from_setting(old_line))
            for acct in ("cli-acct-1", "cli-acct-2"):
                await vault.store(acct, "access_token", Secret(f"token-{acct}"))
        finally:
            await pool.close()

    asyncio.run(seal())
    monkeypatch.setenv("SOCIALIZER_DATABASE_URL", own)
    monkeypatch.setenv("SOCIALIZER_VAULT_KEYS", f"{old_line},{new_line}")  # the last one is active
    out = run_cli(["vault", "rotate"], capsys)
    assert out.strip() == "re-wrapped 2 data keys; keys other than the active one can now be removed"

    async def read_with_new_key_only() -> list[str]:
        pool = await create_pool(own, max_size=1)
        try:
            vault = TokenVault(pool, Keyring.from_setting(new_line))
            return [(await vault.read(a, "access_token")).reveal() for a in ("cli-acct-1", "cli-acct-2")]  # type: ignore[union-attr]
        finally:
            await pool.close()

    assert asyncio.run(read_with_new_key_only()) == ["token-cli-acct-1", "token-cli-acct-2"]


# ---------------------------------------------------------------- and when what they need is not there


def run_all(commands: list[list[str]], env: dict[str, str]) -> list[tuple[list[str], int, str]]:
    """The commands as processes, all at once (each is mostly Python start-up): (argv, exit code, stderr)."""
    procs = [
        (
            argv,
            subprocess.Popen(
                [sys.executable, "-m", "socializer", *argv], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
            ),
        )
        for argv in commands
    ]
    return [(argv, p.wait(120), p.stderr.read()) for argv, p in procs]  # type: ignore[union-attr]


def test_without_broker_or_database_each_command_says_which_and_the_fix_in_one_line_never_a_traceback(tmp_path: Path) -> None:
    port = free_port()  # nobody listens on it
    path = tmp_path / "article.json"
    path.write_bytes(orjson.dumps([article("cli-down-1", site_id="cli-nowhere").model_dump(mode="json")]))
    env = {
        **os.environ,
        "SOCIALIZER_BROKER": f"127.0.0.1:{port}",
        "SOCIALIZER_DATABASE_URL": f"postgresql://cli:cli-s3cret@127.0.0.1:{port}/postgres",
        "SOCIALIZER_VAULT_KEYS": "k1:" + "A" * 43 + "=",
        "SOCIALIZER_DATA_DIR": str(tmp_path / "data"),
    }
    broker = [["emit", str(path)], ["tail", "social.posts", "-b"]]
    database = [
        ["apikey", "revoke", "0123456789ab"],
        ["apikey", "create", "cli-site", "--scopes", "read,write"],
        ["replay", "posts", "--verify"],
        ["redrive", "content.published.dlq", "--reason", "no site", "--dry-run"],
        ["vault", "rotate"],
    ]
    for argv, code, err in run_all(broker + database, env):
        lines = err.splitlines()
        assert code == 1 and len(lines) == 1 and "Traceback" not in err and "cli-s3cret" not in err, (argv, code, err)
        if argv in broker:
            assert lines[0] == f"socializer: cannot reach the broker at 127.0.0.1:{port} (is it running, and is SOCIALIZER_BROKER right?)"
        else:
            assert lines[0] == (
                f"socializer: cannot reach the database at postgresql://cli:***@127.0.0.1:{port}/postgres: connection refused"
                " (is it running, and is SOCIALIZER_DATABASE_URL right?)"
            ), argv


def test_a_command_whose_database_is_up_but_broker_down_says_so_in_one_line(cli: Any, tmp_path: Path) -> None:
    env = {**os.environ, "SOCIALIZER_BROKER": f"127.0.0.1:{free_port()}", "SOCIALIZER_DATABASE_URL": cli.dsn}
    env["SOCIALIZER_DATA_DIR"] = str(tmp_path / "data")
    for argv, code, err in run_all([["redrive", "content.published.dlq", "--dry-run"], ["replay", "posts"]], env):
        assert code == 1 and err.startswith("socializer: cannot reach the broker at 127.0.0.1:"), (argv, err)
        assert len(err.splitlines()) == 1, (argv, err)  # no word from the clients it left behind
