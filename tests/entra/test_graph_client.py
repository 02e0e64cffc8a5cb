"""The Graph client alone, against the twin: the replication poll, Retry-After as an HTTP
date, and the deadline."""

from __future__ import annotations

import email.utils
import time

import httpx
import pytest

import ssoctl.entra.graph as graph
from ssoctl.entra.graph import GraphClient, GraphError
from tests.entra.conftest import Live, build_twin
from tests.entra.graphtwin import jwt


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    found: list[float] = []
    elapsed = [0.0]

    def sleep(seconds: float) -> None:
        found.append(seconds)
        elapsed[0] += seconds

    monkeypatch.setattr(graph, "sleep", sleep)
    monkeypatch.setattr(graph, "clock", lambda: elapsed[0])
    return found


def _client(deadline_s: float = 300.0) -> tuple[GraphClient, Live]:
    live = build_twin()
    token = jwt({"roles": ["Application.Read.All"]})
    live.twin.tokens.add(token)
    http = httpx.Client(transport=httpx.WSGITransport(app=live.twin))
    client = GraphClient("https://graph.microsoft.com", lambda: token, http, deadline_s=deadline_s)
    return client, live


def test_a_new_object_is_polled_until_it_replicates(waits: list[float]) -> None:
    client, live = _client()
    live.twin.knobs.replication_lag = 3
    live.twin.mark_new(live.wiki)
    notes: list[str] = []
    sp = client.wait_until_visible(
        f"/servicePrincipals/{live.wiki}", select=("id", "appId"), notify=notes.append
    )
    assert sp["id"] == live.wiki
    assert waits == [graph.REPLICATION_POLL_S] * 3
    assert len(notes) == 3 and "waiting for Entra to replicate" in notes[0]


def test_the_replication_poll_stops_at_the_deadline(waits: list[float]) -> None:
    client, live = _client(deadline_s=12)
    live.twin.knobs.replication_lag = 100
    live.twin.mark_new(live.wiki)
    with pytest.raises(GraphError, match="deadline would pass"):
        client.wait_until_visible(f"/servicePrincipals/{live.wiki}", select=("id",))
    assert sum(waits) <= 12


def test_retry_after_as_an_http_date(waits: list[float]) -> None:
    client, live = _client()
    live.twin.knobs.throttle_every = 2
    live.twin.knobs.retry_after = email.utils.formatdate(time.time() + 20, usegmt=True)
    client.get(f"/servicePrincipals/{live.wiki}", select=("id",))
    client.get(f"/servicePrincipals/{live.wiki}", select=("id",))
    assert len(waits) == 1 and 15 <= waits[0] <= 21


def test_every_get_names_its_select() -> None:
    client, live = _client()
    client.get(f"/servicePrincipals/{live.wiki}", select=("id", "appId"))
    method, path = live.twin.log[-1]
    assert method == "GET" and "$select=id,appId" in path


def test_identifiers_before_saml_mode_get_the_one_line_fix() -> None:
    """The order apply avoids: Identifiers off the verified domains on an app that is not
    SAML yet (TF#797). Graph's 400 becomes one line with the fix."""
    client, live = _client()
    sp = live.twin.service_principals[live.wiki]
    sp["preferredSingleSignOnMode"] = None
    token = jwt({"roles": ["Application.ReadWrite.OwnedBy"]})
    live.twin.tokens.add(token)
    client._token = lambda: token
    app = live.twin.application_of(live.wiki)
    with pytest.raises(GraphError) as refused:
        client.write("PATCH", f"/applications/{app['id']}",
                     {"identifierUris": ["https://sso.example.net"]})  # fmt: skip
    assert "400 HostNameNotOnVerifiedDomain" in refused.value.message
    assert refused.value.hint is not None and "SAML mode" in refused.value.hint


def test_a_duplicate_assignment_is_one_clear_line() -> None:
    client, live = _client()
    token = jwt({"roles": ["AppRoleAssignment.ReadWrite.All"]})
    live.twin.tokens.add(token)
    client._token = lambda: token
    existing = live.twin.assignments[live.wiki][0]
    body = {"principalId": existing["principalId"], "resourceId": live.wiki,
            "appRoleId": existing["appRoleId"]}  # fmt: skip
    with pytest.raises(GraphError, match="already exists on the object"):
        client.write("POST", f"/servicePrincipals/{live.wiki}/appRoleAssignedTo", body)
