"""A command of the table: its name, arguments, what it runs, read or write.

The table itself, ``REGISTRY`` (``service``), lists every command once, as
Tauri's handler list does: it is both the list of what the page may call and
the allow-list. A command is a plain function of a ``Context`` and its
arguments, written beside its kind (``commands``, ``sessions``, ``keep``);
``read`` and ``write`` here make the table's rows of them, and nothing
registers itself by being imported. Each session operation
(``sessions.OPERATIONS``) is two rows over one function: ``<name>_sqlite`` on
the database, ``<name>`` on the store the storage mode picks.

The arguments' annotations (``shape.arguments``, pydantic types) become one
strict model per command, so validation happens once, on the caller's thread,
before anything runs. ``async`` commands run on the store's event loop; plain
ones (the import's job table, metrics) answer on the caller's thread.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, get_type_hints

import pydantic

from ait42_session.shape.arguments import describe_errors
from ait42_session.shape.errors import ValidationError

if TYPE_CHECKING:
    from ait42_session.faces.context import Context
    from ait42_session.legacy.modes import SessionStore

#: The session operations (``sessions.OPERATIONS``): each function, and whether it writes.
Operations = tuple[tuple[Callable[..., Any], bool], ...]


@dataclass(frozen=True, slots=True)
class Command:
    """One command of the registry."""

    name: str
    params: tuple[str, ...]
    model: type[pydantic.BaseModel]
    run: Callable[..., Any]
    writes: bool
    on_loop: bool  # a coroutine function, run on the event loop
    doc: str
    required: int = -1  # the leading params a caller must give (-1: all); the rest default

    def parse(self, args: tuple[Any, ...]) -> dict[str, Any]:
        """The arguments, positional as the page sends them, validated. Trailing
        ones added to a command later may be left out (older callers)."""
        least = len(self.params) if self.required < 0 else self.required
        if not least <= len(args) <= len(self.params):
            shown = ", ".join(self.params) or "no arguments"
            count = (str(len(self.params)) if least == len(self.params)
                     else f"{least} to {len(self.params)}")
            raise ValidationError(f"{self.name} takes {count} argument(s) "
                                  f"({shown}), got {len(args)}")
        try:
            parsed = self.model.model_validate(dict(zip(self.params, args, strict=False)))
        except pydantic.ValidationError as exc:
            raise ValidationError(f"{self.name}: {describe_errors(exc)}") from None
        return {p: getattr(parsed, p) for p in self.params}


def _declare(fn: Callable[..., Any], writes: bool, name: str | None = None,
             run: Callable[..., Any] | None = None) -> Command:
    """A command from its function: the parameters after the first (the
    ``Context``, or a session operation's store), typed by their annotations, as
    one strict pydantic model. ``run``: what the command calls with the
    ``Context`` (default: ``fn`` itself)."""
    hints = get_type_hints(fn, include_extras=True)
    signature = inspect.signature(fn).parameters
    params = tuple(signature)[1:]  # after the Context (or the store)
    defaults = {p: signature[p].default for p in params
                if signature[p].default is not inspect.Parameter.empty}
    fields: dict[str, Any] = {
        p: (hints[p], pydantic.Field(defaults[p], validate_default=True) if p in defaults
            else ...) for p in params}
    model = pydantic.create_model(
        f"{fn.__name__}_arguments",
        __config__=pydantic.ConfigDict(arbitrary_types_allowed=True, extra="forbid"),
        **fields)
    return Command(name=name or fn.__name__, params=params, model=model, run=run or fn,
                   writes=writes, on_loop=inspect.iscoroutinefunction(fn),
                   doc=inspect.getdoc(fn) or "", required=len(params) - len(defaults))


def read(fn: Callable[..., Any]) -> Command:
    """A command that changes nothing."""
    return _declare(fn, False)


def write(fn: Callable[..., Any]) -> Command:
    """A command that writes (the page's live view is woken after it)."""
    return _declare(fn, True)


def _on(fn: Callable[..., Any], store: Callable[[Context], Awaitable[SessionStore]]
        ) -> Callable[..., Any]:
    """The session operation ``fn`` run on the store ``store`` picks for a command."""
    @functools.wraps(fn)
    async def run(ctx: Context, **kwargs: Any) -> Any:
        return await fn(await store(ctx), **kwargs)
    return run


async def _database(ctx: Context) -> SessionStore:
    return ctx.storage.sqlite


async def _by_mode(ctx: Context) -> SessionStore:
    return await ctx.storage.store()


def sqlite_rows(operations: Operations) -> tuple[Command, ...]:
    """The contract's ``<operation>_sqlite`` commands: the database alone."""
    return tuple(_declare(fn, writes, f"{fn.__name__}_sqlite", _on(fn, _database))
                 for fn, writes in operations)


def by_mode_rows(operations: Operations) -> tuple[Command, ...]:
    """The shell's JSON-era ``<operation>`` commands: the storage mode's store."""
    return tuple(_declare(fn, writes, fn.__name__, _on(fn, _by_mode))
                 for fn, writes in operations)
