"""``optctl rollout plan | start | advance | status | approve | pause | resume | list | abort``.

Parsing only: each command calls ``optctl.commands.rollout`` and renders what it returns with
``optctl.render.rollout``. Writes show what they will change and then ask (a terminal), need
--yes (a script), or stop there (--dry-run).

Exit codes: 0 ok; 1 a rollout failed, was aborted, is held by a failed gate, an abort left
services alone, or a conflict; 2 usage or environment errors. ``advance --wait`` and
``status --watch``: 0 completed, 1 failed or aborted, 4 waiting for a person (approval or
pause), 5 timed out (``--timeout``).
"""

import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Optional

import typer

from optctl.cli.completion import complete_rollout
from optctl.cli.options import ConfigOpt, DryRunOpt, OptctlTyper, Output, OutputOpt, YesOpt

app = OptctlTyper(
    name="rollout",
    help="Staged rollouts: dev, staging, then production one service at a time, with gates.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

IdArg = typer.Argument(
    None, help="Rollout id (default: the one active rollout).", show_default=False, autocompletion=complete_rollout
)
TimeoutOpt = typer.Option(None, "--timeout", metavar="DURATION", help="Give up after this long (30s, 10m, 2h): exit 5.")
AllOpt = typer.Option(False, "--all", help="Every active rollout.")

_STEPS = {
    "loaded": "reading the rollout",
    "apply:intent-saved": "writing the stage to its store",
    "apply:written": "recording the stage as applied",
    "apply:done": "stage applied",
    "gates:evaluated": "recording gate results",
    "rollback:intent-saved": "restoring services, newest first",
    "rollback:written": "recording restored services",
    "rollback:done": "rolled back",
    "waiting": "waiting (a soak, or a gate's retry)",
}


def _edges(output: Output, dry_run: bool) -> Any:
    """The terminal's edges: the preview printed (text output) before the question, and the question."""
    from optctl.cli.terminal import ask
    from optctl.commands.edges import Edges, show_nothing
    from optctl.render import rollout as render
    from optctl.render.console import stdout

    def preview(planned: Any) -> None:
        if not planned.empty:
            render.preview_text(planned, dry_run, stdout())

    return Edges(confirm=ask, preview=preview if output is Output.text else show_nothing)


def _options(config: Any, dry_run: bool, yes: bool, reason: Optional[str] = None) -> Any:
    from optctl.commands.change import WriteOptions

    return WriteOptions(None, config, reason, dry_run, yes)


@contextmanager
def _spinner(output: Output, console: Any = None) -> Iterator[Any]:
    """An ``on_step`` that shows progress on a terminal (never in JSON output or pipes)."""
    from optctl.render.console import stderr

    console = console or stderr()
    if output is Output.json or not console.is_terminal:
        yield None
        return
    with console.status("working") as spinner:
        yield lambda step, rollout: spinner.update(f"{rollout.id}: {_STEPS.get(step, step)}")


def _show(outcome: Any, output: Output) -> None:
    from optctl.render import rollout as render
    from optctl.render.console import stderr, stdout

    if output is Output.json:
        render.outcome_json(outcome, stdout())
    else:
        render.outcome_text(outcome, stdout(), stderr())


def _seconds(timeout: Optional[str]) -> Optional[float]:
    from optctl.errors import UsageError
    from optctl.rollout.plan import duration_seconds

    if timeout is None:
        return None
    try:
        return float(duration_seconds(timeout))
    except ValueError as err:
        raise UsageError(f"--timeout {timeout!r}: {err}") from None


@app.command("plan")
def plan(
    services: str = typer.Option(..., "--services", help="Comma-separated service names, in production order."),
    soak: str = typer.Option("24h", "--soak", help="Soak after every stage: 0, 30m, 24h, 2d."),
    check: Optional[str] = typer.Option(None, "--check", help="A check gate command for every stage (exit 0 passes)."),
    approval: bool = typer.Option(True, "--approval/--no-approval", help="Approval gates on staging and production."),
    name: str = typer.Option("enable-prompt-caching", "--name", help="Plan name."),
    out: Optional[Path] = typer.Option(None, "--out", help="Write the plan here (.json or .yaml); default: stdout."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing --out file."),
    savings_gate: Optional[str] = typer.Option(
        None,
        "--savings-gate",
        help="A savings gate for every stage, e.g. 'min_calls=200,min_cache_read_ratio=0.3,max_cost_change=-0.1' (window=24h by default; usage_log=FILE to read a log).",
    ),
) -> None:
    """Write the migration guide's plan: dev (all), staging (all), production one service at a time."""
    from optctl.commands import rollout as commands

    written = commands.write_plan(services, soak, check, approval, name, out, force, savings_gate)
    if written.path is None:
        sys.stdout.write(written.text)
        return
    typer.echo(
        f"wrote {written.path}; check it with `optctl validate {written.path}`, "
        f"start it with `optctl rollout start {written.path}`",
        err=True,
    )


@app.command("start")
def start(
    plan_file: str = typer.Argument(..., metavar="PLAN", help="Plan file (YAML or JSON)."),
    dry_run: DryRunOpt = False,
    yes: YesOpt = False,
    output: OutputOpt = Output.text,
    config: ConfigOpt = None,
) -> None:
    """Check the plan against the live stores, record the rollout, apply stage 1."""
    from optctl.commands import rollout as commands

    with _spinner(output) as on_step:
        outcome = commands.start(plan_file, _options(config, dry_run, yes), _edges(output, dry_run), on_step)
    _show(outcome, output)
    raise typer.Exit(outcome.exit_code)


@app.command("advance")
def advance(
    rollout_id: Optional[str] = typer.Argument(
        None, help="Rollout id (default: every active rollout).", show_default=False, autocompletion=complete_rollout
    ),
    wait: bool = typer.Option(
        False, "--wait", help="Keep advancing (sleeping through soaks) until done, a person is needed, or --timeout."
    ),
    timeout: Optional[str] = TimeoutOpt,
    dry_run: DryRunOpt = False,
    yes: YesOpt = False,
    output: OutputOpt = Output.text,
    config: ConfigOpt = None,
) -> None:
    """Evaluate the current stage's gates; if they pass, apply the next stage. Safe from cron (with --yes)."""
    import time
    from dataclasses import replace

    from optctl.commands import rollout as commands
    from optctl.render.console import stderr
    from optctl.render.progress import Bars

    waiting = commands.Waiting(_seconds(timeout), time.sleep) if wait else None
    console = stderr()  # the soak's bar stacks under the spinner, on its console
    edges = replace(_edges(output, dry_run), progress=Bars(quiet=output is Output.json, console=console))
    with _spinner(output, console) as on_step:
        outcome = commands.advance(rollout_id, _options(config, dry_run, yes), edges, wait=waiting, on_step=on_step)
    _show(outcome, output)
    raise typer.Exit(outcome.wait_exit_code() if wait else outcome.exit_code)


@app.command("status")
def status(
    rollout_id: Optional[str] = typer.Argument(
        None,
        help="Rollout id (default: every active rollout, else the newest).",
        show_default=False,
        autocompletion=complete_rollout,
    ),
    watch: bool = typer.Option(
        False, "--watch", "-w", help="Keep showing the status until the rollout ends, needs a person, or --timeout."
    ),
    interval: float = typer.Option(5.0, "--interval", help="Seconds between refreshes with --watch."),
    timeout: Optional[str] = TimeoutOpt,
    output: OutputOpt = Output.text,
    config: ConfigOpt = None,
) -> None:
    """Stages, their state, each gate's last result, time left on soaks, who did what."""
    from optctl.commands import rollout as commands

    if not watch:
        outcome = commands.status(rollout_id, config)
        _show(outcome, output)
        raise typer.Exit(outcome.exit_code)
    import time

    outcome = _watch(config, rollout_id, output, commands.Waiting(_seconds(timeout), time.sleep, interval))
    raise typer.Exit(outcome.wait_exit_code())


def _watch(config: Any, rollout_id: Optional[str], output: Output, waiting: Any) -> Any:
    """Refresh in place on a terminal; elsewhere (pipes, JSON) print each change once."""
    from contextlib import nullcontext

    from rich.live import Live

    from optctl.commands import rollout as commands
    from optctl.render import rollout as render
    from optctl.render.console import stdout

    console = stdout()
    in_place = output is Output.text and console.is_terminal
    printed: list[Any] = [None]
    with Live(console=console, auto_refresh=False) if in_place else nullcontext() as screen:

        def show(outcome: Any) -> None:
            if screen is not None:
                screen.update(render.outcome_view(outcome), refresh=True)
                return
            if outcome.fingerprint != printed[0]:
                printed[0] = outcome.fingerprint
                _show(outcome, output)

        return commands.watch(rollout_id, waiting, show, config)


@app.command("approve")
def approve(
    rollout_id: Optional[str] = IdArg,
    dry_run: DryRunOpt = False,
    yes: YesOpt = False,
    output: OutputOpt = Output.text,
    config: ConfigOpt = None,
) -> None:
    """Approve the current stage, as a principal other than the starter (see the README's security notes)."""
    from optctl.commands import rollout as commands

    outcome = commands.approve(rollout_id, _options(config, dry_run, yes), _edges(output, dry_run))
    _show(outcome, output)
    raise typer.Exit(outcome.exit_code)


@app.command("pause")
def pause(
    rollout_id: Optional[str] = IdArg,
    reason: str = typer.Option(..., "--reason", "-r", help="Why: recorded in the rollout's history."),
    every: bool = AllOpt,
    dry_run: DryRunOpt = False,
    yes: YesOpt = False,
    output: OutputOpt = Output.text,
    config: ConfigOpt = None,
) -> None:
    """Stop advancing (gates are not evaluated, nothing is applied) until resume. No active rollout: says so, exit 0."""
    from optctl.commands import rollout as commands

    outcome = commands.pause(rollout_id, _options(config, dry_run, yes, reason), _edges(output, dry_run), every)
    _show(outcome, output)
    raise typer.Exit(outcome.exit_code)


@app.command("resume")
def resume(
    rollout_id: Optional[str] = IdArg,
    dry_run: DryRunOpt = False,
    yes: YesOpt = False,
    output: OutputOpt = Output.text,
    config: ConfigOpt = None,
) -> None:
    """Go on after a pause; gates that failed are evaluated afresh."""
    from optctl.commands import rollout as commands

    outcome = commands.resume(rollout_id, _options(config, dry_run, yes), _edges(output, dry_run))
    _show(outcome, output)
    raise typer.Exit(outcome.exit_code)


@app.command("list")
def list_(output: OutputOpt = Output.text, config: ConfigOpt = None) -> None:
    """Every rollout, oldest first."""
    from optctl.commands import rollout as commands
    from optctl.render import rollout as render

    from optctl.render.console import stdout

    (render.list_json if output is Output.json else render.list_text)(commands.list_rollouts(config), stdout())


@app.command("abort")
def abort(
    rollout_id: Optional[str] = IdArg,
    reason: str = typer.Option(..., "--reason", "-r", help="Why: recorded in the history of every service restored."),
    force: bool = typer.Option(False, "--force", help="Also restore services changed by hand since the rollout enabled them."),
    every: bool = AllOpt,
    dry_run: DryRunOpt = False,
    yes: YesOpt = False,
    output: OutputOpt = Output.text,
    config: ConfigOpt = None,
) -> None:
    """Disable, newest first, everything this rollout enabled, restoring each optimization object exactly."""
    from optctl.commands import rollout as commands

    with _spinner(output) as on_step:
        outcome = commands.abort(
            rollout_id, _options(config, dry_run, yes, reason), _edges(output, dry_run), force=force, every=every, on_step=on_step
        )
    _show(outcome, output)
    raise typer.Exit(outcome.abort_exit_code)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="rollout")
