"""The one exceptions module. Each error carries its exit code (see design.md).

Core code raises these; only `cli/` turns them into a message and an exit status.
Messages are sentences a person can act on: what is wrong, where, and the fix.
"""

from __future__ import annotations

from dataclasses import dataclass

EXIT_OK = 0
EXIT_INVALID = 1  # the input is wrong: validation errors, a signature that does not verify
EXIT_USAGE = 2  # wrong command line
EXIT_FAILED = 3  # ssoctl could not do its job: unreadable file, bad key, network
EXIT_BUG = 70  # internal error


@dataclass(frozen=True)
class Location:
    """A 1-based position in a file, with the key path when known."""

    file: str
    line: int | None = None
    col: int | None = None
    path: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.col is not None:
                where += f":{self.col}"
        if self.path:
            where += f" ({self.path})"
        return where


class SsoctlError(Exception):
    """Base class. `problems` holds extra lines (for example every schema error)."""

    exit_code = EXIT_FAILED

    def __init__(
        self,
        message: str,
        *,
        location: Location | None = None,
        hint: str | None = None,
        problems: list[str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.location = location
        self.hint = hint
        self.problems = problems or []

    def render(self) -> str:
        """The message for a terminal. Messages quote file content (a URL, a value, a
        parser's excerpt), so controls are escaped: no ESC reaches the terminal."""
        from ssoctl.textchars import shown

        head = f"{self.location}: {self.message}" if self.location else self.message
        lines = [head, *(f"  {p}" for p in self.problems)]
        if self.hint:
            lines.append(f"Fix: {self.hint}")
        return "\n".join(shown(line) for line in lines)


class InvalidInputError(SsoctlError):
    """The input is wrong: a tenant file that fails validation, a bad signature."""

    exit_code = EXIT_INVALID


class UsageError(SsoctlError):
    """The command line asks for something that does not exist or cannot be combined."""

    exit_code = EXIT_USAGE


class OperationError(SsoctlError):
    """ssoctl could not do its job: unreadable file, bad key, network, hostile XML."""

    exit_code = EXIT_FAILED


class EntraRefusal(InvalidInputError):
    """A refusal Entra would make, with its AADSTS code (exit 1). `entra_text` is Entra's
    own wording where the facts file has it; the twin's error page shows it."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        entra_text: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}", hint=hint)
        self.code = code
        self.entra_text = entra_text
