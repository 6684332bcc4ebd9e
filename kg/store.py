"""The on-disk store: built from the data once, reused while the data is unchanged.

The store is an Oxigraph (RocksDB) store on disk. Each data version (a hash of the
data's bytes) gets its own folder inside ``store_dir``; a later start with the same
data finds it and opens it at once. A build writes to a temporary folder and renames
it into place, under a file lock, so two processes starting together never see a
half-built store.

Code that wants rdflib gets an rdflib :class:`~rdflib.Graph` over the same store via
oxrdflib (:func:`open_graph`); the SPARQL service queries the store with pyoxigraph.

>>> import tempfile
>>> with tempfile.TemporaryDirectory() as tmp:
...     info = prepare_store(tmp)
...     again = prepare_store(tmp)
...     (info.version == again.version, again.reused, info.triples > 1000)
(True, True, True)
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import shutil
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from exokg import review
from exokg.errors import ConfigError

__all__ = ["RDF_SUFFIXES", "StoreInfo", "data_version", "dataset_stats", "open_graph",
           "open_store", "prepare_store"]

logger = logging.getLogger(__name__)

#: Bumped when the store layout or the statistics change, so old stores are rebuilt.
_LAYOUT = "exokg-store-1"

#: File suffixes ``--data`` accepts, to the parser's format.
RDF_SUFFIXES: dict[str, ox.RdfFormat] = {
    "ttl": ox.RdfFormat.TURTLE, "turtle": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES, "ntriples": ox.RdfFormat.N_TRIPLES,
    "nq": ox.RdfFormat.N_QUADS, "nquads": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "jsonld": ox.RdfFormat.JSON_LD, "json": ox.RdfFormat.JSON_LD,
    "rdf": ox.RdfFormat.RDF_XML, "owl": ox.RdfFormat.RDF_XML, "xml": ox.RdfFormat.RDF_XML,
}


@dataclass
class StoreInfo:
    """A built store: where it is, which data it holds, and its statistics."""

    path: str
    version: str
    triples: int
    sources: list[str]
    built: str
    stats: dict[str, Any] = field(default_factory=dict)
    reused: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def data_version(chunks: Sequence[bytes]) -> str:
    """A short, stable hash of the data (and of the store layout).

    >>> data_version([b"<a:b> <a:c> <a:d> .\\n"]) == data_version([b"<a:b> <a:c> <a:d> .\\n"])
    True
    >>> len(data_version([b""]))
    16
    """
    digest = hashlib.sha256(_LAYOUT.encode())
    for chunk in chunks:
        digest.update(len(chunk).to_bytes(8, "big"))
        digest.update(chunk)
    return digest.hexdigest()[:16]


def _rdf_format(path: Path) -> ox.RdfFormat:
    suffix = path.suffix.lower().lstrip(".")
    if suffix == "gz":
        raise ConfigError(f"{path}: compressed files are not read; decompress it first")
    try:
        return RDF_SUFFIXES[suffix]
    except KeyError:
        known = ", ".join(sorted(RDF_SUFFIXES))
        raise ConfigError(f"{path}: unknown RDF file suffix {suffix!r}; known: {known}") from None


def _file_digest(path: Path) -> bytes:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.digest()


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".lock").open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def dataset_stats(store: ox.Store) -> dict[str, Any]:
    """Counts for VoID: triples, distinct subjects/objects, class and property partitions.

    Counts cover every graph of the store (the default graph and the named graphs).
    """
    def rows(query: str) -> list[tuple[str, int]]:
        out = []
        for sol in store.query(query, use_default_graph_as_union=True):
            out.append((sol[0].value, int(sol[1].value)))
        return sorted(out, key=lambda kv: (-kv[1], kv[0]))

    def one(query: str) -> int:
        for sol in store.query(query, use_default_graph_as_union=True):
            return int(sol[0].value)
        return 0

    return {
        "triples": len(store),
        "distinct_subjects": one("SELECT (COUNT(DISTINCT ?s) AS ?n) { ?s ?p ?o }"),
        "distinct_objects": one("SELECT (COUNT(DISTINCT ?o) AS ?n) { ?s ?p ?o }"),
        "classes": rows("SELECT ?c (COUNT(DISTINCT ?s) AS ?n) "
                        "{ ?s a ?c FILTER(isIRI(?c)) } GROUP BY ?c"),
        "properties": rows("SELECT ?p (COUNT(*) AS ?n) { ?s ?p ?o } GROUP BY ?p"),
        "graphs": sorted(g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode)),
    }


def _bundled_ntriples(records_dirs: Sequence[Path | str]) -> bytes:
    from exokg.build import build_graph, to_sorted_ntriples

    return to_sorted_ntriples(build_graph(records_dirs))


def prepare_store(store_dir: Path | str, *, data_files: Sequence[Path | str] = (),
                  records_dirs: Sequence[Path | str] = ()) -> StoreInfo:
    """Open the store for this data, building it first if no store holds it yet.

    Parameters
    ----------
    store_dir
        the folder holding one store per data version.
    data_files
        RDF files to serve instead of the bundled graph (the suffix names the syntax;
        N-Quads and TriG keep their named graphs).
    records_dirs
        extra records folders for the bundled graph (ignored with ``data_files``).

    Returns
    -------
    StoreInfo
        ``reused`` is true when an existing store was found.

    Raises
    ------
    ConfigError
        for a data file that is missing, of an unknown syntax or not parseable.
    """
    store_dir = Path(store_dir).expanduser()
    files = [Path(f).expanduser() for f in data_files]
    if files:
        for f in files:
            if not f.is_file():
                raise ConfigError(f"data file not found: {f}")
            _rdf_format(f)
        version = data_version([f.suffix.lower().encode() + _file_digest(f) for f in files])
        sources = [str(f.resolve()) for f in files]
        payload = None
    else:
        payload = _bundled_ntriples(records_dirs)
        version = data_version([payload])
        sources = [f"bundled: {review.SOURCE}"]
        sources += [str(Path(d).resolve()) for d in records_dirs]
    target = store_dir / version
    meta_path = store_dir / f"{version}.json"
    with _locked(store_dir):
        if meta_path.is_file() and target.is_dir():
            meta = json.loads(meta_path.read_text())
            logger.info("reusing store %s (%s triples)", target, meta["triples"])
            return StoreInfo(**{**meta, "path": str(target), "reused": True})
        started = time.monotonic()
        tmp = store_dir / f".building-{version}-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(target, ignore_errors=True)
        store = ox.Store(str(tmp))
        try:
            if payload is not None:
                store.bulk_load(payload, format=ox.RdfFormat.N_TRIPLES)
            for f in files:
                try:
                    store.bulk_load(path=str(f), format=_rdf_format(f))
                except (SyntaxError, ValueError) as err:
                    raise ConfigError(f"{f}: not valid RDF: {err}") from None
            store.flush()
            store.optimize()
            stats = dataset_stats(store)
        except BaseException:
            del store
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        del store
        tmp.rename(target)
        info = StoreInfo(path=str(target), version=version, triples=stats["triples"],
                         sources=sources, built=time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                              time.gmtime()),
                         stats=stats)
        meta = info.to_dict()
        meta.pop("reused")
        meta_tmp = meta_path.with_suffix(".json.tmp")
        meta_tmp.write_text(json.dumps(meta, indent=1))
        meta_tmp.replace(meta_path)
        logger.info("built store %s: %d triples in %.1f s", target, info.triples,
                    time.monotonic() - started)
        return info


def open_store(path: Path | str) -> ox.Store:
    """Open a built store read-only (many processes may do so at once)."""
    return ox.Store.read_only(str(path))


def open_graph(path: Path | str):
    """An rdflib :class:`~rdflib.Graph` over a built store, through oxrdflib (read-only).

    >>> import tempfile
    >>> from exokg.vocab import EXO, RDF
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     g = open_graph(prepare_store(tmp).path)
    ...     len(set(g.subjects(RDF.type, EXO.Finding)))
    66
    """
    from rdflib import Graph
    from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

    return Graph(store=_plain_string_store()(store=open_store(path)),
                 identifier=DATASET_DEFAULT_GRAPH_ID)


def _plain_string_store():
    """oxrdflib's store class, giving ``xsd:string`` literals as plain ones.

    In RDF 1.1 ``"a"`` and ``"a"^^xsd:string`` are one term, and Oxigraph gives every
    plain literal its datatype; rdflib compares the two forms as different terms, so a
    graph read back from the store would differ from the built one (and JSON-LD would
    write ``"@type": xsd:string`` on every label).
    """
    from oxrdflib import OxigraphStore
    from rdflib import Literal
    from rdflib.namespace import XSD

    class PlainStringStore(OxigraphStore):
        def triples(self, pattern, context=None):
            for (s, p, o), contexts in super().triples(pattern, context):
                if isinstance(o, Literal) and o.datatype == XSD.string:
                    o = Literal(str(o))
                yield (s, p, o), contexts

    return PlainStringStore
