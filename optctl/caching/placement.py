"""Where cache markers go, and what the provider then really caches.

Three strategies propose markers for a ``Request``:

* ``wrapper``: exactly what the deployed wrapper (PipesHub ``CacheManager.inject_cache_markers``)
  does: it walks the ``messages`` list only, estimates each text with ``ceil(len/4)``,
  takes blocks already marked or at least ``min_tokens_to_cache`` long, marks only the last
  one, always 5m, and for string content puts the marker on the message dict.
* ``optimal``: what a correct injector gets under the provider's rules: at most 4 breakpoints
  counting the caller's, on content blocks only, at the end of tools, of system and of the
  conversation history (the final message is the part that changes between calls), each
  prefix at or above the model's minimum, no more than the lookback window apart, TTLs
  non-increasing.
* ``auto``: automatic caching, one top-level ``cache_control`` on the request, which the
  provider applies to the last cacheable block; it takes one of the breakpoint slots.

``evaluate`` then applies the provider's rules to either proposal: a message-level marker is
dropped, a fifth breakpoint or a 1h-after-5m marker gets the request rejected, a prefix
below the model's minimum caches nothing. Each such case is a finding with a code.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from optctl.caching.request import Block, Request
from optctl.providers.rules import Model, Rules
from optctl.caching.tokens.counters import wrapper_estimate
from optctl.contract.findings import Finding, error, warning

STRATEGIES = ("wrapper", "optimal", "auto")


@dataclass(frozen=True)
class CacheSettings:
    """What placement reads of ``optimization.cache``, already validated by the contract.

    A plain mirror of ``optctl.contract.models.CacheConfig`` so that a dry-run without a
    config file never pays for importing pydantic; ``of`` copies a validated model (or any
    object with these attributes), ``from_schema_defaults`` takes the contract's defaults.
    """

    enabled: bool
    min_tokens_to_cache: int
    auto_detect_cacheable: bool
    default_ttl_seconds: int
    domain_definitions_ttl_seconds: int

    @classmethod
    def of(cls, config: Any) -> CacheSettings:
        return cls(**{f.name: getattr(config, f.name) for f in fields(cls)})

    @classmethod
    def from_schema_defaults(cls) -> CacheSettings:
        from optctl.contract.schemas import load_schema

        cache = load_schema("optimization")["properties"]["cache"]["properties"]
        return cls(**{f.name: cache[f.name]["default"] for f in fields(cls)})


@dataclass(frozen=True)
class Marker:
    block: int  # index in request.blocks
    ttl: str
    origin: str  # "new" | "caller" | "automatic"
    on_message: bool = False  # the wrapper's marker on a message dict (string content)


@dataclass
class Placement:
    strategy: str
    markers: list[Marker] = field(default_factory=list)  # new ones only; caller markers are on the blocks
    reasons: dict[int, str] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    wrapper_claimed_tokens: int | None = None
    active: bool = True  # False when the injector does not run (caching off, provider unsupported)
    automatic_ttl: str | None = None  # the strategy turns automatic caching on, with this TTL


@dataclass(frozen=True)
class Breakpoint:
    block: int
    ttl: str
    origin: str
    prefix_tokens: int
    effective: bool  # the provider caches this prefix
    every_call: bool = False  # in the final message, which is not said to repeat: written on every call, never read


@dataclass
class Outcome:
    breakpoints: list[Breakpoint]
    findings: list[Finding]
    rejected: bool  # the API refuses the request as sent
    cached_tokens: int

    @property
    def written(self) -> list[tuple[int, str, bool]]:
        """(tokens, ttl, written on every call) of each cached segment: from one effective breakpoint to the next."""
        segments, previous = [], 0
        for b in self.breakpoints:
            if b.effective and b.prefix_tokens > previous:
                segments.append((b.prefix_tokens - previous, b.ttl, b.every_call))
                previous = b.prefix_tokens
        return segments

    @property
    def read_tokens(self) -> int:
        """What a later call reads back: the prefix up to the last breakpoint that is not rewritten every call."""
        return max((b.prefix_tokens for b in self.breakpoints if b.effective and not b.every_call), default=0)


def prefix_sums(tokens: list[int]) -> list[int]:
    running, sums = 0, []
    for t in tokens:
        running += t
        sums.append(running)
    return sums


def caller_markers(request: Request) -> list[Marker]:
    """The caller's markers that reach the API (the client has already dropped the others)."""
    return [Marker(i, b.caller_ttl, "caller") for i, b in enumerate(request.blocks) if b.caller_ttl is not None]


def last_cacheable(request: Request) -> int | None:
    """Where the provider puts an automatic marker: the last block that can carry one."""
    return max((i for i, b in enumerate(request.blocks) if b.markable), default=None)


def automatic_marker(request: Request, placement: Placement | None = None) -> Marker | None:
    """The request's top-level marker (the fixture's own, or the ``auto`` strategy's), where the provider applies it."""
    ttl = request.automatic_ttl or (placement.automatic_ttl if placement else None)
    index = last_cacheable(request)
    return Marker(index, ttl, "automatic") if ttl is not None and index is not None else None


def over_the_limit(request: Request, markers: list[Marker], limit: int | None) -> Finding | None:
    """More markers than the provider allows: it rejects the whole request."""
    if limit is None or len(markers) <= limit:
        return None
    return error(
        "too-many-breakpoints",
        request.blocks[markers[limit].block].pointer,
        f"{len(markers)} blocks carry cache_control, the API allows {limit}: it rejects the request (HTTP 400)",
    )


# --- the deployed wrapper -------------------------------------------------------------------


def place_wrapper(request: Request, cache: CacheSettings, provider_ok: bool, provider: str, default_ttl: str | None) -> Placement:
    """What the deployed wrapper does: it marks for its configured ``provider`` (``provider_ok``:
    one it caches for); ``default_ttl`` is the TTL its marker gets on the model's API, None when
    that API takes no markers (the models table gives every provider that does take them one)."""
    placement = Placement("wrapper")
    if not cache.enabled:
        placement.active = False
        placement.findings.append(
            warning("cache-disabled", "", "cache.enabled is false: the wrapper sends the messages unchanged")
        )
        return placement
    if not provider_ok:
        placement.active = False
        placement.findings.append(
            warning(
                "provider-unsupported",
                "",
                f"the wrapper does not cache for provider {provider!r}: it sends the messages unchanged",
            )
        )
        return placement
    by_pointer = {b.pointer: i for i, b in enumerate(request.blocks)}
    candidates = _wrapper_candidates(request, cache)
    if not candidates:
        placement.findings.append(
            warning(
                "no-candidate",
                "",
                f"no text in messages reaches min_tokens_to_cache ({cache.min_tokens_to_cache}, by chars/4): the wrapper marks nothing",
            )
        )
        return placement
    pointer, text, already_marked = candidates[-1]
    index = by_pointer.get(pointer)
    placement.wrapper_claimed_tokens = wrapper_estimate(text) if text is not None else 0
    if index is None:
        return placement
    if already_marked:
        placement.reasons[index] = "wrapper's last candidate: the caller's marker is kept"
        return placement
    block = request.blocks[index]
    if default_ttl is None:
        placement.active = False
        placement.findings.append(
            warning(
                "provider-unsupported",
                "",
                f"the wrapper marks {block.location} for provider {provider!r}, but the model's provider takes no "
                "cache markers: nothing is cached",
            )
        )
        return placement
    placement.markers.append(Marker(index, default_ttl, "new", on_message=block.string_content))  # {"type": "ephemeral"}
    placement.reasons[index] = "wrapper's last candidate" + (" (marker on the message dict)" if block.string_content else "")
    return placement


def _wrapper_candidates(request: Request, cache: CacheSettings) -> list[tuple[str, str | None, bool]]:
    """(pointer, text, already marked) for each block the wrapper would consider, in its order."""
    found: list[tuple[str, str | None, bool]] = []
    base = request.messages_pointer
    for i, message in enumerate(request.messages):
        if not isinstance(message, dict) or "role" not in message or not message.get("content"):
            continue
        content = message["content"]
        if isinstance(content, str):
            if _wrapper_wants(content, cache):
                found.append((f"{base}/{i}/content", content, False))
        elif isinstance(content, list):
            for j, block in enumerate(content):
                if not isinstance(block, dict):
                    continue
                if "cache_control" in block:
                    found.append((f"{base}/{i}/content/{j}", block.get("text") if block.get("type") == "text" else None, True))
                elif block.get("type") == "text" and _wrapper_wants(block.get("text", ""), cache):
                    found.append((f"{base}/{i}/content/{j}", block.get("text", ""), False))
    return found


def _wrapper_wants(text: Any, cache: CacheSettings) -> bool:
    return cache.auto_detect_cacheable and isinstance(text, str) and wrapper_estimate(text) >= cache.min_tokens_to_cache


# --- a correct injector ---------------------------------------------------------------------


def place_optimal(request: Request, tokens: list[int], cache: CacheSettings, model: Model, rules: Rules) -> Placement:
    placement = Placement("optimal")
    provider = rules.provider(model.provider)
    if not provider.get("supports_markers"):
        placement.active = False
        placement.findings.append(warning("provider-unsupported", "", f"provider {model.provider!r} takes no cache markers"))
        return placement
    existing = caller_markers(request)
    budget = provider["max_breakpoints"] - len(existing) - (automatic_marker(request) is not None)
    prefix = prefix_sums(tokens)
    taken = {m.block for m in existing}
    for index, reason in _boundaries(request):
        if budget <= 0:
            break
        if index in taken or prefix[index] < model.min_cacheable_tokens:
            continue
        taken.add(index)
        budget -= 1
        placement.reasons[index] = reason
    for index in _lookback_fillers(request, sorted(taken), provider["lookback_blocks"], budget, prefix, model):
        taken.add(index)
        placement.reasons[index] = f"keeps breakpoints within the {provider['lookback_blocks']}-block lookback"
    new = sorted(taken - {m.block for m in existing})
    ttls = _ttls(request, new, existing, cache, rules.ttl_seconds(model.provider))
    placement.markers = [Marker(i, ttls[i], "new") for i in new]
    return placement


def _boundaries(request: Request) -> list[tuple[int, str]]:
    """Best places for a breakpoint, most valuable first: the end of the stable prefix."""
    blocks = request.blocks
    final = final_message(request)
    history = [i for i, b in enumerate(blocks) if b.section == "messages" and b.message != final and b.markable]
    repeated = (
        [(last_cacheable(request), "end of the final message (the fixture says it repeats word for word)")]
        if request.final_repeats
        else []
    )
    ends = [
        *repeated,
        (history[-1] if history else None, "end of the conversation history (the final message changes per call)"),
        (_last(blocks, "system"), "end of system"),
        (_last(blocks, "tools"), "end of tools"),
    ]
    return [(i, reason) for i, reason in ends if i is not None]


def final_message(request: Request) -> int | None:
    return max((b.message for b in request.blocks if b.section == "messages" and b.message is not None), default=None)


def in_final_message(request: Request, index: int) -> bool:
    block = request.blocks[index]
    return block.section == "messages" and block.message is not None and block.message == final_message(request)


def _last(blocks: list[Block], section: str) -> int | None:
    return max((i for i, b in enumerate(blocks) if b.section == section and b.markable), default=None)


def _lookback_fillers(
    request: Request, taken: list[int], lookback: int, budget: int, prefix: list[int], model: Model
) -> list[int]:
    """Extra breakpoints where two are further apart than the provider looks back."""
    fillers = []
    previous = -1
    for index in taken:
        while budget > 0 and index - previous > lookback:
            candidates = [
                i
                for i in range(previous + 1, previous + lookback + 1)
                if request.blocks[i].markable and prefix[i] >= model.min_cacheable_tokens
            ]
            if not candidates:
                break
            previous = candidates[-1]
            fillers.append(previous)
            budget -= 1
        previous = index
    return fillers


def _ttls(
    request: Request, new: list[int], existing: list[Marker], cache: CacheSettings, offered: dict[str, int]
) -> dict[int, str]:
    """Configured TTLs (domain definitions for tools/system), kept non-increasing along the prefix."""
    caller = {m.block: m.ttl for m in existing}
    result: dict[int, str] = {}
    for index in new:
        section = request.blocks[index].section
        wanted = _offered_within(
            offered, cache.domain_definitions_ttl_seconds if section in ("tools", "system") else cache.default_ttl_seconds
        )
        earlier = [offered[t] for i, t in {**caller, **result}.items() if i < index and t in offered]
        later = [offered[t] for i, t in caller.items() if i > index and t in offered]
        seconds = offered[wanted]
        if later:
            seconds = max(seconds, max(later))
        if earlier:
            seconds = min(seconds, min(earlier))
        result[index] = next(name for name, s in offered.items() if s == seconds)
    return result


def _offered_within(offered: dict[str, int], seconds: int) -> str:
    """The longest TTL the provider offers that ``seconds`` covers, else its shortest."""
    fitting = [name for name, s in offered.items() if s <= seconds]
    return max(fitting, key=offered.__getitem__) if fitting else min(offered, key=offered.__getitem__)


# --- automatic caching -----------------------------------------------------------------------


def place_auto(request: Request, cache: CacheSettings, model: Model, rules: Rules) -> Placement:
    """Turning automatic caching on: one top-level marker, with the configured message TTL."""
    placement = Placement("auto")
    if not rules.provider(model.provider).get("supports_markers"):
        placement.active = False
        placement.findings.append(warning("provider-unsupported", "", f"provider {model.provider!r} takes no cache markers"))
        return placement
    index = last_cacheable(request)
    if request.automatic_ttl is not None or index is None:
        return placement
    placement.automatic_ttl = _offered_within(rules.ttl_seconds(model.provider), cache.default_ttl_seconds)
    placement.reasons[index] = (
        "automatic caching: the provider applies the request's top-level marker to the last cacheable block"
    )
    if isinstance(request.data, list):
        placement.findings.append(
            warning(
                "automatic-is-a-request-option",
                "",
                "automatic caching is a top-level request field: through ChatAnthropic pass model_kwargs={'cache_control': "
                "{'type': 'ephemeral'}}; --emit-request prints the messages unchanged",
            )
        )
    return placement


# --- what the provider does with it ---------------------------------------------------------


def evaluate(request: Request, tokens: list[int], placement: Placement, model: Model, rules: Rules) -> Outcome:
    provider = rules.provider(model.provider)
    offered = rules.ttl_seconds(model.provider)
    prefix = prefix_sums(tokens)
    findings: list[Finding] = []
    rejected = request.rejected or not request.sendable
    on_message = [m for m in placement.markers if m.on_message]
    for marker in on_message:
        block = request.blocks[marker.block]
        if block.message_fate == "rejected":
            rejected = True
            findings.append(
                error(
                    "marker-rejected",
                    block.pointer,
                    f"{block.location} is string content: the wrapper's marker on the message dict is sent as it is and the API "
                    "rejects the request (messages.N.cache_control: Extra inputs are not permitted)",
                )
            )
        else:
            findings.append(
                error(
                    "marker-dropped",
                    block.pointer,
                    f"{block.location} is string content: the wrapper's marker on the message dict is dropped by ChatAnthropic; "
                    "nothing is cached by it",
                )
            )
    automatic = automatic_marker(request, placement)
    markers = sorted(
        caller_markers(request) + [m for m in placement.markers if not m.on_message] + ([automatic] if automatic else []),
        key=lambda m: m.block,
    )
    over = over_the_limit(request, markers, provider.get("max_breakpoints"))
    rejected = rejected or over is not None
    findings += [over] if over else []
    for earlier, later in zip(markers, markers[1:]):
        if offered.get(later.ttl, 0) > offered.get(earlier.ttl, 0):
            rejected = True
            findings.append(
                error(
                    "ttl-order",
                    request.blocks[later.block].pointer,
                    f"a {later.ttl} marker at {request.blocks[later.block].location} comes after a {earlier.ttl} one: "
                    "the API rejects the request (longer TTLs must come first)",
                )
            )
            break
    breakpoints = []
    previous = -1
    for marker in markers:
        tokens_here = prefix[marker.block]
        effective = not rejected and tokens_here >= model.min_cacheable_tokens
        location = request.blocks[marker.block].location
        if not rejected and not effective:
            findings.append(
                warning(
                    "prefix-below-minimum",
                    request.blocks[marker.block].pointer,
                    f"the prefix up to {location} is {tokens_here} tokens, below {model.family}'s minimum of "
                    f"{model.min_cacheable_tokens}: this breakpoint caches nothing",
                )
            )
        if effective and marker.block - previous > provider.get("lookback_blocks", marker.block + 1):
            findings.append(
                warning(
                    "lookback-gap",
                    request.blocks[marker.block].pointer,
                    f"{marker.block - previous} blocks since the previous breakpoint: when one of them changes, the provider "
                    f"looks back only {provider['lookback_blocks']} blocks for an earlier entry",
                )
            )
        if effective:
            previous = marker.block
        every_call = effective and in_final_message(request, marker.block) and not request.final_repeats
        breakpoints.append(Breakpoint(marker.block, marker.ttl, marker.origin, tokens_here, effective, every_call))
    findings += _final_message(request, breakpoints)
    cached = max((b.prefix_tokens for b in breakpoints if b.effective), default=0)
    return Outcome(breakpoints, findings, rejected, cached)


def _final_message(request: Request, breakpoints: list[Breakpoint]) -> list[Finding]:
    """A breakpoint in the final message is read back only if the next call repeats that message word for word."""
    rewritten = [b for b in breakpoints if b.every_call]
    return [
        warning(
            "breakpoint-in-final-message",
            request.blocks[b.block].pointer,
            f"the breakpoint at {request.blocks[b.block].location} is in the final message: it is priced as a cache write on "
            "every call, because a later call reads it back only if it repeats that message word for word; if it does, add "
            '"optctl": {"final_message_repeats": true} to the fixture or pass --final-message-repeats',
        )
        for b in rewritten[-1:]
    ]
