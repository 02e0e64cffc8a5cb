"""Help that teaches: every command ends with runnable examples and names the tenant
file; every option explains itself; completion reaches the lazy groups; colour follows
NO_COLOR, FORCE_COLOR and --no-color (issue 13, items 8 and 9)."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer

from ssoctl.cli.examples import EXAMPLES, NO_TENANT
from ssoctl.cli.main import app
from tests.conftest import run_cli


def root() -> Any:
    return typer.main.get_command(app)


def is_group(command: Any) -> bool:
    # Typer 0.28 vendors click (typer._click): a group is what lists commands.
    return hasattr(command, "list_commands")


def commands() -> Iterator[tuple[str, Any]]:
    """Every leaf command as ("app claim set", command), through the lazy groups."""

    def walk(group: Any, prefix: str, ctx: typer.Context) -> Iterator[tuple[str, Any]]:
        for name in group.list_commands(ctx):
            command = group.get_command(ctx, name)
            assert command is not None
            path = f"{prefix} {name}".strip()
            if is_group(command):
                yield from walk(command, path, typer.Context(command, parent=ctx))
            else:
                yield path, command

    group = root()
    yield from walk(group, "", typer.Context(group))


ALL = dict(commands())


def test_every_command_has_examples_and_each_is_listed() -> None:
    assert set(ALL) == set(EXAMPLES), set(ALL) ^ set(EXAMPLES)


@pytest.mark.parametrize("path", sorted(ALL))
def test_help_ends_with_examples_and_names_the_tenant_file(path: str) -> None:
    out = run_cli(*path.split(), "--help")
    assert out.exit_code == 0
    tail = out.stdout[out.stdout.index("Examples:") :]
    assert all(example in tail for example in EXAMPLES[path])
    if path not in NO_TENANT:
        assert "-t/--tenant" in tail and "$SSOCTL_TENANT" in tail


@pytest.mark.parametrize("path", sorted(ALL))
def test_every_option_and_argument_has_help(path: str) -> None:
    for param in ALL[path].params:
        assert getattr(param, "help", None), f"{path}: {param.name} has no help"


def parse(words: list[str]) -> None:
    """Parse a command line with the real CLI, options and callbacks included, without
    running the command."""
    group = root()
    ctx = group.make_context("ssoctl", words)
    while is_group(group):
        name, sub, rest = group.resolve_command(ctx, ctx._protected_args + ctx.args)
        assert sub is not None and name is not None
        ctx = sub.make_context(name, rest, parent=ctx)
        group = sub


@pytest.mark.parametrize(
    "example", [e for examples in EXAMPLES.values() for e in examples], ids=lambda e: e[:60]
)
def test_every_example_parses(example: str) -> None:
    words = shlex.split(example)
    assert words[0] == "ssoctl"
    parse(words[1:])


def test_root_help_names_the_tenant_option_and_variable() -> None:
    out = run_cli("--help")
    assert "-t, --tenant" in out.stdout and "$SSOCTL_TENANT" in out.stdout
    assert "--install-completion" in out.stdout and "--no-color" in out.stdout


def complete(words: str) -> list[str]:
    env = {
        **os.environ,
        "_SSOCTL_COMPLETE": "complete_bash",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1)),
    }
    # the shell calls the installed `ssoctl` script; its name selects _SSOCTL_COMPLETE
    program = shutil.which("ssoctl")
    assert program is not None, "ssoctl is not installed (pip install -e .)"
    done = subprocess.run([program], env=env, capture_output=True, text=True, check=False)
    return done.stdout.split()


def test_completion_reaches_lazy_groups_enums_and_gallery_values() -> None:
    assert complete("ssoctl as") == ["assertion"]
    assert complete("ssoctl assertion issue --format ") == ["xml", "base64", "html", "json"]
    assert complete("ssoctl app add ringcentral --region ") == ["euro", "us"]
    assert complete("ssoctl app set mitel-connect --platform ") == ["cloudlink", "micloud"]


@pytest.mark.parametrize("group", ["", "app", "user", "group", "cert", "metadata", "assertion"])
def test_wide_terminal_shows_whole_summaries(group: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ssoctl", *group.split(), "--help"],
        env={**os.environ, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        check=True,
    )
    listed = done.stdout.split("Commands:")[1]
    assert "..." not in listed and "…" not in listed


@pytest.fixture
def broken(example: Path) -> Path:
    example.write_text(
        example.read_text().replace("reply_urls: [https://ssoeuro", "reply_urls: [http://ssoeuro")
    )
    return example


@pytest.mark.parametrize(
    ("env", "args", "coloured"),
    [
        ({}, (), False),  # not a terminal
        ({"FORCE_COLOR": "1"}, (), True),
        ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, (), False),
        ({"FORCE_COLOR": "1"}, ("--no-color",), False),
    ],
)
def test_colour_follows_no_color_force_color_and_the_flag(
    broken: Path, env: dict[str, str], args: tuple[str, ...], coloured: bool
) -> None:
    clean = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    for command in (("validate", str(broken)), ("app", "show", "ringcentral")):
        done = subprocess.run(
            [sys.executable, "-m", "ssoctl", "-t", str(broken), *args, *command],
            env={**clean, **env},
            capture_output=True,
            text=True,
            check=False,
        )
        assert ("\x1b[" in done.stdout) is coloured, (command, done.stdout[:200])


@pytest.mark.parametrize("command", [("app", "list"), ("cert", "list"), ("user", "list")])
def test_tables_do_not_break_words_on_a_narrow_terminal(
    example: Path, command: tuple[str, ...]
) -> None:
    def table(columns: str) -> str:
        return subprocess.run(
            [sys.executable, "-m", "ssoctl", "-t", str(example), *command],
            env={**os.environ, "COLUMNS": columns},
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    narrow = table("80")
    assert narrow == table("250")  # rows are never re-wrapped, so no word is split
    if command[0] == "cert":
        assert "8A4017D0059A12026CAED5BAF42790DEC65A47A8" in narrow  # a thumbprint, whole


def test_tenant_option_after_the_command_says_where_it_goes() -> None:
    from tests.conftest import run_cli

    out = run_cli("app", "list", "-t", "x.yaml")
    assert out.exit_code == 2
    assert "-t/--tenant is a global option: it goes before the command" in out.stderr
