"""A generated but realistic demo organisation, as Backstage descriptors.

Deterministic (seeded random): the same seed gives the same organisation, so demo screenshots and
tests are stable. Other features hang their demo data on it: PinCompute's sandbox cluster runs
the services that carry ``backstage.io/kubernetes-id`` (see ``kubernetes_services``).
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from pinconsole.compute.constants import KUBE_ID_ANNOTATION, NAMESPACES_ANNOTATION

API_VERSION = "backstage.io/v1alpha1"
ORG = "northwind"
ORG_TITLE = "Northwind Labs"
EMAIL_DOMAIN = "northwind.example"

# department -> (title, domain, teams as (name, title, system names))
DEPARTMENTS: dict[str, tuple[str, str, list[tuple[str, str, list[str]]]]] = {
    "platform": (
        "Platform Engineering",
        "platform",
        [
            ("platform-infra", "Infrastructure", ["compute-platform"]),
            ("developer-experience", "Developer Experience", ["developer-portal", "ci-cd"]),
            ("observability", "Observability", ["telemetry"]),
            ("networking", "Networking", ["edge"]),
            ("database-reliability", "Database Reliability", ["data-stores"]),
            ("build-release", "Build & Release", ["ci-cd"]),
        ],
    ),
    "commerce": (
        "Commerce",
        "commerce",
        [
            ("checkout", "Checkout", ["checkout"]),
            ("payments", "Payments", ["payments"]),
            ("pricing", "Pricing & Promotions", ["pricing"]),
            ("catalog-search", "Catalog & Search", ["product-catalog"]),
            ("fulfillment", "Fulfillment", ["fulfillment"]),
        ],
    ),
    "growth": (
        "Growth",
        "growth",
        [
            ("experimentation", "Experimentation", ["experimentation"]),
            ("notifications", "Notifications", ["messaging"]),
            ("onboarding", "Onboarding", ["accounts"]),
            ("ads-platform", "Ads Platform", ["ads"]),
            ("seo", "SEO & Content", ["content"]),
        ],
    ),
    "data": (
        "Data & ML",
        "data",
        [
            ("data-platform", "Data Platform", ["data-lake"]),
            ("ml-platform", "ML Platform", ["ml-serving"]),
            ("analytics-engineering", "Analytics Engineering", ["reporting"]),
            ("recommendations", "Recommendations", ["recommendations"]),
            ("data-governance", "Data Governance", ["data-lake"]),
        ],
    ),
    "consumer": (
        "Consumer Apps",
        "consumer",
        [
            ("web-frontend", "Web Frontend", ["storefront"]),
            ("ios", "iOS", ["mobile-apps"]),
            ("android", "Android", ["mobile-apps"]),
            ("design-systems", "Design Systems", ["storefront"]),
            ("accessibility", "Accessibility", ["storefront"]),
        ],
    ),
    "security": (
        "Security",
        "security",
        [
            ("appsec", "Application Security", ["security-tooling"]),
            ("identity", "Identity & Access", ["identity"]),
            ("security-operations", "Security Operations", ["security-tooling"]),
            ("trust-safety", "Trust & Safety", ["trust-safety"]),
        ],
    ),
    "corporate-it": (
        "Corporate IT",
        "corporate",
        [
            ("it-helpdesk", "IT Helpdesk", ["workplace"]),
            ("finance-systems", "Finance Systems", ["finance"]),
            ("people-systems", "People Systems", ["workplace"]),
        ],
    ),
}


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


DOMAIN_TITLES = {
    "platform": "Platform",
    "commerce": "Commerce",
    "growth": "Growth",
    "data": "Data",
    "consumer": "Consumer",
    "security": "Security",
    "corporate": "Corporate",
}

FIRST_NAMES = _words(
    "Olivia Liam Emma Noah Amelia Oliver Ava Elijah Sophia Lucas Mia Mateo Isabella Levi Evelyn "
    "Asher Harper James Luna Leo Camila Ezra Gianna "
    "Aiden Elizabeth Luca Eleanor Ethan Ella Sebastian "
    "Abigail Henry Sofia Hudson Avery Jack Scarlett Wyatt "
    "Emily Kai Aria Jackson Penelope Owen Chloe "
    "Daniel Layla Theo Mila Michael Nora Samuel Hazel Jayden Madison Amara Ravi Priya Arjun Ananya "
    "Wei Mei Hiroshi Yuki Jin Seo-yeon Kwame Ama Chinedu Ngozi Tariq Leila Omar Fatima Mateus Ines "
    "Joao Lucia Pablo Carmen Diego Valentina Sven Astrid "
    "Lars Ingrid Piotr Zofia Dmitri Katya Aisha "
    "Malik Zara Ibrahim Nadia Kofi Efua Tomas Elif Emre Deniz Hana Soren Freya Niamh Cormac Siobhan"
)
LAST_NAMES = _words(
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
    "Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris "
    "Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill "
    "Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Patel Shah Gupta "
    "Iyer Chen Wang Li Zhang Tanaka Sato Kim Park Mensah Okafor Adeyemi Haddad Khan Silva Santos "
    "Costa Fernandes Moreau Dubois Schmidt Muller Fischer "
    "Weber Novak Kowalski Ivanov Petrov Larsen "
    "Hansen Johansson Lindqvist Murphy Kelly OBrien Byrne Yilmaz Demir Rossi Russo Ferrari Bianchi"
)

LANGUAGES = ("python", "go", "java", "kotlin", "typescript", "rust", "scala")
SERVICE_ROLES = ("api", "service", "worker", "gateway", "scheduler", "consumer", "exporter", "sync")
LIBRARY_ROLES = ("sdk", "client", "lib", "common")
WEBSITE_ROLES = ("web", "admin", "console", "dashboard")
RESOURCE_TYPES = (
    ("database", "db", "postgres"),
    ("cache", "cache", "redis"),
    ("kafka-topic", "events", "kafka"),
    ("s3-bucket", "bucket", "s3"),
)


@dataclass
class DemoOrg:
    """The generated organisation: descriptors grouped by what they are."""

    groups: list[dict[str, Any]] = field(default_factory=list)
    users: list[dict[str, Any]] = field(default_factory=list)
    domains: list[dict[str, Any]] = field(default_factory=list)
    systems: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    apis: list[dict[str, Any]] = field(default_factory=list)
    resources: list[dict[str, Any]] = field(default_factory=list)
    api_definitions: dict[str, str] = field(default_factory=dict)  # API name -> definition text

    @property
    def entities(self) -> list[dict[str, Any]]:
        return [
            *self.groups,
            *self.users,
            *self.domains,
            *self.systems,
            *self.resources,
            *self.apis,
            *self.components,
        ]

    def owned_by(self, team: str) -> list[dict[str, Any]]:
        return [
            e
            for e in (*self.components, *self.apis, *self.resources, *self.systems)
            if e["spec"]["owner"] == team
        ]


def _entity(kind: str, name: str, spec: dict[str, Any], **meta: Any) -> dict[str, Any]:
    metadata = {"name": name, **{k: v for k, v in meta.items() if v not in (None, [], {})}}
    return {"apiVersion": API_VERSION, "kind": kind, "metadata": metadata, "spec": spec}


def _ascii(text: str) -> str:
    return (
        unicodedata.normalize("NFKD", text)
        .encode("ascii", "ignore")
        .decode()
        .lower()
        .replace("'", "")
    )


def _openapi(name: str, title: str, rng: random.Random) -> str:
    resource = name.removesuffix("-api").split("-")[-1] or "items"
    plural = resource if resource.endswith("s") else f"{resource}s"
    ops = [
        f"  /{plural}:\n"
        f"    get:\n      summary: List {plural}\n      operationId: list{plural.title()}\n"
        f"      responses:\n        '200':\n          description: A page of {plural}\n"
        f"    post:\n      summary: Create a {resource}\n"
        f"      operationId: create{resource.title()}\n"
        f"      responses:\n        '201':\n          description: Created\n",
        f"  /{plural}/{{id}}:\n"
        f"    get:\n      summary: Get one {resource}\n      operationId: get{resource.title()}\n"
        f"      parameters:\n        - name: id\n          in: path\n          required: true\n"
        f"          schema: {{type: string}}\n"
        f"      responses:\n        '200':\n          description: The {resource}\n"
        f"        '404':\n          description: Not found\n",
    ]
    if rng.random() < 0.5:
        ops.append(
            f"  /{plural}/{{id}}/history:\n    get:\n"
            f"      summary: Change history of a {resource}\n"
            f"      responses:\n        '200':\n          description: History entries\n"
        )
    return (
        "openapi: 3.0.3\n"
        f"info:\n  title: {title}\n  version: {rng.randint(1, 4)}.{rng.randint(0, 9)}.0\n"
        f"servers:\n  - url: https://api.{EMAIL_DOMAIN}/{name}\n"
        "paths:\n" + "".join(ops)
    )


def _grpc(name: str, rng: random.Random) -> str:
    service = "".join(p.title() for p in name.removesuffix("-grpc").split("-"))
    return (
        'syntax = "proto3";\n\n'
        f"package northwind.{name.replace('-', '_')}.v{rng.randint(1, 3)};\n\n"
        f"service {service} {{\n"
        f"  rpc Get(Get{service}Request) returns ({service}Reply);\n"
        f"  rpc List(List{service}Request) returns (stream {service}Reply);\n"
        "}\n\n"
        f"message Get{service}Request {{ string id = 1; }}\n"
        f"message List{service}Request {{ int32 page_size = 1; string page_token = 2; }}\n"
        f"message {service}Reply {{ string id = 1; string name = 2; int64 updated_at = 3; }}\n"
    )


def _asyncapi(name: str, title: str) -> str:
    topic = name.removesuffix("-events").replace("-", ".")
    return (
        "asyncapi: 2.6.0\n"
        f"info:\n  title: {title}\n  version: 1.0.0\n"
        "channels:\n"
        f"  {topic}.created:\n    subscribe:\n      message:\n        name: Created\n"
        f"  {topic}.updated:\n    subscribe:\n      message:\n        name: Updated\n"
    )


def generate_org(seed: int = 20261128, users: int = 300) -> DemoOrg:
    """The demo organisation: 41 groups, ``users`` people, ~220 components, APIs and more."""
    rng = random.Random(seed)
    org = DemoOrg()
    org.groups.append(
        _entity(
            "Group",
            ORG,
            {
                "type": "organization",
                "profile": {"displayName": ORG_TITLE, "email": f"hello@{EMAIL_DOMAIN}"},
                "children": list(DEPARTMENTS),
            },
            title=ORG_TITLE,
            description="The whole company",
        )
    )
    teams: list[tuple[str, str, str, list[str]]] = []  # (team, title, department, systems)
    for dept, (title, _domain, dept_teams) in DEPARTMENTS.items():
        org.groups.append(
            _entity(
                "Group",
                dept,
                {
                    "type": "department",
                    "profile": {"displayName": title, "email": f"{dept}@{EMAIL_DOMAIN}"},
                    "parent": ORG,
                    "children": [t for t, _, _ in dept_teams],
                },
                title=title,
                annotations={"slack.com/channel": dept},
            )
        )
        for team, team_title, systems in dept_teams:
            teams.append((team, team_title, dept, systems))

    # People: unique first.last names; each in one team, some also in a second.
    names: list[tuple[str, str]] = []
    used: set[str] = set()
    while len(names) < users:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        login = f"{_ascii(first)}.{_ascii(last)}"
        if login in used:
            continue
        used.add(login)
        names.append((first, last))
    members: dict[str, list[str]] = {t: [] for t, _, _, _ in teams}
    members.update({d: [] for d in DEPARTMENTS})
    team_names = [t for t, _, _, _ in teams]
    for i, (first, last) in enumerate(names):
        login = f"{_ascii(first)}.{_ascii(last)}"
        if i < len(DEPARTMENTS):  # department heads
            groups = [list(DEPARTMENTS)[i]]
        else:
            groups = [team_names[(i - len(DEPARTMENTS)) % len(team_names)]]
            if rng.random() < 0.08:
                groups.append(rng.choice(team_names))
        groups = list(dict.fromkeys(groups))
        for g in groups:
            members[g].append(login)
        org.users.append(
            _entity(
                "User",
                login,
                {
                    "profile": {
                        "displayName": f"{first} {last}",
                        "email": f"{login}@{EMAIL_DOMAIN}",
                    },
                    "memberOf": groups,
                },
            )
        )
    for team, team_title, dept, _systems in teams:
        org.groups.append(
            _entity(
                "Group",
                team,
                {
                    "type": "team",
                    "profile": {"displayName": team_title, "email": f"{team}@{EMAIL_DOMAIN}"},
                    "parent": dept,
                    "children": [],
                },
                title=team_title,
                description=f"{team_title} team in {DEPARTMENTS[dept][0]}",
                # PinCompute tenancy: the team owns its sandbox namespace (compute/tenancy.py).
                # The chat channel as Backstage's Slack plugins name it.
                annotations={NAMESPACES_ANNOTATION: team, "slack.com/channel": f"team-{team}"},
                links=[
                    {
                        "url": f"https://chat.{EMAIL_DOMAIN}/channels/team-{team}",
                        "title": f"#team-{team}",
                        "type": "chat",
                        "icon": "chat",
                    },
                    {
                        "url": f"https://handbook.{EMAIL_DOMAIN}/teams/{team}",
                        "title": "Team handbook",
                        "type": "docs",
                        "icon": "docs",
                    },
                ],
            )
        )

    # Domains and systems.
    system_owner: dict[str, str] = {}
    system_domain: dict[str, str] = {}
    for dept, (_title, domain, dept_teams) in DEPARTMENTS.items():
        if not any(d["metadata"]["name"] == domain for d in org.domains):
            org.domains.append(
                _entity(
                    "Domain",
                    domain,
                    {"owner": dept},
                    title=DOMAIN_TITLES[domain],
                    description=f"Everything {DOMAIN_TITLES[domain].lower()} at {ORG_TITLE}",
                )
            )
        for team, _t, systems in dept_teams:
            for system in systems:
                system_owner.setdefault(system, team)
                system_domain.setdefault(system, domain)
    for system, owner in system_owner.items():
        org.systems.append(
            _entity(
                "System",
                system,
                {"owner": owner, "domain": system_domain[system]},
                title=system.replace("-", " ").title(),
                description=f"The {system.replace('-', ' ')} system",
                tags=[system_domain[system]],
            )
        )

    # Resources, components and APIs, team by team.
    kube_budget = 40
    services_by_team: dict[str, list[str]] = {}
    all_apis: list[tuple[str, str]] = []  # (api, team)
    for team, team_title, _dept, systems in teams:
        language = rng.choice(LANGUAGES)
        prefix = team.split("-")[0] if len(team) > 14 else team
        system = systems[0]
        resources: list[str] = []
        for rtype, suffix, tag in rng.sample(RESOURCE_TYPES, k=rng.randint(1, 2)):
            rname = f"{prefix}-{suffix}"
            resources.append(rname)
            org.resources.append(
                _entity(
                    "Resource",
                    rname,
                    {
                        "type": rtype,
                        "owner": "database-reliability" if rtype == "database" else team,
                        "system": system,
                    },
                    description=f"{team_title} {rtype.replace('-', ' ')}",
                    tags=[tag],
                )
            )
        roles = rng.sample(SERVICE_ROLES, k=4)
        services: list[str] = []
        for n, role in enumerate(roles):
            name = f"{prefix}-{role}"
            services.append(name)
            lifecycle = rng.choices(("production", "experimental", "deprecated"), (7, 2, 1))[0]
            annotations = {
                "github.com/project-slug": f"{ORG}/{name}",
                "backstage.io/techdocs-ref": "dir:.",
            }
            if kube_budget > 0 and lifecycle == "production" and n < 2:
                annotations[KUBE_ID_ANNOTATION] = name
                kube_budget -= 1
            links = []
            if rng.random() < 0.65:
                links.append(
                    {
                        "url": f"https://runbooks.{EMAIL_DOMAIN}/{team}/{name}",
                        "title": "Runbook",
                        "type": "runbook",
                        "icon": "help",
                    }
                )
            if rng.random() < 0.55:
                links.append(
                    {
                        "url": f"https://docs.{EMAIL_DOMAIN}/{name}",
                        "title": "Docs",
                        "type": "docs",
                        "icon": "docs",
                    }
                )
            if rng.random() < 0.3:
                links.append(
                    {
                        "url": f"https://grafana.{EMAIL_DOMAIN}/d/{name}",
                        "title": "Dashboard",
                        "type": "dashboard",
                        "icon": "dashboard",
                    }
                )
            spec: dict[str, Any] = {
                "type": "service",
                "lifecycle": lifecycle,
                "owner": team,
                "system": system,
                "dependsOn": [f"resource:{r}" for r in resources if rng.random() < 0.8],
            }
            if n == 0 or rng.random() < 0.4:
                kind = rng.choices(("openapi", "grpc", "asyncapi"), (6, 3, 2))[0]
                suffix = {"openapi": "api", "grpc": "grpc", "asyncapi": "events"}[kind]
                api = name if name.endswith(f"-{suffix}") else f"{name}-{suffix}"
                title = (
                    f"{team_title} {role.title()} {kind.upper() if kind != 'openapi' else 'API'}"
                )
                if kind == "openapi":
                    definition = _openapi(api, title, rng)
                elif kind == "grpc":
                    definition = _grpc(api, rng)
                else:
                    definition = _asyncapi(api, title)
                org.api_definitions[api] = definition
                all_apis.append((api, team))
                spec["providesApis"] = [api]
                org.apis.append(
                    _entity(
                        "API",
                        api,
                        {
                            "type": kind,
                            "lifecycle": lifecycle,
                            "owner": team,
                            "system": system,
                            "definition": definition,
                        },
                        title=title,
                        description=f"{kind} interface of {name}",
                        tags=[kind if kind != "openapi" else "rest"],
                    )
                )
            org.components.append(
                _entity(
                    "Component",
                    name,
                    spec,
                    title=f"{team_title} {role}",
                    description=f"{role.title()} of the {team_title} team",
                    tags=[language, *(["grpc"] if "grpc" in str(spec.get("providesApis")) else [])],
                    annotations=annotations,
                    links=links,
                )
            )
        services_by_team[team] = services
        # In-team dependencies: the first service calls the others.
        head = org.components[-len(services)]
        head["spec"]["dependsOn"] = [
            *head["spec"]["dependsOn"],
            *[f"component:{s}" for s in services[1:] if rng.random() < 0.6],
        ]
        for role in rng.sample(WEBSITE_ROLES, k=1 if rng.random() < 0.75 else 0):
            name = f"{prefix}-{role}"
            org.components.append(
                _entity(
                    "Component",
                    name,
                    {
                        "type": "website",
                        "lifecycle": rng.choices(("production", "experimental"), (4, 1))[0],
                        "owner": team,
                        "system": system,
                        "dependsOn": [f"component:{services[0]}"],
                    },
                    title=f"{team_title} {role}",
                    description=f"The {team_title} {role}",
                    tags=["typescript", "react"],
                    annotations={"github.com/project-slug": f"{ORG}/{name}"},
                    links=[
                        {
                            "url": f"https://{name}.{EMAIL_DOMAIN}",
                            "title": "Open",
                            "type": "website",
                        }
                    ],
                )
            )
        for role in rng.sample(LIBRARY_ROLES, k=rng.randint(1, 3)):
            name = f"{prefix}-{role}"
            org.components.append(
                _entity(
                    "Component",
                    name,
                    {
                        "type": "library",
                        "lifecycle": "production",
                        "owner": team,
                        "system": system,
                        "subcomponentOf": services[0],
                    },
                    title=f"{team_title} {role}",
                    description=f"{language.title()} {role} for {services[0]}",
                    tags=[language],
                    annotations={"github.com/project-slug": f"{ORG}/{name}"},
                )
            )

    # Cross-team API consumption, now that every API exists.
    for comp in org.components:
        spec = comp["spec"]
        if spec["type"] not in ("service", "website"):
            continue
        others = [a for a, t in all_apis if t != spec["owner"]]
        consumed = rng.sample(others, k=rng.randint(0, 3))
        if consumed:
            spec["consumesApis"] = consumed
    for comp in org.components:
        if not comp["spec"].get("dependsOn"):
            comp["spec"].pop("dependsOn", None)
    return org


def kubernetes_services(org: DemoOrg | None = None) -> list[dict[str, str]]:
    """The demo services that run on the sandbox cluster: name, owner team, system, kube id."""
    org = org or generate_org()
    return [
        {
            "name": c["metadata"]["name"],
            "owner": c["spec"]["owner"],
            "system": c["spec"].get("system", ""),
            "kubernetes_id": c["metadata"]["annotations"][KUBE_ID_ANNOTATION],
            "language": c["metadata"]["tags"][0],
        }
        for c in org.components
        if KUBE_ID_ANNOTATION in (c["metadata"].get("annotations") or {})
    ]
