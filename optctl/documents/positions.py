"""Line and column for a JSON pointer, in JSON (via json-source-map) or YAML (via node marks).

Only documents with problems come here, so the cost of a source map is paid once per bad
document, never for clean ones.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import yaml


def yaml_loader() -> type:
    """libyaml's loader where PyYAML was built with it; imported only when YAML is read."""
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def escape(key: str) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")


def _unescape(part: str) -> str:
    return part.replace("~1", "/").replace("~0", "~")


def locate(text: str, fmt: str, pointer: str, *, key: bool = False) -> tuple[int, int] | None:
    """1-based (line, column) within ``text`` of the value, or key, at ``pointer``.

    Falls back to the nearest ancestor that exists (a missing key is reported at its
    parent object).
    """
    while True:
        found = _locate_yaml(text, pointer, key) if fmt == "yaml" else _locate_json(text, pointer, key)
        if found is not None or not pointer:
            return found
        pointer, key = pointer.rsplit("/", 1)[0], False


def _locate_json(text: str, pointer: str, key: bool) -> tuple[int, int] | None:
    entry = _json_map(text).get(pointer)
    if entry is None:
        return None
    location = entry.key_start if key and entry.key_start is not None else entry.value_start
    return location.line + 1, location.column + 1


@lru_cache(maxsize=8)
def _json_map(text: str) -> dict[str, Any]:
    import json_source_map

    try:
        return json_source_map.calculate(text)
    except Exception:  # the library's own parser is stricter in odd corners; no position then
        return {}


def _locate_yaml(text: str, pointer: str, key: bool) -> tuple[int, int] | None:
    import yaml

    node = _yaml_node(text)
    key_node = None
    for part in [_unescape(p) for p in pointer.split("/")[1:]] if pointer else []:
        if isinstance(node, yaml.MappingNode):
            match = next(((k, v) for k, v in node.value if k.value == part), None)
            if match is None:
                return None
            key_node, node = match
        elif isinstance(node, yaml.SequenceNode) and part.isdigit() and int(part) < len(node.value):
            key_node, node = None, node.value[int(part)]
        else:
            return None
    if node is None:
        return None
    mark = (key_node if key and key_node is not None else node).start_mark
    return mark.line + 1, mark.column + 1


@lru_cache(maxsize=8)
def _yaml_node(text: str) -> yaml.Node | None:
    import yaml

    try:
        return yaml.compose(text, Loader=yaml_loader())
    except yaml.YAMLError:
        return None


def yaml_duplicate_key(node: yaml.Node) -> tuple[str, yaml.Mark] | None:
    """The first mapping key given twice in a YAML document, with its second position."""
    import yaml

    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in current.value:
                if isinstance(key_node, yaml.ScalarNode):
                    if key_node.value in seen:
                        return key_node.value, key_node.start_mark
                    seen.add(key_node.value)
                stack.append(value_node)
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)
    return None
