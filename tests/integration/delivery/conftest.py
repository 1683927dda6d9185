"""A real docker-registry (and one behind token auth) for the delivery tests."""

from fixtures.registry import basic_registry as basic_registry
from fixtures.registry import registry as registry
from fixtures.registry import token_registry as token_registry
