"""``optctl rollout plan | start | advance | status | approve | pause | resume | list | abort``.

Typer only: each command parses, calls ``optctl.rollout.operations``, renders. Exit codes:
0 ok; 1 the rollout failed, was aborted or is stopped by a failed gate (``status``,
``advance``), an abort left services alone, or a conflict; 2 usage or environment errors.
"""

import sys
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any, Iterator, Optional

import typer

from optctl.cli.options import ConfigOpt, Output, OutputOpt

app = typer.Typer(name="rollout", help="Staged rollouts: dev, staging, then production one service at a time, with gates.",
                  no_args_is_help=True, rich_markup_mode=None)

IdArg = typer.Argument(None, help="Rollout id (default: the one active rollout).", show_default=False)

_STEPS = {
    "loaded": "reading the rollout",
    "apply:intent-saved": "writing the stage to its store",
    "apply:written": "recording the stage as applied",
    "apply:done": "stage applied",
    "gates:evaluated": "recording gate results",
    "rollback:intent-saved": "restoring services, newest first",
    "rollback:written": "recording restored services",
    "rollback:done": "rolled back",
}


@contextmanager
def _runtime(config: Any) -> Iterator[Any]:
    from optctl.settings.project import actor
    from optctl.rollout.operations import opened_runtime

    with opened_runtime(config, actor()) as rt:
        yield rt


@contextmanager
def _progress(rt: Any, output: Output) -> Iterator[Any]:
    """The runtime, reporting its steps as a spinner on a TTY (never in JSON output or pipes);
    the spinner is gone before anything is printed."""
    from dataclasses import replace

    from optctl.render.console import stderr

    console = stderr()
    if output is Output.json or not console.is_terminal:
        yield rt
        return
    with console.status("working") as spinner:
        yield replace(rt, on_step=lambda step, rollout: spinner.update(f"{rollout.id}: {_STEPS.get(step, step)}"))


def _status(rt: Any, rollout_id: str, did: tuple[str, ...] = ()) -> tuple[Any, tuple]:
    """The rollout as seen now, and the arguments of the status renderers."""
    from optctl.rollout.machine import next_action, observe

    now = rt.clock()
    seen = observe(rt.control.get(rollout_id), now)
    return seen, (seen, rt.control.events(rollout_id, limit=8), next_action(seen, now), now, did)


def _show(rt: Any, rollout_id: str, output: Output, did: tuple[str, ...] = ()) -> Any:
    from optctl.render import rollout as render

    seen, args = _status(rt, rollout_id, did)
    (render.status_json if output is Output.json else render.status_text)(*args)
    return seen


def _exit_for(rollout: Any) -> None:
    """1 unless the rollout is healthy: failed, aborted, or stopped by a failed gate, so CI can gate on it."""
    if rollout.state in ("failed", "aborted") or any(stage.state == "failed" for stage in rollout.stages):
        raise typer.Exit(1)


@app.command("plan")
def plan(
    services: str = typer.Option(..., "--services", help="Comma-separated service names, in production order."),
    soak: str = typer.Option("24h", "--soak", help="Soak after every stage: 0, 30m, 24h, 2d."),
    check: Optional[str] = typer.Option(None, "--check", help="A check gate command for every stage (exit 0 passes)."),
    approval: bool = typer.Option(True, "--approval/--no-approval", help="Approval gates on staging and production."),
    name: str = typer.Option("enable-prompt-caching", "--name", help="Plan name."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Write the plan here (.json or .yaml); default: stdout."),
    savings_gate: Optional[str] = typer.Option(None, "--savings-gate", help="A savings gate for every stage, e.g. 'min_calls=200,min_cache_read_ratio=0.3,max_cost_change=-0.1' (window=24h by default; usage_log=FILE to read a log)."),
) -> None:
    """Write the migration guide's plan: dev (all), staging (all), production one service at a time."""
    from optctl.errors import UsageError
    from optctl.rollout.plan import default_plan, plan_document

    from optctl.savings.gate import parse_gate_spec

    names = [s.strip() for s in services.split(",") if s.strip()]
    gate = parse_gate_spec(savings_gate) if savings_gate else None
    text = plan_document(default_plan(names, soak, check, approval, name, gate), json_format=bool(out and out.suffix == ".json"))
    if out is None:
        sys.stdout.write(text)
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as err:
        raise UsageError(f"{out}: cannot write the plan ({err.strerror or err}); nothing was written") from None
    typer.echo(f"wrote {out}; check it with `optctl validate {out}`, start it with `optctl rollout start {out}`", err=True)


@app.command("start")
def start(
    plan_file: str = typer.Argument(..., metavar="PLAN", help="Plan file (YAML or JSON)."),
    output: OutputOpt = Output.text, config: ConfigOpt = None,
) -> None:
    """Check the plan against the live stores, record the rollout, apply stage 1."""
    from optctl.rollout import operations

    plan, warnings = operations.load_plan(plan_file)
    for line in warnings:
        typer.echo(line, err=True)
    with _runtime(config) as rt:
        with _progress(rt, output) as working:
            result = operations.start(working, plan)
        _show(rt, result.rollout.id, output, tuple(result.did))


@app.command("advance")
def advance(
    rollout_id: Optional[str] = IdArg,
    wait: bool = typer.Option(False, "--wait", help="Keep advancing (sleeping through soaks) until done or a person is needed."),
    output: OutputOpt = Output.text, config: ConfigOpt = None,
) -> None:
    """Evaluate the current stage's gates; if they pass, apply the next stage. Safe from cron."""
    import time

    from optctl.rollout import operations

    def act(rt: Any, rid: str) -> Any:
        return operations.advance_until_blocked(rt, rid, time.sleep) if wait else operations.advance(rt, rid)

    _exit_for(_act(config, output, rollout_id, act, progress=True))


@app.command("status")
def status(
    rollout_id: Optional[str] = IdArg,
    watch: bool = typer.Option(False, "--watch", "-w", help="Keep showing the status until the rollout ends."),
    interval: float = typer.Option(5.0, "--interval", help="Seconds between refreshes with --watch."),
    output: OutputOpt = Output.text, config: ConfigOpt = None,
) -> None:
    """Stages, their state, each gate's last result, time left on soaks, who did what."""
    from optctl.rollout import operations

    with _runtime(config) as rt:
        rollout_id = operations.resolve_id(rt.control, rollout_id, latest=True)
        if watch:
            _exit_for(_watch(rt, rollout_id, output, interval))
        _exit_for(_show(rt, rollout_id, output))


def _watch(rt: Any, rollout_id: str, output: Output, interval: float) -> Any:
    """Refresh in place on a terminal; elsewhere (pipes, JSON) print each change once."""
    import time

    from rich.live import Live

    from optctl.render import rollout as render
    from optctl.render.console import stdout

    console = stdout()
    in_place = output is Output.text and console.is_terminal
    printed = None
    with Live(console=console, auto_refresh=False) if in_place else nullcontext() as screen:
        while True:
            seen, args = _status(rt, rollout_id)
            if screen is not None:
                screen.update(render.status_view(*args), refresh=True)
            elif (seen.version, [stage.state for stage in seen.stages]) != printed:
                printed = (seen.version, [stage.state for stage in seen.stages])
                (render.status_json if output is Output.json else render.status_text)(*args)
            if seen.state not in ("running", "paused"):
                return seen
            time.sleep(interval)


def _act(config: Any, output: Output, rollout_id: str | None, act: Any, progress: bool = False) -> Any:
    """Resolve the rollout, ``act(runtime, id)`` on it (with a spinner if asked), show the result;
    return the rollout as shown."""
    from optctl.rollout import operations

    with _runtime(config) as rt:
        rollout_id = operations.resolve_id(rt.control, rollout_id)
        with _progress(rt, output) if progress else nullcontext(rt) as working:
            result = act(working, rollout_id)
        return _show(rt, rollout_id, output, tuple(result.did))


@app.command("approve")
def approve(rollout_id: Optional[str] = IdArg, output: OutputOpt = Output.text, config: ConfigOpt = None) -> None:
    """Approve the current stage (as someone other than the starter: set OPTCTL_ACTOR)."""
    from optctl.rollout import operations

    _act(config, output, rollout_id, operations.approve)


@app.command("pause")
def pause(
    rollout_id: Optional[str] = IdArg,
    reason: str = typer.Option(..., "--reason", "-r", help="Why: recorded in the rollout's history."),
    output: OutputOpt = Output.text, config: ConfigOpt = None,
) -> None:
    """Stop advancing (gates are not evaluated, nothing is applied) until resume."""
    from optctl.rollout import operations

    _act(config, output, rollout_id, lambda rt, rid: operations.pause(rt, rid, reason))


@app.command("resume")
def resume(rollout_id: Optional[str] = IdArg, output: OutputOpt = Output.text, config: ConfigOpt = None) -> None:
    """Go on after a pause; gates that failed are evaluated afresh."""
    from optctl.rollout import operations

    _act(config, output, rollout_id, operations.resume)


@app.command("list")
def list_(output: OutputOpt = Output.text, config: ConfigOpt = None) -> None:
    """Every rollout, oldest first."""
    from optctl.settings.project import load_project
    from optctl.render import rollout as render
    from optctl.rollout.record_store import ControlStore

    control = ControlStore.for_project(load_project(config))
    try:
        rollouts = control.list()
    finally:
        control.close()
    (render.list_json if output is Output.json else render.list_text)(rollouts)


@app.command("abort")
def abort(
    rollout_id: Optional[str] = IdArg,
    reason: str = typer.Option(..., "--reason", "-r", help="Why: recorded in the history of every service restored."),
    force: bool = typer.Option(False, "--force", help="Also restore services changed by hand since the rollout enabled them."),
    output: OutputOpt = Output.text, config: ConfigOpt = None,
) -> None:
    """Disable, newest first, everything this rollout enabled, restoring each optimization object exactly."""
    from optctl.rollout import operations

    seen = _act(config, output, rollout_id, lambda rt, rid: operations.abort(rt, rid, reason, force), progress=True)
    if any(stage.left_alone for stage in seen.stages):
        raise typer.Exit(1)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="rollout")
