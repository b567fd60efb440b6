"""What the new ``optimization`` object of each service should be: pure decisions, no I/O.

Each verb (enable, disable, set, apply, rollback, import) turns documents as read into a
``ChangePlan``: the services to change, from what to what, at which revision. Every result is checked
against the contract (the JSON schema and the pydantic model) here, before any store sees it,
so optctl can never write an invalid document. A service without an ``optimization`` field only
gets one through ``apply`` (or ``import``): the defaults are never added behind anyone's back.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any, Iterable, Mapping, Sequence

from optctl.documents.redact import REDACTED, secret_values
from optctl.errors import InvalidDocumentError, NotFoundError, UsageError
from optctl.services.diff import Difference, diff
from optctl.stores.base import Change, HistoryEntry, StoredDocument, no_such_service, without_system_fields

Optimization = dict[str, Any] | None


@dataclass(frozen=True)
class PlannedChange:
    service: str
    revision: str  # the revision it was read at; the write is checked against it
    before: Optimization
    after: Optimization
    action: str
    warnings: tuple[str, ...] = ()  # what the contract's checks would have the operator know

    @property
    def differences(self) -> list[Difference]:
        return diff(self.before, self.after)

    def to_change(self, reason: str | None = None, rollout: str | None = None) -> Change:
        return Change(self.service, self.revision, self.after, self.action, reason, rollout)

    def to_json(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "revision": self.revision,
            "action": self.action,
            "before": self.before,
            "after": self.after,
            "diff": [d.to_json() for d in self.differences],
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class ChangePlan:
    """What one command would write in one environment, and what it leaves alone (and why)."""

    env: str
    changes: list[PlannedChange] = field(default_factory=list)
    unchanged: list[tuple[str, str]] = field(default_factory=list)  # (service, why nothing is written)

    def to_changes(self, reason: str | None = None, rollout: str | None = None) -> list[Change]:
        return [planned.to_change(reason, rollout) for planned in self.changes]


# --- the verbs -------------------------------------------------------------------------


def flip(documents: Mapping[str, StoredDocument], services: Sequence[str], enabled: bool, env: str) -> ChangePlan:
    """Enable or disable caching; a service already in that state is left alone and said so."""
    action, state = ("enable", "enabled") if enabled else ("disable", "disabled")
    plan = ChangePlan(env)
    for service in _unique(services):
        before = _existing_optimization(documents, service, env, action)
        if _cache_enabled(before) is enabled:
            plan.unchanged.append((service, f"already {state}, nothing written"))
            continue
        after = copy.deepcopy(before)
        _set_path(after, ("cache", "enabled"), enabled)
        plan.changes.append(
            _checked(PlannedChange(service, documents[service].revision, before, after, action), env, documents[service])
        )
    return plan


def set_fields(documents: Mapping[str, StoredDocument], service: str, assignments: Sequence[str], env: str) -> ChangePlan:
    """Typed edits like ``cache.min_tokens_to_cache=2048``, each checked against the schema."""
    if not assignments:
        raise UsageError(
            f"name at least one FIELD=VALUE to set, e.g. cache.min_tokens_to_cache=2048; fields: {', '.join(settable_fields())}"
        )
    before = _existing_optimization(documents, service, env, "set")
    after = copy.deepcopy(before)
    for text in assignments:
        _set_path(after, *parse_assignment(text))
    return _single(env, documents[service], before, after, "set", "no field changes value, nothing written")


def apply(documents: Mapping[str, StoredDocument], targets: Mapping[str, Optimization], env: str) -> ChangePlan:
    """Write whole optimization objects (this is how a service first gets one); a None target removes
    the field, as ``rollback`` does."""
    plan = ChangePlan(env)
    for service, target in targets.items():
        if service not in documents:
            raise no_such_service(service, env)
        stored = documents[service]
        if stored.optimization == target:
            plan.unchanged.append((service, "already as in the file, nothing written"))
        else:
            plan.changes.append(
                _checked(PlannedChange(service, stored.revision, stored.optimization, target, "apply"), env, stored)
            )
    return plan


def rollback(stored: StoredDocument, history: Sequence[HistoryEntry], env: str, to_revision: str | None = None) -> ChangePlan:
    """Undo the last change (back to the state before it), or go to the state a given revision recorded.

    Never a surprise: removing the whole ``optimization`` field (undoing the change that added it)
    needs ``--to`` naming that change's revision (and the usual confirmation), and a rollback that
    undoes an earlier rollback says so in its diff."""
    where = f"{stored.service} in {env}"
    last = history[-1] if history else None
    if to_revision is None:
        if last is None:
            raise NotFoundError(f"{where} has no history to roll back; nothing was written")
        target, undone = last.before, last
        if target is None and stored.optimization is not None:
            raise UsageError(
                f"{where}: undoing its last change ({last.action} at revision {last.revision}) would remove the whole "
                f"optimization field; to turn caching off run `optctl disable {stored.service} --env {env}` (the migration "
                f"guide's rollback); to remove the field, name that revision: `optctl rollback {stored.service} --env {env} "
                f"--to {last.revision}`; nothing was written"
            )
    elif last is not None and to_revision == last.revision and last.before is None and stored.optimization == last.after:
        target, undone = None, last  # named: undo the change that added the field, removing it
    else:
        recorded = [entry for entry in history if entry.revision == to_revision]
        if not recorded:
            known = ", ".join(entry.revision for entry in history[-10:]) or "none"
            raise NotFoundError(
                f"{where} has no revision {to_revision!r} in its history (recent: {known}); see `optctl history {stored.service} --env {env}`"
            )
        target, undone = recorded[-1].after, None
    plan = _single(env, stored, stored.optimization, target, "rollback", "already in that state, nothing written")
    notes = []
    if undone is not None and undone.action == "rollback":
        notes.append(f"this undoes an earlier rollback (revision {undone.revision}, by {undone.actor} at {undone.at})")
    if target is None and plan.changes:
        notes.append(f"this removes the whole optimization field (undoing revision {undone.revision if undone else to_revision})")
    if notes and plan.changes:
        plan.changes[0] = replace(plan.changes[0], warnings=tuple(notes) + plan.changes[0].warnings)
    return plan


def prepare_import(documents: Sequence[dict[str, Any]], labels: Sequence[str]) -> list[dict[str, Any]]:
    """Validated copies without ArangoDB's system fields (stale in any other collection)."""
    prepared = []
    for document, label in zip(documents, labels):
        validate_document(document, label)
        if REDACTED in secret_values(document):
            raise InvalidDocumentError(
                f"{label}: holds a redacted secret (an export made without --include-secrets); importing it would "
                "replace the real API key with the marker; export again with --include-secrets; nothing was written"
            )
        prepared.append(without_system_fields(document))
    return prepared


def _existing_optimization(documents: Mapping[str, StoredDocument], service: str, env: str, action: str) -> dict[str, Any]:
    if service not in documents:
        raise no_such_service(service, env)
    current = documents[service].optimization
    if current is not None and not isinstance(current, dict):
        raise InvalidDocumentError(
            f"{service} in {env}: the stored optimization is not an object; replace it with `optctl apply`; nothing was written"
        )
    if current is None:
        raise UsageError(
            f"{service} in {env} has no optimization field; add one (caching disabled) with "
            f"`optctl apply FILE --env {env} --service {service}` before `{action}`; nothing was written"
        )
    return current


def _cache_enabled(optimization: dict[str, Any]) -> bool | None:
    """The flag as the wrapper reads it (absent means off); ``None`` if ``cache`` is not an object."""
    settings = optimization.get("cache", {})
    return settings.get("enabled", False) if isinstance(settings, dict) else None


def _set_path(obj: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    """Set a nested value, making the sections on the way objects (the result is validated)."""
    for part in path[:-1]:
        if not isinstance(obj.get(part), dict):
            obj[part] = {}
        obj = obj[part]
    obj[path[-1]] = value


def _single(env: str, stored: StoredDocument, before: Optimization, after: Optimization, action: str, same: str) -> ChangePlan:
    if before == after:
        return ChangePlan(env, unchanged=[(stored.service, same)])
    return ChangePlan(env, [_checked(PlannedChange(stored.service, stored.revision, before, after, action), env, stored)])


def _checked(planned: PlannedChange, env: str, stored: StoredDocument) -> PlannedChange:
    if planned.after is None:
        return planned
    where = f"{planned.service} in {env}"
    warnings = validate_optimization(planned.after, where, stored.document)
    return replace(planned, warnings=tuple(warnings + _threshold_warnings(planned, where, stored)))


THRESHOLD = "min_tokens_to_cache"


def _threshold_warnings(planned: PlannedChange, where: str, stored: StoredDocument) -> list[str]:
    """A new ``min_tokens_to_cache`` while caching is off gets the warnings ``enable`` would show.

    The model-minimum check runs only on enabled caching (a disabled object caches nothing),
    so without this a threshold below the model's minimum would be accepted silently and
    surface only at ``enable``, possibly mid-rollout.
    """
    after = planned.after or {}
    settings = after.get("cache")
    old = (planned.before or {}).get("cache")
    if (
        not isinstance(settings, dict)
        or _cache_enabled(after)
        or THRESHOLD not in settings
        or (isinstance(old, dict) and old.get(THRESHOLD) == settings[THRESHOLD])
    ):
        return []
    enabled = {**after, "cache": {**settings, "enabled": True}}
    return [
        f"{line} (once caching is enabled)"
        for line in validate_optimization(enabled, where, stored.document)
        if f"cache.{THRESHOLD}" in line.split(":", 1)[0]
    ]


def _unique(services: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(services))


# --- typed field edits -----------------------------------------------------------------


def settable_fields() -> list[str]:
    return sorted(_field_schemas())


def parse_assignment(text: str) -> tuple[tuple[str, ...], Any]:
    """``cache.enabled=true`` -> (("cache", "enabled"), True), typed by the schema."""
    name, sep, raw = text.partition("=")
    name, raw = name.strip(), raw.strip()
    fields = _field_schemas()
    if not sep or name not in fields:
        raise UsageError(f"{text!r}: expected FIELD=VALUE with FIELD one of: {', '.join(sorted(fields))}")
    return tuple(name.split(".")), _typed(name, raw, fields[name])


def _typed(name: str, raw: str, schema: dict[str, Any]) -> Any:
    types = schema.get("type")
    types = types if isinstance(types, list) else [types]
    if "null" in types and raw == "null":
        return None
    if "boolean" in types:
        if raw.lower() in ("true", "false"):
            return raw.lower() == "true"
        raise UsageError(f"{name}={raw}: expected true or false")
    if "integer" in types:
        try:
            return int(raw)
        except ValueError:
            raise UsageError(f"{name}={raw}: expected a whole number") from None
    if "enum" in schema and raw not in schema["enum"]:
        raise UsageError(f"{name}={raw}: expected one of: {', '.join(schema['enum'])}")
    return raw


@cache
def _field_schemas() -> dict[str, dict[str, Any]]:
    from optctl.contract.schemas import load_schema

    found: dict[str, dict[str, Any]] = {}

    def walk(schema: dict[str, Any], prefix: str) -> None:
        for name, sub in schema.get("properties", {}).items():
            if sub.get("type") == "object":
                walk(sub, f"{prefix}{name}.")
            else:
                found[f"{prefix}{name}"] = sub

    walk(load_schema("optimization"), "")
    return found


# --- the contract ----------------------------------------------------------------------


def validate_optimization(optimization: Any, where: str, document: dict[str, Any] | None = None) -> list[str]:
    """Raise ``InvalidDocumentError`` unless both the schema and the pydantic model accept it.

    Returns the warnings (``place: problem (hint)``): a write goes ahead, but people should see them.

    With the ``document`` it belongs to, the checks that need its provider and model run too
    (caching for a provider the wrapper cannot cache for is an error); problems elsewhere in
    that document are not this write's business and never block it.
    """
    from optctl.contract.models import OptimizationConfig

    if document is None:
        warnings = _refuse_errors(optimization, "optimization", where, prefix="/optimization")
    else:
        warnings = _refuse_errors({**document, "optimization": optimization}, "ai-config", where, within="/optimization")
    _model_check(OptimizationConfig, optimization, where, "optimization")
    return warnings


def validate_document(document: Any, where: str) -> None:
    """The same for a whole ai-config document (the checker already keeps its secrets out)."""
    from optctl.contract.models import AIConfigDocument

    _refuse_errors(document, "ai-config", where)
    _model_check(AIConfigDocument, document, where)


def _refuse_errors(value: Any, kind: str, where: str, prefix: str = "", within: str = "") -> list[str]:
    """Raise on the first error (under ``within``); return the warnings there as lines."""
    from optctl.contract.check import check_document

    def line(finding: Any) -> str:
        return finding.text((prefix + finding.pointer).replace("/", ".").lstrip(".") or "document")

    known = _kinds().named(kind)
    assert known is not None, kind  # callers name one of the contract's own kinds
    findings = [f for f in check_document(value, known) if f.pointer.startswith(within)]
    errors = [f for f in findings if f.severity == "error"]
    if errors:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise InvalidDocumentError(f"{where}: {line(errors[0])}{more}; nothing was written")
    return [line(f) for f in findings]


@cache
def _kinds() -> Any:
    """The contract's kinds over the bundled rules table: what a write is checked against."""
    from optctl.contract.kinds import contract_kinds
    from optctl.providers.rules import load

    return contract_kinds(load())


def _model_check(model: Any, value: Any, where: str, prefix: str = "") -> None:
    from pydantic import ValidationError

    try:
        model.model_validate(value)
    except ValidationError as err:
        first = err.errors()[0]
        place = ".".join([prefix] * bool(prefix) + [str(part) for part in first["loc"]])
        raise InvalidDocumentError(f"{where}: {place or 'document'}: {first['msg']}; nothing was written") from None
