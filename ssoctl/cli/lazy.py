"""Command groups whose subcommands are built only when asked (issue 26).

Typer turns every command of a group into a click command when the group is built:
for each one, `inspect.signature` and `typing.get_type_hints`, which evaluates the
string annotations of `from __future__ import annotations`. `ssoctl app list` paid that
for all twelve `app` commands, about as much as reading and checking the tenant file.
Here the group is built with its callback and help only, and a subcommand is built,
through Typer's own public path (`typer.main.get_command`), the first time it is asked
for: invoking it, `--help`, shell completion or the docs generator.
"""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperGroup


class LazyTyperGroup(TyperGroup):
    """A group that builds a subcommand from its Typer registration on first use."""

    path: str = ""  # "app", "app claim": where the subcommand examples belong
    source: typer.Typer | None = None

    def _registrations(self) -> dict[str, Any]:
        if self.source is None:
            return {}
        found: dict[str, Any] = {}
        for info in self.source.registered_commands:
            callback = info.callback
            name = info.name or (callback.__name__.lower().replace("_", "-") if callback else "")
            found[name] = info
        for group in self.source.registered_groups:
            if group.name:
                found[group.name] = group
        return found

    def list_commands(self, ctx: Any) -> list[str]:
        registered = list(self._registrations())  # in registration order, as Typer lists
        return [*registered, *(n for n in self.commands if n not in registered)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in self.commands:
            info = self._registrations().get(cmd_name)
            if info is None:
                return None
            command = _build(info, cmd_name, f"{self.path} {cmd_name}".strip())
            from ssoctl.cli.examples import attach

            attach(command, f"{self.path} {cmd_name}".strip())
            self.commands[cmd_name] = command
        return self.commands.get(cmd_name)


def _build(info: Any, name: str, path: str) -> Any:
    """One subcommand, as Typer builds it inside its group: a registered group as a group
    (itself lazy), a command inside a one-command Typer kept a group by a callback."""
    instance = getattr(info, "typer_instance", None)
    if instance is not None:
        return build_group(instance, path)
    holder = _holder()
    holder.registered_commands = [info]
    return typer.main.get_command(holder).commands[name]  # type: ignore[attr-defined]


def _holder() -> typer.Typer:
    """A Typer to build one command in, kept a group by a callback so the command is
    built as it is inside its group."""
    holder = typer.Typer(add_completion=False, pretty_exceptions_enable=False,
                         rich_markup_mode=None)  # fmt: skip

    @holder.callback()
    def _keep_a_group() -> None:
        pass

    return holder


def build_command(module: str, name: str) -> Any:
    """A top-level command whose module adds it with `register(app)` (init, validate...),
    imported and built only now."""
    import importlib

    holder = _holder()
    importlib.import_module(module).register(holder)
    return typer.main.get_command(holder).commands[name]  # type: ignore[attr-defined]


def build_group(instance: typer.Typer, path: str) -> Any:
    """The click group of `instance` (made with cls=LazyTyperGroup) with no subcommand
    built yet: they are built as they are asked for."""
    commands, groups = instance.registered_commands, instance.registered_groups
    instance.registered_commands, instance.registered_groups = [], []
    try:
        group = typer.main.get_command(instance)
    finally:
        instance.registered_commands, instance.registered_groups = commands, groups
    if not isinstance(group, LazyTyperGroup):  # a Typer made without the lazy class
        return typer.main.get_command(instance)
    group.source = instance
    group.path = path
    group.name = path.rsplit(" ", 1)[-1]
    return group
