"""Secrets never leave optctl: every value printed, logged or recorded passes through here.

A value is replaced by ``REDACTED`` when any of these rules says it may be a secret (the
README's security notes list them for users):

1. Its key, or the key of any object above it, names a secret. Keys are compared as words,
   whatever the style (``awsSecretAccessKey``, ``x-api-key``, ``PRIVATE_KEY_PEM``): a word
   or run of words from ``SECRET_WORDS`` (password, passphrase, secret, token, credentials,
   authorization, cookie, bearer, ...), or a glued name containing one of ``SECRET_PARTS``
   (``apikey``, ``accesskey``, ``privatekey``, ...). Counts such as ``max_tokens`` are not.
2. It is under a key named ``configuration`` (a model document's provider settings, where
   each platform adds its own fields) and not under an allow-listed field known to hold no
   secret (``CONFIGURATION_FIELDS``: model, temperature, base URL, ...).
3. Whatever its key, the part of a string that looks like a secret is replaced: the userinfo
   of a URL (``https://user:pass@host``), a ``Password=...`` (and similar) item of a connection
   string, and values shaped like keys: ``sk-...`` (Anthropic, OpenAI), ``AKIA...``/``ASIA...``
   (AWS), PEM blocks, ``Bearer ...``, JSON Web Tokens, GitHub, Slack and Google API keys.

Booleans, null and empty strings are never secrets and are left as they are, so that a
redacted document keeps its shape. Free text (error messages, a check's output) goes through
``scrub``: rule 3, plus the secret values of the documents involved.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import AbstractSet, Any, Iterator, Mapping

from optctl.documents.positions import escape

REDACTED = "***REDACTED***"

SECRET_WORDS = frozenset(
    {
        "password",
        "passwd",
        "pwd",
        "passphrase",
        "secret",
        "secrets",
        "token",
        "credential",
        "credentials",
        "authorization",
        "auth",
        "cookie",
        "cookies",
        "bearer",
        "jwt",
        "signature",
        "pem",
        "passcode",
        "pin",
    }
)
# Runs of words that name a secret together, though each word alone does not ("api key").
SECRET_PAIRS = frozenset(
    {
        ("api", "key"),
        ("api", "keys"),
        ("access", "key"),
        ("private", "key"),
        ("secret", "key"),
        ("signing", "key"),
        ("encryption", "key"),
        ("session", "key"),
        ("session", "id"),
        ("client", "secret"),
        ("master", "key"),
        ("account", "key"),
        ("connection", "string"),
    }
)
SECRET_PARTS = (
    "password",
    "passwd",
    "passphrase",
    "secret",
    "apikey",
    "accesskey",
    "privatekey",
    "signingkey",
    "encryptionkey",
    "credential",
    "authorization",
    "cookie",
    "bearer",
    "connectionstring",
)

# Provider settings under ``configuration`` known to hold no secret (compared lower-case, without
# ``_`` or ``-``). Their values still go through rule 3 (a base URL loses its userinfo).
CONFIGURATION_FIELDS = frozenset(
    {
        "model",
        "models",
        "modelname",
        "modelfriendlyname",
        "modeltype",
        "provider",
        "temperature",
        "maxtokens",
        "maxoutputtokens",
        "topp",
        "topk",
        "contextlength",
        "contextwindow",
        "ismultimodal",
        "isreasoning",
        "isdefault",
        "baseurl",
        "endpoint",
        "url",
        "apibase",
        "apiversion",
        "deploymentname",
        "deployment",
        "region",
        "timeout",
        "maxretries",
        "stream",
        "streaming",
    }
)
CONFIGURATION = "configuration"

_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")

# Rule 3: each pattern's secret part is replaced, its context is kept.
_USERINFO = r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s@?#]+@"
_CONNECTION_ITEM = (
    r"(?P<item>(?i:\b(?:password|pwd|accountkey|sharedaccesskey|sharedaccesssignature|secret|token)\s*=\s*))[^;\s'\"]+"
)
_BEARER = r"(?P<bearer>(?i:\bbearer\s+))[A-Za-z0-9._~+/=-]{8,}"
_KEY_SHAPES = "|".join(
    (
        r"\bsk-[A-Za-z0-9][A-Za-z0-9_-]{15,}",  # Anthropic sk-ant-..., OpenAI sk-...
        r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b",  # AWS access key ids
        r"-----BEGIN [A-Z0-9 ]+-----(?:.|\n)*?(?:-----END [A-Z0-9 ]+-----|\Z)",  # PEM, even cut short
        r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*",  # JSON Web Tokens
        r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})",  # GitHub tokens
        r"\bxox[abposr]-[A-Za-z0-9-]{10,}",  # Slack tokens
        r"\bAIza[0-9A-Za-z_-]{35}",  # Google API keys
    )
)
_SHAPED = re.compile(f"{_USERINFO}|{_CONNECTION_ITEM}|{_BEARER}|{_KEY_SHAPES}")


def _replacement(match: re.Match[str]) -> str:
    prefix = match.group("scheme") or match.group("item") or match.group("bearer") or ""
    return f"{prefix}{REDACTED}@" if match.group("scheme") else prefix + REDACTED


# A string holding none of these cannot match ``_SHAPED``: most values (names, times, models)
# are passed over with this one cheap search (``history --all`` redacts millions of them). Every
# alternative begins with a plain character (``bearer`` in any case is spelled out: those four
# letters have no case variants but their ASCII ones), so the regex engine skips ahead to the
# characters that can begin one instead of trying each alternative at every position: the search
# takes a third of the time of ``(?i:bearer)``'s spelling on a line of history.
_MAYBE_SHAPED = re.compile(
    r"://|=|B[Ee][Aa][Rr][Ee][Rr]|b[Ee][Aa][Rr][Ee][Rr]|sk-|AKIA|ASIA|-----BEGIN |eyJ|gh[pousr]_|github_pat_|xox|AIza"
)


def scrub_shapes(text: str) -> str:
    """Rule 3 on one string: URL userinfo, connection-string passwords, key-shaped values."""
    return _SHAPED.sub(_replacement, text) if _MAYBE_SHAPED.search(text) else text


@lru_cache(maxsize=4096)
def is_secret_key(key: str) -> bool:
    """Rule 1: does this key name a secret? (``max_tokens`` style counts do not.)"""
    glued = re.sub(r"[^a-z0-9]", "", key.lower())
    if any(part in glued for part in SECRET_PARTS):
        return True
    words = [word.lower() for word in _WORDS.findall(key)]
    return any(word in SECRET_WORDS for word in words) or any(pair in SECRET_PAIRS for pair in zip(words, words[1:]))


@lru_cache(maxsize=4096)
def _allowed_in_configuration(key: str) -> bool:
    return re.sub(r"[^a-z0-9]", "", key.lower()) in CONFIGURATION_FIELDS


@lru_cache(maxsize=8192)  # asked for every key of every value redacted: a few names, millions of times
def _hides(key: str, inside_configuration: bool) -> bool:
    """Whether everything below ``key`` is secret (rules 1 and 2)."""
    return is_secret_key(key) or (inside_configuration and not _allowed_in_configuration(key))


def is_secret_pointer(pointer: str) -> bool:
    """True if the value at a JSON pointer is secret by rule 1 or 2 (``/configuration/apiKey``)."""
    inside = False
    for part in (p for p in pointer.split("/") if p):
        if part.isdigit():
            continue
        if _hides(part, inside):
            return True
        inside = inside or part == CONFIGURATION
    return False


# Each string of a JSON text in order: a key (its name, group 1) or any other string ("").
_STRINGS = re.compile(r'"([^"]*)"\s*:|"[^"]*"')


def encoded_is_clean(text: str) -> bool:
    """True when ``redact`` would change nothing in the value that ``text``, JSON as ``json.dumps``
    writes it, encodes: no key names a secret or is ``configuration``, and no string can hold a
    secret shape. Exact, and cheaper than redacting: one search for the shapes over the whole
    text, one pass for the keys, whose verdicts are remembered per set of names.

    Sound because a text with no backslash has no escapes: every string in it is written as it
    is, every quote opens or closes one, so the shapes' prefilter (whose patterns hold no quote)
    finds a shape in any string by searching the text, and ``_STRINGS`` reads the strings one
    after another, each key by the colon after it. A text with a backslash is not vouched for.
    """
    if "\\" in text or _MAYBE_SHAPED.search(text):
        return False
    return not _any_key_hides(tuple(_STRINGS.findall(text)))


def plain_record_is_clean(record: Mapping[Any, Any]) -> bool:
    """True when ``redact`` would change nothing in ``record``, a flat record (no object or list
    in it; one that is not flat is not vouched for). Cheaper still than ``encoded_is_clean``: the
    keys' verdict is remembered per set of keys, and the strings are searched for shapes joined
    (the prefilter's patterns match inside a string whatever surrounds it)."""
    strings = []
    for value in record.values():
        if isinstance(value, str):
            strings.append(value)
        elif isinstance(value, (dict, list)):
            return False
    return not _any_key_hides(tuple(record)) and not _MAYBE_SHAPED.search("\n".join(strings))


@lru_cache(maxsize=256)
def _any_key_hides(keys: tuple[Any, ...]) -> bool:
    """Rule 1 for a set of keys; ``configuration`` counts (rule 2 below it is not followed here)."""
    return any(isinstance(key, str) and (key == CONFIGURATION or is_secret_key(key)) for key in keys)


def _is_hidden(value: Any) -> bool:
    """What a secret key's value turns into ``REDACTED``: anything but a container, bool, null or ""."""
    return not isinstance(value, (bool, dict, list)) and value not in (None, "")


def redact(value: Any) -> Any:
    """A deep copy with every secret value replaced (the rules in this module's docstring)."""
    return _redact(value, hidden=False, inside=False)


def _redact(value: Any, hidden: bool, inside: bool) -> Any:
    if isinstance(value, dict):
        copy = {}
        for k, v in value.items():  # scalars inline: a call per value is most of the cost
            hide = hidden or (isinstance(k, str) and _hides(k, inside))
            if isinstance(v, (dict, list)):
                copy[k] = _redact(v, hide, inside or k == CONFIGURATION)
            elif hide and _is_hidden(v):
                copy[k] = REDACTED
            else:
                copy[k] = scrub_shapes(v) if isinstance(v, str) else v
        return copy
    if isinstance(value, list):
        return [_redact(v, hidden, inside) for v in value]
    if hidden and _is_hidden(value):
        return REDACTED
    return scrub_shapes(value) if isinstance(value, str) else value


def secret_values(value: Any) -> set[str]:
    """Every secret string in a document (whole values and key-shaped parts), to scrub free text with."""
    return set(_secrets(value, hidden=False, inside=False))


def _secrets(value: Any, hidden: bool, inside: bool) -> Iterator[str]:
    stack = [(value, hidden, inside)]
    while stack:
        current, hide, within = stack.pop()
        if isinstance(current, dict):
            stack.extend(
                (v, hide or (isinstance(k, str) and _hides(k, within)), within or k == CONFIGURATION) for k, v in current.items()
            )
        elif isinstance(current, list):
            stack.extend((v, hide, within) for v in current)
        elif isinstance(current, str) and current:
            if hide or REDACTED in current:  # the marker: a document that was exported redacted
                yield current if hide else REDACTED
            elif _MAYBE_SHAPED.search(current):  # most strings: nothing shaped like a secret, one cheap search
                yield from (m.group(0) for m in _SHAPED.finditer(current))


def pointer_forms(secret: str) -> tuple[str, ...]:
    """How ``secret`` may be spelt in free text: as it is, and as a key in a JSON pointer
    (``~`` and ``/`` escaped), for a key named like a secret value shows in a finding's pointer."""
    escaped = escape(secret)
    return (secret,) if escaped == secret else (secret, escaped)


def scrub(text: str, secrets: AbstractSet[str] = frozenset()) -> str:
    """Free text with any known secret value (in either of its ``pointer_forms``), and anything
    shaped like a secret, replaced."""
    forms = {form for secret in secrets if len(secret) >= 4 and secret != REDACTED for form in pointer_forms(secret)}
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, REDACTED)
    return scrub_shapes(text)
