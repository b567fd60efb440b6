"""The rollout commands as library calls: read the record, ask the machine, act, record.

Every operation that touches a service store follows the journal: the intent is saved (with a
compare-and-swap on the record) before the first write, and the outcome after the last. A
process killed in between leaves the intent open; the next ``advance`` or ``abort`` finishes
it, and learns what already landed from the store itself (the document's revision and the
history entry carrying this rollout's id), so nothing is applied twice.
"""

from __future__ import annotations

import secrets
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Callable, Iterator

from optctl.services import changes
from optctl.services.changes import Optimization
from optctl.errors import ConflictError, NotFoundError, OptctlError, UsageError
from optctl.rollout import machine
from optctl.rollout.binding import Binding
from optctl.rollout.records.base import Event, Principal, RecordStore
from optctl.rollout.gates import Evaluators, GateContext
from optctl.rollout.plan import Plan, semantic_findings
from optctl.rollout.state import Applied, Rollout, RolloutState, iso
from optctl.settings.project import EnvironmentConfig, Project
from optctl.stores.base import Store, StoredDocument, utc_now


@dataclass
class Runtime:
    """Everything an operation touches, injected: stores, clock, who acts, gate edges, hooks."""

    records: RecordStore
    stores: Callable[[str], Store]  # environment name -> its open store
    clock: Callable[[], datetime]
    principal: Principal
    evaluators: Evaluators = field(default_factory=Evaluators)
    on_step: Callable[[str, Rollout], None] = lambda step, rollout: None  # progress; crash injection in tests
    bind: Callable[[list[str]], Binding | None] = lambda environments: None  # the stores a new rollout is bound to
    check_binding: Callable[[Rollout], None] = lambda rollout: None  # refuses a rollout bound to other stores

    @property
    def actor(self) -> str:
        return self.principal.display

    def load(self, rollout_id: str) -> Rollout:
        """The rollout, once it is known that this process resolved the stores it is bound to."""
        rollout = self.records.get(rollout_id)
        self.check_binding(rollout)
        return rollout

    def save(self, rollout: Rollout, kind: str, stage: int | None = None, detail: str | None = None) -> Rollout:
        event = Event(iso(self.clock()), self.actor, kind, None if stage is None else stage + 1, detail)
        return self.records.save(rollout, [event])


@dataclass(frozen=True)
class Result:
    """What every operation returns: the record as saved, what changed, what comes next."""

    rollout: Rollout
    did: list[str]  # what this call changed, for people
    next: machine.Action  # what the rollout waits for now

    @classmethod
    def of(cls, rollout: Rollout, did: list[str], now: datetime) -> Result:
        return cls(rollout, did, machine.next_action(rollout, now))


# --- start --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Resolved:
    """A plan checked against the live stores: each stage's services, and what was left out why."""

    services: list[list[str]]
    skipped: list[str]  # lines for people: ``services: all`` passing over a service without an optimization field


def resolve(rt: Runtime, plan: Plan) -> Resolved:
    """Each stage's services (``all`` expanded), refusing a plan that names what is not there."""
    resolved, skipped = [], []
    for number, stage in enumerate(plan.stages, 1):
        store = rt.stores(stage.environment)
        documents = store.read_many(None if stage.services == "all" else stage.services)
        where = f"plan {plan.name!r} stage {number} ({stage.environment})"
        names = sorted(documents) if stage.services == "all" else list(stage.services)
        if stage.services == "all":
            bare = [s for s in names if documents[s].optimization is None]
            if bare:
                skipped.append(
                    f"{where}: skipping {', '.join(bare)}: no optimization field (add one with `optctl apply` to include it)"
                )
            names = [s for s in names if s not in bare]
        for service in names:
            if service not in documents:
                raise NotFoundError(
                    f"{where}: no service {service!r} in {stage.environment}; fix the plan or import it; nothing was started"
                )
            if documents[service].optimization is None:
                raise UsageError(
                    f"{where}: {service} has no optimization field; add one (caching disabled) with `optctl apply` first; nothing was started"
                )
        if not names:
            raise UsageError(f"{where}: the environment has no services to roll out; nothing was started")
        resolved.append(names)
    return Resolved(resolved, skipped)


def start(rt: Runtime, plan: Plan, resolved: Resolved | None = None) -> Result:
    """Record the rollout (bound to the stores it resolved), apply stage 1."""
    resolved = resolved or resolve(rt, plan)
    now = rt.clock()
    rollout = machine.start(
        f"ro-{now:%Y%m%d-%H%M%S}-{secrets.token_hex(2)}",
        plan,
        resolved.services,
        rt.actor,
        now,
        rt.principal.key,
        rt.bind([stage.environment for stage in plan.stages]),
    )
    detail = f"plan {plan.name}, {len(resolved.services)} stage(s)" + "".join(f"; {line}" for line in resolved.skipped)
    rollout = rt.records.create(rollout, [Event(iso(now), rt.actor, "started", None, detail)])
    result = advance(rt, rollout.id)
    return replace(result, did=resolved.skipped + result.did)


# --- advance ------------------------------------------------------------------------------


def advance(rt: Runtime, rollout_id: str) -> Result:
    """Evaluate the current stage's gates; if they pass, apply the next stage (one apply at most)."""
    rollout = rt.load(rollout_id)
    rt.on_step("loaded", rollout)
    did: list[str] = []
    while True:
        action = machine.next_action(rollout, rt.clock())
        if action.kind == "apply":  # one stage per advance: its gates are judged on a later one
            rollout = _apply(rt, rollout, action.stage)
            did.append(f"applied stage {action.stage + 1} ({rollout.stages[action.stage].environment})")
            return Result.of(rollout, did, rt.clock())
        elif action.kind == "evaluate":
            rollout = _evaluate(rt, rollout, action)
            did.append(f"evaluated gates of stage {action.stage + 1}")
        elif action.kind == "promote":
            rollout = rt.save(machine.promote(rollout, action.stage, rt.clock()), "stage-passed", action.stage)
            did.append(f"stage {action.stage + 1} passed")
        elif action.kind == "complete":
            rollout = rt.save(machine.complete(rollout, rt.clock()), "completed")
        elif action.kind == "rollback":
            final = (rollout.step.final if rollout.step is not None else None) or "failed"
            rollout = _rollback(rt, rollout, final, rollout.reason or action.reason, force=False)
            did.append("rolled back after a failed gate")
        else:
            return Result(rollout, did, action)


def _apply(rt: Runtime, rollout: Rollout, index: int) -> Rollout:
    stage = rollout.stages[index]
    interrupted = rollout.step is not None
    if not interrupted:
        rollout = rt.save(
            machine.begin_apply(rollout, index, rt.actor, rt.clock()), "apply-intent", index, ", ".join(stage.services)
        )
    rt.on_step("apply:intent-saved", rollout)
    store = rt.stores(stage.environment)
    try:
        documents = store.read_many(stage.services)
        flips = changes.flip(documents, stage.services, True, stage.environment)
        already = [service for service, _ in flips.unchanged]
        ours = _written_by_us(store, documents, already, rollout.id, "enable") if interrupted else []
        reason = f"rollout {rollout.name} ({rollout.id}) stage {index + 1}"
        entries = store.write(flips.to_changes(reason, rollout.id), rt.actor) if flips.changes else []
    except ConflictError:
        raise  # another process is finishing this very step: its outcome, not ours, goes in the record
    except OptctlError as err:
        rt.save(machine.step_failed(rollout, str(err), rt.clock()), "apply-error", index, str(err))
        raise
    rt.on_step("apply:written", rollout)
    applied = [Applied(service=e.service, revision=e.revision, before=e.before, after=e.after) for e in entries] + ours
    unchanged = [s for s in already if s not in {a.service for a in ours}]
    detail = f"enabled {', '.join(a.service for a in applied) or 'nothing'}" + (
        f"; already enabled: {', '.join(unchanged)}" if unchanged else ""
    )
    rollout = rt.save(machine.finish_apply(rollout, index, applied, unchanged, rt.clock()), "applied", index, detail)
    rt.on_step("apply:done", rollout)
    return rollout


def _written_by_us(
    store: Store, documents: dict[str, StoredDocument], services: list[str], rollout_id: str, action: str
) -> list[Applied]:
    """Services whose current revision is this rollout's own write (found after an interruption)."""
    found = []
    for service in services:
        last = store.history(service, limit=1)
        if (
            last
            and last[-1].rollout == rollout_id
            and last[-1].action == action
            and last[-1].revision == documents[service].revision
        ):
            found.append(Applied(service=service, revision=last[-1].revision, before=last[-1].before, after=last[-1].after))
    return found


def _evaluate(rt: Runtime, rollout: Rollout, action: machine.StageAction) -> Rollout:
    stage = rollout.stages[action.stage]
    context = GateContext(
        rollout.id, action.stage + 1, stage.environment, tuple(stage.services), stage.applied_at, iso(rt.clock())
    )
    outcomes = {i: rt.evaluators.evaluate(stage.gates[i].gate, context) for i in action.gates}
    rt.on_step("gates:evaluated", rollout)
    detail = "; ".join(f"{stage.gates[i].kind} {result}: {why}" for i, (result, why) in outcomes.items())
    return rt.save(machine.record_gates(rollout, action.stage, outcomes, rt.clock()), "gates", action.stage, detail)


# --- rollback (abort, and a failed gate) --------------------------------------------------


def abort(rt: Runtime, rollout_id: str, reason: str, force: bool = False) -> Result:
    """Put back, newest first, everything this rollout enabled; hand-changed services only with force."""
    require_reason(reason)
    rollout = rt.load(rollout_id)
    rt.on_step("loaded", rollout)
    if rollout.state == "aborted" and rollout.step is None and not (force and machine.stages_to_roll_back(rollout)):
        return Result.of(rollout, ["nothing to do: already aborted"], rt.clock())
    return Result.of(_rollback(rt, rollout, "aborted", reason, force), ["aborted"], rt.clock())


def _rollback(rt: Runtime, rollout: Rollout, final: RolloutState, reason: str, force: bool) -> Rollout:
    if rollout.step is not None and rollout.step.op == "apply":
        assert rollout.step.stage is not None  # begin_apply names the stage it applies
        rollout = _settle_interrupted_apply(rt, rollout, rollout.step.stage)
    if rollout.step is None or rollout.step.final != final or force:
        rollout = rt.save(
            machine.begin_rollback(
                rollout, final, rt.actor, reason, force or bool(rollout.step and rollout.step.force), rt.clock()
            ),
            "rollback-intent",
            None,
            reason,
        )
    rt.on_step("rollback:intent-saved", rollout)
    force = rollout.step is not None and rollout.step.force  # the open intent's, as saved
    for index in machine.stages_to_roll_back(rollout):
        rollout = _roll_back_stage(rt, rollout, index, force)
    rollout = rt.save(machine.finish_rollback(rollout, rt.clock()), final, None, reason)
    rt.on_step("rollback:done", rollout)
    return rollout


def _settle_interrupted_apply(rt: Runtime, rollout: Rollout, index: int) -> Rollout:
    """Record what an interrupted apply of stage ``index`` already wrote, without writing anything more."""
    stage = rollout.stages[index]
    store = rt.stores(stage.environment)
    documents = store.read_many(stage.services)
    enabled = [s for s, doc in documents.items() if (doc.optimization or {}).get("cache", {}).get("enabled")]
    ours = _written_by_us(store, documents, enabled, rollout.id, "enable")
    settled = machine.settle_interrupted_apply(rollout, index, ours, rt.clock())
    return rt.save(settled, "applied", index, f"interrupted apply had enabled {', '.join(a.service for a in ours) or 'nothing'}")


def _roll_back_stage(rt: Runtime, rollout: Rollout, index: int, force: bool) -> Rollout:
    """``force``: also restore services changed by hand since this rollout wrote them."""
    stage = rollout.stages[index]
    store = rt.stores(stage.environment)
    try:
        documents = store.read_many([a.service for a in stage.applied])
        targets: dict[str, Optimization] = {}
        restored: list[str] = []
        left_alone: list[str] = []
        for applied in reversed(stage.applied):  # newest first
            current = documents.get(applied.service)
            if current is not None and current.optimization == applied.before:
                restored.append(applied.service)  # restored already (by us before an interruption, or by hand)
            elif current is not None and (current.revision == applied.revision or force):
                targets[applied.service] = applied.before
            else:
                left_alone.append(applied.service)
        plan = changes.apply({s: documents[s] for s in targets}, targets, stage.environment)
        writes = [replace(planned, action="rollback").to_change(rollout.reason, rollout.id) for planned in plan.changes]
        entries = store.write(writes, rt.actor) if writes else []
    except ConflictError:
        raise  # another process is writing these services right now: the intent stays as it is
    except OptctlError as err:
        rt.save(machine.step_failed(rollout, str(err), rt.clock()), "rollback-error", index, str(err))
        raise
    rt.on_step("rollback:written", rollout)
    restored += [e.service for e in entries]
    detail = f"restored {', '.join(restored) or 'nothing'}" + (
        f"; left alone (changed by hand since; --force restores them): {', '.join(left_alone)}" if left_alone else ""
    )
    return rt.save(machine.finish_rollback_stage(rollout, index, restored, left_alone, rt.clock()), "rolled-back", index, detail)


# --- people's commands --------------------------------------------------------------------


def approve(rt: Runtime, rollout_id: str) -> Result:
    rollout = rt.load(rollout_id)
    index = machine.stage_to_approve(rollout)
    approved = rt.save(machine.approve(rollout, rt.actor, rt.clock(), rt.principal.key), "approved", index)
    return Result.of(approved, [f"approved stage {index + 1}"], rt.clock())


def pause(rt: Runtime, rollout_id: str, reason: str) -> Result:
    require_reason(reason)
    paused = rt.save(machine.pause(rt.load(rollout_id), reason, rt.clock()), "paused", None, reason)
    return Result.of(paused, ["paused"], rt.clock())


def resume(rt: Runtime, rollout_id: str) -> Result:
    return Result.of(rt.save(machine.resume(rt.load(rollout_id), rt.clock()), "resumed"), ["resumed"], rt.clock())


def require_reason(reason: str) -> None:
    if not reason.strip():
        raise UsageError("--reason must say why (it goes into the history of every service touched); nothing was done")


# --- wiring for the CLI -------------------------------------------------------------------


def load_plan(path: str) -> tuple[Plan, list[str]]:
    """A plan file checked as ``optctl validate`` checks it; warnings come back as lines."""
    from optctl.documents.reader import SourceDocument, read_documents
    from optctl.errors import EXIT_USAGE, InvalidDocumentError
    from optctl.contract.checker import validate_paths
    from optctl.contract.kinds import KINDS

    result = validate_paths([path], kinds=KINDS.with_checks({"rollout-plan": semantic_findings}), kind="rollout-plan")
    found = [
        (f.severity, f"{r.path}:{f.line or 1}:{f.column or 1}: {f.severity}[{f.code}] {f.text()}")
        for r in result.reports
        for f in r.findings
    ]
    errors = [line for severity, line in found if severity == "error"]
    if errors:
        more = f" (and {len(errors) - 1} more: `optctl validate {path}`)" if len(errors) > 1 else ""
        failure = UsageError if result.exit_code == EXIT_USAGE else InvalidDocumentError
        raise failure(f"{errors[0]}{more}; nothing was started")
    documents = [d for d in read_documents(path) if isinstance(d, SourceDocument)]
    if len(documents) != 1:
        raise UsageError(f"{path}: holds {len(documents)} documents; a plan file holds exactly one")
    return Plan.model_validate(documents[0].data), [line for severity, line in found if severity == "warning"]


def gate_edges(project: Project, environ: dict[str, str] | None = None) -> Evaluators:
    """Check commands get optctl's environment without the credential variables the project names,
    and the values of those credentials are scrubbed from anything a gate reports."""
    import os

    environ = dict(os.environ) if environ is None else environ
    withheld = frozenset(name for env in project.environments.values() for name in (env.username_env, env.password_env) if name)
    return Evaluators(base_environ=environ, withheld=withheld, secrets=frozenset(environ[n] for n in withheld if environ.get(n)))


@contextmanager
def opened_runtime(
    project: Project,
    label: str | None,
    open_store: Callable[[EnvironmentConfig], Store],
    on_step: Callable[[str, Rollout], None] | None = None,
    clock: Callable[[], datetime] | None = None,
) -> Iterator[Runtime]:
    """The real edges: the project's environments and its rollout records (``[rollouts]``), the
    principal the record store vouches for (``label`` is OPTCTL_ACTOR), bound to the stores resolved."""
    from optctl.rollout import binding
    from optctl.rollout.records import open_records

    records = open_records(project)
    opened: dict[str, Store] = {}

    def store(env: str) -> Store:
        if env not in opened:
            opened[env] = open_store(project.env(env))
        return opened[env]

    try:
        yield Runtime(
            records,
            store,
            clock or utc_now,
            records.principal(label),
            evaluators=gate_edges(project),
            on_step=on_step or (lambda step, rollout: None),
            bind=lambda environments: binding.bind(project, environments),
            check_binding=lambda rollout: binding.check(rollout.id, rollout.bound, project),
        )
    finally:
        records.close()
        for each in opened.values():
            each.close()
