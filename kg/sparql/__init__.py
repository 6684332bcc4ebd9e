"""SPARQL over the on-disk store: checks, negotiation, executor pool, cache, descriptions.

Pure of Flask; ``server/sparql.py`` and ``exokg query`` are thin skins over it.

- :mod:`exokg.sparql.check`: the query's form, updates and SERVICE calls, refused by default.
- :mod:`exokg.sparql.negotiate`: Accept (with q-values) or ``format=`` to a registry format.
- :mod:`exokg.sparql.pool`: executor processes, killed at the time limit.
- :mod:`exokg.sparql.cancel`: a token that stops a query whose caller gave up.
- :mod:`exokg.sparql.cache`: a bounded LRU of serialized results.
- :mod:`exokg.sparql.service`: :class:`SparqlService` tying these together.
- :mod:`exokg.sparql.describe`: the Service Description and VoID graphs.
"""

from exokg.sparql.check import QueryInfo, check_query, inspect_query
from exokg.sparql.negotiate import negotiate
from exokg.sparql.pool import ExecutorPool, QueryFailed, ServiceBusy
from exokg.sparql.service import QueryAnswer, QueryRequest, SparqlService

__all__ = ["ExecutorPool", "QueryAnswer", "QueryFailed", "QueryInfo", "QueryRequest",
           "ServiceBusy", "SparqlService", "check_query", "inspect_query", "negotiate"]
