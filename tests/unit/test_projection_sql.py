"""Every projection's SQL is a template over its table names (live, or a replay's copies): each must
format with exactly the tables the projection owns, or the projector stops at its first event."""

from __future__ import annotations

import re

import pytest

from projections.read_models import ALL


@pytest.mark.parametrize("name", sorted(ALL))
def test_every_statement_formats_with_the_projections_tables(name: str) -> None:
    projection = ALL[name]
    names = {t: f"{t}__replay" for t in projection.tables}
    for key in projection.sql:
        sql = projection.render(key, names)
        unquoted = re.sub(r"'[^']*'", "''", sql)  # JSON literals may hold braces; placeholders may not
        assert "{" not in unquoted and any(f"{t}__replay" in sql for t in projection.tables), key
