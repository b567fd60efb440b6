"""The rollout record: everything ``status`` shows and ``advance`` decides from, as plain data.

It is stored whole (as JSON) in the control store and versioned there, so a compare-and-swap on
``version`` is what makes two operators' advances end with one. ``step`` is the journal: the
intent of an operation that touches service stores is saved before it acts and cleared (with
its outcome) after, so a record with a ``step`` is exactly a rollout interrupted mid-operation.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Literal

from pydantic import BaseModel, Field

from optctl.rollout.binding import Binding

RolloutState = Literal["running", "paused", "completed", "failed", "aborted"]
StageState = Literal["pending", "applying", "soaking", "awaiting_approval", "passed", "failed", "rolled_back"]
GateResult = Literal["pass", "fail", "inconclusive"]
ACTIVE: tuple[RolloutState, ...] = ("running", "paused")
APPLIED_STATES: tuple[StageState, ...] = ("soaking", "awaiting_approval", "passed", "failed")


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class GateStatus(BaseModel):
    gate: dict[str, Any]  # the plan's gate, as written
    result: GateResult | None = None
    attempts: int = 0  # evaluations so far; inconclusive ones count against the gate's retries
    at: str | None = None
    detail: str | None = None

    @property
    def kind(self) -> str:
        return self.gate["kind"]


class Applied(BaseModel):
    """One service this rollout changed: enough to put it back exactly and to notice hand edits."""

    service: str
    revision: str  # the store revision our write produced
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class StageRecord(BaseModel):
    environment: str
    services: list[str]
    state: StageState = "pending"
    on_failure: Literal["rollback", "pause"] = "rollback"
    gates: list[GateStatus] = Field(default_factory=list)
    applied_at: str | None = None
    applied: list[Applied] = Field(default_factory=list)
    unchanged: list[str] = Field(default_factory=list)  # already enabled before the rollout: not ours to undo
    left_alone: list[str] = Field(default_factory=list)  # changed by hand since; abort did not touch them
    approved_by: str | None = None


class Step(BaseModel):
    """The journal's open intent: an operation on service stores that has not finished."""

    op: Literal["apply", "rollback"]
    stage: int | None = None  # apply: the stage; rollback: every stage with applied services
    at: str
    actor: str
    final: RolloutState | None = None  # rollback: the state the rollout ends in (failed, aborted)
    force: bool = False  # rollback: also restore services changed by hand since
    error: str | None = None  # the last attempt's error, if it failed cleanly


class Rollout(BaseModel):
    id: str
    name: str
    state: RolloutState = "running"
    started_by: str  # for people: the label and the authenticated name
    started_by_key: str | None = None  # the principal approvals are compared with (records.base.Principal.key)
    started_at: str
    updated_at: str
    version: int = 0
    reason: str | None = None  # why it is paused, failed or aborted
    stages: list[StageRecord]
    step: Step | None = None
    bound: Binding | None = None  # the stores it was started on; later commands must resolve the same

    def claims(self) -> set[tuple[str, str]]:
        """(environment, service) pairs this rollout changes; no two active rollouts share one."""
        return {(stage.environment, service) for stage in self.stages for service in stage.services}

    def current_stage(self) -> int | None:
        """The first stage that has not passed (None once all have)."""
        return next((i for i, stage in enumerate(self.stages) if stage.state != "passed"), None)

    def copy_deep(self) -> Rollout:
        return self.model_copy(deep=True)
