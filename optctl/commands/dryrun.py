"""The edges of a dry-run: where the config comes from, and streaming fixtures through analysis.

The optimization config is a file (an ``optimization`` object or a whole ai-config document),
a service's document in an environment's store, or the defaults; a document also supplies
the model and provider for fixtures that name none. Fixtures are read one at a time and
analysed in batches, so memory stays flat however many there are.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Iterator, Sequence

from optctl.caching.analysis import FixtureReport, analyse
from optctl.caching.inputs import Fixture, load_fixtures
from optctl.caching.placement import CacheConfig
from optctl.caching.request import normalise
from optctl.providers.rules import Rules
from optctl.caching.tokens.counters import Counter
from optctl.contract.findings import error
from optctl.errors import UsageError

BATCH_CHARS = 4_000_000
BATCH_FIXTURES = 256


@dataclass(frozen=True)
class Settings:
    cache: CacheConfig
    provider: str | None
    model: str | None
    source: str  # where the config came from, for the report


def default_settings() -> Settings:
    return Settings(CacheConfig.from_schema_defaults(), None, None, "the default optimization config")


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
        raise UsageError(f"{source}: invalid optimization config ({first[1] if len(first) > 1 else err}); run `optctl validate {source}`") from None
    model = ((document or {}).get("configuration") or {}).get("model")
    provider = config.provider or (document or {}).get("provider")
    return Settings(CacheConfig.of(config.cache), provider, model if isinstance(model, str) else None, source)


def settings_from_file(path: Path) -> Settings:
    from optctl.documents.reader import ParseProblem, read_documents

    documents = list(read_documents(str(path)))
    if len(documents) != 1:
        raise UsageError(f"{path}: holds {len(documents)} documents; give a file with one optimization object or ai-config document")
    if isinstance(documents[0], ParseProblem):
        problem = documents[0]
        raise UsageError(f"{problem.path}:{problem.line}:{problem.column}: {problem.message}")
    return settings_from_document(documents[0].data, str(path))


def settings_from_store(project_file: Path | None, env: str | None, service: str) -> Settings:
    from optctl.settings.project import load_project
    from optctl.services.actions import opened

    environment = load_project(project_file).env(env)
    with opened(environment) as store:
        stored = store.read(service)
    return settings_from_document(stored.document, f"service {service!r} in {environment.name}")


def choose_settings(optimization: Path | None, project_file: Path | None, env: str | None, service: str | None,
                    as_configured: bool = False) -> Settings:
    """``--optimization FILE``, else ``--env/--service`` from the store, else the defaults.

    A dry-run is for before caching is enabled, so a config with ``cache.enabled: false`` is
    shown as it would behave once enabled, unless ``as_configured`` asks for the flag as is.
    """
    if optimization is not None and service is not None:
        raise UsageError("give either --optimization FILE or --env/--service, not both")
    if optimization is not None:
        settings = settings_from_file(optimization)
    elif service is not None:
        settings = settings_from_store(project_file, env, service)
    else:
        settings = default_settings()
    if as_configured or settings.cache.enabled:
        return settings
    return replace(settings, cache=replace(settings.cache, enabled=True),
                   source=f"{settings.source}, with cache.enabled set to true (what enabling it would do)")


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
    paths: Sequence[str], *, settings: Settings, rules: Rules, counter: Counter, strategies: Sequence[str],
    calls: int, model: str | None = None, emit: bool = False, glob: str | None = None,
) -> Iterator[FixtureReport]:
    """Reports for every fixture under ``paths``, streamed batch by batch, in input order."""
    markers = rules.markers(settings.provider or "anthropic")
    batch: list[tuple[str, Any]] = []
    size = 0
    for fixture in load_fixtures(paths, glob):
        if fixture.problem is not None:
            yield from _flush(batch, settings, rules, counter, strategies, calls, emit)
            batch, size = [], 0
            yield from _unreadable(fixture, strategies, counter.name)
            continue
        batch.append((fixture.label, normalise(fixture.data, markers, model or _fixture_model(fixture) or settings.model)))
        size += fixture.size
        if size >= BATCH_CHARS or len(batch) >= BATCH_FIXTURES:
            yield from _flush(batch, settings, rules, counter, strategies, calls, emit)
            batch, size = [], 0
    yield from _flush(batch, settings, rules, counter, strategies, calls, emit)


def _fixture_model(fixture: Fixture) -> str | None:
    data = fixture.data
    return data.get("model") if isinstance(data, dict) and isinstance(data.get("model"), str) else None


def _flush(batch, settings: Settings, rules: Rules, counter: Counter, strategies, calls: int, emit: bool) -> Iterator[FixtureReport]:
    if batch:
        yield from analyse(batch, cache=settings.cache, provider=settings.provider, rules=rules, counter=counter,
                           strategies=strategies, calls=calls, emit=emit)


def _unreadable(fixture: Fixture, strategies: Sequence[str], tokenizer: str) -> Iterator[FixtureReport]:
    for strategy in strategies:
        yield FixtureReport(fixture.label, None, strategy, tokenizer, findings=[error("unreadable", "", fixture.problem)])
