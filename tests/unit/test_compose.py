"""The production topology (docker-compose.kafka.yml), read as compose reads it: its state survives
the containers, every service says whether it is healthy, and the roles' settings are settings."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from socializer.settings import Settings

COMPOSE = Path(__file__).resolve().parents[2] / "docker-compose.kafka.yml"
# Where each stateful image keeps its data (the apache/kafka image: KAFKA_LOG_DIRS; postgres: PGDATA's default).
STATEFUL = {"kafka": None, "postgres": "/var/lib/postgresql/data"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


def named_mounts(service: dict[str, Any], compose: dict[str, Any]) -> dict[str, str]:
    """target path -> named volume, for the service's mounts of a volume the file declares."""
    out = {}
    for mount in service.get("volumes", []):
        source, _, target = mount.partition(":") if isinstance(mount, str) else (mount["source"], ":", mount["target"])
        target = target.split(":")[0]
        if source in (compose.get("volumes") or {}):
            out[target] = source
    return out


def env(service: dict[str, Any]) -> dict[str, str]:
    e = service.get("environment") or {}
    return {k: str(v) for k, v in (e.items() if isinstance(e, dict) else (item.split("=", 1) for item in e))}


def test_every_stateful_service_writes_to_a_named_volume(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name, data_dir in STATEFUL.items():
        mounts = named_mounts(services[name], compose)
        path = data_dir or env(services[name])["KAFKA_LOG_DIRS"]
        assert any(path == target or path.startswith(target.rstrip("/") + "/") for target in mounts), (name, path, mounts)
    # The rendered media are written by the workers and served by the API: one shared named volume.
    for role in ("worker", "video", "api"):
        assert "media" in named_mounts(services[role], compose).values()


def test_kafkas_log_is_on_its_volume_not_the_images_tmp_default(compose: dict[str, Any]) -> None:
    kafka = compose["services"]["kafka"]
    log_dirs = env(kafka)["KAFKA_LOG_DIRS"].split(",")
    targets = named_mounts(kafka, compose)
    assert log_dirs and all(any(d.startswith(t.rstrip("/") + "/") or d == t for t in targets) for d in log_dirs)
    assert not any(d.startswith("/tmp") for d in log_dirs)


def test_the_cluster_id_is_a_base64url_uuid_as_kafka_storage_makes_them(compose: dict[str, Any]) -> None:
    cluster_id = env(compose["services"]["kafka"])["CLUSTER_ID"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", cluster_id)
    assert len(base64.urlsafe_b64decode(cluster_id + "==")) == 16


def test_every_service_has_a_health_check(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        check = service.get("healthcheck") or {}
        assert check.get("test") and check["test"] != ["NONE"] and not check.get("disable"), name


def test_every_socializer_variable_in_the_file_is_a_setting(compose: dict[str, Any]) -> None:
    fields = {f"SOCIALIZER_{name.upper()}" for name in Settings.model_fields}
    named = set(re.findall(r"\bSOCIALIZER_[A-Z0-9_]+\b", COMPOSE.read_text()))  # set, or named in a comment
    for service in compose["services"].values():
        named |= {k for k in env(service) if k.startswith("SOCIALIZER_")}
    # "..._LINKEDIN_..." style shorthand in comments stands for the provider's *_CLIENT_ID / *_CLIENT_SECRET.
    named = {n for n in named if not n.endswith("_")}
    assert named and named <= fields, sorted(named - fields)
    roles = [s for n, s in compose["services"].items() if n not in STATEFUL]
    assert all(env(s)["SOCIALIZER_BROKER"] and env(s)["SOCIALIZER_DATABASE_URL"] for s in roles)
