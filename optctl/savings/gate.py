"""The savings gate's decision: measured usage since a stage was applied in, pass/fail/inconclusive out.

Pure. Evidence first: with fewer calls (or prompt tokens) than the gate asks for, it cannot judge
and says inconclusive (the rollout pauses rather than rolling back on too little traffic). Then
the cache read ratio must reach its minimum, and the cost change (what was billed against what the
same traffic would have cost without caching: -0.3 is 30% cheaper) must not exceed its maximum.
"""

from __future__ import annotations

from typing import Any, Literal

from optctl.errors import UsageError
from optctl.savings.report import Window

Verdict = tuple[Literal["pass", "fail", "inconclusive"], str]

SPEC_FIELDS = {
    "window": str,
    "min_calls": int,
    "min_input_tokens": int,
    "min_cache_read_ratio": float,
    "max_cost_change": float,
    "usage_log": str,
    "bucket_width": str,
    "usage_source": str,
}
DEFAULT_WINDOW = "24h"


def judge(service: str, window: Window, gate: dict[str, Any]) -> Verdict:
    usage = window.usage
    min_calls, min_tokens = gate.get("min_calls"), gate.get("min_input_tokens")
    if min_calls is not None:
        if usage.calls is None:
            return "inconclusive", f"{service}: the usage report does not count calls; judge on min_input_tokens instead"
        if usage.calls < min_calls:
            return "inconclusive", f"{service}: {usage.calls} call(s) since the stage was applied, the gate needs {min_calls}"
    if min_tokens is not None and usage.input_tokens < min_tokens:
        return (
            "inconclusive",
            f"{service}: {usage.input_tokens} prompt tokens since the stage was applied, the gate needs {min_tokens}",
        )
    if not usage.input_tokens:
        return "inconclusive", f"{service}: no usage since the stage was applied"
    ratio = window.cache_read_ratio or 0.0
    if gate.get("min_cache_read_ratio") is not None and ratio < gate["min_cache_read_ratio"]:
        return "fail", f"{service}: cache read ratio {ratio:.2f} is below {gate['min_cache_read_ratio']}"
    change = window.cost_change
    if gate.get("max_cost_change") is not None:
        if change is None:
            return "inconclusive", f"{service}: its model is not priced in the rules table, so the cost change is unknown"
        if change > gate["max_cost_change"]:
            return "fail", f"{service}: cost change {change:+.1%} against no caching exceeds {gate['max_cost_change']:+.1%}"
    return "pass", f"{service}: read ratio {ratio:.2f}, cost change {_pct(change)}, {_calls(usage.calls)}"


def combine(verdicts: list[Verdict]) -> Verdict:
    """Any fail fails; else any inconclusive; else pass. The detail names the deciding services."""
    for wanted in ("fail", "inconclusive"):
        deciding = [detail for result, detail in verdicts if result == wanted]
        if deciding:
            return wanted, "; ".join(deciding)
    return "pass", "; ".join(detail for _, detail in verdicts)


def parse_gate_spec(text: str) -> dict[str, Any]:
    """``--savings-gate 'window=24h,min_calls=200,min_cache_read_ratio=0.3,max_cost_change=-0.1'`` -> a gate."""
    gate: dict[str, Any] = {"kind": "savings"}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, raw = part.partition("=")
        name = name.strip()
        if not sep or name not in SPEC_FIELDS:
            raise UsageError(f"--savings-gate {text!r}: {part!r} is not NAME=VALUE with NAME one of {', '.join(SPEC_FIELDS)}")
        kind = SPEC_FIELDS[name]
        try:
            gate[name] = kind(raw.strip()) if kind is not str else raw.strip()
        except ValueError:
            raise UsageError(
                f"--savings-gate: {name} must be {'a whole number' if kind is int else 'a number'}, not {raw.strip()!r}"
            ) from None
    if len(gate) == 1:
        raise UsageError("--savings-gate needs at least one condition, e.g. min_calls=200,min_cache_read_ratio=0.3")
    gate.setdefault("window", DEFAULT_WINDOW)
    return gate


def _pct(change: float | None) -> str:
    return "unknown" if change is None else f"{change:+.1%}"


def _calls(calls: int | None) -> str:
    return "calls not counted by the source" if calls is None else f"{calls} call(s)"
