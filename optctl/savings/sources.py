"""Where measured usage comes from: a usage log, or the Admin API (its legacy usage report or the
Usage and Cost Analytics API) mapped to services.

Shared by ``optctl savings`` and the savings gate so both read usage the same way. The legacy
report stays the default: it is generally available, while the analytics API is a beta whose
header may change; the analytics API is the one that counts requests (``min_calls``).
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
from optctl.savings.admin_api import UsageReportClient
from optctl.savings.admin_http import DEFAULT_BASE_URL, admin_key
from optctl.savings.analytics_api import AnalyticsUsageClient
from optctl.savings.attribution import Attribution, Unattributed, attribute
from optctl.savings.usage import UsageRecord, read_usage_log


CLIENTS: dict[str, type[UsageReportClient] | type[AnalyticsUsageClient]] = {
    "usage-report": UsageReportClient,
    "analytics": AnalyticsUsageClient,
}
DEFAULT_API = "usage-report"
NAMES = {"usage-report": "Admin API usage report", "analytics": "Usage and Cost Analytics API"}


@dataclass(frozen=True)
class Source:
    """``usage_log`` set: read that file; else ``usage_source`` (default the legacy report) at ``admin_url``."""

    usage_log: Path | None = None
    admin_url: str = DEFAULT_BASE_URL
    bucket_width: str = "1h"
    usage_source: str | None = None  # "usage-report" | "analytics"; None: the default, or the log when one is given

    def __post_init__(self) -> None:
        if self.usage_source is not None and self.usage_source not in CLIENTS:
            raise UsageError(f"usage source {self.usage_source!r}: use one of {', '.join(CLIENTS)}")
        if self.usage_source is not None and self.usage_log is not None:
            raise UsageError(
                f"a usage log and --usage-source {self.usage_source} are two sources; give one "
                "(--usage-source reads the Admin API, --usage-log reads the file)"
            )

    @property
    def api(self) -> str:
        return self.usage_source or DEFAULT_API

    def describe(self) -> str:
        if self.usage_log:
            return f"usage log {self.usage_log}"
        return f"{NAMES[self.api]} at {self.admin_url} ({self.bucket_width} buckets)"


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
            f"the {NAMES[source.api]} names API keys and workspaces, not services: map them in optctl.toml "
            "([savings.attribution.ENV] service = { api_key_ids = [...] }), or read a --usage-log"
        )
    client = CLIENTS[source.api](admin_key(edges.environ), source.admin_url, edges.sleeper, edges.opener)
    records, aside = attribute(client.rows(start, end, source.bucket_width), attribution)
    return Measured(records, aside, source.describe())
