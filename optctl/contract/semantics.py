"""Checks beyond the schema: a document can be well-formed and still not do what its author meant.

Provider facts (which providers take cache markers, each model's minimum cacheable prefix,
the TTLs on offer) come from the dated rules table the caller passes in (the bundled one, or
``--models-file``), never from here.
"""

from __future__ import annotations

import difflib
from typing import Any

from optctl.contract.findings import Finding, error, warning
from optctl.providers.rules import Rules


def ai_config_findings(document: dict[str, Any], rules: Rules) -> list[Finding]:
    findings = _misspelt_optimization(document)
    optimization = document.get("optimization")
    if isinstance(optimization, dict):
        findings += optimization_findings(
            optimization,
            rules,
            provider=document.get("provider"),
            model=(document.get("configuration") or {}).get("model"),
            base="/optimization",
        )
    return findings


def optimization_findings(
    optimization: dict[str, Any], rules: Rules, *, provider: str | None = None, model: str | None = None, base: str = ""
) -> list[Finding]:
    findings: list[Finding] = []
    cache = optimization.get("cache", {})
    declared = optimization.get("provider")
    if provider and declared and declared != provider:
        findings.append(
            error(
                "provider-mismatch",
                f"{base}/provider",
                f"optimization.provider is {declared!r} but the document's provider is {provider!r}",
                f"set optimization.provider to {provider!r} or remove it",
            )
        )
    effective = declared or provider
    if cache.get("enabled") and effective and not rules.supports_markers(effective):
        findings.append(
            error(
                "cache-unsupported-provider",
                f"{base}/cache/enabled",
                f"caching is enabled but the wrapper cannot cache prompts for provider {effective!r}",
                "set cache.enabled to false for this provider",
            )
        )
    if model and cache.get("enabled"):
        findings += _model_minimum(cache, model, base, rules)
    ttls = rules.offered_ttls(effective or "anthropic")
    for field in ("default_ttl_seconds", "domain_definitions_ttl_seconds"):
        if ttls and field in cache and cache[field] not in ttls:
            offered = " or ".join(f"{t} ({_ttl_name(t)})" for t in ttls)
            findings.append(
                warning(
                    "ttl-not-offered",
                    f"{base}/cache/{field}",
                    f"{cache[field]} s is not a TTL the provider offers; it caches for {offered} only",
                    f"use {offered}",
                )
            )
    if optimization.get("batch", {}).get("enabled"):
        findings.append(
            warning(
                "batch-not-implemented",
                f"{base}/batch/enabled",
                "batching is enabled but the wrapper does not implement it yet; the setting has no effect",
                "set batch.enabled to false until the wrapper supports batching",
            )
        )
    return findings


def _model_minimum(cache: dict[str, Any], model: str, base: str, rules: Rules) -> list[Finding]:
    minimum = rules.min_cacheable_tokens(model)
    if minimum is None:
        return [
            warning(
                "unknown-model",
                "/configuration/model",
                f"model {model!r} is not in optctl's model table; its minimum cacheable length is unknown",
                "check `optctl models`, or add the model with --models-file",
            )
        ]
    threshold = cache.get("min_tokens_to_cache", 1024)
    if threshold < minimum:
        return [
            warning(
                "below-model-minimum",
                f"{base}/cache/min_tokens_to_cache",
                f"{threshold} is below {model}'s minimum cacheable prefix of {minimum} tokens: "
                "blocks the wrapper marks may silently not be cached",
                f"set min_tokens_to_cache to at least {minimum}",
            )
        ]
    return []


def _misspelt_optimization(document: dict[str, Any]) -> list[Finding]:
    if "optimization" in document:
        return []
    keys = [k for k in document if isinstance(k, str) and not k.startswith("_")]
    close = difflib.get_close_matches("optimization", keys, n=1, cutoff=0.75)
    if not close:
        return []
    return [
        warning(
            "misspelt-optimization",
            f"/{close[0]}",
            f"key {close[0]!r} looks like a misspelt 'optimization'; the wrapper ignores it",
            "rename it to 'optimization'",
        )
    ]


def _ttl_name(seconds: int) -> str:
    return f"{seconds // 3600}h" if seconds % 3600 == 0 else f"{seconds // 60}m"
