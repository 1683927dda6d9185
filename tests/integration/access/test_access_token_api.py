"""``/api/v1/tokens``: one's own tokens with expiry and state, revocation by the token's user or
an administrator (refusals audited); the CLI shows the expiry too."""

from __future__ import annotations

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from pinconsole.access import AuditFilter, list_audit
from pinconsole.access.tokens import create_token, list_tokens
from pinconsole.cli import app


def test_list_ones_own_tokens(access_client: TestClient) -> None:
    ada = create_token("ada", description="laptop", expires_in_days=10)
    create_token("ada", description="ci")
    create_token("linus")
    listed = access_client.get("/api/v1/tokens", headers=bearer(ada))
    assert listed.status_code == 200, listed.text
    page = listed.json()
    items = page["items"]
    assert [t["description"] for t in items] == ["ci", "laptop"]
    assert page["totalItems"] == 2 and page["pageInfo"] == {}
    assert all(t["state"] == "active" and t["expiresAt"] for t in items)
    assert ada not in listed.text
    other = access_client.get("/api/v1/tokens", params={"user": "linus"}, headers=bearer(ada))
    assert other.status_code == 403
    (denied,), _ = list_audit(AuditFilter(action="token.list", outcome="denied"))
    assert denied.actor == "ada" and denied.target == "user:default/linus"
    admin = bearer(create_token("ops-bot", admin=True))
    linus = access_client.get("/api/v1/tokens", params={"user": "linus"}, headers=admin).json()
    assert [t["user"] for t in linus["items"]] == ["linus"]


def test_revoke_through_the_api(access_client: TestClient) -> None:
    ada = create_token("ada")
    linus = create_token("linus")
    ids = {t.user: t.id for t in list_tokens()}
    refused = access_client.delete(f"/api/v1/tokens/{ids['ada']}", headers=bearer(linus))
    assert refused.status_code == 403
    assert access_client.get("/api/v1/tokens", headers=bearer(ada)).status_code == 200
    assert (
        access_client.delete(f"/api/v1/tokens/{ids['ada']}", headers=bearer(ada)).status_code == 204
    )
    gone = access_client.get("/api/v1/tokens", headers=bearer(ada))
    assert gone.status_code == 401 and "revoked" in gone.json()["detail"]
    admin = bearer(create_token("ops-bot", admin=True))
    assert access_client.delete(f"/api/v1/tokens/{ids['linus']}", headers=admin).status_code == 204
    assert access_client.delete("/api/v1/tokens/424242", headers=admin).status_code == 404
    _, revoked = list_audit(AuditFilter(action="token.revoke", outcome="ok"))
    assert revoked == 2


def test_cli_lists_the_expiry(db: str) -> None:
    runner = CliRunner()
    made = runner.invoke(
        app, ["token", "create", "--user", "bot", "--service-account", "--expires-in-days", "3"]
    )
    assert made.exit_code == 0, made.output
    assert "valid until" in made.stdout
    (info,) = list_tokens()
    listing = runner.invoke(app, ["token", "list"]).stdout
    assert f"expires {info.expires_at:%Y-%m-%d %H:%M}" in listing and "active" in listing
    bad = runner.invoke(
        app, ["token", "create", "--user", "bot", "--service-account", "--expires-in-days", "0"]
    )
    assert bad.exit_code == 2 and "expires after 1 to" in bad.stderr


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
