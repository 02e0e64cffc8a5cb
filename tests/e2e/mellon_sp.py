"""A real SP not written in Python: Apache httpd with mod_auth_mellon (Debian's
packages), configured only from the IdP metadata `ssoctl metadata export` writes. It
protects /private/ and shows the user mellon authenticated (MELLON_NAME_ID) through SSI.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import ssl
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

from ssoctl import certs

MODULES = Path("/usr/lib/apache2/modules")
APACHE = "/usr/sbin/apache2"


def available() -> str | None:
    """Why mellon cannot run here, or None."""
    if not Path(APACHE).exists():
        return "apache2 is not installed (apt-get install apache2 libapache2-mod-auth-mellon)"
    if not (MODULES / "mod_auth_mellon.so").exists():
        return "mod_auth_mellon is not installed (apt-get install libapache2-mod-auth-mellon)"
    return None


class MellonSP:
    def __init__(self, port: int) -> None:
        self.port = port
        # https: the Response comes back in a cross-site POST, and Chromium sends mellon's
        # session cookie with it only as SameSite=None, which requires Secure.
        self.base = f"https://localhost:{port}"
        self.entity_id = f"{self.base}/mellon/metadata"
        self.acs = f"{self.base}/mellon/postResponse"
        self.logout = f"{self.base}/mellon/logout"
        # Readable by Apache's worker user (www-data): this folder holds test keys only.
        self.folder = Path(tempfile.mkdtemp(prefix="ssoctl-mellon-"))
        os.chmod(self.folder, 0o755)
        self._process: subprocess.Popen[bytes] | None = None
        key, cert = certs.generate(now=dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1))
        (self.folder / "sp.key").write_bytes(certs.key_pem(key, None))
        (self.folder / "sp.pem").write_bytes(certs.cert_pem(cert))
        body = certs.base64_body(cert)
        (self.folder / "sp-metadata.xml").write_text(
            '<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" '
            f'entityID="{self.entity_id}"><SPSSODescriptor AuthnRequestsSigned="true" '
            'WantAssertionsSigned="true" protocolSupportEnumeration='
            '"urn:oasis:names:tc:SAML:2.0:protocol"><KeyDescriptor use="signing">'
            '<ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data>'
            f"<ds:X509Certificate>{body}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>"
            # The same key decrypts (MellonSPPrivateKeyFile): `metadata import` makes it
            # the app's token-encryption certificate, so the twin encrypts for mellon.
            '</KeyDescriptor><KeyDescriptor use="encryption">'
            '<ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data>'
            f"<ds:X509Certificate>{body}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>"
            "</KeyDescriptor><SingleLogoutService Binding="
            f'"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="{self.logout}"/>'
            '<AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" '
            f'Location="{self.acs}" index="0"/></SPSSODescriptor></EntityDescriptor>'
        )
        docs = self.folder / "htdocs" / "private"
        docs.mkdir(parents=True)
        (docs / "index.shtml").write_text(
            "<!DOCTYPE html><html><body>Apache mod_auth_mellon: signed in as "
            '<span id="user"><!--#echo var="MELLON_NAME_ID" --></span>'
            ' <a id="logout" href="/mellon/logout?ReturnTo=/signed-out.html">Sign out</a>'
            "</body></html>\n"
        )
        (self.folder / "htdocs" / "signed-out.html").write_text(
            '<!DOCTYPE html><html><body><span id="signed-out">Signed out of mellon</span>'
            "</body></html>\n"
        )

    def sp_metadata(self) -> Path:
        return self.folder / "sp-metadata.xml"

    def start(self, idp_metadata: Path) -> None:
        shutil.copy(idp_metadata, self.folder / "idp-metadata.xml")
        from ssoctl.idp.server import self_signed  # a certificate that names localhost

        tls_cert, tls_key = self_signed(dt.datetime.now(dt.timezone.utc))
        shutil.copy(tls_cert, self.folder / "tls.pem")
        shutil.copy(tls_key, self.folder / "tls.key")
        for path in self.folder.rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o644)
        modules = "\n".join(
            f"LoadModule {name}_module {MODULES}/mod_{name}.so"
            for name in (
                "mpm_event", "authz_core", "authz_user", "authn_core", "mime", "dir", "include",
                "alias", "socache_shmcb", "ssl", "auth_mellon",
            )
        )  # fmt: skip
        f = self.folder
        (f / "httpd.conf").write_text(
            f"""ServerRoot {f}
{modules}
Listen 127.0.0.1:{self.port}
ServerName localhost
SSLEngine on
SSLCertificateFile {f}/tls.pem
SSLCertificateKeyFile {f}/tls.key
PidFile {f}/httpd.pid
DefaultRuntimeDir {f}
ErrorLog {f}/error.log
LogLevel warn auth_mellon:info
User www-data
Group www-data
TypesConfig /etc/mime.types
DocumentRoot {f}/htdocs
DirectoryIndex index.shtml index.html
AddType text/html .shtml
AddOutputFilter INCLUDES .shtml
<Directory {f}/htdocs>
  Options +Includes
  Require all granted
</Directory>
<Location />
  MellonEnable info
  MellonEndpointPath /mellon
  MellonSPPrivateKeyFile {f}/sp.key
  MellonSPCertFile {f}/sp.pem
  MellonSPMetadataFile {f}/sp-metadata.xml
  MellonIdPMetadataFile {f}/idp-metadata.xml
  MellonSecureCookie On
  MellonCookieSameSite None
</Location>
<Location /private>
  AuthType Mellon
  MellonEnable auth
  Require valid-user
</Location>
"""
        )
        check = subprocess.run(
            [APACHE, "-t", "-f", str(f / "httpd.conf")], capture_output=True, text=True
        )
        if check.returncode != 0:
            raise RuntimeError(f"apache config: {check.stderr}")
        self._process = subprocess.Popen(
            [APACHE, "-f", str(f / "httpd.conf"), "-DFOREGROUND"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(
                    f"{self.base}/signed-out.html",
                    timeout=1,
                    context=ssl._create_unverified_context(),
                )
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"apache did not start: {self.error_log()}")

    def restart(self, idp_metadata: Path) -> None:
        self.stop()
        self.start(idp_metadata)

    def error_log(self) -> str:
        path = self.folder / "error.log"
        return path.read_text() if path.exists() else ""

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
            self._process = None
