"""The catalog's read side, a module per concern: ``filters`` (what narrows a read),
``listing`` (filtered, sorted pages with keyset cursors), ``facets`` (counts per value),
``entity`` (one entity, lookups by refs, summaries), ``search`` (the top bar) and ``views``
(the entity, team, user and home pages, import errors).

Functions that take ``session`` use the caller's; the views and the search take ``session=None``
and then read in a session of their own. The REST API reads through ``catalog.service``.
"""

from pinconsole.catalog.query.entity import (
    OWNED_KINDS,
    EntityDetail,
    EntitySummary,
    RelatedEntity,
    entities_by_refs,
    entity_json,
    entity_json_async,
    entity_summary,
    entity_url,
    get_entity,
    get_entity_by_ref,
    normalise_ref,
    ref_for_uid,
    refs_for_location,
    relations_of,
)
from pinconsole.catalog.query.facets import facet_counts
from pinconsole.catalog.query.filters import FACET_FIELDS, EntityFilter
from pinconsole.catalog.query.listing import (
    MAX_LIMIT,
    SORTS,
    EntityPage,
    count_entities,
    list_entities,
    list_entities_json,
    list_entities_json_async,
)
from pinconsole.catalog.query.search import (
    SearchHit,
    SearchResults,
    search_everything,
    search_results,
)
from pinconsole.catalog.query.views import (
    EntityView,
    catalog_errors,
    count_catalog_errors,
    domain_of,
    entity_view,
    home_summary,
    team_view,
    user_view,
)
from pinconsole.db import read_scope

__all__ = [
    "FACET_FIELDS",
    "MAX_LIMIT",
    "OWNED_KINDS",
    "SORTS",
    "EntityDetail",
    "EntityFilter",
    "EntityPage",
    "EntitySummary",
    "EntityView",
    "RelatedEntity",
    "SearchHit",
    "SearchResults",
    "catalog_errors",
    "count_catalog_errors",
    "count_entities",
    "domain_of",
    "entities_by_refs",
    "entity_json",
    "entity_json_async",
    "entity_summary",
    "entity_url",
    "entity_view",
    "facet_counts",
    "get_entity",
    "get_entity_by_ref",
    "home_summary",
    "list_entities",
    "list_entities_json",
    "list_entities_json_async",
    "normalise_ref",
    "read_scope",
    "ref_for_uid",
    "refs_for_location",
    "relations_of",
    "search_everything",
    "search_results",
    "team_view",
    "user_view",
]
