"""``optctl dry-run``: ``dry_run(request, edges)``, and its edges: where the config comes from,
and streaming fixtures through analysis.

The optimization config is a file (an ``optimization`` object or a whole ai-config document),
a service's document in an environment's store, or the defaults; a document also supplies
the model and provider for fixtures that name none. Fixtures are read one at a time and
analysed in batches, so memory stays flat however many there are.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from optctl.caching.analysis import FixtureReport, analyse
from optctl.caching.inputs import Fixture, input_files, load_fixtures, total_bytes
from optctl.caching.placement import CacheSettings
from optctl.caching.request import Request, normalise
from optctl.providers.rules import Rules
from optctl.caching.tokens.counters import Counter
from optctl.commands.edges import Edges, Progress, no_progress
from optctl.contract.findings import error
from optctl.errors import UsageError
from optctl.settings.context import RunContext

MONEY = ("per_call_uncached", "first_call", "hit", "saving_over_calls")

BATCH_CHARS = 4_000_000
BATCH_FIXTURES = 256


@dataclass(frozen=True)
class Settings:
    cache: CacheSettings
    provider: str | None
    model: str | None
    source: str  # where the config came from, for the report


def default_settings() -> Settings:
    return Settings(CacheSettings.from_schema_defaults(), None, None, "the default optimization config")


def settings_from_document(data: Any, source: str) -> Settings:
    """From an optimization object or an ai-config document holding one."""
    if not isinstance(data, dict):
        raise UsageError(f"{source}: expected an optimization object or an ai-config document")
    document = data if "optimization" in data or "configuration" in data else None
    optimization = document.get("optimization") if document is not None else data
    if optimization is None:
        raise UsageError(f"{source}: the document has no optimization field; add one or drop the option to use the defaults")
    from optctl.contract.models import OptimizationConfig

    try:
        config = OptimizationConfig.from_dict(optimization)
    except ValueError as err:
        first = str(err).splitlines()
        raise UsageError(
            f"{source}: invalid optimization config ({first[1] if len(first) > 1 else err}); run `optctl validate {source}`"
        ) from None
    model = ((document or {}).get("configuration") or {}).get("model")
    provider = config.provider or (document or {}).get("provider")
    return Settings(CacheSettings.of(config.cache), provider, model if isinstance(model, str) else None, source)


def settings_from_file(path: Path) -> Settings:
    from optctl.documents.reader import ParseProblem, read_documents

    documents = list(read_documents(str(path)))
    if len(documents) != 1:
        raise UsageError(
            f"{path}: holds {len(documents)} documents; give a file with one optimization object or ai-config document"
        )
    if isinstance(documents[0], ParseProblem):
        raise UsageError(str(documents[0]))
    return settings_from_document(documents[0].data, str(path))


def settings_from_store(project_file: Path | None, env: str | None, service: str, edges: Edges = Edges()) -> Settings:
    environment = edges.load_project(project_file).env(env)
    with edges.opened(environment) as store:
        stored = store.read(service)
    return settings_from_document(stored.document, f"service {service!r} in {environment.name}")


def choose_settings(
    optimization: Path | None,
    project_file: Path | None,
    env: str | None,
    service: str | None,
    as_configured: bool = False,
    edges: Edges = Edges(),
) -> Settings:
    """``--optimization FILE``, else ``--env/--service`` from the store, else the defaults.

    A dry-run is for before caching is enabled, so a config with ``cache.enabled: false`` is
    shown as it would behave once enabled, unless ``as_configured`` asks for the flag as is.
    """
    if optimization is not None and service is not None:
        raise UsageError("give either --optimization FILE or --env/--service, not both")
    if optimization is not None:
        settings = settings_from_file(optimization)
    elif service is not None:
        settings = settings_from_store(project_file, env, service, edges)
    else:
        settings = default_settings()
    if as_configured or settings.cache.enabled:
        return settings
    return replace(
        settings,
        cache=replace(settings.cache, enabled=True),
        source=f"{settings.source}, with cache.enabled set to true (what enabling it would do)",
    )


def run_context(project_file: Path | None, env: str | None, service: str | None, edges: Edges = Edges()) -> RunContext:
    """The project (file or embedded default), and the store when the config came from one (``--service``)."""
    project = edges.load_project(project_file)
    return RunContext.of(project, [project.env(env)] if service is not None else [])


def strategies(first: str, compare: bool) -> list[str]:
    from optctl.caching.placement import STRATEGIES

    return [first, *(s for s in STRATEGIES if s != first)] if compare else [first]


def make_counter(name: str) -> Counter:
    """The counter named by --tokenizer."""
    from optctl.caching.tokens import counters as tokens

    if name == "chars4":
        return tokens.CharsPerFour()
    offline = tokens.Offline()
    if name == "anthropic":
        from optctl.caching.tokens.count_api import AnthropicCountTokens

        return AnthropicCountTokens(offline=offline)
    return offline


def run(
    paths: Sequence[str],
    *,
    settings: Settings,
    rules: Rules,
    counter: Counter,
    strategies: Sequence[str],
    calls: int,
    model: str | None = None,
    emit: bool = False,
    glob: str | None = None,
    client: str | None = None,
    final_repeats: bool = False,
    progress: Progress = no_progress,
) -> Iterator[FixtureReport]:
    """Reports for every fixture under ``paths``, streamed batch by batch, in input order.

    ``client`` None takes each fixture's default (a message list: langchain; a body: sdk);
    ``final_repeats`` says of every fixture that its final message repeats word for word.
    ``progress`` hears of each batch analysed: its bytes of the input, and its fixtures.
    """
    markers = rules.markers(settings.provider or "anthropic")
    files = input_files(paths, glob)
    with progress("dry-run", total_bytes(files), "bytes", items="fixtures") as advance:
        for batch in _batches(load_fixtures(files)):
            problem = batch[0].problem
            if problem is not None:
                yield from _unreadable(batch[0].label, problem, strategies, counter.name)
            else:
                requests: list[tuple[str, Request]] = []
                for fixture in batch:
                    request = normalise(fixture.data, markers, model or _fixture_model(fixture) or settings.model, client)
                    request.final_repeats = request.final_repeats or final_repeats
                    requests.append((fixture.label, request))
                yield from analyse(
                    requests,
                    cache=settings.cache,
                    provider=settings.provider,
                    rules=rules,
                    counter=counter,
                    strategies=strategies,
                    calls=calls,
                    emit=emit,
                )
            advance(sum(fixture.share for fixture in batch), items=len(batch))


def _batches(fixtures: Iterable[Fixture]) -> Iterator[list[Fixture]]:
    """Fixtures in input order, cut into what the tokenizer takes at once (``BATCH_CHARS`` or
    ``BATCH_FIXTURES``); one that could not be read is a batch of its own."""
    batch: list[Fixture] = []
    size = 0
    for fixture in fixtures:
        if fixture.problem is not None:
            if batch:
                yield batch
            yield [fixture]
            batch, size = [], 0
            continue
        batch.append(fixture)
        size += fixture.size
        if size >= BATCH_CHARS or len(batch) >= BATCH_FIXTURES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _fixture_model(fixture: Fixture) -> str | None:
    data = fixture.data
    return data.get("model") if isinstance(data, dict) and isinstance(data.get("model"), str) else None


def _unreadable(label: str, problem: str, strategies: Sequence[str], tokenizer: str) -> Iterator[FixtureReport]:
    for strategy in strategies:
        yield FixtureReport(label, None, strategy, tokenizer, findings=[error("unreadable", "", problem)])


def totals(reports: Sequence[FixtureReport]) -> dict[str, Any]:
    """Counts, tokens and money over reports of one strategy; unpriced fixtures add no money."""
    total: dict[str, Any] = {
        "fixtures": len(reports),
        "with_errors": sum(not r.ok for r in reports),
        "total_tokens": sum(r.total_tokens for r in reports),
        "cached_tokens": sum(r.cached_tokens for r in reports),
        "read_tokens": sum(r.read_tokens for r in reports),
    }
    priced = [r.cost.to_json() for r in reports if r.cost]
    for key in MONEY:
        total[key] = round(sum(c[key] for c in priced), 6)
    return total


def difference(first: dict[str, Any], other: dict[str, Any]) -> dict[str, Any]:
    """``other`` minus ``first`` for tokens and money (totals of two strategies)."""
    return {
        k: round(other[k] - first[k], 6) if isinstance(other[k], float) else other[k] - first[k]
        for k in ("cached_tokens", "read_tokens", *MONEY)
    }


@dataclass(frozen=True)
class FixtureComparison:
    """One fixture under every strategy, and each one's saving against the first strategy's."""

    path: str
    reports: dict[str, FixtureReport]
    saving_vs_first: dict[str, float | None]


@dataclass(frozen=True)
class FindingGroup:
    """One finding as it recurs across fixtures: the same severity, code, place and message."""

    severity: str
    code: str
    location: str  # inside the fixture, "" for the fixture as a whole
    message: str
    fixtures: tuple[str, ...]  # paths, in input order


def group_findings(reports: Sequence[FixtureReport]) -> list[FindingGroup]:
    """Findings of many fixtures, each distinct one once, in the order first seen.

    5,000 fixtures with the same two problems are two findings with 5,000 places, not 10,000
    lines: a person reads the two, a script reads ``--output json``. Findings are grouped by
    pointer first and labelled once per pointer: 200,000 documents share a handful.
    """
    from optctl.caching.request import location_label

    by_pointer: dict[tuple[str, str, str, str], list[int]] = {}
    for index, report in enumerate(reports):
        for finding in report.findings:
            by_pointer.setdefault((finding.severity, finding.code, finding.pointer, finding.message), []).append(index)
    groups: dict[tuple[str, str, str, str], list[int]] = {}
    for (severity, code, pointer, message), indexes in by_pointer.items():
        groups.setdefault((severity, code, location_label(pointer) if pointer else "", message), []).extend(indexes)
    # Two pointers may share a label (a message list's /0 and a body's /messages/0): keep input order.
    return [FindingGroup(*key, tuple(reports[i].path for i in sorted(set(indexes)))) for key, indexes in groups.items()]


@dataclass(frozen=True)
class DryRunResult:
    """Everything the dry-run output shows, computed: reports, totals per strategy, differences.

    The side-by-side comparisons and the grouped findings are worked out when the text report
    asks for them: ``--output json`` of 200,000 documents needs neither.
    """

    reports: list[FixtureReport]
    strategy: str
    strategies: list[str]
    tokenizer: str
    calls: int
    source: str
    totals: dict[str, dict[str, Any]]
    differences: dict[str, dict[str, Any]]  # every strategy after the first, minus the first
    context: RunContext | None = None  # which project and store; the CLI always gives it

    @property
    def exit_code(self) -> int:
        return 0 if all(r.ok for r in self.reports) else 1

    def of(self, strategy: str) -> list[FixtureReport]:
        return [r for r in self.reports if r.strategy == strategy]

    @cached_property
    def comparisons(self) -> list[FixtureComparison]:
        """Each fixture under every strategy, with each one's saving against the first strategy's."""
        first = self.strategies[0]
        rows = []
        for row in zip(*(self.of(s) for s in self.strategies)):
            named = dict(zip(self.strategies, row))
            base = named[first].cost.saving_over_calls if named[first].cost else None
            rows.append(
                FixtureComparison(
                    row[0].path,
                    named,
                    {s: None if base is None or r.cost is None else r.cost.saving_over_calls - base for s, r in named.items()},
                )
            )
        return rows

    @cached_property
    def finding_groups(self) -> list[FindingGroup]:
        return group_findings(self.reports)


def result(
    reports: list[FixtureReport],
    *,
    strategy: str,
    strategies: Sequence[str],
    tokenizer: str,
    calls: int,
    source: str,
    context: RunContext | None = None,
) -> DryRunResult:
    sums = {s: totals([r for r in reports if r.strategy == s]) for s in strategies}
    first = strategies[0]
    return DryRunResult(
        reports,
        strategy,
        list(strategies),
        tokenizer,
        calls,
        source,
        sums,
        {s: difference(sums[first], sums[s]) for s in strategies[1:]},
        context,
    )


@dataclass(frozen=True)
class DryRunRequest:
    """What ``optctl dry-run`` was asked, as plain values (the CLI's enums by their names)."""

    paths: tuple[str, ...]  # files, folders (recursive) or "-" for stdin
    strategy: str = "wrapper"
    compare: bool = False  # every strategy, ``strategy`` first
    client: str | None = None  # None: each fixture's default
    final_repeats: bool = False
    optimization: Path | None = None
    config: Path | None = None  # the project file
    env: str | None = None
    service: str | None = None
    as_configured: bool = False
    model: str | None = None
    tokenizer: str = "offline"
    calls: int = 10
    emit: bool = False  # keep each request, markers in place, for ``--emit-request``
    glob: str | None = None
    models_file: Path | None = None


def dry_run(request: DryRunRequest, edges: Edges = Edges()) -> DryRunResult:
    """``optctl dry-run``: the config, the project, the rules table and the counter, then every fixture's reports.

    All the reports are kept, since the totals, the text report and ``--emit-request`` all read them;
    ``edges.progress`` hears of the fixtures as they are analysed.
    """
    from optctl.providers import rules as table

    settings = choose_settings(request.optimization, request.config, request.env, request.service, request.as_configured, edges)
    context = run_context(request.config, request.env, request.service, edges)
    rules = table.load(request.models_file)
    chosen = strategies(request.strategy, request.compare)
    counter = make_counter(request.tokenizer)
    reports = list(
        run(
            request.paths,
            settings=settings,
            rules=rules,
            counter=counter,
            strategies=chosen,
            calls=request.calls,
            model=request.model,
            emit=request.emit,
            glob=request.glob,
            client=request.client,
            final_repeats=request.final_repeats,
            progress=edges.progress,
        )
    )
    return result(
        reports,
        strategy=request.strategy,
        strategies=chosen,
        tokenizer=counter.name,
        calls=request.calls,
        source=settings.source,
        context=context,
    )
