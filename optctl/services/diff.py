"""Where two JSON values differ, leaf by leaf: what every diff optctl shows is made of.

Pure. ``diff`` gives the differences between an optimization object before and after a change
(the plans and the history); ``environment_differences`` compares whole environments, with
secrets redacted on both sides first so that they are never compared, let alone shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from optctl.documents.redact import redact
from optctl.stores.base import StoredDocument, without_system_fields


@dataclass(frozen=True)
class Difference:
    """One leaf that differs, as a dotted path (``cache.enabled``)."""

    path: str
    kind: str  # added | removed | changed
    before: Any = None
    after: Any = None

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "kind": self.kind, "before": self.before, "after": self.after}


def diff(before: Any, after: Any, prefix: str = "") -> list[Difference]:
    """Leaf differences between two JSON values, in a stable order."""
    if isinstance(before, dict) and isinstance(after, dict):
        found: list[Difference] = []
        for key in list(before) + [k for k in after if k not in before]:
            path = f"{prefix}{key}"
            if key not in after:
                found.append(Difference(path, "removed", before=before[key]))
            elif key not in before:
                found.append(Difference(path, "added", after=after[key]))
            else:
                found += diff(before[key], after[key], f"{path}.")
        return found
    if before == after and type(before) is type(after):
        return []
    path = prefix.rstrip(".") or "optimization"
    if before is None:
        return [Difference(path, "added", after=after)]
    if after is None:
        return [Difference(path, "removed", before=before)]
    return [Difference(path, "changed", before, after)]


def document_differences(a: StoredDocument | None, b: StoredDocument | None) -> list[Difference]:
    """Where one service's documents differ between two environments (secrets never compared)."""

    def comparable(stored: StoredDocument | None) -> Any:
        if stored is None:
            return None
        return redact({k: v for k, v in without_system_fields(stored.document).items() if k != "_key"})

    return diff(comparable(a), comparable(b))


@dataclass(frozen=True)
class ServiceDifference:
    """One service whose documents differ between two environments, or that only one of them has."""

    service: str
    only_in: str | None  # the environment that has the service when the other has not
    differences: list[Difference]

    def to_json(self) -> dict[str, Any]:
        return {"service": self.service, "only_in": self.only_in, "diff": [d.to_json() for d in self.differences]}


def environment_differences(
    first: str, a: Mapping[str, StoredDocument], second: str, b: Mapping[str, StoredDocument]
) -> list[ServiceDifference]:
    """Services by name: those only one environment has, and those whose documents differ."""
    found = []
    for service in sorted(set(a) | set(b)):
        if service not in b or service not in a:
            found.append(ServiceDifference(service, first if service in a else second, []))
            continue
        differences = document_differences(a[service], b[service])
        if differences:
            found.append(ServiceDifference(service, None, differences))
    return found
