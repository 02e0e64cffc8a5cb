"""End to end in a real browser: Chromium (driven by Selenium and Debian's chromedriver)
signs in through `ssoctl idp serve` to two real SPs configured only from the metadata
`ssoctl metadata export` writes: python3-saml in strict mode, and Apache httpd with
mod_auth_mellon. Chromium reaches the twin at Entra's real URL through
--host-resolver-rules, exactly as the docs tell an admin to test an SP before go-live.

Screenshots of My Apps, the user picker and an error page go to $SSOCTL_ARTIFACTS
(default tests/artifacts/).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.conftest import ROOT, TENANT_ID, run_cli
from tests.e2e import mellon_sp
from tests.saml_messages import redirect_value

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ARTIFACTS = Path(os.environ.get("SSOCTL_ARTIFACTS", ROOT / "tests" / "artifacts"))
LOGIN = "https://login.microsoftonline.com"
UPN = "B.Simon@contoso.com"
PYSP_APP_ID = "0b6e1f63-9c1d-4e4a-8c1e-2f3a4b5c6d7e"


def _missing() -> str | None:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install '.[test]')"
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not Path(path).exists():
            return f"{path} is missing (apt-get install {package})"
    try:
        import onelogin.saml2  # noqa: F401
    except ImportError:
        return "python3-saml is not installed (pip install '.[test]')"
    return None


pytestmark = pytest.mark.skipif(_missing() is not None, reason=str(_missing()))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class World:
    tenant: Path
    folder: Path
    twin_port: int
    sp: Any  # PythonSP, SP-initiated (app "pysp")
    idp_sp: Any  # PythonSP, IdP-initiated (app "rcstyle")
    mellon: Any | None
    mellon_skip: str | None

    def export(self, app: str) -> Path:
        target = self.folder / f"idp-{app}.xml"
        out = run_cli("metadata", "export", "--app", app, "--out", str(target), tenant=self.tenant)
        assert out.exit_code == 0, out.stderr
        return target


def cli(tenant: Path, *args: str) -> None:
    out = run_cli(*args, tenant=tenant)
    assert out.exit_code == 0, (args, out.stderr)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    from ssoctl.idp import server
    from ssoctl.idp.app import Twin, TwinOptions
    from ssoctl.idp.state import TenantState
    from tests.e2e.python_sp import PythonSP

    folder = tmp_path_factory.mktemp("twin")
    tenant = folder / "tenant.yaml"
    twin_port, sp_port, idp_sp_port, mellon_port = (free_port() for _ in range(4))
    cli(tenant, "init", "--tenant-id", TENANT_ID, "--domain", "contoso.com")
    cli(tenant, "user", "add", UPN, "--given-name", "Britta", "--surname", "Simon", "--mail", UPN)
    cli(tenant, "user", "add", "Eve@contoso.com", "--mail", "Eve@contoso.com")
    sp = f"http://localhost:{sp_port}"
    cli(tenant, "app", "add", "custom", "--name", "pysp", "--identifier", f"{sp}/metadata",
        "--reply-url", f"{sp}/acs", "--sign-on-url", f"{sp}/private/start",
        "--logout-url", f"{sp}/sls", "--app-id", PYSP_APP_ID)  # fmt: skip
    other = f"http://localhost:{idp_sp_port}"
    cli(tenant, "app", "add", "custom", "--name", "rcstyle", "--identifier", f"{other}/metadata",
        "--reply-url", f"{other}/acs", "--relay-state", "/private/welcome")  # fmt: skip
    for app in ("pysp", "rcstyle"):
        cli(tenant, "app", "assign", app, UPN)
    mellon = None
    mellon_skip = mellon_sp.available()
    if mellon_skip is None:
        mellon = mellon_sp.MellonSP(mellon_port)
        cli(tenant, "app", "add", "custom", "--name", "mellon", "--identifier", mellon.entity_id,
            "--reply-url", mellon.acs)  # fmt: skip
        cli(tenant, "metadata", "import", str(mellon.sp_metadata()), "--app", "mellon")
        cli(tenant, "app", "set", "mellon", "--sign-on-url", f"{mellon.base}/private/")
        cli(tenant, "app", "assign", "mellon", UPN)
    world = World(tenant, folder, twin_port, None, None, mellon, mellon_skip)
    world.sp = PythonSP(sp_port, world.export("pysp"))
    world.idp_sp = PythonSP(idp_sp_port, world.export("rcstyle"))
    world.sp.start()
    world.idp_sp.start()
    if mellon is not None:
        mellon.start(world.export("mellon"))
    cert_file, key_file = server.self_signed(dt.datetime.now(dt.timezone.utc))
    log = (folder / "twin.jsonl").open("a")
    twin = Twin(TenantState(tenant, reload=True), TwinOptions(secure_cookies=True, log=log))
    stop = threading.Event()
    serving = threading.Thread(
        target=server.serve,
        args=(twin, server.bind("127.0.0.1", twin_port), (cert_file, key_file)),
        kwargs={"stop": stop},
        daemon=True,
    )
    serving.start()
    try:
        yield world
    finally:
        stop.set()
        serving.join(10)
        log.close()
        world.sp.stop()
        world.idp_sp.stop()
        if mellon is not None:
            mellon.stop()


@pytest.fixture
def browser(world: World, tmp_path: Path) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--window-size=1100,800",
        f"--user-data-dir={tmp_path / 'profile'}",
        # Entra's login host, served by the twin on loopback; its certificate is self-signed.
        f"--host-resolver-rules=MAP login.microsoftonline.com:443 127.0.0.1:{world.twin_port}",
        "--ignore-certificate-errors",
    ):  # fmt: skip
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def shot(driver: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))


def wait_for(driver: Any, css: str) -> Any:
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(driver, 20).until(
            ec.presence_of_element_located((By.CSS_SELECTOR, css))
        )
    except TimeoutException:
        raise AssertionError(
            f"no {css!r} at {driver.current_url}: {driver.page_source[:1500]}"
        ) from None


def pick(driver: Any, upn: str) -> None:
    from selenium.webdriver.common.by import By

    wait_for(driver, "form.user")
    for form in driver.find_elements(By.CSS_SELECTOR, "form.user"):
        if upn in form.text:
            form.find_element(By.TAG_NAME, "button").click()
            return
    raise AssertionError(f"{upn} is not on the picker")


def redirect_request(issuer: str, acs: str, ident: str = "_e2e") -> str:
    xml = (
        '<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
        f'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{ident}" Version="2.0" '
        f'IssueInstant="2026-11-23T10:00:00Z" AssertionConsumerServiceURL="{acs}">'
        f"<saml:Issuer>{issuer}</saml:Issuer></samlp:AuthnRequest>"
    )
    value = redirect_value(xml)
    return f"{LOGIN}/{TENANT_ID}/saml2?SAMLRequest={quote(value, safe='')}"


def test_idp_initiated_from_the_my_apps_tile(world: World, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    browser.get(f"{LOGIN}/")
    shot(browser, "twin-user-picker")
    pick(browser, UPN)
    wait_for(browser, ".tiles")
    shot(browser, "twin-my-apps")
    tile = next(
        t for t in browser.find_elements(By.CSS_SELECTOR, "form.tile") if "rcstyle" in t.text
    )
    tile.find_element(By.TAG_NAME, "button").click()
    user = wait_for(browser, "#user")
    assert user.text == UPN, world.idp_sp.last_error
    assert browser.find_element(By.ID, "page").text == "/private/welcome"  # the app's Relay State


def test_sp_initiated_returns_to_the_page_first_asked_for(world: World, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    browser.get(f"{world.sp.base}/private/reports?year=2026")
    pick(browser, UPN)
    user = wait_for(browser, "#user")
    assert user.text == UPN, world.sp.last_error
    assert browser.find_element(By.ID, "page").text == "/private/reports?year=2026"
    assert (
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname: Britta"
        in browser.page_source
    )


def test_sp_initiated_through_mellon(world: World, browser: Any) -> None:
    if world.mellon is None:
        pytest.skip(str(world.mellon_skip))
    browser.get(f"{world.mellon.base}/private/")
    pick(browser, UPN)
    user = wait_for(browser, "#user")
    assert user.text, world.mellon.error_log()[-2000:]
    assert "mod_auth_mellon: signed in as" in browser.page_source
    # mellon's metadata names an encryption key: the twin encrypted, and mellon decrypted
    # (issue 25); the twin's log says what it sent.
    assert "encryption:" in world.tenant.read_text()
    sent = [json.loads(line).get("sent") or {} for line in (world.folder / "twin.jsonl").open()]
    assert any(s.get("encrypted") and s.get("acs") == world.mellon.acs for s in sent), sent[-3:]


def test_unassigned_user_gets_aadsts50105(world: World, browser: Any) -> None:
    browser.get(f"{world.sp.base}/private/")
    pick(browser, "Eve@contoso.com")
    wait_for(browser, ".error-code")
    shot(browser, "twin-error-50105")
    assert "AADSTS50105" in browser.page_source
    assert "Correlation Id" in browser.page_source


def test_unregistered_acs_gets_entras_aadsts50011_text(world: World, browser: Any) -> None:
    browser.get(redirect_request(world.sp.entity_id, "http://localhost:1/elsewhere"))
    text = wait_for(browser, ".error-code").text
    assert text.startswith(
        "AADSTS50011: The redirect URI 'http://localhost:1/elsewhere' specified in the request "
        "does not match the redirect URIs configured for the application "
        "'0b6e1f63-9c1d-4e4a-8c1e-2f3a4b5c6d7e'."
    )


def test_unknown_identifier_gets_aadsts700016(world: World, browser: Any) -> None:
    browser.get(redirect_request("https://unknown.example/sp", f"{world.sp.base}/acs"))
    assert "AADSTS700016" in wait_for(browser, ".error-code").text


def test_rollover_while_the_twin_serves(world: World, browser: Any) -> None:
    cli(world.tenant, "cert", "new", "--app", "pysp", "--name", "pysp-next")
    world.sp.reload_metadata(world.export("pysp"))  # the SP learns the next certificate
    cli(world.tenant, "cert", "activate", "pysp-next", "--app", "pysp")
    browser.get(f"{world.sp.base}/private/after-rollover")
    pick(browser, UPN)
    assert wait_for(browser, "#user").text == UPN, world.sp.last_error


def test_single_logout(world: World, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    browser.get(f"{world.sp.base}/private/")
    pick(browser, UPN)
    wait_for(browser, "#user")
    browser.find_element(By.ID, "logout").click()
    # python3-saml in strict mode checks the LogoutResponse's Issuer against the IdP
    # metadata's entity ID. Entra's is its login host (entra-saml.md, Single logout), so
    # this SP refuses real Entra's LogoutResponse, and the twin shows that, not hides it.
    refused = wait_for(browser, "#slo-refused").text
    assert "Invalid issuer in the Logout Response" in refused, refused
    assert f"got https://login.microsoftonline.com/{TENANT_ID}/" in refused, refused
    browser.get(f"{LOGIN}/")
    wait_for(browser, "form.user")  # the twin's session ended: the picker again


def test_chromium_version_is_recorded() -> None:
    assert shutil.which(CHROMIUM) or Path(CHROMIUM).exists()
