"""Where measured usage comes from: a usage log, or the Admin API's usage report mapped to services.

Shared by ``optctl savings`` and the savings gate so both read usage the same way.
"""

from __future__ import annotations

import os
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable, Mapping

from optctl.errors import UsageError
from optctl.savings.admin_api import DEFAULT_BASE_URL, UsageReportClient, admin_key
from optctl.savings.attribution import Attribution, Unattributed, attribute
from optctl.savings.usage import UsageRecord, read_usage_log


@dataclass(frozen=True)
class Source:
    """``usage_log`` set: read that file; else the usage report at ``admin_url``."""

    usage_log: Path | None = None
    admin_url: str = DEFAULT_BASE_URL
    bucket_width: str = "1h"

    def describe(self) -> str:
        return (
            f"usage log {self.usage_log}"
            if self.usage_log
            else f"Admin API usage report at {self.admin_url} ({self.bucket_width} buckets)"
        )


@dataclass(frozen=True)
class UsageEdges:
    """The I/O a source may touch (defaults: the real thing); tests inject a sleeper that records instead of sleeping."""

    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    sleeper: Callable[[float], None] = time.sleep
    opener: Callable[..., object] = urllib.request.urlopen


@dataclass(frozen=True)
class Measured:
    records: list[UsageRecord]
    unattributed: list[Unattributed]
    source: str


def measure(source: Source, attribution: Attribution, start: datetime, end: datetime, edges: UsageEdges) -> Measured:
    if source.usage_log is not None:
        return Measured(list(read_usage_log(source.usage_log)), [], source.describe())
    if attribution.empty:
        raise UsageError(
            "the usage report names API keys and workspaces, not services: map them in optctl.toml "
            "([savings.attribution.ENV] service = { api_key_ids = [...] }), or read a --usage-log"
        )
    client = UsageReportClient(admin_key(edges.environ), source.admin_url, edges.sleeper, edges.opener)
    records, aside = attribute(client.rows(start, end, source.bucket_width), attribution)
    return Measured(records, aside, source.describe())
