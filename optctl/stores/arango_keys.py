"""ArangoDB's document key rules, checked before any request (a refused key is 400/1221 from the server).

From the 3.12 documentation (``concepts/data-structure/documents/_index.md``, "User-specified
keys"): a key is 1 to 254 bytes of the letters A-Z and a-z, the digits 0-9 and the characters
``_ - . @ ( ) + , = ; $ ! * ' % :``; nothing else, in particular no ``/`` (python-arango would
read ``a/b`` as a document id), no whitespace and no multi-byte characters.
"""

from __future__ import annotations

import re

from optctl.errors import UsageError

KEY = re.compile(r"[A-Za-z0-9_\-.@()+,=;$!*'%:]{1,254}")
RULE = "1-254 characters from A-Z a-z 0-9 _ - . @ ( ) + , = ; $ ! * ' % :"


def valid_key(key: object) -> bool:
    return isinstance(key, str) and KEY.fullmatch(key) is not None


def check_service_key(service: str, key: str, env: str) -> None:
    if not valid_key(key):
        mapped = "its document key" if key == service else f"its mapped key {key!r}"
        raise UsageError(
            f"service {service!r} in {env}: {mapped} is not a valid ArangoDB key ({RULE}); "
            f"map it to one under [environments.{env}.keys] in optctl.toml"
        )


def check_document_key(index: int, key: object) -> None:
    if not valid_key(key):
        raise UsageError(f"document {index} (_key {key!r}): not a valid ArangoDB key ({RULE}); fix the _key in the import file")
