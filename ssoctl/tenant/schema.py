"""The tenant file's JSON Schema (draft 2020-12): generated from the typed model, with
the gallery's choices (template names, each template's regions or platforms) added, so
an editor completes and checks them. Apart from model.py so that the model never needs
the gallery, which itself is built on the model."""

from __future__ import annotations

from typing import Any

import msgspec

from ssoctl.tenant import gallery
from ssoctl.tenant.model import Tenant

# An identifier, not an address: no site serves it (editors use the local copy).
SCHEMA_ID = "urn:ssoctl:schema:tenant:v1"


def json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of the tenant file, generated from the model."""
    generated = msgspec.json.schema(Tenant)
    root = generated["$defs"].pop("Tenant")
    for section in ("certificates", "users", "groups", "apps"):  # a bare key means empty
        inner = root["properties"][section]
        described = {"description": inner.pop("description")} if "description" in inner else {}
        root["properties"][section] = {**described, "anyOf": [inner, {"type": "null"}]}
    _gallery_choices(generated["$defs"]["App"])
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **root,
        "title": "ssoctl tenant file",
        "$defs": generated["$defs"],
    }


def _gallery_choices(app: dict[str, Any]) -> None:
    """Editors offer the gallery: `template` is one of its names, and `region` or
    `platform` one of that template's variants (if/then on the template)."""
    templates = gallery.templates()
    app["properties"]["template"]["enum"] = sorted(templates)
    conditions = []
    for name, template in sorted(templates.items()):
        kind = template.variant_kind
        if kind is None:
            continue
        listed = "; ".join(
            f"{v}: {variant.description}" for v, variant in template.variants.items()
        )
        conditions.append(
            {
                "if": {"properties": {"template": {"const": name}}, "required": ["template"]},
                "then": {
                    "properties": {
                        kind: {
                            "enum": list(template.variants),
                            "description": f"{template.display_name} {kind}: {listed}",
                        }
                    }
                },
            }
        )
    app["allOf"] = conditions
