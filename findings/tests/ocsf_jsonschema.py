"""The vendored OCSF class and object definitions compiled into a JSON Schema (draft 2020-12).

OCSF publishes its schema as its own JSON dialect: a class `extends` another and `$include`s
attribute sets, attributes take their type, array-ness and enum from `dictionary.json`, and a
class may narrow an attribute's enum. This follows those rules for the files in `ocsf_schema/`:
required attributes are required, types and enums are checked, and an attribute the class or
object does not define is refused.
"""

import json
from functools import cache
from pathlib import Path
from typing import Any

SCHEMA_DIR = Path(__file__).parent / "ocsf_schema"
# The profiles the export names in `metadata.profiles`.
APPLIED_PROFILES = ("cloud",)

SCALAR_TYPES: dict[str, dict[str, Any]] = {
    "boolean_t": {"type": "boolean"},
    "float_t": {"type": "number"},
    "integer_t": {"type": "integer"},
    "long_t": {"type": "integer"},
    "port_t": {"type": "integer", "minimum": 0, "maximum": 65535},
    "timestamp_t": {"type": "integer"},
    "json_t": {},
}


def _load(relative: str) -> dict[str, Any]:
    return json.loads((SCHEMA_DIR / relative).read_text())


@cache
def _dictionary() -> dict[str, Any]:
    return _load("dictionary.json")


def _attributes(definition: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A definition's own attributes with its `$include`d files merged in, own ones last; a
    profile's attributes only when the export applies that profile."""
    merged: dict[str, dict[str, Any]] = {}
    own = definition.get("attributes", {})
    for included in own.get("$include", []):
        if included.startswith("profiles/") and Path(included).stem not in APPLIED_PROFILES:
            continue
        for name, attribute in _attributes(_load(included)).items():
            merged[name] = {**merged.get(name, {}), **attribute}
    for name, attribute in own.items():
        if name != "$include" and attribute.get("profile") in (None, *APPLIED_PROFILES):
            merged[name] = {**merged.get(name, {}), **attribute}
    return merged


def _resolved(definition: dict[str, Any], folder: str) -> dict[str, dict[str, Any]]:
    """Attributes along the `extends` chain, a child's keys overriding its parent's."""
    parent = definition.get("extends")
    inherited = _resolved(_find(parent, folder), folder) if parent else {}
    for name, attribute in _attributes(definition).items():
        inherited[name] = {**inherited.get(name, {}), **attribute}
    return inherited


def _find(name: str, folder: str) -> dict[str, Any]:
    for path in sorted((SCHEMA_DIR / folder).rglob("*.json")):
        definition = json.loads(path.read_text())
        if definition.get("name") == name:
            return definition
    raise LookupError(f"OCSF {folder} {name!r} is not vendored")


def _object_types() -> set[str]:
    return {json.loads(p.read_text())["name"] for p in (SCHEMA_DIR / "objects").glob("*.json")}


def _value_schema(type_name: str, vendored: set[str], seen: frozenset[str]) -> dict[str, Any]:
    if type_name == "object":
        # OCSF's free-form object (`unmapped`): any JSON object.
        return {"type": "object"}
    if type_name in SCALAR_TYPES:
        return dict(SCALAR_TYPES[type_name])
    if type_name.endswith("_t"):
        # string_t and the types derived from it (uuid_t, url_t, ...) are strings.
        return {"type": "string"}
    if type_name in vendored and type_name not in seen:
        return _object_schema(_find(type_name, "objects"), vendored, seen | {type_name})
    return {"type": "object"}


def _properties(
    attributes: dict[str, dict[str, Any]], vendored: set[str], seen: frozenset[str]
) -> dict[str, Any]:
    dictionary = _dictionary()["attributes"]
    properties = {}
    for name, attribute in attributes.items():
        entry = {**dictionary.get(name, {}), **attribute}
        value = _value_schema(entry.get("type", "string_t"), vendored, seen)
        enum = {**dictionary.get(name, {}).get("enum", {}), **attribute.get("enum", {})}
        if enum:
            value["enum"] = sorted(int(key) if key.lstrip("-").isdigit() else key for key in enum)
        properties[name] = {"type": "array", "items": value} if entry.get("is_array") else value
    return properties


def _object_schema(
    definition: dict[str, Any], vendored: set[str], seen: frozenset[str]
) -> dict[str, Any]:
    attributes = _resolved(definition, "objects")
    schema: dict[str, Any] = {
        "type": "object",
        "properties": _properties(attributes, vendored, seen),
        "required": sorted(n for n, a in attributes.items() if a.get("requirement") == "required"),
        "additionalProperties": False,
    }
    at_least_one = definition.get("constraints", {}).get("at_least_one")
    if at_least_one:
        schema["anyOf"] = [{"required": [name]} for name in at_least_one]
    return schema


def event_class_schema(class_name: str) -> dict[str, Any]:
    """The JSON Schema of one OCSF event class, e.g. "detection_finding"."""
    definition = _find(class_name, "events")
    attributes = _resolved(definition, "events")
    vendored = _object_types()
    schema = _object_schema({"attributes": {}}, vendored, frozenset())
    schema["properties"] = _properties(attributes, vendored, frozenset())
    schema["required"] = sorted(
        name for name, attribute in attributes.items() if attribute.get("requirement") == "required"
    )
    # The dictionary leaves these to the class: its category, its uid, and one type per activity.
    uid = class_uid(class_name)
    schema["properties"]["category_uid"]["enum"] = [uid // 1000]
    schema["properties"]["class_uid"]["enum"] = [uid]
    activities = schema["properties"]["activity_id"]["enum"]
    schema["properties"]["type_uid"]["enum"] = [uid * 100 + activity for activity in activities]
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


def class_uid(class_name: str) -> int:
    """class_uid = category uid * 1000 + the class's own uid."""
    definition = _find(class_name, "events")
    category = _find(definition["extends"], "events")["category"]
    return _load("categories.json")["attributes"][category]["uid"] * 1000 + definition["uid"]
