"""The request that would be sent: the fixture with the strategy's markers in place, nothing else.

"Zero breaking changes" means the only differences from the input are the markers, and a
string content turned into one text block where a marker has to go (a test checks this on
every fixture). The wrapper's own message-level marker is reproduced as the wrapper sends it;
automatic caching is the request's top-level ``cache_control``; optctl's own ``optctl`` key
(``final_message_repeats``) is not part of the request and is left out.
"""

from __future__ import annotations

import copy
from typing import Any

from optctl.caching.placement import Placement
from optctl.caching.request import OPTCTL_KEY, Request


def marker(ttl: str, default_ttl: str | None) -> dict[str, str]:
    """The provider's default TTL is left implicit, as the wrapper and most callers write it."""
    return {"type": "ephemeral"} if ttl == default_ttl else {"type": "ephemeral", "ttl": ttl}


def emit_request(request: Request, placement: Placement, default_ttl: str | None) -> Any:
    data = copy.deepcopy(request.data)
    if isinstance(data, dict):
        data.pop(OPTCTL_KEY, None)
        if placement.automatic_ttl is not None:
            data["cache_control"] = marker(placement.automatic_ttl, default_ttl)
    for new in placement.markers:
        block = request.blocks[new.block]
        parts = [int(p) if p.isdigit() else p for p in block.pointer.strip("/").split("/")]
        parent = data
        for part in parts[:-1]:
            parent = parent[part]
        if new.on_message:
            parent["cache_control"] = marker(new.ttl, default_ttl)
        elif block.string_content:
            parent[parts[-1]] = [{"type": "text", "text": parent[parts[-1]], "cache_control": marker(new.ttl, default_ttl)}]
        else:
            parent[parts[-1]]["cache_control"] = marker(new.ttl, default_ttl)
    return data
