"""The tenant file as the twin serves it. With reload on, every request looks at the
file's stamp; an edit that loads is served from then on, and a broken edit keeps the last
good configuration while its error is shown on every page."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from ssoctl.errors import SsoctlError
from ssoctl.tenant import LoadedTenant, load


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_mtime_ns, info.st_size, info.st_ino


class TenantState:
    def __init__(self, path: Path, *, reload: bool) -> None:
        self.path = path
        self.reload = reload
        self._lock = threading.Lock()
        self._loaded = load(path)  # the first load must succeed: errors stop `serve`
        self._stamp = _stamp(path)
        self.error: str | None = None

    def current(self) -> LoadedTenant:
        if not self.reload:
            return self._loaded
        stamp = _stamp(self.path)
        if stamp == self._stamp:
            return self._loaded
        with self._lock:
            if stamp != self._stamp:
                self._stamp = stamp
                try:
                    self._loaded = load(self.path)
                    self.error = None
                except SsoctlError as exc:
                    self.error = (
                        f"{self.path} has an error; still serving the last good version. "
                        f"{exc.render()}"
                    )
        return self._loaded
