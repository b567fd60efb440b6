"""Secrets never leave optctl: every value printed, logged or recorded passes through here.

Model documents carry provider API keys in ``configuration.apiKey``; other platforms' fields
may carry passwords or tokens. A key is secret by its name, wherever it appears.
"""

from __future__ import annotations

import re
from typing import Any

REDACTED = "***REDACTED***"

_SECRET_KEY = re.compile(r"(api[_-]?key|password|passwd|secret|token|credential|private[_-]?key)$", re.I)


def is_secret_key(key: str) -> bool:
    # "max_tokens" style names are counts, not credentials.
    return bool(_SECRET_KEY.search(key)) and not key.lower().endswith(("_tokens", "tokens"))


def is_secret_pointer(pointer: str) -> bool:
    """True if a JSON pointer passes through a secret key (``/configuration/apiKey``)."""
    return any(is_secret_key(part) for part in pointer.split("/") if part)


def redact(value: Any) -> Any:
    """A deep copy with every secret-named key's value replaced."""
    if isinstance(value, dict):
        return {k: (REDACTED if isinstance(k, str) and is_secret_key(k) and v not in (None, "") else redact(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def secret_values(value: Any) -> set[str]:
    """Every secret string in a document, so free text (error messages) can be scrubbed too."""
    found: set[str] = set()
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(k, str) and is_secret_key(k) and isinstance(v, str) and v:
                found.add(v)
            else:
                found |= secret_values(v)
    elif isinstance(value, list):
        for v in value:
            found |= secret_values(v)
    return found


def scrub(text: str, secrets: set[str]) -> str:
    """Replace any secret value that slipped into free text."""
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= 4:
            text = text.replace(secret, REDACTED)
    return text
