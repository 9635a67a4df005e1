"""What every command shares: the settings, for a role or for an operator tool."""

from __future__ import annotations

import asyncio

from socializer.settings import Settings


def role_settings() -> Settings:
    return Settings()


def tool_settings() -> Settings:
    """Operator tools (tail, emit, replay, demo, apikey, vault) talk to the embedded default started
    by ``socializer up`` when no broker, database or vault key is set."""
    s = Settings()
    key_file = s.data_dir / "vault-keys"
    return s.model_copy(
        update={
            "broker": s.broker or f"127.0.0.1:{s.broker_port}",
            "database_url": s.database_url or f"postgresql://postgres@127.0.0.1:{s.database_port}/postgres",
            "vault_keys": s.vault_keys or (key_file.read_text().strip() if key_file.exists() else ""),
        }
    )


def prepare(s: Settings) -> None:
    from adapters.postgres import migrate
    from schemas import topics
    from socializer.devstack import create_topics

    asyncio.run(migrate(s.database_url))  # type: ignore[arg-type]
    asyncio.run(_seed_sites(s))
    asyncio.run(create_topics(s.broker, topics.ALL, s.topic_partitions, s.topic_replication))  # type: ignore[arg-type]


async def _seed_sites(s: Settings) -> None:
    from adapters.postgres import create_pool
    from adapters.sites import PostgresSites
    from socializer.bootstrap import seed_sites

    pool = await create_pool(s.database_url, max_size=1)  # type: ignore[arg-type]
    try:
        await PostgresSites(pool).seed(seed_sites(s))
    finally:
        await pool.close()
