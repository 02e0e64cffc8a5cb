"""What every command module shares: global state, output helpers, error boundary."""

from __future__ import annotations

import os
import sys
import traceback
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from typer.core import TyperGroup
from typer.exceptions import TyperException

T = TypeVar("T")

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable, Mapping, Sequence

    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import rsa
    from rich.console import Console

    from ssoctl.tenant import LoadedTenant, Registered


class State:
    """Global options, set by the root callback."""

    tenant: Path | None = None
    debug: bool = False


STATE = State()


class DataFormat(str, Enum):
    text = "text"
    json = "json"


FORMAT_OPTION = typer.Option(DataFormat.text, "--format", "-f", help="Output format.")


def checked(kind: str) -> Callable[[T], T]:
    """A Typer callback judging an option's value (or each of a list) by the tenant file's
    own rule for it, so a bad value is a usage error naming the option (exit 2) rather
    than a schema error at a line of a file the person never wrote. `kind`: name, upn,
    domain or principal. "" passes (it clears a field)."""

    def callback(value: T) -> T:
        from ssoctl.tenant import model

        types = {
            "name": model.Name,
            "upn": model.Upn,
            "domain": model.Domain,
            "principal": model.Principal,
        }
        for item in value if isinstance(value, (list, tuple)) else [value]:
            problem = model.value_problem(item, types[kind]) if item else None
            if problem:
                raise typer.BadParameter(problem.removeprefix("value "))
        return value

    return callback


def complete_variants(kind: str) -> Callable[[str], list[str]]:
    """Shell completion for --region / --platform: the gallery's values."""

    def complete(incomplete: str) -> list[str]:
        from ssoctl.tenant import gallery

        names = {
            name
            for template in gallery.templates().values()
            if template.variant_kind == kind
            for name in template.variants
        }
        return sorted(n for n in names if n.startswith(incomplete))

    return complete


def color_wanted() -> bool:
    """Colour on stdout: never with NO_COLOR (or --no-color, which sets it), always with
    FORCE_COLOR, else when stdout is a terminal. rich, which prints the rest, reads the
    same two variables."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return sys.stdout.isatty()


def tenant_path() -> Path:
    if STATE.tenant is not None:
        return STATE.tenant
    return Path(os.environ.get("SSOCTL_TENANT") or "tenant.yaml")


def load_tenant() -> LoadedTenant:
    from ssoctl import tenant

    return tenant.load(tenant_path())


FORCE_EDIT_OPTION = typer.Option(
    False, "--force", help="Save even if the edit adds a validation error (it is printed)."
)


def edit_tenant(
    change: Callable[[LoadedTenant], T], *, force: bool = False, now: dt.datetime | None = None
) -> T:
    """Run a tenant-file edit (see tenant.edit), telling the person if it has to wait and
    what warnings it adds; an edit that adds an error (judged at `now`, the command's
    --now, or the clock) is refused unless `force`."""
    import datetime as dt

    from ssoctl import tenant
    from ssoctl.validate import edit_judge

    moment = now or dt.datetime.now(dt.timezone.utc)
    judge = edit_judge(force=force, notify=note, now=moment)
    result: T = tenant.edit(tenant_path(), change, notify=note, judge=judge)
    return result


def register_certificate(
    key: rsa.RSAPrivateKey | None,
    cert: x509.Certificate,
    *,
    name: str | None,
    app_name: str | None,
    activate: bool,
    passphrase: bytes | None,
    now: dt.datetime,
    force: bool = False,
    upload: bool = False,
) -> Registered:
    """`cert new`, `cert import` and `init`: one edit registering a certificate (and its
    key, when it is ours) in the keyring and in a set (tenant.register_certificate)."""
    from functools import partial

    from ssoctl.tenant import register_certificate as register

    change = partial(register, cert=cert, key=key, passphrase=passphrase, name=name,
                     app=app_name, activate=activate, now=now, upload=upload)  # fmt: skip
    return edit_tenant(change, force=force, now=now)


def new_object_id() -> str:
    """The ID factory the core is handed: a fresh object ID, as Entra's are GUIDs."""
    import uuid

    return str(uuid.uuid4())


def warn_if_invalid(loaded: LoadedTenant) -> None:
    """Commands that print from the file say when it has validation errors, in one line."""
    import datetime as dt

    from ssoctl.validate import error_count

    count = error_count(loaded, dt.datetime.now(dt.timezone.utc))
    if count:
        note(
            f"{loaded.path.name} has {count} validation error{'s' if count != 1 else ''}; "
            f"run `ssoctl validate {loaded.path}`"
        )


def write_out(text: str) -> None:
    """Data on stdout, with every control character escaped (see textchars.shown): the
    one way plain text output leaves ssoctl."""
    from ssoctl.textchars import shown

    sys.stdout.write(shown(text))


OUTPUT_VERSION = 1  # ssoctl/outputs.py documents each shape; docs/schemas/ has them


def emit_json(
    data: Mapping[str, Any] | Sequence[Any], key: str | None = None, *, shape: type[Any]
) -> None:
    """One JSON document on stdout, nothing else: `data` (a mapping) with the document
    version first, or `{"version": 1, key: data}` for a list. `shape` is the document's
    type in ssoctl/outputs.py, the one description of every --format json output: the
    data is converted into it (a key it does not describe, a missing one or a wrong type
    is a bug, caught here and by the tests) and written in its key order."""

    from collections.abc import Mapping

    from ssoctl.textchars import shown_in_json

    if key:
        document: dict[str, Any] = {"version": OUTPUT_VERSION, key: data}
    else:
        assert isinstance(data, Mapping), "a document without a key is a mapping"
        document = {"version": OUTPUT_VERSION, **data}
    import json

    text = json.dumps(shaped(document, shape), indent=2, ensure_ascii=False)
    sys.stdout.write(shown_in_json(text) + "\n")


def shaped(document: dict[str, Any], shape: type[Any]) -> Any:
    """`document` as its outputs.py type describes it: converted (strictly) and back, so
    what is written has exactly the documented keys, in the documented order."""
    import msgspec

    return msgspec.to_builtins(msgspec.convert(document, shape, str_keys=True))


def _console_class() -> type[Console]:
    """rich's Console, with two changes for every output of ours:

    - every string (printed, or a table cell) is shown with its controls escaped: values
      from SP metadata and SAML messages reach the terminal, and an ESC in them must not
      (OSC 52 writes the clipboard, CSI erases lines);
    - a reader that went away (`| head`) is not an error: rich would exit 1, and
      ErrorBoundary ends the command quietly with exit 0 instead."""
    from rich.console import Console

    from ssoctl.textchars import shown

    class _Console(Console):
        def render_str(self, text: str, **kwargs: Any) -> Any:
            return super().render_str(shown(text), **kwargs)

        def on_broken_pipe(self) -> None:
            self.quiet = True
            raise BrokenPipeError

    return _Console


def out() -> Console:
    # Piped output is not cut to 80 columns: thumbprints and URLs must stay whole.
    return _console_class()(
        highlight=False,
        soft_wrap=True,
        width=None if sys.stdout.isatty() else 200,
        force_terminal=color_wanted(),  # explicit, so --no-color beats FORCE_COLOR
    )


def note(message: str) -> None:
    """A message for the person (stderr), never data: plain text with its controls
    escaped (it can carry values from metadata or messages). Not through rich: a note is
    never styled or wrapped, and importing rich for one line cost `assertion issue` about
    40 ms (issue 26); rich would also have turned `:name:` in a value into an emoji."""
    from ssoctl.textchars import shown

    sys.stderr.write(shown(message) + "\n")


class ErrorBoundary(TyperGroup):
    """Turns SsoctlError into its message and exit code; everything else into exit 70.

    No traceback unless --debug, and never local variables: they can hold keys.
    """

    def invoke(self, ctx: Any) -> Any:
        from ssoctl.errors import EXIT_BUG, SsoctlError

        try:
            return super().invoke(ctx)
        except SsoctlError as exc:
            typer.echo(f"error: {exc.render()}", err=True)
            if STATE.debug:
                traceback.print_exc()
            raise typer.Exit(exc.exit_code) from None
        except TyperException as exc:
            if getattr(exc, "option_name", None) in ("-t", "--tenant"):
                # `ssoctl app list -t FILE`: the global option, after the command
                exc.message = (
                    f"{exc.message}. -t/--tenant is a global option: it goes before the "
                    "command, as in `ssoctl -t FILE app list` (or set $SSOCTL_TENANT)."
                )
            raise
        except (typer.Exit, typer.Abort):
            raise
        except KeyboardInterrupt:
            raise typer.Exit(130) from None
        except BrokenPipeError:
            # The reader went away (`ssoctl ... | head`): end quietly, as other CLIs do,
            # and keep Python from reporting the failed flush of stdout at exit.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise typer.Exit(0) from None
        except Exception as exc:
            if STATE.debug:
                traceback.print_exc()
            typer.echo(
                f"internal error: {type(exc).__name__}. This is a bug in ssoctl; rerun with "
                "--debug for a traceback and report it.",
                err=True,
            )
            raise typer.Exit(EXIT_BUG) from None


def new_typer(help_text: str) -> typer.Typer:
    from ssoctl.cli.lazy import LazyTyperGroup

    group = typer.Typer(
        cls=LazyTyperGroup,  # subcommands built when asked for (cli/lazy.py)
        help=help_text,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        pretty_exceptions_show_locals=False,
        rich_markup_mode=None,
    )

    # A callback keeps a group a group even while it has one command (Typer would
    # otherwise collapse `ssoctl metadata export` into `ssoctl metadata`).
    @group.callback()
    def _group() -> None:
        pass

    return group


KEY_PASSPHRASE_ENV = "SSOCTL_KEY_PASSPHRASE"
PFX_PASSWORD_ENV = "SSOCTL_PFX_PASSWORD"


def secret_from_env_or_prompt(env: str, prompt: str, *, confirm: bool = False) -> bytes:
    """A passphrase from the environment, else asked on the terminal; never from a flag."""
    from ssoctl.errors import OperationError

    value = os.environ.get(env)
    if value:
        return value.encode("utf-8")
    if not sys.stdin.isatty():
        raise OperationError(
            f"{prompt} is needed and there is no terminal to ask on.",
            hint=f"set {env} in the environment.",
        )
    entered: str = typer.prompt(prompt, hide_input=True, confirmation_prompt=confirm, err=True)
    return entered.encode("utf-8")


def key_passphrase(path: str) -> bytes | None:
    return secret_from_env_or_prompt(KEY_PASSPHRASE_ENV, f"Passphrase for {path}")


def parse_now(value: str | None) -> dt.datetime:
    """--now / --at: an ISO 8601 instant (UTC if no zone), or the clock."""
    import datetime as dt

    from ssoctl.errors import UsageError
    from ssoctl.instants import parse_instant

    if value is None:
        return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    moment = parse_instant(value)
    if moment is None:
        raise UsageError(f"{value!r} is not an ISO 8601 time such as 2026-11-22T12:00:00Z.")
    return moment
