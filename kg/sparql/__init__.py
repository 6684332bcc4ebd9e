"""SPARQL over the on-disk store: checks, negotiation, executor pool, cache, descriptions.

Pure of Flask; ``server/sparql.py`` and ``exokg query`` are thin skins over it.

- :mod:`kg.sparql.check`: the query's form, updates and SERVICE calls, refused by default.
- :mod:`kg.sparql.negotiate`: Accept (with q-values) or ``format=`` to a registry format.
- :mod:`kg.sparql.pool`: executor processes, killed at the time limit.
- :mod:`kg.sparql.cache`: a bounded LRU of serialized results.
- :mod:`kg.sparql.service`: :class:`SparqlService` tying these together.
- :mod:`kg.sparql.describe`: the Service Description and VoID graphs.
"""

from kg.sparql.check import QueryInfo, check_query, inspect_query
from kg.sparql.negotiate import negotiate
from kg.sparql.pool import ExecutorPool, QueryFailed, ServiceBusy
from kg.sparql.service import QueryAnswer, QueryRequest, SparqlService

__all__ = ["ExecutorPool", "QueryAnswer", "QueryFailed", "QueryInfo", "QueryRequest",
           "ServiceBusy", "SparqlService", "check_query", "inspect_query", "negotiate"]
