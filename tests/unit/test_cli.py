"""The command line without a broker or a database: what an operator types is answered by the
package's version, a schema export, a vault key, or, for a mistake, one line on stderr that names
the fix and a non-zero exit. The commands that talk to the broker and Postgres, and the same errors
from a real process, are in ``tests/integration/test_cli.py``."""

from __future__ import annotations

import base64
from importlib import metadata
from pathlib import Path

import orjson
import pytest

from schemas.registry import registry
from socializer.cli import main
from socializer.cli.errors import EXIT_FAILED, EXIT_USAGE, Targets, explain, mask_dsn, one_line
from socializer.devstack import free_port

ARTICLE = {
    "content_id": "cli-unit-1",
    "site_id": "demo",
    "title": "Event sourcing from the command line",
    "url": "https://blog.example/cli-unit-1",
    "html": "<p>One line per failure.</p>",
    "published_at": "2026-01-05T09:00:00Z",
}


@pytest.fixture(autouse=True)
def _nothing_listening(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A broker and a database nobody listens on, and a data directory of the test's own: a
    command that reached for either would fail, and none of these should."""
    port = free_port()
    monkeypatch.setenv("SOCIALIZER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SOCIALIZER_BROKER", f"127.0.0.1:{port}")
    monkeypatch.setenv("SOCIALIZER_DATABASE_URL", f"postgresql://cli:unit-s3cret@127.0.0.1:{port}/postgres")


def fails(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """Run the CLI in-process expecting a failure: (exit code, the stderr line)."""
    with pytest.raises(SystemExit) as exited:
        main(argv)
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("socializer: "), err
    assert "Traceback" not in err
    return int(exited.value.code or 0), lines[0]


def test_version_answers_with_the_installed_package_version_and_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"socializer {metadata.version('socializer')}"


def test_schemas_prints_every_types_json_schema_or_writes_one_file_each(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    expected = registry.json_schemas()
    main(["schemas"])
    assert orjson.loads(capsys.readouterr().out) == orjson.loads(orjson.dumps(expected))

    out = tmp_path / "schemas" / "json"
    main(["schemas", "--out", str(out)])  # as the README shows it: a directory, made if missing
    assert capsys.readouterr().out.strip() == f"wrote {len(expected)} schemas to {out}"
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{t}.json" for t in expected)
    published = orjson.loads((out / "socializer.content.published.v1.json").read_bytes())
    assert published == orjson.loads(orjson.dumps(expected["socializer.content.published.v1"]))


def test_vault_new_key_prints_a_master_key_line_of_32_random_bytes(capsys: pytest.CaptureFixture[str]) -> None:
    main(["vault", "new-key", "k2026"])
    first = capsys.readouterr().out.strip()
    main(["vault", "new-key", "k2026"])
    second = capsys.readouterr().out.strip()
    kid, _, b64 = first.partition(":")
    assert kid == "k2026" and len(base64.b64decode(b64, validate=True)) == 32
    assert first != second  # os.urandom: a fresh key each time


def test_emit_of_a_missing_file_or_of_bad_json_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nowhere.json"
    code, line = fails(["emit", str(missing)], capsys)
    assert code == EXIT_USAGE and line == f"socializer: {missing}: no such file or directory"

    bad = tmp_path / "bad.json"
    bad.write_text('[{"content_id": ')
    code, line = fails(["emit", str(bad)], capsys)
    assert code == EXIT_USAGE and line.startswith(f"socializer: {bad} is not JSON: ")

    empty = tmp_path / "empty.json"
    empty.write_text("[]")
    code, line = fails(["emit", str(empty)], capsys)
    assert code == EXIT_USAGE and "nothing to emit" in line


def test_emit_names_the_invalid_article_of_a_list_and_sends_none(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "articles.json"
    path.write_bytes(orjson.dumps([ARTICLE, {**ARTICLE, "content_id": "cli-unit-2", "url": "not a url"}, ARTICLE]))
    code, line = fails(["emit", str(path)], capsys)  # validated before the (closed) broker is tried
    assert code == EXIT_USAGE
    assert line.startswith(f"socializer: {path}: article 2 of 3 is not a valid ContentPublished: ") and "url" in line
    assert line.endswith("(nothing was sent)")


def test_mistyped_arguments_are_refused_before_any_connection(capsys: pytest.CaptureFixture[str]) -> None:
    code, line = fails(["replay", "postz"], capsys)
    assert code == EXIT_USAGE and "no projection 'postz'" in line and "posts" in line
    code, line = fails(["redrive", "content.published"], capsys)
    assert code == EXIT_USAGE and "did you mean content.published.dlq?" in line
    code, line = fails(["apikey", "create", "demo", "--scopes", "read,admin"], capsys)
    assert code == EXIT_USAGE and "read, write" in line


def test_vault_rotate_with_malformed_keys_says_what_is_wrong_without_the_keys(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    short = base64.b64encode(b"sixteen-byte-key").decode()
    monkeypatch.setenv("SOCIALIZER_VAULT_KEYS", f"k1:{short}")
    code, line = fails(["vault", "rotate"], capsys)
    assert code == EXIT_USAGE and "k1" in line and "32 bytes" in line and short not in line
    monkeypatch.setenv("SOCIALIZER_VAULT_KEYS", "k1:abc")
    code, line = fails(["vault", "rotate"], capsys)
    assert code == EXIT_USAGE and "SOCIALIZER_VAULT_KEYS" in line


def test_an_invalid_setting_names_its_variable(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SOCIALIZER_API_PORT", "eighty")
    code, line = fails(["apikey", "revoke", "0123456789ab"], capsys)
    assert code == EXIT_USAGE and "SOCIALIZER_API_PORT" in line and "eighty" not in line


def test_a_dsn_is_shown_without_its_password() -> None:
    assert mask_dsn("postgresql://app:hunter22@db:5432/social") == "postgresql://app:***@db:5432/social"
    assert mask_dsn("postgresql://app@db/social?password=hunter22&sslmode=require") == (
        "postgresql://app@db/social?password=***&sslmode=require"
    )
    assert mask_dsn("postgresql://postgres@127.0.0.1:54329/postgres") == "postgresql://postgres@127.0.0.1:54329/postgres"


def test_known_failures_become_one_line_and_bugs_keep_their_traceback() -> None:
    import asyncpg
    from aiokafka.errors import KafkaConnectionError

    t = Targets(broker="10.0.0.5:9092", dsn="postgresql://app:hunter22@db/social", broker_set=True, dsn_set=True, secrets=("hunter22",))
    line, code = explain(KafkaConnectionError("Unable to bootstrap from [('10.0.0.5', 9092)]"), t) or ("", 0)
    assert code == EXIT_FAILED and line.startswith("cannot reach the broker at 10.0.0.5:9092") and "SOCIALIZER_BROKER" in line
    line, code = explain(asyncpg.InvalidPasswordError('password authentication failed for user "app"'), t) or ("", 0)
    assert code == EXIT_FAILED and "postgresql://app:***@db/social" in line and "SOCIALIZER_DATABASE_URL" in line
    line, code = explain(asyncpg.UndefinedTableError('relation "api_keys" does not exist'), t) or ("", 0)
    assert "socializer migrate" in line
    line, code = explain(FileNotFoundError(2, "No such file or directory", "article.json"), t) or ("", 0)
    assert (line, code) == ("article.json: no such file or directory", EXIT_USAGE)
    assert explain(RuntimeError("a bug"), t) is None and explain(KeyError("x"), t) is None
    # Whatever a message quotes, the secrets never reach the terminal, and it is one line.
    assert one_line("failed for postgresql://app:hunter22@db\n  at line 2", t.secrets) == "failed for postgresql://app:***@db at line 2"
