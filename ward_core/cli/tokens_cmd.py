"""``ward tokens``: API tokens for the HTTP API — create (shown once), list, revoke.

A token belongs to a user of the roles file; its scopes (``--scope``, repeatable) must be
permissions the user holds now, and default to all of them. The token is printed once and only its
SHA-256 is stored: lose it and create another. Whoever can reach ward's database can mint tokens,
as they can run migrations: the command is for the people who run ward.

Creating and revoking a token are recorded in the hash-chained audit log (``token.created``,
``token.revoked``) in the same transaction, naming the acting person (``WARD_TOKEN``'s owner or
``WARD_USER``, as every command resolves them; the login name when neither is set), the token's
id, owner and scopes, never the token.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine

from ward_core.api.tokens import create_token, list_tokens, parse_expiry, revoke_token
from ward_core.audit.log import append
from ward_core.cli.context import print_json, settings_of
from ward_core.config import Settings
from ward_core.db.migrate import require_current_schema
from ward_core.db.session import get_engine, session_scope
from ward_core.db.types import utcnow
from ward_core.remediation.identity import Directory, current_person, load_directory

app = typer.Typer(help="API tokens: create (shown once), list, revoke.", no_args_is_help=True)
PIPE_WIDTH = 200
TOKEN_CREATED = "token.created"
TOKEN_REVOKED = "token.revoked"
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _console() -> Console:
    out = Console()
    return out if out.is_terminal else Console(width=PIPE_WIDTH)


@contextmanager
def _engine(settings: Settings) -> Iterator[Engine]:
    engine = get_engine(settings)
    try:
        require_current_schema(engine)
        yield engine
    finally:
        engine.dispose()


def _actor(settings: Settings, directory: Directory) -> str:
    """Who is acting: the identity every command resolves (IdentityError when it is given but
    wrong), else the login name: the people who run ward need not be users of the roles file."""
    if settings.token or settings.user:
        return current_person(settings, directory).name
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "cli"


@app.command("create")
def create_cmd(
    ctx: typer.Context,
    user: Annotated[str, typer.Option("--user", help="The owner: a user of the roles file.")],
    scope: Annotated[
        list[str] | None,
        typer.Option("--scope", help="A permission the token may use (repeat); default: all the user's."),
    ] = None,
    expires: Annotated[str, typer.Option("--expires", help="Lifetime: 30d, 12h, 90m, 2w, or never.")] = "30d",
    description: Annotated[str, typer.Option("--description", help="What the token is for.")] = "",
    as_json: JsonOption = False,
) -> None:
    """Create a token for USER and print it once."""
    settings = settings_of(ctx)
    now = utcnow()
    expires_at = parse_expiry(expires, now)
    directory = load_directory(settings)
    actor = _actor(settings, directory)
    with _engine(settings) as engine, session_scope(engine) as session:
        issued = create_token(
            session,
            directory,
            user=user,
            scopes=scope,
            expires_at=expires_at,
            created_by=actor,
            description=description,
            now=now,
        )
        made = issued.info
        append(
            session,
            actor=actor,
            kind=TOKEN_CREATED,
            now=now,
            payload={
                "token": made.id,
                "user": made.user,
                "scopes": list(made.scopes),
                "expires_at": made.expires_at.isoformat() if made.expires_at else None,
            },
        )
    if as_json:
        print_json({**issued.info.to_dict(now), "token": issued.token})
        return
    typer.echo(issued.token)
    info = issued.info
    until = info.expires_at.isoformat() if info.expires_at else "never expires"
    typer.echo(
        f"token {info.id} for {info.user} ({', '.join(info.scopes)}), {until}: it is shown only now",
        err=True,
    )


@app.command("list")
def list_cmd(
    ctx: typer.Context,
    user: Annotated[str | None, typer.Option("--user", help="Only this user's tokens.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Tokens (never the tokens themselves): owner, scopes, state, expiry, last use."""
    now = utcnow()
    with _engine(settings_of(ctx)) as engine, session_scope(engine) as session:
        tokens = list_tokens(session, user=user)
    if as_json:
        print_json([t.to_dict(now) for t in tokens])
        return
    table = Table("id", "prefix", "user", "state", "scopes", "expires", "last used", "description")
    for t in tokens:
        table.add_row(
            str(t.id),
            t.prefix,
            t.user,
            t.state(now),
            ", ".join(t.scopes),
            t.expires_at.isoformat(timespec="seconds") if t.expires_at else "never",
            t.last_used_at.isoformat(timespec="seconds") if t.last_used_at else "-",
            t.description,
        )
    _console().print(table)


@app.command("revoke")
def revoke_cmd(
    ctx: typer.Context,
    token_id: Annotated[int, typer.Argument(help="The token's id (ward tokens list).")],
    as_json: JsonOption = False,
) -> None:
    """Revoke a token: refused from the next request on."""
    settings = settings_of(ctx)
    actor = _actor(settings, load_directory(settings))
    now = utcnow()
    with _engine(settings) as engine, session_scope(engine) as session:
        info = revoke_token(session, token_id, now)
        append(
            session,
            actor=actor,
            kind=TOKEN_REVOKED,
            now=now,
            payload={"token": info.id, "user": info.user},
        )
    if as_json:
        print_json(info.to_dict())
        return
    typer.echo(f"token {info.id} of {info.user} revoked")


__all__ = ["app"]
