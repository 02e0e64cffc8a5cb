"""`ssoctl entra export` and `plan` against the Graph twin: the round trip, drift field by
field, comments kept, and the request budget."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ssoctl import tenant as wing
from tests.entra.conftest import Live, Run
from tests.entra.graphtwin import GraphTwin


def test_export_then_plan_reports_no_drift(run: Run, live: Live) -> None:
    result = run("entra", "export", "--all")
    assert result.exit_code == 0, result.output
    # carol (no mail) reaches RingCentral through a group: recorded, and said
    assert "saved as it is in Entra:" in result.output and "claim-source-missing" in result.output
    model = wing.load(run.tenant).model
    assert set(model.apps) == {"ringcentral", "mitel-connect", "wiki"}
    rc = model.apps["ringcentral"]
    assert (rc.template, rc.region) == ("ringcentral", "euro")
    assert rc.identifiers == ["https://ssoeuro.ringcentral.com"]
    assert rc.notification_emails == ["it@contoso.com"]
    assert rc.assignments == ["alice@contoso.com", "group:sales-team"]
    assert model.apps["mitel-connect"].platform == "cloudlink"
    wiki = model.apps["wiki"]
    assert wiki.template == "custom"
    assert wiki.reply_urls == [
        "https://wiki.contoso.com/saml/acs2",
        "https://wiki.contoso.com/saml/acs",
    ]
    assert (wiki.name_id.source, wiki.name_id.format) == ("user.mail", "persistent")
    assert wiki.claims == {"urn:wiki:email": "user.mail"}
    mitel = model.apps["mitel-connect"].signing
    assert mitel is not None and len(mitel.certificates) == 2
    ring = {c.name: c for c in model.certificates}
    assert all(ring[n].key is None for n in mitel.certificates)  # Entra's: no key
    assert (run.folder / ring[mitel.active].cert).exists()
    assert {u.upn for u in model.users} >= {
        "alice@contoso.com",
        "bob@contoso.com",
        "carol@contoso.com",
    }
    assert model.group("sales-team").members == ["bob@contoso.com", "carol@contoso.com"]

    planned = run("entra", "plan", "--format", "json")
    document = json.loads(planned.stdout)
    assert [a["state"] for a in document["apps"]] == ["same", "same", "same"], planned.stdout
    _matches_schema(document)
    assert planned.exit_code == 0, planned.output  # no drift
    notices = [(c["app"], c["state"]) for c in document["certificates"]]
    assert notices == [("mitel-connect", "inactive")]  # reported, and not drift
    assert document["missing_users"] == []
    text = run("entra", "plan")
    assert text.exit_code == 0
    assert "inactive" in text.stdout and "Plan: 0 app(s) differ" in text.stdout


def _plan(run: Run) -> dict[str, Any]:
    result = run("entra", "plan", "--format", "json")
    assert result.exit_code in (0, 1), result.output
    document: dict[str, Any] = json.loads(result.stdout)
    _matches_schema(document)
    return document


def _matches_schema(document: dict[str, Any]) -> None:
    """docs/schemas/entra-plan.schema.json, the published shape (jsonschema judges)."""
    from pathlib import Path

    import jsonschema

    schema = json.loads(
        (Path(__file__).parents[2] / "docs/schemas/entra-plan.schema.json").read_text()
    )
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(document))
    assert not errors, [e.message for e in errors[:3]]


def _differences(document: dict[str, Any]) -> dict[str, list[str]]:
    return {
        a["name"]: [d["field"] for d in a["differences"]]
        for a in document["apps"]
        if a["differences"]
    }


LIVE_CHANGES: dict[str, Callable[[GraphTwin, Live], Any]] = {
    "identifiers": lambda t, live: t.application_of(live.wiki).__setitem__(
        "identifierUris", ["https://wiki2.contoso.com"]
    ),
    "reply_urls": lambda t, live: t.application_of(live.wiki)["web"].__setitem__(
        "redirectUris", ["https://wiki.contoso.com/saml/acs"]
    ),
    "sign_on_url": lambda t, live: t.service_principals[live.wiki].__setitem__(
        "loginUrl", "https://wiki.contoso.com/login"
    ),
    "relay_state": lambda t, live: t.service_principals[live.wiki].__setitem__(
        "samlSingleSignOnSettings", {"relayState": "/other"}
    ),
    "logout_url": lambda t, live: t.application_of(live.wiki)["web"].__setitem__(
        "logoutUrl", "https://wiki.contoso.com/bye"
    ),
    "notification_emails": lambda t, live: t.service_principals[live.wiki].__setitem__(
        "notificationEmailAddresses", ["sec@contoso.com"]
    ),
    "name_id": lambda t, live: t.claims_policies[live.wiki]["claims"][0].__setitem__(
        "nameIdFormat", "unspecified"
    ),
    "claims": lambda t, live: t.claims_policies[live.wiki]["claims"][1].__setitem__("name", "mail"),
    "active": lambda t, live: t.service_principals[live.mitel].__setitem__(
        "preferredTokenSigningKeyThumbprint", live.thumbprints["mitel"][1]
    ),
    "certificates": lambda t, live: t.service_principals[live.mitel].__setitem__(
        "keyCredentials", t.service_principals[live.mitel]["keyCredentials"][:2]
    ),
    "assignments": lambda t, live: t.assignments[live.wiki].clear(),
}


def test_each_live_change_is_reported_as_exactly_that_field(run: Run, live: Live) -> None:
    assert run("entra", "export", "--all").exit_code == 0
    import copy

    pristine = copy.deepcopy(live.twin.__dict__)
    for field, change in LIVE_CHANGES.items():
        live.twin.__dict__.update(copy.deepcopy(pristine))
        change(live.twin, live)
        document = _plan(run)
        app = "mitel-connect" if field in ("active", "certificates") else "wiki"
        expected = {app: [field]}  # "certificates": the inactive one's group removed
        assert _differences(document) == expected, (field, document)
        assert document["drift"] is True


FILE_CHANGES = {
    "identifiers": ("app", "set", "wiki", "--identifier", "https://wiki3.contoso.com"),
    "sign_on_url": ("app", "set", "wiki", "--sign-on-url", "https://wiki.contoso.com/start"),
    "relay_state": ("app", "set", "wiki", "--relay-state", "/elsewhere"),
    "logout_url": ("app", "set", "wiki", "--logout-url", "https://wiki.contoso.com/out"),
    "claims": ("app", "claim", "set", "wiki", "urn:wiki:name", "user.displayname"),
    "assignments": ("app", "assign", "wiki", "alice@contoso.com"),
}


def test_each_file_change_is_reported_as_exactly_that_field(run: Run, live: Live) -> None:
    assert run("entra", "export", "--all").exit_code == 0
    original = run.tenant.read_text()
    for field, command in FILE_CHANGES.items():
        run.tenant.write_text(original)
        result = run(*command)
        assert result.exit_code == 0, (field, result.output)
        document = _plan(run)
        assert _differences(document) == {"wiki": [field]}, (field, document)
        planned = run("entra", "plan")
        assert planned.exit_code == 1
        assert "~ app wiki" in planned.stdout and f"{field}:" in planned.stdout


def test_export_into_a_commented_file_keeps_comments_and_changes_only_what_differs(
    run: Run, live: Live
) -> None:
    assert run("entra", "export", "--all").exit_code == 0
    text = run.tenant.read_text()
    text = text.replace("  wiki:\n", "  # the team wiki; owner: it@contoso.com\n  wiki:\n")
    text = text.replace("    relay_state: /home\n", "    relay_state: /home   # start page\n")
    run.tenant.write_text(text)
    again = run("entra", "export", "--all")
    assert again.exit_code == 0, again.output
    assert run.tenant.read_text() == text  # nothing differs: not a byte moved
    live.twin.service_principals[live.wiki]["loginUrl"] = "https://wiki.contoso.com/login"
    assert run("entra", "export", "--app", "wiki").exit_code == 0
    after = run.tenant.read_text()
    assert "# the team wiki; owner: it@contoso.com" in after and "/home   # start page" in after
    changed = [line for line in after.splitlines() if line not in text.splitlines()]
    assert changed == ["    sign_on_url: https://wiki.contoso.com/login"]


def test_dry_run_prints_the_diff_and_writes_nothing(run: Run, live: Live) -> None:
    before = run.tenant.read_text()
    result = run("entra", "export", "--all", "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("--- a/tenant.yaml")
    assert "+  ringcentral:" in result.stdout
    assert run.tenant.read_text() == before
    assert not list((run.folder / "certs").glob("ringcentral-*"))


def test_export_needs_app_or_all(run: Run) -> None:
    result = run("entra", "export")
    assert result.exit_code == 2 and "--app NAME" in result.output


def test_live_only_and_file_only_apps(run: Run, live: Live) -> None:
    assert run("entra", "export", "--app", "wiki").exit_code == 0
    assert (
        run(
            "app",
            "add",
            "custom",
            "--name",
            "intranet",
            "--identifier",
            "https://intranet.contoso.com",
            "--reply-url",
            "https://intranet.contoso.com/acs",
        ).exit_code
        == 0
    )
    document = _plan(run)
    states = {a["name"]: a["state"] for a in document["apps"]}
    assert states == {
        "wiki": "same",
        "intranet": "only-file",
        "ringcentral": "only-live",
        "mitel-connect": "only-live",
    }


def test_assigned_users_missing_from_the_directory(run: Run, live: Live) -> None:
    assert run("entra", "export", "--app", "wiki").exit_code == 0
    assert run("user", "add", "zed@contoso.com", "--mail", "zed@contoso.com").exit_code == 0
    assert run("app", "assign", "wiki", "zed@contoso.com").exit_code == 0
    document = _plan(run)
    assert document["missing_users"] == ["zed@contoso.com"]
    text = run("entra", "plan").stdout
    assert "user zed@contoso.com is assigned in the tenant file but does not exist in Entra" in text


def test_requests_stay_within_budget(run: Run, live: Live) -> None:
    live.twin.knobs.page_size = 2
    assert run("entra", "export", "--all").exit_code == 0
    graph = [
        entry
        for entry in live.twin.log
        if entry[0] in ("GET", "POST") and entry[1].startswith(("/v1.0", "/beta"))
    ]
    # 2 pages of service principals, one v1.0 and one beta batch, one batch for principals,
    # and the paging inside them: never a request per user per app.
    assert len(graph) <= 3 * 3, graph
