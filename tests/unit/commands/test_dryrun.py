"""dry-run's work is bounded by what its input holds, counted rather than timed.

A 1 MB input of 200,000 tiny documents took 19 s (issue 15): every document that is not a
prompt was counted and placed, every model id was matched against every pattern of the table
again, and the JSON went through the pure-Python indenting encoder. These tests count that work.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import replace

import pytest

from optctl.caching import placement
from optctl.caching.tokens.counters import CharsPerFour
from optctl.commands import dryrun as dry
from optctl.providers import rules as table
from optctl.render import console
from optctl.render import dryrun as render

SONNET = "claude-sonnet-4-5-20250929"
PROMPT = {"model": SONNET, "messages": [{"role": "user", "content": "What is cached?"}]}


class CountingCounter(CharsPerFour):
    """The wrapper's chars/4, keeping every request it was asked to count."""

    def __init__(self) -> None:
        self.requests: list = []

    def count(self, requests, rules):
        self.requests += requests
        return super().count(requests, rules)


class Told:
    """A progress edge that keeps what it was told: each bar opened, each advance."""

    def __init__(self) -> None:
        self.opened: list[tuple] = []
        self.advances: list[tuple[float, int]] = []

    @contextmanager
    def __call__(self, description, total, unit, items=None):
        self.opened.append((description, total, unit, items))
        yield lambda amount, items=0: self.advances.append((amount, items))


def run(paths, counter=None, strategies=("wrapper",), **options):
    return list(
        dry.run(
            [str(p) for p in paths],
            settings=dry.default_settings(),
            rules=table.load(None),
            counter=counter or CountingCounter(),
            strategies=list(strategies),
            calls=10,
            **options,
        )
    )


def lines(tmp_path, documents, name="input.jsonl"):
    path = tmp_path / name
    path.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in documents), encoding="utf-8")
    return path


def test_documents_that_are_not_prompts_are_neither_counted_nor_placed(tmp_path, monkeypatch):
    placed = []
    for name in ("place_wrapper", "place_optimal", "place_auto"):
        real = getattr(placement, name)
        monkeypatch.setattr(placement, name, lambda *a, _real=real, **k: placed.append(1) or _real(*a, **k))
    documents = [{}] * 1000
    documents[0] = documents[500] = PROMPT
    counter = CountingCounter()
    reports = run([lines(tmp_path, documents)], counter, strategies=placement.STRATEGIES)
    assert len(counter.requests) == 2 and len(placed) == 2 * len(placement.STRATEGIES)
    others = [r for r in reports if not r.path.endswith(("[0]", "[500]"))]
    assert len(others) == 998 * len(placement.STRATEGIES)
    assert all([f.code for f in r.findings] == ["malformed-fixture", "no-model"] and not r.blocks for r in others)


def test_each_model_id_is_matched_against_the_table_once(tmp_path, monkeypatch):
    matched = []
    real = table._normalise
    monkeypatch.setattr(table, "_normalise", lambda name: matched.append(name) or real(name))
    run([lines(tmp_path, [{}, PROMPT, {"model": "claude-nonesuch-9", "messages": []}] * 300)])
    assert len(matched) == len(set(matched)) <= 3  # none at all if an earlier test asked already


def test_json_of_many_documents_is_one_line_written_in_chunks_and_skips_what_only_text_shows(tmp_path, capsys):
    reports = run([lines(tmp_path, [{"row": i} for i in range(2 * console.JSON_CHUNK + 500)])])
    result = dry.result(reports, strategy="wrapper", strategies=["wrapper"], tokenizer="chars4", calls=10, source="s")
    render.report_json(result)
    out = capsys.readouterr().out
    payload = json.loads(out)
    assert out == json.dumps(payload, ensure_ascii=False) + "\n"  # one line, the chunks joined as one document
    assert len(payload["fixtures"]) == 2500 and payload["total"]["with_errors"] == 2500
    assert "comparisons" not in vars(result) and "finding_groups" not in vars(result)  # never worked out


def test_one_place_named_two_ways_is_one_finding_group_in_input_order(tmp_path):
    robot = [{"role": "robot", "content": "x"}]
    paths = [lines(tmp_path, [robot], "a.jsonl"), lines(tmp_path, [{"model": SONNET, "messages": robot}], "b.jsonl")]
    paths.append(lines(tmp_path, [robot], "c.jsonl"))
    groups = dry.group_findings(run(paths, client="sdk"))
    [role] = [g for g in groups if g.code == "unknown-role"]
    assert role.location == "messages[0].role" and [p.split("/")[-1] for p in role.fixtures] == [
        "a.jsonl[0]",
        "b.jsonl[0]",
        "c.jsonl[0]",
    ]


@pytest.mark.parametrize(
    "name, text",
    [
        ("prompts.jsonl", "".join(json.dumps(PROMPT) + "\n" for _ in range(600))),
        (
            "cjk.jsonl",
            "".join(
                json.dumps({**PROMPT, "system": "文書を索引してください。" * 40}, ensure_ascii=False) + "\n" for _ in range(9)
            ),
        ),
        ("array.json", json.dumps([PROMPT, {}, PROMPT], indent=2)),
        ("one.yaml", "model: x\nmessages:\n- role: user\n  content: hello\n"),
    ],
)
def test_the_bar_is_told_every_byte_of_the_input_and_every_fixture(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    told = Told()
    reports = run([path, path], progress=told)
    [(description, total, unit, items)] = told.opened
    assert (description, unit, items) == ("dry-run", "bytes", "fixtures") and total == 2 * path.stat().st_size
    assert sum(a for a, _ in told.advances) == total and sum(n for _, n in told.advances) == len(reports)


def test_the_command_reads_the_services_config_from_the_injected_store_and_returns_every_strategys_result(tmp_path, terminal):
    told = Told()
    edges = replace(terminal().edges, progress=told)
    no_model = {"messages": PROMPT["messages"]}  # the service's document names the model
    request = dry.DryRunRequest(
        paths=(str(lines(tmp_path, [no_model, {}])),), compare=True, env="dev", service="indexing", tokenizer="chars4", calls=3
    )
    result = dry.dry_run(request, edges)
    assert result.strategies == ["wrapper", *(s for s in placement.STRATEGIES if s != "wrapper")]
    assert result.source == "service 'indexing' in dev, with cache.enabled set to true (what enabling it would do)"
    assert [store.env for store in result.context.stores] == ["dev"]
    assert (result.tokenizer, result.calls) == ("chars4", 3)
    assert [(r.strategy, r.model) for r in result.of("optimal")] == [("optimal", SONNET)] * 2
    assert result.totals["wrapper"]["fixtures"] == 2 and result.totals["wrapper"]["with_errors"] == 1
    assert result.exit_code == 1  # the document that is not a prompt
    assert len(told.opened) == 1 and sum(n for _, n in told.advances) == 2


def test_the_command_keeps_the_requests_emit_asks_for_and_no_store_is_read_without_a_service(tmp_path, terminal):
    edges = replace(terminal().edges, open_store=lambda env: pytest.fail(f"opened {env.name}'s store"))
    request = dry.DryRunRequest(paths=(str(lines(tmp_path, [PROMPT])),), strategy="auto", emit=True)
    result = dry.dry_run(request, edges)
    [report] = result.reports
    assert result.exit_code == 0 and result.strategies == ["auto"] and result.context.stores == ()
    assert report.emitted["model"] == SONNET and "cache_control" in json.dumps(report.emitted)
    assert result.source == "the default optimization config, with cache.enabled set to true (what enabling it would do)"
