"""Backstage ``catalog.providers.ldapOrg`` configuration, read unchanged from an app-config YAML.

A team moving from Backstage copies its ``ldapOrg`` blocks over as they are, so the key names,
defaults and list-or-single shapes follow Backstage's ``catalog-backend-module-ldap`` exactly.
PinConsole additions (all optional) are marked below: ``tls.ca`` and ``tls.startTLS``,
``timeouts``, and ``map.members`` accepting a list of attribute names.

``${VAR}`` is replaced from the environment (``$${`` is a literal ``${``); ``{$env: VAR}`` and
``{$file: path}`` substitutions work as in Backstage. Every error names the key path.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from pinconsole.errors import Invalid

ROOT_PATH = "catalog.providers.ldapOrg"

_VAR = re.compile(r"\$(\$)?\{([^}]*)\}")


class _Block(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


class BindConfig(_Block):
    """Service account the sync binds as (Backstage ``bind``)."""

    dn: str
    secret: str = Field(repr=False)


class TlsConfig(_Block):
    """Backstage ``tls`` plus PinConsole's ``ca`` (CA bundle file) and ``startTLS``."""

    reject_unauthorized: bool = Field(default=True, alias="rejectUnauthorized")
    keys: str | None = Field(default=None, description="client private key file (PEM)")
    certs: str | None = Field(default=None, description="client certificate chain file (PEM)")
    ca: str | None = Field(default=None, description="CA bundle file (PEM); PinConsole addition")
    start_tls: bool = Field(default=False, alias="startTLS", description="PinConsole addition")


class PagedConfig(_Block):
    page_size: int = Field(default=500, alias="pageSize", gt=0, le=100_000)
    page_pause: bool = Field(default=False, alias="pagePause")


class SearchOptions(_Block):
    """Backstage ``options`` (ldapjs SearchOptions): scope, filter, attributes, paged, limits."""

    scope: Literal["base", "one", "sub"] = "one"
    filter: str = "(objectClass=*)"
    attributes: list[str] = Field(default_factory=lambda: ["*", "+"])
    size_limit: int = Field(default=0, alias="sizeLimit", ge=0)
    time_limit: int = Field(default=0, alias="timeLimit", ge=0)
    deref_aliases: int | None = Field(default=None, alias="derefAliases")
    types_only: bool = Field(default=False, alias="typesOnly")
    # Unspecified means paged with 500 a page: paging never hurts and avoids server size limits.
    paged: bool | PagedConfig = True

    @field_validator("filter", mode="before")
    @classmethod
    def _compact_filter(cls, value: Any) -> Any:
        # Backstage strips whitespace around parentheses so filters can span lines.
        if isinstance(value, str):
            return re.sub(r"\s*([()])", r"\1", value).strip()
        return value

    @field_validator("attributes", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @property
    def page_size(self) -> int | None:
        """Page size for the paged-results control, or None when paging is off."""
        if self.paged is False:
            return None
        return self.paged.page_size if isinstance(self.paged, PagedConfig) else 500


class UserMap(_Block):
    rdn: str = "uid"
    name: str = "uid"
    description: str | None = None
    display_name: str = Field(default="cn", alias="displayName")
    email: str = "mail"
    picture: str | None = None
    member_of: str = Field(default="memberOf", alias="memberOf")


class GroupMap(_Block):
    rdn: str = "cn"
    name: str = "cn"
    description: str = "description"
    type: str = "groupType"
    display_name: str = Field(default="cn", alias="displayName")
    email: str | None = None
    picture: str | None = None
    member_of: str = Field(default="memberOf", alias="memberOf")
    # member (groupOfNames), uniqueMember (groupOfUniqueNames) or memberUid (posixGroup).
    members: list[str] = Field(default_factory=lambda: ["member"])

    @field_validator("members", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class UserConfig(_Block):
    dn: str
    options: SearchOptions = Field(default_factory=SearchOptions)
    set: dict[str, Any] | None = None
    map: UserMap = Field(default_factory=UserMap)


class GroupConfig(_Block):
    dn: str
    options: SearchOptions = Field(default_factory=SearchOptions)
    set: dict[str, Any] | None = None
    map: GroupMap = Field(default_factory=GroupMap)


class VendorConfig(_Block):
    dn_attribute_name: str | None = Field(default=None, alias="dnAttributeName")
    uuid_attribute_name: str | None = Field(default=None, alias="uuidAttributeName")
    # Backstage: lower-case the DN annotation (and member values) for directories that send
    # members in another case than the DNs. Comparisons here are normalised either way.
    dn_case_sensitive: bool = Field(default=False, alias="dnCaseSensitive")


class ScheduleConfig(_Block):
    """Backstage task schedule: ``frequency`` as {minutes: 60}, ISO 8601, {cron: ...} or
    {trigger: manual} (no automatic runs: only ``pinconsole org sync`` and "Sync now").

    Checked when the file is read, so a bad value fails ``org check`` rather than the job."""

    frequency: Any = None
    timeout: Any = None
    initial_delay: Any = Field(default=None, alias="initialDelay")
    scope: Literal["global", "local"] | None = None

    @field_validator("frequency")
    @classmethod
    def _frequency(cls, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, Mapping) and set(value) == {"trigger"}:
            if value["trigger"] != "manual":
                raise ValueError("trigger must be 'manual'")
            return dict(value)
        if isinstance(value, Mapping) and set(value) == {"cron"}:
            from croniter import croniter

            expr = str(value["cron"])
            if not croniter.is_valid(expr, second_at_beginning=len(expr.split()) == 6):
                raise ValueError(f"{expr!r} is not a crontab expression")
            return dict(value)
        if duration_seconds(value) <= 0:
            raise ValueError("must be longer than zero")
        return value

    @field_validator("timeout", "initial_delay")
    @classmethod
    def _duration(cls, value: Any) -> Any:
        if value is not None:
            duration_seconds(value)
        return value

    @property
    def manual(self) -> bool:
        """``frequency: {trigger: manual}``: Backstage runs such a task only when asked."""
        return isinstance(self.frequency, Mapping) and "trigger" in self.frequency

    def interval_seconds(self, now: datetime | None = None) -> float | None:
        """Seconds until the next run, or None when no frequency is given or it is manual."""
        if self.frequency is None or self.manual:
            return None
        if isinstance(self.frequency, Mapping) and "cron" in self.frequency:
            from croniter import croniter

            expr = str(self.frequency["cron"])
            start = now or datetime.now()
            # Backstage's six-field cron puts the seconds first, croniter's default last.
            it = croniter(expr, start, second_at_beginning=len(expr.split()) == 6)
            nxt = it.get_next(datetime)
            return max(1.0, (nxt - start).total_seconds())
        return duration_seconds(self.frequency)

    def timeout_seconds(self) -> float | None:
        return None if self.timeout is None else duration_seconds(self.timeout)


class Timeouts(_Block):
    """PinConsole addition: socket connect and per-operation read timeouts in seconds."""

    connect: float = Field(default=10.0, gt=0)
    read: float = Field(default=60.0, gt=0)


class LdapProviderConfig(_Block):
    """One ``catalog.providers.ldapOrg.<id>`` block."""

    id: str
    target: str
    bind: BindConfig | None = None
    tls: TlsConfig = Field(default_factory=TlsConfig)
    users: list[UserConfig] = Field(default_factory=list)
    groups: list[GroupConfig] = Field(default_factory=list)
    schedule: ScheduleConfig | None = None
    vendor: VendorConfig = Field(default_factory=VendorConfig)
    timeouts: Timeouts = Field(default_factory=Timeouts)

    @field_validator("target")
    @classmethod
    def _target(cls, value: str) -> str:
        value = value.rstrip("/")
        if not re.match(r"^ldaps?://[^/]+$", value, re.IGNORECASE):
            raise ValueError("must be ldap://host[:port] or ldaps://host[:port]")
        return value

    @field_validator("users", "groups", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        # Backstage accepts one block or a list of blocks.
        if value is None:
            return []
        return [value] if isinstance(value, Mapping) else value

    @property
    def use_ssl(self) -> bool:
        return self.target.lower().startswith("ldaps://")


# --- durations ---------------------------------------------------------------------------------

_ISO = re.compile(
    r"^P(?:(?P<years>\d+(?:\.\d+)?)Y)?(?:(?P<months>\d+(?:\.\d+)?)M)?"
    r"(?:(?P<weeks>\d+(?:\.\d+)?)W)?(?:(?P<days>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<hours>\d+(?:\.\d+)?)H)?(?:(?P<minutes>\d+(?:\.\d+)?)M)?"
    r"(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$",
    re.IGNORECASE,
)
_UNITS = {  # Backstage HumanDuration (Luxon): a month is 30 days and a year 365 here
    "milliseconds": 0.001,
    "seconds": 1,
    "minutes": 60,
    "hours": 3600,
    "days": 86400,
    "weeks": 7 * 86400,
    "months": 30 * 86400,
    "years": 365 * 86400,
}


def duration_seconds(value: Any) -> float:
    """Backstage HumanDuration ({minutes: 5}) or ISO 8601 ('PT5M') to seconds."""
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        m = _ISO.match(value.strip())
        if not m or not any(m.groupdict().values()):
            raise ValueError(f"{value!r} is not an ISO 8601 duration such as PT60M")
        return float(sum(float(v) * _UNITS[k] for k, v in m.groupdict().items() if v))
    if isinstance(value, Mapping):
        unknown = set(value) - set(_UNITS)
        if unknown:
            raise ValueError(f"unknown duration unit(s) {sorted(unknown)}; use {sorted(_UNITS)}")
        return float(sum(float(v) * _UNITS[k] for k, v in value.items()))
    raise ValueError("a duration is {minutes: N}, an ISO 8601 string or a number of seconds")


# --- substitution --------------------------------------------------------------------------------


def _substitute(node: Any, path: str, env: Mapping[str, str], base: Path) -> Any:
    if isinstance(node, str):

        def repl(m: re.Match[str]) -> str:
            if m.group(1):  # $${X} is an escaped literal ${X}
                return "${" + m.group(2) + "}"
            name = m.group(2).strip()
            if name not in env:
                raise Invalid(f"environment variable {name} is not set", where=path)
            return env[name]

        return _VAR.sub(repl, node)
    if isinstance(node, Mapping):
        if set(node) == {"$env"}:
            name = str(node["$env"])
            if name not in env:
                raise Invalid(f"environment variable {name} is not set", where=path)
            return env[name]
        if set(node) == {"$file"}:
            file = base / str(node["$file"])
            try:
                return file.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise Invalid(f"cannot read {file}: {exc.strerror}", where=path) from exc
        return {k: _substitute(v, f"{path}.{k}", env, base) for k, v in node.items()}
    if isinstance(node, list):
        return [_substitute(v, f"{path}[{i}]", env, base) for i, v in enumerate(node)]
    return node


def _loc_path(prefix: str, loc: tuple[Any, ...]) -> str:
    out = prefix
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("bool", "PagedConfig", "list[str]", "str") or "[" in str(part):
            continue  # union branch names pydantic adds to the location
        else:
            out += f".{part}"
    return out


def parse_providers(
    document: Mapping[str, Any] | None,
    env: Mapping[str, str] | None = None,
    base_dir: Path | None = None,
) -> list[LdapProviderConfig]:
    """Every ldapOrg provider of an app-config document, substituted and validated."""
    env = os.environ if env is None else env
    node: Any = document or {}
    for i, key in enumerate(ROOT_PATH.split(".")):
        if not isinstance(node, Mapping) or key not in node:
            missing = ".".join(ROOT_PATH.split(".")[: i + 1])
            raise Invalid(f"no {ROOT_PATH} block in the configuration", where=missing)
        node = node[key]
    if not isinstance(node, Mapping) or not node:
        raise Invalid("must map provider ids to provider blocks", where=ROOT_PATH)
    providers: list[LdapProviderConfig] = []
    for pid, raw in node.items():
        where = f"{ROOT_PATH}.{pid}"
        if not isinstance(raw, Mapping):
            raise Invalid("must be a mapping", where=where)
        data = _substitute(dict(raw), where, env, base_dir or Path.cwd())
        try:
            providers.append(LdapProviderConfig.model_validate({**data, "id": str(pid)}))
        except ValidationError as exc:
            # In a union (paged: bool | {pageSize}), the deepest error is the helpful one.
            err = max(exc.errors(), key=lambda e: len(_loc_path("", tuple(e["loc"]))))
            loc = _loc_path(where, tuple(err["loc"]))
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = "unknown key"
            elif err["type"] == "missing":
                msg = "is required"
            raise Invalid(msg, where=loc) from exc
    return providers


def load_config(path: str | Path, env: Mapping[str, str] | None = None) -> list[LdapProviderConfig]:
    """Read a YAML app-config file and return its ldapOrg providers."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise Invalid(f"cannot read org config: {exc.strerror}", where=str(file)) from exc
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{file}:{mark.line + 1}" if mark else str(file)
        raise Invalid(f"not valid YAML: {getattr(exc, 'problem', exc)}", where=where) from exc
    if document is not None and not isinstance(document, Mapping):
        raise Invalid("the top level must be a mapping", where=str(file))
    return parse_providers(document, env, file.parent)
