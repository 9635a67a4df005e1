"""Where sites are configured: a JSON file (``SOCIALIZER_SITES_FILE``) or, by default, the demo site.
:class:`SiteDirectory` is the port; :class:`StaticSiteDirectory` is both the file adapter and the fake."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Protocol

from pydantic import ValidationError

from adapters.exceptions import ConfigError
from domain.accounts import Site


class SiteDirectory(Protocol):
    def site(self, site_id: str) -> Site | None: ...
    def sites(self) -> list[Site]: ...


class StaticSiteDirectory:
    def __init__(self, sites: list[Site]) -> None:
        self._sites = {s.site_id: s for s in sites}

    @classmethod
    def from_file(cls, path: Path) -> StaticSiteDirectory:
        try:
            raw = json.loads(path.read_text())
            return cls([Site.model_validate(item) for item in raw["sites"]])
        except (OSError, KeyError, ValueError, ValidationError) as err:
            raise ConfigError(f"{path}: {err}") from err

    def site(self, site_id: str) -> Site | None:
        return self._sites.get(site_id)

    def sites(self) -> list[Site]:
        return list(self._sites.values())
