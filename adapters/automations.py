"""Which automations are active, for the runs to match against: the single writer's own state of
each automation (never the read model). :class:`AutomationDirectory` is the port the run agent
names; :class:`MemoryAutomations` its fake."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from schemas.automations import Definition

__all__ = ["ActiveAutomation", "AutomationDirectory", "MemoryAutomations"]


@dataclass(frozen=True)
class ActiveAutomation:
    automation_id: str
    site_id: str
    version: int
    definition: Definition


class AutomationDirectory(Protocol):
    async def active(self, site_id: str) -> list[ActiveAutomation]:
        """The site's active automations, each at the version it was activated on (or edited to)."""
        ...

    async def get(self, automation_id: str) -> ActiveAutomation | None:
        """The automation if it is active now (a run checks before each step: a paused or deleted
        automation's runs end)."""
        ...


@dataclass
class MemoryAutomations:
    by_id: dict[str, ActiveAutomation] = field(default_factory=dict)

    def put(self, a: ActiveAutomation) -> None:
        self.by_id[a.automation_id] = a

    def remove(self, automation_id: str) -> None:
        self.by_id.pop(automation_id, None)

    async def active(self, site_id: str) -> list[ActiveAutomation]:
        return sorted((a for a in self.by_id.values() if a.site_id == site_id), key=lambda a: a.automation_id)

    async def get(self, automation_id: str) -> ActiveAutomation | None:
        return self.by_id.get(automation_id)
