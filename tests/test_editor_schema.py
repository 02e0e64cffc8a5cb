"""The tenant schema in a real editor's language server: yaml-language-server (npm),
spoken to over LSP as VS Code would, offline, through the modeline `ssoctl init` writes
(issue 14, item 4)."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, run_cli

SERVER = ROOT / "node_modules" / "yaml-language-server" / "bin" / "yaml-language-server"

pytestmark = pytest.mark.skipif(
    not SERVER.exists() or shutil.which("node") is None,
    reason="yaml-language-server is not installed (npm ci; scripts/test.sh does it)",
)


class LanguageServer:
    """A minimal LSP client: Content-Length framed JSON-RPC over the server's stdio."""

    def __init__(self, workspace: Path) -> None:
        self.process = subprocess.Popen(
            ["node", str(SERVER), "--stdio"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self.next_id = 0
        self.responses: dict[int, Any] = {}
        self.diagnostics: dict[str, list[Any]] = {}
        self.arrived = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()
        self.request(
            "initialize",
            {
                "processId": None,
                "rootUri": workspace.as_uri(),
                "capabilities": {
                    "textDocument": {"completion": {"completionItem": {"snippetSupport": False}}},
                    "workspace": {"configuration": True},
                },
            },
        )
        self.notify("initialized", {})
        self.notify("workspace/didChangeConfiguration", {"settings": self.settings()})

    @staticmethod
    def settings() -> dict[str, Any]:
        return {
            "yaml": {
                "validate": True,
                "completion": True,
                "hover": True,
                "schemaStore": {"enable": False},  # offline: only the modeline's schema
            }
        }

    def _send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        assert self.process.stdin is not None
        self.process.stdin.write(f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        self.process.stdin.flush()

    def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        while True:
            header = b""
            while not header.endswith(b"\r\n\r\n"):
                byte = stream.read(1)
                if not byte:
                    return
                header += byte
            length = int(header.split(b"Content-Length:")[1].split(b"\r\n")[0])
            message = json.loads(stream.read(length))
            if message.get("method") == "workspace/configuration":
                items = message["params"]["items"]
                result = [self.settings().get(i.get("section", ""), None) for i in items]
                self._send({"id": message["id"], "result": result})
            elif "id" in message and "method" in message:  # other server requests
                self._send({"id": message["id"], "result": None})
            with self.arrived:
                if "id" in message and "method" not in message:
                    self.responses[message["id"]] = message
                elif message.get("method") == "textDocument/publishDiagnostics":
                    params = message["params"]
                    self.diagnostics[params["uri"]] = params["diagnostics"]
                self.arrived.notify_all()

    def request(self, method: str, params: dict[str, Any]) -> Any:
        self.next_id += 1
        ident = self.next_id
        self._send({"id": ident, "method": method, "params": params})
        with self.arrived:
            assert self.arrived.wait_for(lambda: ident in self.responses, timeout=30), method
        response = self.responses.pop(ident)
        assert "error" not in response, response
        return response["result"]

    def notify(self, method: str, params: dict[str, Any]) -> None:
        self._send({"method": method, "params": params})

    def open(self, path: Path, text: str) -> str:
        uri = path.as_uri()
        document = {"uri": uri, "languageId": "yaml", "version": 1, "text": text}
        self.notify("textDocument/didOpen", {"textDocument": document})
        return uri

    def complete(self, uri: str, line: int, character: int) -> list[str]:
        result = self.request(
            "textDocument/completion",
            {"textDocument": {"uri": uri}, "position": {"line": line, "character": character}},
        )
        items = result["items"] if isinstance(result, dict) else result
        return [item["label"] for item in items]

    def wait_diagnostics(self, uri: str) -> list[Any]:
        with self.arrived:
            self.arrived.wait_for(lambda: uri in self.diagnostics, timeout=30)
        return self.diagnostics.get(uri, [])

    def close(self) -> None:
        self.process.kill()
        self.process.wait()


@pytest.fixture
def server(tmp_path: Path):
    lsp = LanguageServer(tmp_path)
    yield lsp
    lsp.close()


@pytest.fixture
def initialized(tmp_path: Path) -> Path:
    """A tenant file as `ssoctl init` writes it, with its schema beside it."""
    tenant = tmp_path / "tenant.yaml"
    out = run_cli(
        "init", "--tenant-id", "8c3f0a52-9d0e-4b7a-a3a1-2f5b1c7d9e11", "--domain",
        "contoso.com", "--no-cert", tenant=tenant,
    )  # fmt: skip
    assert out.exit_code == 0, out.stderr
    assert (tmp_path / "tenant.schema.json").exists()
    return tenant


def with_app(tenant: Path, app: str) -> tuple[str, int]:
    """The init'ed text with `app` under apps:, and the line of its last `key: ` line."""
    text = tenant.read_text().replace("apps: {}\n", "apps:\n" + app)
    return text, text.splitlines().index(app.splitlines()[-1])


def test_region_completes_for_a_ringcentral_app(server: LanguageServer, initialized: Path) -> None:
    text, line = with_app(initialized, "  phones:\n    template: ringcentral\n    region: \n")
    uri = server.open(initialized, text)
    labels = server.complete(uri, line, len("    region: "))
    assert {"us", "euro"} <= set(labels), labels


def test_platform_completes_for_mitel_and_template_offers_the_gallery(
    server: LanguageServer, initialized: Path
) -> None:
    text, line = with_app(initialized, "  mitel:\n    template: mitel-connect\n    platform: \n")
    uri = server.open(initialized, text)
    assert {"micloud", "cloudlink"} <= set(server.complete(uri, line, len("    platform: ")))
    text, line = with_app(initialized, "  other:\n    template: \n")
    second = initialized.with_name("second.yaml")  # beside the schema, as the modeline says
    second.write_text(text)
    uri = server.open(second, text)
    labels = server.complete(uri, line, len("    template: "))
    assert {"ringcentral", "mitel-connect", "custom"} <= set(labels), labels


def test_a_wrong_region_is_flagged_as_you_type(server: LanguageServer, initialized: Path) -> None:
    text, _ = with_app(
        initialized,
        "  phones:\n    template: ringcentral\n    region: mars\n"
        "    identifiers: [https://sso.ringcentral.com]\n"
        "    reply_urls: [https://sso.ringcentral.com/sp/ACS.saml2]\n",
    )
    uri = server.open(initialized, text)
    messages = [d["message"] for d in server.wait_diagnostics(uri)]
    assert any("us" in m and "euro" in m for m in messages), messages
