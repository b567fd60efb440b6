"""The control plane's verbs as plain functions: read from a store, decide, write.

Commands and tests call these. The decisions themselves live in ``optctl.services.changes`` (pure);
this module only fetches what they need, hands the result to ``Store.write`` (one atomic,
revision-checked unit) and reads input files. It never prints and never asks: confirmation
belongs to the CLI, between ``plan_*`` and ``commit``.
"""

from __future__ import annotations

from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator, Sequence

from optctl.services import changes
from optctl.settings.project import EnvironmentConfig
from optctl.stores.factory import open_store
from optctl.errors import UsageError
from optctl.stores.base import HistoryEntry, Store, changed_since_read, without_system_fields


@contextmanager
def opened(env: EnvironmentConfig) -> Iterator[Store]:
    with closing(open_store(env)) as store:
        yield store


# --- changing one environment ----------------------------------------------------------


def plan_flip(store: Store, services: Sequence[str], enabled: bool) -> changes.ChangePlan:
    return changes.flip(store.read_many(services), services, enabled, store.env)


def plan_set(store: Store, service: str, assignments: Sequence[str]) -> changes.ChangePlan:
    return changes.set_fields(store.read_many([service]), service, assignments, store.env)


def plan_rollback(store: Store, service: str, to_revision: str | None = None) -> changes.ChangePlan:
    return changes.rollback(store.read(service), store.history(service), store.env, to_revision)


def plan_apply(store: Store, env: EnvironmentConfig, path: str, services: Sequence[str] = ()) -> changes.ChangePlan:
    """An optimization object for ``services``, or ai-config documents whose ``optimization`` is written."""
    from optctl.contract.kinds import KINDS

    targets: dict[str, dict[str, Any]] = {}
    for label, data in read_file(path):
        kind = KINDS.detect(data)
        if kind is not None and kind.name == "ai-config":
            if services:
                raise UsageError(f"{label}: is an ai-config document, which names its own service; drop --service")
            if "optimization" not in data:
                raise UsageError(f"{label}: ai-config document has no optimization field to apply")
            changes.validate_document(data, label)
            targets[_service_of(env, data, label)] = data["optimization"]
        elif kind is not None and kind.name == "optimization":
            if not services:
                raise UsageError(f"{label}: is an optimization object; name the services it is for with --service")
            targets.update({service: data for service in services})
        else:
            raise UsageError(
                f"{label}: neither an optimization object (cache/batch/fallback) nor an ai-config document (_key, configuration)"
            )
    return changes.apply(store.read_many(list(targets)), targets, store.env)


def commit(
    store: Store, plan: changes.ChangePlan, actor: str, reason: str | None = None, rollout: str | None = None
) -> list[HistoryEntry]:
    """Write the plan as one atomic, revision-checked unit (``ConflictError`` if anything moved)."""
    if not plan.changes:
        return []
    if isinstance(plan, ImportPlan):
        _check_unmoved(store, plan)
        return store.put_documents(plan.documents, actor, reason)
    return store.write(plan.to_changes(reason, rollout), actor)


@dataclass(frozen=True)
class ImportPlan(changes.ChangePlan):
    """A plan whose writes are whole documents (``Store.put_documents``), one per change."""

    documents: list[dict[str, Any]] = field(default_factory=list)


def plan_import(store: Store, env: EnvironmentConfig, path: str) -> ImportPlan:
    labelled = read_file(path)
    documents = changes.prepare_import([data for _, data in labelled], [label for label, _ in labelled])
    services = [_service_of(env, doc, label) for doc, (label, _) in zip(documents, labelled)]
    if len(set(services)) != len(services):
        raise UsageError(f"{path}: two documents have the same _key; keep one per service")
    current = store.read_many(services)
    plan = ImportPlan(store.env)
    for service, document in zip(services, documents):
        stored = current.get(service)
        if stored is not None and without_system_fields(stored.document) == document:
            plan.unchanged.append((service, "identical to the stored document, nothing written"))
            continue
        before = stored.optimization if stored else None
        plan.changes.append(
            changes.PlannedChange(service, stored.revision if stored else "", before, document.get("optimization"), "import")
        )
        plan.documents.append(document)
    return plan


def _check_unmoved(store: Store, plan: ImportPlan) -> None:
    # put_documents replaces without a revision check, so look again just before it: a change
    # made while the operator read the diff is not overwritten unseen.
    current = store.read_many([planned.service for planned in plan.changes])
    for planned in plan.changes:
        now = current[planned.service].revision if planned.service in current else ""
        if now != planned.revision:
            last = store.history(planned.service, limit=1)
            raise changed_since_read(planned.service, store.env, *((last[0].actor, last[0].at) if last else (None, None)))


def _service_of(env: EnvironmentConfig, document: dict[str, Any], label: str) -> str:
    key = document.get("_key")
    if not isinstance(key, str) or not key:
        raise UsageError(f"{label}: ai-config document has no _key")
    return env.service_for(key)


def read_file(path: str) -> list[tuple[str, Any]]:
    """(label, data) for every document in a JSON, JSON Lines or YAML file; the first problem stops it."""
    from optctl.documents.reader import ParseProblem, read_documents

    found = []
    for item in read_documents(path):
        if isinstance(item, ParseProblem):
            raise UsageError(f"{item}; nothing was written")
        found.append((item.label, item.data))
    return found


# --- looking across environments -------------------------------------------------------


def export(store: Store, include_secrets: bool = False) -> list[dict[str, Any]]:
    from optctl.documents.redact import redact

    documents = [stored.document for stored in store.read_many().values()]
    return documents if include_secrets else redact(documents)
