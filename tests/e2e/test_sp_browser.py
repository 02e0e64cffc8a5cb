"""`ssoctl sp serve` with the twin in Chromium, as docs/twin.md and docs/real-entra.md tell
an admin to run them: SP-initiated (a Mitel-shaped app) and IdP-initiated from My Apps (a
RingCentral app answered with --as-app at its real host, through --host-resolver-rules),
and a page naming a missing required claim."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TENANT_ID, run_cli
from tests.e2e.test_browser import (
    _missing,
    free_port,
    pick,
    shot,
    wait_for,
)

pytestmark = pytest.mark.skipif(_missing() is not None, reason=str(_missing()))


def sp_verdict(browser: Any) -> Any:
    """The test SP's verdict heading, once its page is the one shown. Waiting for any
    `h1` raced the navigation: right after a tile's button is clicked, the My Apps page
    (which has its own h1) is still there, and its heading went stale under the test.
    Selenium's text condition reads each new page's h1 and tolerates a stale one."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        WebDriverWait(browser, 20).until(
            ec.text_to_be_present_in_element((By.CSS_SELECTOR, "h1"), "ssoctl test SP")
        )
    except TimeoutException:
        raise AssertionError(
            f"no test SP verdict at {browser.current_url}: {browser.page_source[:1500]}"
        ) from None
    return browser.find_element(By.CSS_SELECTOR, "h1")

UPN = "B.Simon@contoso.com"
RC_HOST = "ssoeuro.ringcentral.com"


@dataclass
class Pair:
    tenant: Path
    twin_port: int
    sp_port: int  # the Mitel-shaped app's SP, at https://localhost:PORT
    rc_port: int  # RingCentral, --as-app at https://ssoeuro.ringcentral.com


def cli(tenant: Path, *args: str) -> None:
    out = run_cli(*args, tenant=tenant)
    assert out.exit_code == 0, (args, out.stderr)


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    from ssoctl.idp import server
    from ssoctl.idp.app import Twin, TwinOptions
    from ssoctl.idp.state import TenantState
    from ssoctl.sp import LocalSP, SpOptions

    folder = tmp_path_factory.mktemp("sp")
    tenant = folder / "tenant.yaml"
    twin_port, sp_port, rc_port = (free_port() for _ in range(3))
    cli(tenant, "init", "--tenant-id", TENANT_ID, "--domain", "contoso.com")
    cli(tenant, "user", "add", UPN, "--given-name", "Britta", "--surname", "Simon", "--mail", UPN)
    acs = f"https://localhost:{sp_port}/acs"
    cli(
        tenant,
        "app",
        "add",
        "mitel-connect",
        "--platform",
        "cloudlink",
        "--identifier",
        "https://authentication.api.mitel.io/2017-09-01/saml2/contoso-0001",
        "--reply-url",
        acs,
    )
    cli(tenant, "app", "add", "ringcentral", "--region", "euro")
    for app in ("mitel-connect", "ringcentral"):
        cli(tenant, "app", "assign", app, UPN)
    now = dt.datetime.now(dt.timezone.utc)
    stops: list[threading.Event] = []
    threads: list[threading.Thread] = []

    def run(app: Any, port: int, hosts: list[str] | None) -> None:
        stop = threading.Event()
        tls = server.self_signed(now, hosts)
        thread = threading.Thread(
            target=server.serve,
            args=(app, server.bind("127.0.0.1", port), tls),
            kwargs={"stop": stop},
            daemon=True,
        )
        thread.start()
        stops.append(stop)
        threads.append(thread)

    run(Twin(TenantState(tenant, reload=True), TwinOptions(secure_cookies=True)), twin_port, None)
    mitel = SpOptions(app="mitel-connect", base_url=f"https://localhost:{sp_port}", acs_path="/acs")
    run(LocalSP(TenantState(tenant, reload=True), mitel), sp_port, ["localhost"])
    ringcentral = SpOptions(
        app="ringcentral", base_url=f"https://{RC_HOST}", acs_path="/sp/ACS.saml2", as_app=True
    )
    run(LocalSP(TenantState(tenant, reload=True), ringcentral), rc_port, [RC_HOST])
    try:
        yield Pair(tenant, twin_port, sp_port, rc_port)
    finally:
        for stop in stops:
            stop.set()
        for thread in threads:
            thread.join(10)


@pytest.fixture
def browser(pair: Pair, tmp_path: Path) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    from tests.e2e.test_browser import CHROMEDRIVER, CHROMIUM

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    rules = (
        f"MAP login.microsoftonline.com:443 127.0.0.1:{pair.twin_port},"
        f"MAP {RC_HOST}:443 127.0.0.1:{pair.rc_port}"
    )
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1100,900",
        f"--user-data-dir={tmp_path / 'profile'}",
        f"--host-resolver-rules={rules}",
        "--ignore-certificate-errors",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def test_sp_initiated_through_the_twin_to_the_test_sp(pair: Pair, browser: Any) -> None:
    browser.get(f"https://localhost:{pair.sp_port}/")
    pick(browser, UPN)
    heading = sp_verdict(browser)
    shot(browser, "sp-serve-accepted")
    assert "accepted" in heading.text, browser.page_source[:3000]
    assert UPN in browser.page_source
    assert "surname" in browser.page_source and "Simon" in browser.page_source


def test_idp_initiated_from_my_apps_to_the_app_s_real_host(pair: Pair, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    browser.get("https://login.microsoftonline.com/")
    pick(browser, UPN)
    wait_for(browser, ".tiles")
    tile = next(
        t
        for t in browser.find_elements(By.CSS_SELECTOR, "form.tile")
        if "RingCentral" in t.text or "ringcentral" in t.text
    )
    tile.find_element(By.TAG_NAME, "button").click()
    heading = sp_verdict(browser)
    assert browser.current_url.startswith(f"https://{RC_HOST}/sp/ACS.saml2")
    assert "accepted" in heading.text, browser.page_source[:3000]
    assert "live bearer credential" in browser.page_source
    assert "emailaddress" in browser.page_source and "present" in browser.page_source


def test_my_apps_tile_opens_the_local_sign_on_url(pair: Pair, browser: Any) -> None:
    """A Mitel-shaped (SP-initiated) app whose Sign-on URL is the test SP: the My Apps
    tile opens it, and the sign-in starts there."""
    from selenium.webdriver.common.by import By

    cli(
        pair.tenant,
        "app",
        "set",
        "mitel-connect",
        "--sign-on-url",
        f"https://localhost:{pair.sp_port}/start",
        "--force",
    )
    try:
        browser.get("https://login.microsoftonline.com/")
        pick(browser, UPN)
        wait_for(browser, ".tiles")
        tile = next(
            t for t in browser.find_elements(By.CSS_SELECTOR, "form.tile") if "Mitel" in t.text
        )
        tile.find_element(By.TAG_NAME, "button").click()
        heading = sp_verdict(browser)
        assert "accepted" in heading.text, browser.page_source[:3000]
    finally:
        cli(
            pair.tenant, "app", "set", "mitel-connect", "--sign-on-url", "https://accounts.mitel.io"
        )


def test_a_claim_removed_from_the_app_is_named_on_the_page(pair: Pair, browser: Any) -> None:
    """RingCentral requires the email claim: removed from the app (as in the portal),
    the page says REFUSED and names it."""
    from selenium.webdriver.common.by import By

    original = pair.tenant.read_text()
    head, marker, rest = original.partition("  ringcentral:\n")
    line = next(x for x in rest.splitlines(keepends=True) if "claims/emailaddress:" in x)
    pair.tenant.write_text(head + marker + rest.replace(line, "", 1))
    try:
        browser.get("https://login.microsoftonline.com/")
        pick(browser, UPN)
        wait_for(browser, ".tiles")
        tile = next(
            t
            for t in browser.find_elements(By.CSS_SELECTOR, "form.tile")
            if "RingCentral" in t.text
        )
        tile.find_element(By.TAG_NAME, "button").click()
        heading = sp_verdict(browser)
        shot(browser, "sp-serve-missing-claim")
        assert "REFUSED" in heading.text, browser.page_source[:3000]
        assert "MISSING" in browser.page_source and "RingCentral requires it" in browser.page_source
    finally:
        pair.tenant.write_text(original)
