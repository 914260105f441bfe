"""Schema composition: one strawberry schema per distinct set of enabled plugins, cached.

The account schema (``/graphql``) holds the core's account-level fields. A
property schema (``/graphql/{property}``) holds the core's property fields
plus the contributions of exactly the plugins that property has enabled, so a
shop's schema has no ``Room`` type at all. Two plugins contributing the same
type or root-field name stop start-up with an error naming both, because
strawberry's ``merge_types`` would only warn and let one silently win.
"""

from __future__ import annotations

import logging
import threading
import warnings
from collections.abc import Iterable
from dataclasses import dataclass

import strawberry
from graphql import GraphQLError
from strawberry import relay
from strawberry.exceptions import DuplicatedTypeName
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from core.config import Settings
from core.graphql.account.schema import AccountMutation, AccountQuery
from core.graphql.contribution import GraphQLContribution
from core.graphql.errors import CoreError, is_client_facing
from core.graphql.extensions import schema_extensions
from core.graphql.permissions import guard_of
from core.graphql.root import PropertyQuery
from core.plugins import PluginError, PluginHost

MAX_BATCH_OPERATIONS = 10
log = logging.getLogger("concierge.graphql")


class ConciergeSchema(strawberry.Schema):
    """Client mistakes (syntax, validation) are logged at debug level only; bugs are
    logged with their traceback and an error id by the masking extension."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            if is_client_facing(error):
                log.debug("client error: %s", error.message)


@dataclass(frozen=True)
class _Names:
    types: frozenset[str]
    query: frozenset[str]
    mutation: frozenset[str]
    subscription: frozenset[str]


def _field_names(cls: type | None) -> frozenset[str]:
    if cls is None:
        return frozenset()
    config = StrawberryConfig()
    return frozenset(
        config.name_converter.get_graphql_name(f) for f in cls.__strawberry_definition__.fields
    )


class SchemaRegistry:
    """Builds and caches schemas; validates every installed plugin's contribution up front."""

    def __init__(self, host: PluginHost, settings: Settings) -> None:
        self.host = host
        self.settings = settings
        self.contributions = self._collect(host)
        self._cache: dict[frozenset[str], strawberry.Schema] = {}
        self._account: strawberry.Schema | None = None
        self._lock = threading.Lock()
        self._standalone: dict[int, strawberry.Schema] = {}
        self._check_collisions()
        self._standalone.clear()

    @staticmethod
    def _collect(host: PluginHost) -> dict[str, GraphQLContribution]:
        found: dict[str, GraphQLContribution] = {}
        for impl in host.manager.hook.concierge_graphql.get_hookimpls():
            contribution = impl.function()
            if contribution is None:
                continue
            if not isinstance(contribution, GraphQLContribution):
                raise PluginError(
                    f"plugin {impl.plugin_name!r}: concierge_graphql must return a "
                    "GraphQLContribution or None"
                )
            found[impl.plugin_name] = contribution
        return found

    def _build(self, contributions: Iterable[GraphQLContribution]) -> strawberry.Schema:
        contributions = list(contributions)
        queries = tuple(c.query for c in contributions if c.query is not None)
        mutations = tuple(c.mutation for c in contributions if c.mutation is not None)
        subscriptions = tuple(c.subscription for c in contributions if c.subscription is not None)
        extra_types = [t for c in contributions for t in c.types]
        return ConciergeSchema(
            query=merge_types("Query", (PropertyQuery, *queries)),
            mutation=merge_types("Mutation", mutations) if mutations else None,
            subscription=merge_types("Subscription", subscriptions) if subscriptions else None,
            types=[CoreError, *extra_types],
            extensions=schema_extensions(self.settings),
            config=self._config(),
        )

    def _config(self) -> StrawberryConfig:
        batching = self.settings.limits.batching
        return StrawberryConfig(
            batching_config={"max_operations": MAX_BATCH_OPERATIONS} if batching else None
        )

    def _names_schema(self, contribution: GraphQLContribution | None) -> strawberry.Schema:
        """The schema of the core plus one contribution alone (built once, for checks)."""
        key = id(contribution)
        schema = self._standalone.get(key)
        if schema is None:
            with warnings.catch_warnings():
                # merge_types warns about overridden fields; the checks report them properly.
                warnings.filterwarnings("ignore", message=".*has overridden fields.*")
                schema = self._build([contribution] if contribution else [])
            self._standalone[key] = schema
        return schema

    def _names(self, contribution: GraphQLContribution | None) -> _Names:
        """Type and root-field names one contribution brings (the core's own when None)."""
        schema = self._names_schema(contribution)
        types = frozenset(n for n in schema._schema.type_map if not n.startswith("__"))
        if contribution is None:
            return _Names(types, _field_names(PropertyQuery), frozenset(), frozenset())
        return _Names(
            types=types,
            query=_field_names(contribution.query),
            mutation=_field_names(contribution.mutation),
            subscription=_field_names(contribution.subscription),
        )

    def _check_collisions(self) -> None:
        core = self._names(None)
        owners: dict[str, _Names] = {}
        for name, contribution in self.contributions.items():
            try:
                owners[name] = self._names(contribution)
            except DuplicatedTypeName as exc:
                raise PluginError(
                    f"plugin {name!r} redefines a type of the core or of a plugin it "
                    f"requires: {exc}"
                ) from exc
            except Exception as exc:
                raise PluginError(
                    f"plugin {name!r}: its GraphQL contribution fails: {exc}"
                ) from exc
        for name, names in owners.items():
            for root in ("query", "mutation", "subscription"):
                clash = getattr(names, root) & getattr(core, root)
                if clash:
                    raise PluginError(
                        f"plugin {name!r} contributes {root} field(s) {sorted(clash)} "
                        "that the core already defines"
                    )
        plugins = sorted(owners)
        for i, first in enumerate(plugins):
            for second in plugins[i + 1 :]:
                for root in ("query", "mutation", "subscription"):
                    clash = getattr(owners[first], root) & getattr(owners[second], root)
                    if clash:
                        raise PluginError(
                            f"plugins {first!r} and {second!r} both contribute {root} "
                            f"field(s) {sorted(clash)}"
                        )
        # The core's own fields are held to the same rule as every plugin's.
        check_guards(GraphQLContribution(query=PropertyQuery), "core")
        check_guards(GraphQLContribution(query=AccountQuery, mutation=AccountMutation), "core")
        for name, contribution in self.contributions.items():
            check_guards(contribution, name)
            check_node_types(self._names_schema(contribution), name)
        # Types: a class several plugins use (DateTime, Money, a required plugin's
        # types) is shared, not clashing; two different classes under one name
        # clash. Strawberry finds that name when it builds every plugin together.
        try:
            self.full()
        except DuplicatedTypeName as exc:
            type_name = exc.first_cls.__strawberry_definition__.name
            culprits = sorted(n for n, names in owners.items() if type_name in names.types)
            raise PluginError(
                f"plugins {' and '.join(repr(c) for c in culprits)} each contribute a "
                f"different type named {type_name!r}"
            ) from exc

    def for_plugins(self, enabled: Iterable[str]) -> strawberry.Schema:
        """The schema of a property with ``enabled`` plugins (unknown names are ignored)."""
        key = frozenset(enabled) & self.host.names
        schema = self._cache.get(key)
        if schema is None:
            with self._lock:
                schema = self._cache.get(key)
                if schema is None:
                    ordered = [
                        self.contributions[n].for_plugins(key)
                        for n in sorted(key)
                        if n in self.contributions
                    ]
                    schema = self._build(ordered)
                    self._cache[key] = schema
        return schema

    def full(self) -> strawberry.Schema:
        """The schema with every installed plugin enabled (what schema.graphql holds)."""
        return self.for_plugins(self.host.names)

    def account(self) -> strawberry.Schema:
        if self._account is None:
            self._account = ConciergeSchema(
                query=AccountQuery,
                mutation=AccountMutation,
                types=[CoreError],
                extensions=schema_extensions(self.settings),
                config=self._config(),
            )
        return self._account

    @property
    def cached_count(self) -> int:
        return len(self._cache)


def check_guards(contribution: GraphQLContribution, plugin: str) -> None:
    """Every root field a plugin contributes must say who may call it (core.graphql.permissions)."""
    for root in ("query", "mutation", "subscription"):
        cls = getattr(contribution, root)
        if cls is None:
            continue
        for field in cls.__strawberry_definition__.fields:
            if guard_of(field) is None:
                raise PluginError(
                    f"plugin {plugin!r}: {root} field {field.python_name!r} declares no guard; "
                    "add permission_classes=requires(...), public(), signed_in() or anyone()"
                )


def check_node_types(schema: strawberry.Schema, plugin: str) -> None:
    """Every Node type must say what reading it needs (``read_permission``, None = public)."""
    for concrete in schema.schema_converter.type_map.values():
        origin = getattr(concrete.definition, "origin", None)
        if (
            isinstance(origin, type)
            and issubclass(origin, relay.Node)
            and origin is not relay.Node
            and not any("read_permission" in vars(klass) for klass in origin.__mro__)
        ):
            raise PluginError(
                f"plugin {plugin!r}: Node type {origin.__name__!r} declares no read_permission "
                "(a permission name, or None for objects anyone on the property may read)"
            )


def export_schema_sdl(registry: SchemaRegistry) -> str:
    """The SDL of the account schema and the full property schema, as schema.graphql holds it."""
    header = (
        "# Generated by `concierge export-schema`; do not edit by hand.\n"
        "# The property schema (/graphql/{property}) with every built-in plugin enabled.\n"
        "# A property's own schema holds only the plugins it has enabled.\n\n"
    )
    return header + registry.full().as_str().rstrip() + "\n"
