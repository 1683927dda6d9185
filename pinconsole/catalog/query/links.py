"""Links out of the console taken from descriptors: ``metadata.links``, the source and edit
annotations, a team's chat channel.

Descriptors are untrusted: only http(s) URLs with a host come out of here, never a
``javascript:`` or ``data:`` link nor a file path.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

URL_MAX = 2048  # longer annotation values are no link a person follows
LINKS_MAX = 50  # a profile with more is generated, not curated: show the first ones

# Where Backstage users name a group's chat channel (Slack plugins' annotations first).
CHAT_ANNOTATIONS = (
    "pinconsole.io/chat-channel",
    "slack.com/channel",
    "slack.com/channel-name",
    "slack.com/bot-notify",
)
CHAT_LINK_TYPES = ("chat", "slack", "teams", "mattermost")


def web_url(value: str) -> str:
    """``value`` (a location target ``url:https://...`` or a plain URL) when it is an http(s)
    URL with a host, else ""."""
    target = value.strip().removeprefix("url:").strip()
    if not target or len(target) > URL_MAX or any(c.isspace() or ord(c) < 32 for c in target):
        return ""
    try:
        parts = urlsplit(target)
    except ValueError:
        return ""
    return target if parts.scheme.lower() in ("http", "https") and parts.hostname else ""


def safe_links(raw: Any) -> list[dict[str, str]]:
    """``metadata.links`` as (url, title, icon, type) rows, dropping entries that are not
    mappings or whose URL is not a web link."""
    out: list[dict[str, str]] = []
    for item in raw if isinstance(raw, list) else []:
        if not isinstance(item, dict):
            continue
        url = web_url(str(item.get("url") or ""))
        if not url:
            continue
        out.append(
            {
                "url": url,
                "title": str(item.get("title") or url)[:200],
                "icon": str(item.get("icon") or "")[:40],
                "type": str(item.get("type") or "")[:40],
            }
        )
        if len(out) == LINKS_MAX:
            break
    return out


def team_chat(
    annotations: dict[str, Any], links: list[dict[str, str]], chat_base: str = ""
) -> dict[str, str] | None:
    """A team's chat channel: ``{"name", "url"}``, from the first chat annotation (a channel
    name, ``#name``, or a URL) or else the first link whose type or icon says chat.

    A bare channel name links to ``chat_base`` + name when the workplace's chat URL is set
    (settings), else to the team's chat link if it has one, else it is shown unlinked."""
    for key in CHAT_ANNOTATIONS:
        value = str(annotations.get(key) or "").strip()
        if not value:
            continue
        # slack.com/bot-notify may list several channels; the first is the team's own.
        value = value.split(",")[0].strip()
        url = web_url(value)
        if url:
            return {"name": _channel_label(url), "url": url}
        name = value.lstrip("#")[:80]
        if not name or any(c.isspace() or ord(c) < 32 for c in name):
            continue
        base = web_url(chat_base)
        if base:
            return {"name": f"#{name}", "url": base.rstrip("/") + "/" + quote(name)}
        chat = _chat_link(links)
        return {"name": f"#{name}", "url": chat["url"] if chat else ""}
    chat = _chat_link(links)
    return {"name": chat["title"], "url": chat["url"]} if chat else None


def _chat_link(links: list[dict[str, str]]) -> dict[str, str] | None:
    for lk in links:
        if lk["type"].lower() in CHAT_LINK_TYPES or lk["icon"].lower() in CHAT_LINK_TYPES:
            return lk
    return None


def _channel_label(url: str) -> str:
    """``#name`` for a channel URL whose last path part names it, else the host (Slack's
    archive URLs end in an upper-case channel ID, which names nothing a person knows)."""
    parts = urlsplit(url)
    last = parts.path.rstrip("/").rsplit("/", 1)[-1]
    return f"#{last}" if last and not last.isupper() else parts.hostname or url
