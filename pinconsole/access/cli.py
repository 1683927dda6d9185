"""``pinconsole token ...`` and ``pinconsole sessions ...``: credentials at the operator's hand.

The operator at the CLI acts as ``cli`` (audited so); domain modules are imported inside each
command, so ``pinconsole token create`` starts without loading plugins.
"""

from __future__ import annotations

import typer

token_app = typer.Typer(help="API tokens (Authorization: Bearer <token>).", no_args_is_help=True)
sessions_app = typer.Typer(
    help="UI sessions (signed cookies of the demo and ldap sign-in).", no_args_is_help=True
)


@token_app.command("create")
def token_create(
    user: str = typer.Option(..., "--user", help="User or service account name"),
    admin: bool = typer.Option(False, "--admin", help="The token has administrator rights"),
    description: str = typer.Option("", "--description", help="What the token is for"),
    expires_in_days: int | None = typer.Option(
        None,
        "--expires-in-days",
        help="Lifetime in days, 1 to 366 (default: PINCONSOLE_TOKEN_EXPIRY_DAYS, 90)",
    ),
    service_account: bool = typer.Option(
        False,
        "--service-account",
        help="The user is a service account, not a person of the directory",
    ),
) -> None:
    """Create a token and print it once, alone on the last line (only its hash is stored).

    ``--user`` must be a person the directory knows, unless ``--service-account`` is given.
    """
    from pinconsole.access.tokens import issue_token, list_tokens

    raw = issue_token(
        user,
        service_account=service_account,
        admin=admin,
        description=description,
        expires_in_days=expires_in_days,
        actor="cli",
    )
    expires = next(t.expires_at for t in list_tokens(user) if raw.startswith(t.prefix))
    rights = "an administrator" if admin else "a user"
    typer.echo(
        f"Created {rights} token for {user}, valid until {expires:%Y-%m-%d %H:%M} UTC. "
        "It is shown only now:"
    )
    typer.echo(raw)


@token_app.command("list")
def token_list(user: str | None = typer.Option(None, "--user", help="Only this user's")) -> None:
    """List tokens (id, prefix, user, admin, expiry, last use, state); never the secrets."""
    from pinconsole.access.tokens import list_tokens

    for t in list_tokens(user):
        last = t.last_used_at.isoformat(timespec="seconds") if t.last_used_at else "never"
        state = f"revoked {t.revoked_at:%Y-%m-%d}" if t.revoked_at else t.state
        admin = " admin" if t.is_admin else ""
        typer.echo(
            f"{t.id}\t{t.prefix}…\t{t.user}{admin}\texpires {t.expires_at:%Y-%m-%d %H:%M}"
            f"\tlast used {last}\t{state}"
        )


@token_app.command("revoke")
def token_revoke(token_id: int = typer.Argument(..., help="Token id from `token list`")) -> None:
    """Revoke a token; it stops working at once."""
    from pinconsole.access.tokens import revoke_token

    revoke_token(token_id, actor="cli")
    typer.echo(f"token {token_id} revoked")


@sessions_app.command("revoke")
def sessions_revoke(
    user: str = typer.Option(..., "--user", help="Whose UI sessions end (any case)"),
) -> None:
    """End every UI session of a user at their next request (signing in again works)."""
    from pinconsole.access.sessions import revoke_sessions

    not_before = revoke_sessions(user, actor="cli")
    typer.echo(f"sessions of {user} signed before {not_before:%Y-%m-%d %H:%M:%S} UTC are revoked")
