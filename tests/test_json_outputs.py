"""Every `--format json` output has a version and the shape its schema in docs/schemas/
documents; the schemas are generated from ssoctl/outputs.py and must be fresh
(issue 14, item 3)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from ssoctl import outputs
from tests.conftest import DATA, NOW, ROOT, run_cli

SCHEMAS = ROOT / "docs" / "schemas"


def validator(name: str) -> Any:
    schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_schemas_are_fresh(tmp_path: Path) -> None:
    written = outputs.write(tmp_path)
    for path in written:
        committed = SCHEMAS / path.name
        assert committed.exists(), f"run: python -m ssoctl.outputs docs/schemas ({path.name})"
        assert committed.read_text() == path.read_text(), f"regenerate {path.name}"
    assert {p.name for p in SCHEMAS.glob("*.schema.json")} == {p.name for p in written}


def test_every_schema_documents_its_properties() -> None:
    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            if node.get("type") == "object" and "properties" in node:
                assert node.get("additionalProperties") is False, where
            for key, value in node.items():
                walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{where}[{index}]")

    for path in SCHEMAS.glob("*.schema.json"):
        schema = json.loads(path.read_text())
        walk(schema, path.name)
        top = schema["$defs"][schema["$ref"].rsplit("/", 1)[-1]]
        assert top.get("description"), f"{path.name}: say which command writes it"
        assert "version" in top["required"]


def outputs_of(example: Path, tmp_path: Path) -> dict[str, list[Any]]:
    """The real JSON output of each command, keyed by schema name."""
    response = tmp_path / "response.xml"
    issued = run_cli(
        "assertion", "issue", "--app", "ringcentral", "--user", "B.Simon@contoso.com",
        "--now", NOW, "--out", str(response), tenant=example,
    )  # fmt: skip
    assert issued.exit_code == 0, issued.stderr
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: 1\n")
    runs: dict[str, list[tuple[str, ...]]] = {
        "validate": [("validate", str(example), "--now", NOW), ("validate", str(broken))],
        "validate-rules": [("validate", "--list-rules")],
        "app-list": [("app", "list")],
        "app-show": [("app", "show", "ringcentral"), ("app", "show", "mitel-connect")],
        "app-claim-list": [("app", "claim", "list", "ringcentral")],
        "user-list": [("user", "list")],
        "group-list": [("group", "list")],
        "cert-list": [("cert", "list")],
        "cert-list-app": [("cert", "list", "--app", "ringcentral")],
        "gallery-list": [("gallery", "list")],
        "gallery-show": [("gallery", "show", name) for name in ("ringcentral", "mitel-connect")],
        "metadata-inspect": [
            ("metadata", "inspect", str(DATA / "metadata" / name))
            for name in ("aggregate.xml", "signed.xml", "ringcentral-euro.xml")
        ],
        "assertion-issue": [
            (
                "assertion",
                "issue",
                "--app",
                "ringcentral",
                "--user",
                "B.Simon@contoso.com",
                "--now",
                NOW,
            )
        ],
        "assertion-verify": [
            ("assertion", "verify", str(response), "--app", "ringcentral", "--at", NOW),
            ("assertion", "verify", str(DATA / "entra-response-2022.xml"), "--app", "ringcentral"),
            # checks not asked for are SKIP: ok is null
            ("assertion", "verify", str(response), "--trust-embedded-cert", "--at", NOW),
        ],
        "assertion-decode": [("assertion", "decode", str(response))],
        "assertion-diff": [
            ("assertion", "diff", str(response), str(response)),
            ("assertion", "diff", str(response), str(DATA / "entra-response-2022.xml")),
        ],
    }
    found: dict[str, list[Any]] = {}
    for name, commands in runs.items():
        for command in commands:
            out = run_cli(*command, "--format", "json", tenant=example)
            assert out.exit_code in (0, 1), (command, out.stderr)
            found.setdefault(name, []).append(json.loads(out.stdout))
    lines = run_cli(
        "assertion", "issue", "--app", "ringcentral", "--user", "B.Simon@contoso.com",
        "--now", NOW, "--count", "2", "--format", "json", tenant=example,
    )  # fmt: skip
    found["assertion-issue-line"] = [json.loads(line) for line in lines.stdout.splitlines()]
    return found


def test_every_output_matches_its_schema(example: Path, tmp_path: Path) -> None:
    found = outputs_of(example, tmp_path)
    # entra-plan needs a Graph: tests/entra/test_export_plan.py checks it against its schema
    assert set(found) == set(outputs.OUTPUTS) - {"entra-plan"}
    for name, documents in found.items():
        check = validator(name)
        for document in documents:
            assert document["version"] == outputs.OUTPUT_VERSION
            errors = [f"{list(e.absolute_path)}: {e.message}" for e in check.iter_errors(document)]
            assert not errors, (name, errors[:5])


def test_a_schema_catches_a_changed_shape(example: Path, tmp_path: Path) -> None:
    document = json.loads(run_cli("app", "list", "--format", "json", tenant=example).stdout)
    document["apps"][0]["renamed"] = document["apps"][0].pop("reply_url")
    with pytest.raises(jsonschema.ValidationError):
        validator("app-list").validate(document)
