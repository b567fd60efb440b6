"""Check one document against its kind's bundled schema, then its semantic rules.

Schema errors are turned into findings with our own wording: jsonschema's messages quote
the offending instance whole, which could be an object holding an API key. Here a value is
shown only when it is a short scalar at a pointer that is not secret.
"""

from __future__ import annotations

import difflib
import json
from functools import cache
from typing import Any, Callable

from optctl.contract.findings import Finding, error
from optctl.contract.kinds import Kind
from optctl.contract.schemas import load_schema, schema_names
from optctl.documents.positions import escape
from optctl.documents.redact import REDACTED, is_secret_pointer, pointer_forms, scrub, scrub_shapes, secret_values

_JSON_TYPES = {
    "boolean": "a boolean (true or false)",
    "integer": "a whole number",
    "string": "a string",
    "object": "an object",
    "array": "an array",
    "number": "a number",
    "null": "null",
}


# Where a pointer is in the document's file, (line, column) or None; ``True``: the key's place, not its value's.
Locate = Callable[[str, bool], "tuple[int, int] | None"]


def check_document(data: Any, kind: Kind, use_model: bool = True, locate: Locate | None = None) -> list[Finding]:
    """All findings for one document: schema errors, else the kind's semantic findings.

    Every finding leaves here scrubbed (``_scrubbed``): the one place that keeps a document's
    secrets out of its findings, in every field, the pointer included (a key may be named like a
    secret value). ``locate`` places each finding in the file first, as the place is found by the
    pointer as the document spells it.

    ``use_model``: ask the kind's pydantic model first (fast per document, but its import costs
    about 90 ms) and run jsonschema only to explain a rejection, and only over the top-level
    members the model rejected; without it jsonschema judges and explains alike. Both give the
    same verdict (tests/unit/contract/test_schema_agreement.py), and the findings always come
    from jsonschema's errors, so they are the same either way (tests/unit/contract/test_engine_choice.py).
    """
    findings: list[Finding] = []
    rejected: frozenset[str] | None = frozenset({""})  # "": the whole document
    if use_model and kind.model is not None:
        rejected = kind.model_rejection(data)
    if rejected is not None:
        for err in _validator(kind.schema, rejected).iter_errors(data):
            findings.extend(_schema_findings(err))
    if not findings:
        findings = kind.semantic_findings(data)
    findings.sort(key=lambda f: (f.severity != "error", f.pointer))
    if locate is not None:
        findings = [f.at(*(locate(f.pointer, f.code == "unknown-key") or (None, None))) for f in findings]
    if findings:
        secrets = secret_values(data)
        findings = [_scrubbed(f, secrets) for f in findings]
    return findings


# Keywords beside which a schema's ``properties`` can be narrowed to some members without changing
# the errors about them: none of these looks at which properties the schema declares.
_NARROWABLE = frozenset({"$schema", "$id", "$comment", "title", "description", "type", "required", "properties"})


@cache
def _validator(name: str, members: frozenset[str] = frozenset({""})) -> Any:
    """The bundled schema ``name``'s validator; ``members``: only those top-level properties are
    checked (errors about the document as a whole still are), where the schema allows it."""
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource

    schemas = {n: load_schema(n) for n in schema_names()}
    registry = Registry().with_resources((schema["$id"], Resource.from_contents(schema)) for schema in schemas.values())
    schema = schemas[name]
    properties = schema.get("properties", {})
    if schema.keys() <= _NARROWABLE and members <= properties.keys():
        schema = {**schema, "properties": {key: sub for key, sub in properties.items() if key in members}}
    return Draft202012Validator(schema, registry=registry)


def _pointer(path) -> str:
    return "".join(f"/{escape(part)}" for part in path)


def _shown(value: Any, pointer: str) -> str | None:
    if is_secret_pointer(pointer):
        return REDACTED
    if isinstance(value, (dict, list)):
        return None
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def _schema_findings(err) -> list[Finding]:
    if err.validator in ("anyOf", "oneOf") and err.context:
        from jsonschema.exceptions import best_match

        return _schema_findings(best_match(err.context))
    pointer = _pointer(err.absolute_path)
    keyword, expected = err.validator, err.validator_value
    if keyword == "additionalProperties":
        known = sorted(err.schema.get("properties", {}))
        extra = [key for key in err.instance if key not in known]
        return [_unknown_key(f"{pointer}/{escape(key)}", key, known) for key in extra]
    if keyword == "unevaluatedProperties":
        return [error("unknown-key", pointer, err.message.split(" (")[0])]
    if keyword == "required":
        missing = err.message.split("'")[1] if "'" in err.message else str(expected)
        return [error("missing-key", pointer, f"required key {missing!r} is missing", f"add {missing!r}")]
    value = _shown(err.instance, pointer)
    if keyword == "type":
        types = expected if isinstance(expected, list) else [expected]
        wanted = " or ".join(_JSON_TYPES.get(t, str(t)) for t in types)
        hint = None
        if "boolean" in types and err.instance in ("true", "false"):
            hint = f"write {err.instance} without quotes"
        elif "integer" in types and isinstance(err.instance, str) and err.instance.strip().isdigit():
            hint = f"write {err.instance.strip()} without quotes"
        return [Finding("wrong-type", "error", pointer, f"must be {wanted}, not {_json_type(err.instance)}", hint, value)]
    if keyword in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        bounds = _bounds(err.schema)
        return [Finding("out-of-range", "error", pointer, f"must be {bounds}", None, value)]
    if keyword == "enum":
        choices = ", ".join(json.dumps(c) for c in expected)
        close = difflib.get_close_matches(str(err.instance), [str(c) for c in expected], n=1)
        hint = f"did you mean {close[0]!r}?" if close else None
        return [Finding("not-allowed", "error", pointer, f"must be one of {choices}", hint, value)]
    if keyword == "const":
        return [Finding("not-allowed", "error", pointer, f"must be {json.dumps(expected)}", None, value)]
    if keyword in ("minLength", "minItems"):
        return [Finding("too-short", "error", pointer, "must not be empty" if expected == 1 else err.message, None, value)]
    return [
        Finding(
            keyword or "schema", "error", pointer, err.message if value is not None else _first_clause(err.message), None, value
        )
    ]


def _unknown_key(pointer: str, key: str, known: list[str]) -> Finding:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}?" if close else (f"allowed keys: {', '.join(known)}" if known else None)
    return error("unknown-key", pointer, f"unknown key {key!r} (the wrapper rejects unknown keys)", hint)


def _bounds(schema: dict) -> str:
    low, high = schema.get("minimum"), schema.get("maximum")
    if low is not None and high is not None:
        return f"between {low} and {high}"
    return f"at least {low}" if low is not None else f"at most {high}"


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "a whole number"
    if isinstance(value, float):
        return "a number with a fraction"
    return _JSON_TYPES.get(
        {str: "string", dict: "object", list: "array", type(None): "null"}.get(type(value), ""), "an unknown type"
    )


def _first_clause(message: str) -> str:
    # jsonschema puts the instance first ("{...} is not valid under ..."); drop it.
    return message.split(" is ", 1)[-1] if " is " in message else "does not match the schema"


def _scrubbed(finding: Finding, secrets: set[str]) -> Finding:
    """The finding with the document's secret values, and anything shaped like a secret, replaced
    in each of its texts: pointer, message, hint and value (so every reporter prints it clean).

    Most texts hold none of the values (a substring test each, of the value and of its spelling
    in a pointer), and then ``scrub`` comes down to its shapes; a finding with nothing to replace
    is kept as it is. Asked for every finding of every invalid document of an export.
    """
    wanted = {form for secret in secrets for form in pointer_forms(secret)}

    def clean(text: str) -> str:
        return scrub(text, secrets) if any(form in text for form in wanted) else scrub_shapes(text)

    pointer = clean(finding.pointer)
    message = clean(finding.message)
    hint = clean(finding.hint) if finding.hint else None
    value = clean(finding.value) if finding.value else None
    if (pointer, message, hint, value) == (finding.pointer, finding.message, finding.hint, finding.value):
        return finding
    from dataclasses import replace

    return replace(finding, pointer=pointer, message=message, hint=hint, value=value)
