"""ExoKG's own errors: one tree, each with the HTTP status that fits it.

>>> err = RecordError("bad cell", file="table1.tsv", row=3, column="ref")
>>> str(err)
'table1.tsv, row 3, column ref: bad cell'
>>> err.status
400
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

__all__ = [
    "ExoKGError", "RecordError", "DataError", "NodeNotFound", "FindingNotNode", "InvalidQuery",
    "UnknownFormat", "UnsupportedEncoding", "FormatClash", "ConfigError", "QueryTimeout",
    "QueryCancelled",
    "QueryRefused", "PreconditionFailed", "AnswerTooLarge", "ExportFailed", "TooLargeToDraw",
    "XML_UNFIT",
    "RDF12_UNFIT", "RDF12_RESULTS_UNFIT",
    "ArtifactMissing", "StillBuilding", "StoreChanged", "NotAvailable", "RDF_PARSE_ERRORS",
    "not_valid_rdf", "rdf_problem",
]

#: What pyoxigraph's parsers raise for a file they cannot read: bad syntax, a bad value,
#: or a line or term past their buffer (a ``MemoryError``: :func:`rdf_problem`).
RDF_PARSE_ERRORS = (SyntaxError, ValueError, MemoryError)

#: pyoxigraph's parser's buffer, past which it raises a ``MemoryError`` naming it.
_PARSER_BUFFER = "buffer maximal size of 16777216"


def rdf_problem(err: Exception) -> str:
    """Why an RDF file could not be read, from one of :data:`RDF_PARSE_ERRORS`; a
    ``MemoryError`` other than the parser's buffer limit is raised again (memory ran out).
    A byte order mark the parser stopped at is said so (its message quotes an invisible
    character).

    >>> rdf_problem(SyntaxError("Unexpected end of file at line 3", ("a.nt", 3, 1, "")))
    'Unexpected end of file at line 3'
    >>> rdf_problem(MemoryError("Reached the buffer maximal size of 16777216"))
    'a line or a term longer than 16 MiB, which the RDF parser does not read'
    """
    if isinstance(err, MemoryError):
        if _PARSER_BUFFER not in str(err):
            raise err
        return "a line or a term longer than 16 MiB, which the RDF parser does not read"
    # a SyntaxError's str() adds "(file, line N)" to a message that says where already,
    # and the caller names the file
    text = err.msg if isinstance(err, SyntaxError) and err.msg else str(err)
    if "\ufeff" in text or _starts_with_bom(err):  # a file saved with a byte order mark
        return ("the file starts with a byte order mark (U+FEFF), which the RDF parser does "
                "not read in this syntax: save it as UTF-8 without one")
    return text


def not_valid_rdf(path: Path | str, err: Exception) -> ConfigError:
    """The error for an input file the RDF parser refused (:func:`rdf_problem`).

    >>> print(not_valid_rdf("a.nt", SyntaxError("Unexpected end of file")))
    a.nt: not valid RDF: Unexpected end of file
    """
    return ConfigError(f"{path}: not valid RDF: {rdf_problem(err)}")


def _starts_with_bom(err: Exception) -> bool:
    """Whether the file a parse error on line 1 names starts with a byte order mark (the
    N-Triples parser's message does not quote it, as Turtle's does)."""
    path = getattr(err, "filename", None)
    if not isinstance(err, SyntaxError) or err.lineno != 1 or not path:
        return False
    try:
        with open(path, "rb") as file:
            return file.read(3) == b"\xef\xbb\xbf"
    except OSError:
        return False


def _rebuild(cls: type[ExoKGError], args: tuple, state: dict) -> ExoKGError:
    err = cls.__new__(cls, *args)
    err.args = args
    err.__dict__.update(state)
    return err


class ExoKGError(Exception):
    """Base of every ExoKG error; ``status`` is the HTTP status that fits.

    Every one pickles with its fields (it crosses process boundaries: the store build runs
    in a child process), including those whose ``__init__`` takes keyword-only arguments,
    which :class:`Exception`'s own pickling would pass positionally:

    >>> import pickle
    >>> err = pickle.loads(pickle.dumps(RecordError("bad cell", file="t.tsv", row=3)))
    >>> (str(err), err.file, err.row, err.column, err.status)
    ('t.tsv, row 3: bad cell', 't.tsv', 3, None, 400)
    """

    status = 500
    #: seconds a client should wait before trying again (``Retry-After``), for a
    #: passing condition (busy, time limit, store unreachable); ``None``: no header
    retry_after: int | None = None
    #: a condition the service expects at times and says in its reply (a store still
    #: building): a server error that is not logged as a warning
    expected = False

    def __reduce__(self) -> tuple[Any, ...]:
        return _rebuild, (type(self), self.args, dict(self.__dict__))


class RecordError(ExoKGError):
    """A record (a row of a table file) that cannot be loaded, with where it is."""

    status = 400

    def __init__(self, message: str, *, file: str, row: int | None = None,
                 column: str | None = None) -> None:
        self.message, self.file, self.row, self.column = message, file, row, column
        where = [file]
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column {column}")
        super().__init__(f"{', '.join(where)}: {message}")


class NodeNotFound(ExoKGError):
    """A node named by IRI, CURIE or label that the graph does not hold."""

    status = 404

    def __init__(self, message: str, *, suggestions: list[str] | None = None) -> None:
        super().__init__(message)
        self.suggestions = suggestions or []


class FindingNotNode(NodeNotFound):
    """A finding named where the graph queries leave findings out (they are nodes only
    when asked with ``findings=true``)."""


class InvalidQuery(ExoKGError):
    """A malformed query or request parameter."""

    status = 400


class AmbiguousNode(InvalidQuery):
    """A name (label, alternative label, CURIE or identifier) that names several nodes of
    one kind; ``candidates`` are their CURIEs, any of which names one."""

    def __init__(self, message: str, *, candidates: list[str]) -> None:
        super().__init__(message)
        self.candidates = candidates


class UnsupportedEncoding(ExoKGError):
    """A request body in a content coding (gzip ...) the service does not read: RFC 9110
    (8.4, 15.5.16) answers 415, saying which codings it reads (``headers``)."""

    status = 415
    headers = {"Accept-Encoding": "identity"}


class QueryRefused(ExoKGError):
    """A well-formed request the service will not run (update, SERVICE, LOAD)."""

    status = 403


class QueryTimeout(ExoKGError):
    """A query stopped at the time limit (or every query slot stayed busy until it).

    No ``Retry-After`` for the query's own time: the same query would run as long again
    (its subclass for a busy service says when to come back)."""

    status = 503


class PreconditionFailed(ExoKGError):
    """A request whose ``If-Match`` names no current version of what it asks for, or one
    other than ``GET`` or ``HEAD`` whose ``If-None-Match`` names what it would get: RFC
    9110 (13.1.1, 13.1.2) answers both 412, a 304 answering only ``GET`` and ``HEAD``."""

    status = 412


class QueryCancelled(ExoKGError):
    """The query's caller gave up (an HTTP client hung up): its executor was stopped.

    No client reads the answer; 499 ("client closed request") marks it in the access log.
    """

    status = 499

    def __init__(self, message: str = "the query was cancelled: its client went away") -> None:
        super().__init__(message)


class ArtifactMissing(ExoKGError):
    """A surface needs an artifact its store was not given (a remote store whose data
    version ``exokg index`` has not built): the service is not ready for it."""

    status = 503
    retry_after = 30


class StoreChanged(ExoKGError):
    """A file of the store served is gone or was changed since the server opened it (a
    folder removed or rewritten by hand, a disk fault): the service cannot answer from
    it until restarted, which builds the store again."""

    status = 503
    expected = True  # logged once, where found (exokg.readonly_db), not at each request

    @classmethod
    def of(cls, what: str) -> StoreChanged:
        """The error for ``what`` happened to the store, with what to do about it.

        >>> print(StoreChanged.of("the store's file f.sqlite is gone"))  # doctest: +ELLIPSIS
        the store's file f.sqlite is gone: the service cannot read it until restarted (a new ...
        """
        return cls(f"{what}: the service cannot read it until restarted (a new start "
                   "builds the store again)")

    @classmethod
    def of_file(cls, path: Path, what: str, *, detail: str = "") -> StoreChanged:
        """:meth:`of` a file of the store: named below the store's folder (an anonymous
        client need not learn the server's paths); its whole path, and ``detail``,
        logged once per file (not at every request that meets it).

        >>> print(StoreChanged.of_file(Path("/srv/v/facets/facets.sqlite"), "is gone"))
        ... # doctest: +ELLIPSIS
        the store's file facets/facets.sqlite is gone: the service cannot read it ...
        """
        if str(path) not in _LOGGED:
            _LOGGED.add(str(path))
            logger.error("the store's file %s %s%s since it was opened; a new start builds "
                         "the store again", path, what, f" ({detail})" if detail else "")
        return cls.of(f"the store's file {'/'.join(path.parts[-2:])} {what}")


#: The store files whose change :meth:`StoreChanged.of_file` logged.
_LOGGED: set[str] = set()


class StillBuilding(ArtifactMissing):
    """A surface needs what the store's build has not finished yet (its artifacts, its
    statistics), while the loaded store already answers SPARQL."""

    expected = True

    def __init__(self, what: str) -> None:
        super().__init__(f"{what}: the store is loaded and /sparql answers, but its "
                         "indexes are still being built; try again in a minute")


class DataError(ExoKGError):
    """The graph's data breaks a rule its readers rely on (a finding's number that is not a
    whole number in its range): found when the store is built, naming the node and the
    property. ``subject`` and ``predicate`` (IRIs) and ``value`` (the term as N-Triples
    writes it) let the build say where the input holds it
    (:func:`exokg.written_at.written_at`)."""

    status = 500

    def __init__(self, message: str, *, subject: str | None = None,
                 predicate: str | None = None, value: str | None = None) -> None:
        super().__init__(message)
        self.subject, self.predicate, self.value = subject, predicate, value


class UnknownFormat(ExoKGError):
    """A format name or media type no writer serves."""

    status = 406


#: Why an answer in an XML syntax is refused (an :class:`UnknownFormat`, 406).
XML_UNFIT = ("the answer holds characters that XML 1.0 cannot carry (control characters but "
             "tab, newline and return; U+FFFE, U+FFFF), or, in RDF/XML, a predicate IRI "
             "whose end is not an XML name (one ending in '/', '#' or a digit, say), which "
             "it cannot write as an element; ask for it in another syntax (JSON, CSV, "
             "N-Triples)")


#: Why an answer holding RDF 1.2 terms (triple terms, literals with a base direction) is
#: refused where rdflib writes it (an :class:`UnknownFormat`, 406).
RDF12_UNFIT = ("the answer holds RDF 1.2 terms (a triple term or a literal with a base "
               "direction), which this syntax cannot carry here; ask for N-Triples or Turtle "
               "from /sparql or exokg query")
#: The same for a SELECT's solutions, read here into rdflib's terms (which have neither).
RDF12_RESULTS_UNFIT = ("the solutions hold RDF 1.2 terms (a triple term or a literal with a "
                       "base direction), which this page and its downloads cannot carry; ask "
                       "/sparql or exokg query for SPARQL JSON or XML results")


class FormatClash(ExoKGError, ValueError):
    """A format registered under a (name, kind) another format already holds."""


class NotAvailable(ExoKGError):
    """A format this installation cannot make: the program it needs is not installed
    (Graphviz's ``dot`` for SVG)."""

    status = 501


class ConfigError(ExoKGError):
    """A setting with an unknown name or a value of the wrong type."""

    status = 500


class ExportFailed(ExoKGError):
    """A whole-graph export whose file could not be written (a disk that refused it; the
    process's next exports stream from the store), or whose write failed otherwise."""

    status = 503
    retry_after = 5


class AnswerTooLarge(ExoKGError):
    """An answer past what the web worker reads whole (the pages, the query page); the
    query is the client's, and ``/sparql`` streams it."""

    status = 422


class NotInFormat(ExoKGError):
    """A format that cannot hold what the graph holds: an edge list for triples that all
    end in literals (it would be a header and nothing else)."""

    status = 422


class TooLargeToDraw(ExoKGError):
    """A drawing format (DOT, SVG) asked for a graph larger than it can lay out."""

    status = 422
