"""The provider rules table: every number about caching, dated and sourced, read from data.

Prices, minimum cacheable prefixes, TTLs, breakpoint limits and tokenizer calibrations change
with every model release, so they live in ``models.json`` next to this module (or in a file
given with ``--models-file``), never in code. This module only reads that table and answers
questions about it, for dry-run and for ``optctl validate``'s semantic checks alike.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from optctl.documents import guards
from optctl.errors import UsageError

BUNDLED = Path(__file__).with_name("models.json")
BUNDLED_ENCODINGS = ("o200k_base",)  # what optctl.caching.tokens.bpe can count offline


@dataclass(frozen=True)
class Tokenizer:
    name: str
    base_encoding: str
    prose_factor: float
    code_factor: float
    code_symbol_share: float
    chars_per_token: float


FATES = ("sent", "dropped", "rejected")  # what becomes of a marker on its way to the API
CLIENTS = ("langchain", "sdk")


@dataclass(frozen=True)
class MarkerRules:
    """What a cache marker may say (the TTLs by name, in seconds, and the one ``ttl`` defaults to),
    and per client what becomes of a marker on each kind of place: ``clients[client][place]``
    is one of ``FATES``; a place is a block type, ``tool``, ``message`` (the message object)
    or ``automatic`` (the request's top-level marker)."""

    ttls: dict[str, int]
    default: str | None
    clients: dict[str, dict[str, str]]

    def fate(self, client: str, place: str) -> str:
        """An unknown place is refused by the API: it names no Anthropic block type."""
        return self.clients[client].get(place, "rejected")


@dataclass(frozen=True)
class Model:
    family: str
    match: tuple[str, ...]
    provider: str
    min_cacheable_tokens: int
    input_per_mtok: float | None
    output_per_mtok: float | None
    context_window: int | None
    tokenizer: str
    as_of: str
    source: str
    status: str = "available"  # or "retired" (on the first-party API; status_note says where it still runs)
    status_note: str | None = None
    # Of the input price; None: the provider's (``pricing.<provider>``).
    cache_multipliers: dict[str, float] | None = None
    # [{"above_prompt_tokens": N, "input_per_mtok": x, "output_per_mtok": y}]: prices for larger prompts.
    price_tiers: tuple[dict[str, Any], ...] = ()
    # [{"before": "YYYY-MM-DD", "cache_multipliers": {...}}]: what applied before a dated change.
    price_changes: tuple[dict[str, Any], ...] = ()
    # Every value quoted for the minimum, [{"tokens", "source"}], and why min_cacheable_tokens is the one used.
    min_cacheable_sources: tuple[dict[str, Any], ...] = ()
    min_cacheable_choice: str | None = None
    context_window_source: str | None = None

    @property
    def retired(self) -> bool:
        return self.status == "retired"


@dataclass(frozen=True)
class Rules:
    """One loaded table. ``raw`` keeps the file's own shape for ``optctl models -o json``."""

    path: str
    raw: dict[str, Any]
    models: tuple[Model, ...]
    tokenizers: dict[str, Tokenizer]
    # Model id -> its entry: a dry-run or validate asks once per document, and inputs repeat a
    # handful of ids (or none: 200,000 documents without a model ask for "" every time).
    _found: dict[str, Model | None] = field(default_factory=dict, compare=False, repr=False)

    def provider(self, name: str) -> dict[str, Any]:
        return self.raw["providers"].get(name, {})

    def pricing(self, provider: str) -> dict[str, Any]:
        return self.raw["pricing"].get(provider, {})

    @property
    def content(self) -> dict[str, Any]:
        return self.raw["content"]

    def model(self, name: str) -> Model | None:
        """The table entry for a model id, by its longest matching family prefix.

        Accepts the ids people actually send: dated (``claude-sonnet-4-5-20250929``), Vertex
        (``claude-sonnet-4-5@20250929``) and Bedrock (``us.anthropic.claude-sonnet-4-5-...-v1:0``).
        """
        if name not in self._found:
            wanted = _normalise(name)
            best: tuple[int, Model] | None = None
            for model in self.models:
                for prefix in model.match:
                    if re.fullmatch(re.escape(prefix) + _VERSION_SUFFIX, wanted) and (best is None or len(prefix) > best[0]):
                        best = (len(prefix), model)
            self._found[name] = best[1] if best else None
        return self._found[name]

    def ttl_seconds(self, provider: str) -> dict[str, int]:
        return dict(self.provider(provider).get("ttls", {}))

    def default_ttl(self, provider: str) -> str | None:
        """The TTL of a marker without ``ttl``."""
        return self.provider(provider).get("default_ttl")

    def markers(self, provider: str) -> MarkerRules:
        return MarkerRules(
            self.ttl_seconds(provider),
            self.default_ttl(provider),
            {name: dict(client["markers"]) for name, client in self.raw["clients"].items()},
        )

    # What ``optctl validate``'s semantic checks (``optctl.contract.semantics``) ask.

    def min_cacheable_tokens(self, model: str) -> int | None:
        """The model's minimum cacheable prefix in tokens, or None for a model not in the table."""
        found = self.model(model)
        return found.min_cacheable_tokens if found else None

    def supports_markers(self, provider: str) -> bool:
        """Whether the deployed wrapper can cache for this provider (it injects Anthropic markers only)."""
        return bool(self.provider(provider).get("supports_markers"))

    def offered_ttls(self, provider: str) -> list[int]:
        """The cache lifetimes (seconds) a provider offers; empty when it has no marker TTLs."""
        return sorted(self.ttl_seconds(provider).values())


# A release date or "latest" after the family, and Bedrock's "-v1": nothing else, so that
# "claude-sonnet-4-50" is unknown rather than mistaken for claude-sonnet-4.
_VERSION_SUFFIX = r"([-@](\d{8}|latest))?(-v\d+)?"


def _normalise(name: str) -> str:
    name = name.strip().lower().split(":", 1)[0]
    return name[name.index("claude") :] if "claude" in name else name


def load(path: str | Path | None = None) -> Rules:
    """The bundled table, or the user's file (``--models-file``) with the same shape."""
    if path is None:
        return _bundled()
    return _parse(_read(Path(path)), str(path))


@cache
def _bundled() -> Rules:
    return _parse(_read(BUNDLED), str(BUNDLED))


def _read(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text)
    except OSError as err:
        raise UsageError(f"{path}: cannot read the models file ({err.strerror or err})") from None
    except (ValueError, RecursionError) as err:  # not UTF-8, not JSON, nested too deep, a number too long
        raise UsageError(
            f"{path}: the models file is not valid JSON ({str(err)[:200] or 'nested too deep'}); start from `optctl models -o json`"
        ) from None
    refused = guards.deeper_than(data) or guards.lone_surrogate(data, text)
    if refused is not None:
        raise UsageError(
            f"{path}: the models file is not usable at {refused} (nested too deep or a lone surrogate); start from `optctl models -o json`"
        )
    return data


_MODEL_FIELDS = {
    "family": str,
    "match": list,
    "provider": str,
    "min_cacheable_tokens": int,
    "input_per_mtok": (int, float, type(None)),
    "output_per_mtok": (int, float, type(None)),
    "context_window": (int, type(None)),
    "tokenizer": str,
    "as_of": str,
    "source": str,
}
_OPTIONAL_MODEL_FIELDS = {
    "status": str,
    "status_note": str,
    "cache_multipliers": dict,
    "price_tiers": list,
    "price_changes": list,
    "min_cacheable_sources": list,
    "min_cacheable_choice": str,
    "context_window_source": str,
}
_STATUSES = ("available", "retired")
_TOKENIZER_FIELDS = {
    "base_encoding": str,
    "prose_factor": (int, float),
    "code_factor": (int, float),
    "code_symbol_share": (int, float),
    "chars_per_token": (int, float),
}


def _parse(raw: Any, where: str) -> Rules:
    if not isinstance(raw, dict):
        raise UsageError(f"{where}: the models file must be a JSON object; start from `optctl models -o json`")
    for section, kind in (
        ("pricing", dict),
        ("providers", dict),
        ("clients", dict),
        ("tokenizers", dict),
        ("content", dict),
        ("models", list),
    ):
        if not isinstance(raw.get(section), kind):
            raise UsageError(f"{where}: missing or malformed {section!r} section; start from `optctl models -o json`")
    tokenizers = {
        name: Tokenizer(name, **_fields(entry, _TOKENIZER_FIELDS, f"{where}: tokenizers.{name}"))
        for name, entry in raw["tokenizers"].items()
    }
    for tokenizer in tokenizers.values():
        if tokenizer.base_encoding not in BUNDLED_ENCODINGS:
            raise UsageError(
                f"{where}: tokenizers.{tokenizer.name}.base_encoding must be one of {', '.join(BUNDLED_ENCODINGS)} "
                "(the encodings optctl ships); calibrate against it with the factors"
            )
    _check_providers(raw, where)
    _check_clients(raw["clients"], where)
    models = []
    for i, entry in enumerate(raw["models"]):
        values = _fields(entry, _MODEL_FIELDS, f"{where}: models[{i}]")
        if values["tokenizer"] not in tokenizers:
            raise UsageError(f"{where}: models[{i}].tokenizer {values['tokenizer']!r} is not in the tokenizers section")
        values["match"] = tuple(str(m).lower() for m in values["match"])
        values.update(_optional_model_fields(entry, f"{where}: models[{i}]"))
        models.append(Model(**values))
    return Rules(where, raw, tuple(models), tokenizers)


def _check_clients(clients: dict[str, Any], where: str) -> None:
    """Both clients, each a map of place -> fate, with its date and source."""
    for name in CLIENTS:
        here = f"{where}: clients.{name}"
        client = _fields(clients.get(name), {"markers": dict, "as_of": str, "source": str}, here)
        bad = [place for place, fate in client["markers"].items() if fate not in FATES]
        if bad:
            raise UsageError(f"{here}.markers.{bad[0]} must be one of {', '.join(FATES)}")


def _optional_model_fields(entry: dict[str, Any], here: str) -> dict[str, Any]:
    """Status, per-model multipliers, price tiers and changes, the minimum's sources: checked, as tuples."""
    values: dict[str, Any] = {}
    for name, kind in _OPTIONAL_MODEL_FIELDS.items():
        if entry.get(name) is None:
            continue
        if not isinstance(entry[name], kind):
            raise UsageError(f"{here}.{name} has the wrong type; see `optctl models -o json` for the shape")
        values[name] = tuple(entry[name]) if kind is list else entry[name]
    if values.get("status", "available") not in _STATUSES:
        raise UsageError(f"{here}.status must be one of {', '.join(_STATUSES)}")
    _multipliers(values.get("cache_multipliers", {}), f"{here}.cache_multipliers")
    for j, tier in enumerate(values.get("price_tiers", ())):
        _fields(
            tier,
            {"above_prompt_tokens": int, "input_per_mtok": (int, float), "output_per_mtok": (int, float, type(None))},
            f"{here}.price_tiers[{j}]",
        )
    for j, change in enumerate(values.get("price_changes", ())):
        _fields(change, {"before": str, "cache_multipliers": dict}, f"{here}.price_changes[{j}]")
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", change["before"]):
            raise UsageError(f"{here}.price_changes[{j}].before must be a date, YYYY-MM-DD")
        _multipliers(change["cache_multipliers"], f"{here}.price_changes[{j}].cache_multipliers")
    for j, quoted in enumerate(values.get("min_cacheable_sources", ())):
        _fields(quoted, {"tokens": int, "source": str}, f"{here}.min_cacheable_sources[{j}]")
    return values


def _multipliers(multipliers: dict[str, Any], here: str) -> None:
    for key, value in multipliers.items():
        if (
            not (key == "cache_read" or key.startswith("cache_write_"))
            or not isinstance(value, (int, float))
            or isinstance(value, bool)
        ):
            raise UsageError(f"{here}.{key}: expected cache_read or cache_write_<ttl>, a number")


def _check_providers(raw: dict[str, Any], where: str) -> None:
    """A provider that takes markers needs every rule placement and pricing read."""
    for name, provider in raw["providers"].items():
        if not isinstance(provider, dict) or not provider.get("supports_markers"):
            continue
        here = f"{where}: providers.{name}"
        _fields(provider, {"max_breakpoints": int, "lookback_blocks": int, "ttls": dict, "default_ttl": str}, here)
        ttls = provider["ttls"]
        if (
            not ttls
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in ttls.values())
            or provider["default_ttl"] not in ttls
        ):
            raise UsageError(f"{here}.ttls must map TTL names to seconds and include default_ttl {provider['default_ttl']!r}")
        wanted = {"cache_read": (int, float), **{f"cache_write_{ttl}": (int, float) for ttl in ttls}}
        _fields(raw["pricing"].get(name), wanted, f"{where}: pricing.{name}")


def _fields(entry: Any, spec: dict[str, Any], where: str) -> dict[str, Any]:
    if not isinstance(entry, dict):
        raise UsageError(f"{where} must be an object")
    values = {}
    for name, kind in spec.items():
        value = entry.get(name)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise UsageError(f"{where}.{name} is missing or has the wrong type")
        values[name] = value
    return values
