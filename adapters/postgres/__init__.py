"""PostgreSQL: connection pools (JSON decoded with orjson) and the ordered SQL migrations."""

from adapters.postgres.pool import LazyPool, create_pool, init_connection, migrate, migration_files

__all__ = ["LazyPool", "create_pool", "init_connection", "migrate", "migration_files"]
