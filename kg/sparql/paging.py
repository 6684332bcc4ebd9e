"""A SELECT read in pages, each answer well below a remote engine's own cap.

Virtuoso's HTTP endpoint never answers more than 1,048,576 rows (whatever its
``ResultSetMaxRows`` says), and at 10^6 findings the artifact builders' largest reads are
bigger (5.9 M name rows). A remote store's reads for ``exokg index`` are therefore asked
in parts (:class:`PagedSolutions`), by one rule (:func:`count_query`, :func:`part_query`):
the answer's rows are counted, then split into ``ceil(count / PAGE_ROWS)`` parts by a hash
of each row's first value, each part asked as

    PROLOGUE SELECT ?v1 ... ?vn WHERE { { QUERY } FILTER(BUCKET IN ("0", "1", ...)) }

where ``BUCKET`` is the first hex digits of ``MD5(STR(?v1))``: the parts split the answer
by its first variable, the key the builders' reads are grouped by (a node, an object; its
empty string when unbound or a blank node).

- **Complete and disjoint parts, whatever order the engine computes rows in.** A row's
  bucket is a function of its values, so each row is in exactly one part. Paging by
  ``ORDER BY`` with ``LIMIT``/``OFFSET`` is what SPARQL offers, but Virtuoso 7.2's
  ``ORDER BY`` is no total order over mixed terms (IRIs, strings, numbers and dates in
  one column, as the builders' object columns are): its ``LIMIT``/``OFFSET`` slices of the
  same query overlap and miss rows (of 1,073 rows of the review's incoming-links
  aggregate in slices of 7: 183 missing, as many repeated), and a slice sorts at most
  ``MaxSortedTopRows`` rows (10,000 by default). Hash parts need no order, and no engine
  setting (and on Oxigraph, a quarter of the 10^5 incoming-links aggregate cost 74 s by
  ``ORDER BY`` slice, 19 s as a hash part).
- **Sizes.** A part holds about ``count / parts`` rows (a hash is not exact; the rows
  of one first-variable value land together, so a query whose first variable takes few
  values is not split well; and Virtuoso 7.2 undercounts large ``GROUP BY`` answers:
  at 10^6 findings it counted 2.05 M groups of the incoming-links aggregate, and one part
  of 5/16 of the buckets held 1.40 M): the page size must leave that margin below the
  engine's cap. A part the engine cuts fails (below), never a short artifact.
- **Virtuoso's large aggregates.** Virtuoso 7.2 answers a large ``GROUP BY`` short, and
  differently each time (10^6 findings, the MicroRNAs' (object, predicate) groups:
  721,083, 753,106 and 755,985 rows where Oxigraph has 882,096), with no sign of it;
  the same query in 4 hash parts gave exactly Oxigraph's 882,096. Parts do not cure
  that bug (a part big enough may be short too), they make it less likely.
- **Cost.** The engine evaluates the query once to count and once per part (each time
  hashing every row's first value: hashing all the values cost Oxigraph twice as much),
  so parts are large (``PAGE_ROWS``, 250,000 by default; see
  benchmarks/RESULTS-remote.md); an answer under ``PAGE_ROWS`` rows is asked whole
  after its count.
- **A cut part still fails**: each part is read to its end, where an engine's own cut
  (Virtuoso's ``X-SPARQL-MaxRows``) raises
  :class:`~exokg.sparql.remote.RemoteIncomplete`, reworded here to name the setting.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator

import pyoxigraph as ox
from exokg.errors import InvalidQuery
from exokg.sparql.check import FORMS, token_spans

__all__ = ["PagedSolutions", "buckets", "count_query", "part_query", "projection",
           "split_prologue"]

logger = logging.getLogger(__name__)


def split_prologue(query: str) -> tuple[str, str]:
    """``(prologue, rest)``: the ``BASE``/``PREFIX`` declarations, and the query from its
    form's keyword on (comments and strings are skipped by the tokenizer).

    >>> split_prologue("PREFIX a: <urn:a#> SELECT ?x { ?x a:p 1 }")
    ('PREFIX a: <urn:a#> ', 'SELECT ?x { ?x a:p 1 }')
    """
    for kind, value, offset in token_spans(query):
        if kind == "word" and value.upper() in FORMS:
            return query[:offset], query[offset:]
    raise InvalidQuery(f"not a query: {query[:60]!r}")


def projection(query: str) -> list[ox.Variable]:
    """The variables a SELECT projects, in order (parsed by pyoxigraph, on no data).

    >>> [v.value for v in projection("SELECT ?b (1 AS ?a) { ?b ?p ?o }")]
    ['b', 'a']
    """
    try:  # evaluated on an empty store: instant ('SELECT *' around it would sort them)
        answer = ox.Store().query(query)
    except SyntaxError as err:
        raise InvalidQuery(f"SPARQL syntax error: {err}") from None
    if not isinstance(answer, ox.QuerySolutions):
        raise InvalidQuery(f"not a SELECT query: {query[:60]!r}")
    return list(answer.variables)


def count_query(query: str) -> str:
    """The query that counts ``query``'s rows (as ``?n``).

    >>> count_query("SELECT ?s { ?s ?p ?o }")
    'SELECT (COUNT(*) AS ?n) WHERE { { SELECT ?s { ?s ?p ?o } } }'
    """
    prologue, rest = split_prologue(query)
    return f"{prologue}SELECT (COUNT(*) AS ?n) WHERE {{ {{ {rest} }} }}"


def buckets(parts: int) -> list[list[str]]:
    """The hash buckets (hex prefixes) of each of ``parts`` parts: at most 16 per part.

    >>> buckets(1)
    [['']]
    >>> [len(b) for b in buckets(3)], buckets(3)[0][:2]
    ([5, 5, 6], ['0', '1'])
    >>> len(buckets(20)), sum(len(b) for b in buckets(20)), buckets(20)[0][:2]
    (20, 256, ['00', '01'])
    """
    if parts <= 1:
        return [[""]]
    digits = 1
    while 16 ** digits < parts:
        digits += 1
    every = [f"{i:0{digits}x}" for i in range(16 ** digits)]
    edges = [len(every) * k // parts for k in range(parts + 1)]
    return [every[edges[k]:edges[k + 1]] for k in range(parts)]


def part_query(query: str, variables: list[ox.Variable], prefixes: list[str]) -> str:
    """The rows of ``query`` whose hash starts with one of ``prefixes`` (all of equal
    length; ``[""]``: every row, the query itself).

    >>> part_query("SELECT ?s { ?s ?p ?o }", [ox.Variable("s")], ["0", "1"]).split("FILTER")
    ['SELECT ?s WHERE { { SELECT ?s { ?s ?p ?o } } ', \
'(SUBSTR(MD5(COALESCE(STR(?s), "")), 1, 1) IN ("0", "1")) }']
    """
    if prefixes == [""]:
        return query
    prologue, rest = split_prologue(query)
    names = " ".join(str(v) for v in variables)
    bucket = f'SUBSTR(MD5(COALESCE(STR({variables[0]}), "")), 1, {len(prefixes[0])})'
    listed = ", ".join(f'"{p}"' for p in prefixes)
    return f"{prologue}SELECT {names} WHERE {{ {{ {rest} }} FILTER({bucket} IN ({listed})) }}"


class PagedSolutions:
    """A SELECT's solutions, asked in parts of about ``size`` rows (see the module's
    docstring) and read as they arrive.

    Read as the :class:`pyoxigraph.QuerySolutions` that ``Store.query`` returns
    (``variables``, iteration); it also passes ``isinstance(x, QuerySolutions)``, which
    the artifact builders check (pyoxigraph's class cannot be subclassed, and its
    instances come only from one query or one parse).

    Parameters
    ----------
    ask
        runs one query and returns its solutions, parsed as they arrive and raising
        ``RemoteIncomplete`` at the end of an answer the engine cut.
    query
        the SELECT query.
    size
        rows per part (well below the engine's cap).
    """

    def __init__(self, ask: Callable[[str], ox.QuerySolutions], query: str, size: int) -> None:
        if size < 1:
            raise ValueError(f"page size must be at least 1, got {size}")
        self.variables = projection(query)
        # a function of its arguments, not a method: a generator holding ``self`` would make
        # a reference cycle, freed by the cyclic GC in whichever thread it runs (the
        # builders read from several), and closing a half-read answer there crashed the
        # process (a segfault in CI, "Garbage-collecting" in another builder's thread)
        self._rows = _pages(ask, query, self.variables, size)

    @property  # type: ignore[misc]
    def __class__(self) -> type:  # what isinstance() asks for: the builders' check
        return ox.QuerySolutions

    def __iter__(self) -> PagedSolutions:
        return self

    def __next__(self) -> ox.QuerySolution:
        return next(self._rows)

    def __repr__(self) -> str:
        return f"<PagedSolutions variables={self.variables!r}>"


def _pages(ask: Callable[[str], ox.QuerySolutions], query: str, variables: list[ox.Variable],
           size: int) -> Iterator[ox.QuerySolution]:
    """The rows of ``query``, part after part (see the module docs)."""
    from exokg.sparql.remote import RemoteIncomplete

    parts, count, started = [[""]], 0, time.monotonic()
    if variables:  # else one row at most
        rows = list(ask(count_query(query)))[0][0]  # read whole: its connection is freed
        count = int(rows.value) if rows is not None else 0
        parts = buckets(-(-count // size))
    for prefixes in parts:
        try:
            yield from ask(part_query(query, variables, prefixes))
        except RemoteIncomplete as err:
            raise RemoteIncomplete(
                f"the remote store cut a page of about {size} rows at its own row "
                f"limit of {err.limit or 'fewer'} rows (X-SPARQL-MaxRows; Virtuoso: "
                f"ResultSetMaxRows, and at most 1048576 over HTTP): set PAGE_ROWS "
                f"('exokg index --page-rows') well below that limit",
                limit=err.limit) from None
    if len(parts) > 1:
        logger.info("read %d rows in %d parts in %.1f s: %.60s", count, len(parts),
                    time.monotonic() - started, " ".join(query.split()))
