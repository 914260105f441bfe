"""The tenant isolation suite: objects of tenant A stay invisible to tenant B.

Black-box, through real HTTP GraphQL: it introspects the live schemas of the
account endpoint (``/graphql``) and of a property endpoint
(``/graphql/{property}``), so it covers whatever plugins are installed, the
day they land. As tenant A's owner it walks every root query field it can
call (arguments all optional, or a ``property`` slug) down through objects,
lists and connections, and collects every ``Node`` it meets. Then, as tenant
B's owner:

* **list**: the same queries, on B's endpoints and on A's property endpoint,
  must not return any of A's IDs;
* **node** / **nodes**: ``node(id:)`` and ``nodes(ids:)`` given A's IDs must
  answer ``null``;
* **mutation**: every mutation taking an ``ID`` or a ``property`` slug
  (directly or inside its ``input``) is called with A's IDs or slug and
  type-correct dummies elsewhere; it must neither return one of A's objects
  nor change anything A's queries read.

A ``Node`` type of which no object of tenant A was found is *uncovered*: a
plugin must give every Node type demo data (``concierge_demo_data``) and a
list that reaches it. Run it with :func:`run_isolation_suite` (see
docs/plugins.md, "Tenant isolation"). Importable without pytest.
"""

from core.isolation.queries import node_type_names
from core.isolation.report import IsolationReport, Leak, UncoveredType
from core.isolation.run import check_isolation
from core.isolation.seed import run_isolation_suite, seed_isolation_tenants, seed_tenant

__all__ = [
    "IsolationReport",
    "Leak",
    "UncoveredType",
    "check_isolation",
    "node_type_names",
    "run_isolation_suite",
    "seed_isolation_tenants",
    "seed_tenant",
]
