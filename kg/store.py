"""The on-disk store: built from its inputs once, checked and reused while they are unchanged.

Each data version gets its own folder in ``store_dir`` (see :mod:`exokg.store_layout`
for what it holds). The version is a hash of the inputs -- the ``--data`` files, or
the bundled data, ontology and the records folders -- with the store layout, the declared
build format (:data:`exokg.build_format.BUILD_FORMAT`) and the artifact builders' names,
so a start that finds its store builds no graph at all. It is not a hash of the code: a
code change or an upgrade that writes the same store keeps it, and one that changes what
a build writes bumps the build format (a test pins what the review's store holds). A build runs in a
child process (the caller -- a server's master, which forks the web workers -- never holds
its memory) and writes everything (triples, statistics, artifacts, ``meta.json``) into a
``.building-*`` folder, renamed into place under the folder's lock
(:mod:`exokg.store_dir`), so a store is only ever seen complete. A store found is checked
before use, and rebuilt from its inputs when damaged.

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
import hashlib
import importlib
import logging
import os
import pickle
import re
import shutil
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pyoxigraph as ox
from exokg import build_format, review
from exokg.blank_nodes import search_blank_nodes
from exokg.child import ChildFailed, run_in_child, start_in_child
from exokg.errors import RDF_PARSE_ERRORS, ConfigError, DataError, not_valid_rdf
from exokg.jsonld_check import check_jsonld
from exokg.store_dir import (
    BUILDING_PREFIX,
    EARLY_PREFIX,
    build_lock,
    hold_in_use,
    prune_versions,
    remove_leftovers,
)
from exokg.store_layout import (
    ARTIFACTS_DIR,
    OXIGRAPH_DIR,
    StoreDamaged,
    StoreInfo,
    artifact_sizes,
    mark_checked,
    open_store_info,
    write_meta,
)
from exokg.tsv import check_whole_size, file_problem
from exokg.written_at import written_at
from exokg.xml_entities import check_entities

__all__ = ["ARTIFACT_BUILDERS", "RDF_SUFFIXES", "READ_ONLY_ARTIFACTS", "ArtifactBuilder",
           "StoreDamaged", "StoreInfo", "check_syntax",
           "data_version", "dataset_stats", "open_graph", "open_store", "open_store_info",
           "tree_digests",
           "find_store", "input_version", "bundled_ntriples", "prepare_store", "rdf_format",
           "register_artifact"]

logger = logging.getLogger(__name__)

#: Bumped when the layout of a version folder changes (what it holds, meta.json's
#: fields), so old stores are rebuilt; what a build writes into it is the build format's.
_LAYOUT = "exokg-store-2"

#: File suffixes ``--data`` accepts, to the parser's format.
RDF_SUFFIXES: dict[str, ox.RdfFormat] = {
    "ttl": ox.RdfFormat.TURTLE, "turtle": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES, "ntriples": ox.RdfFormat.N_TRIPLES,
    "nq": ox.RdfFormat.N_QUADS, "nquads": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "jsonld": ox.RdfFormat.JSON_LD, "json": ox.RdfFormat.JSON_LD,
    "rdf": ox.RdfFormat.RDF_XML, "owl": ox.RdfFormat.RDF_XML, "xml": ox.RdfFormat.RDF_XML,
}

#: A builder of one artifact: reads the loaded store, writes into its (empty) folder.
ArtifactBuilder = Callable[[ox.Store, Path], None]

#: Artifacts built with every store, by name: a builder, or ``"module:function"``
#: (imported only when a store is built, so the store module depends on none of them).
#: Changing the set changes the data version, so the defaults are named here, where every
#: process that looks for a store sees them. They run in name order.
ARTIFACT_BUILDERS: dict[str, str | ArtifactBuilder] = {
    # adjacency, metrics (also triples in a named graph) and search index, in one folder
    "index": "exokg.index:build_index",
    # per-entity evidence, facet counts, hub page order and the home page's counts
    "facets": "exokg.facets_build:build_facets",
}

#: Artifacts whose builders only read the store: built in a second process, beside the
#: others (the machine's second core), on a checkpoint of the loaded store.
READ_ONLY_ARTIFACTS = frozenset({"facets"})

#: Builders (of :data:`READ_ONLY_ARTIFACTS`) with a variant that starts from the
#: ``--data`` files while the store loads them: ``variant(files, folder, loaded, alive,
#: loading=...)`` writes what ``builder(store, folder)`` would, ``loaded()`` waiting for
#: the store, and ``alive()`` raising once the build is given up. ``loading`` is None, or,
#: when a copy of the loaded store is served early, true while the load runs: the load
#: then comes first, and the variant works beside it only in the CPU time it leaves idle.
FROM_INPUT: dict[str, str] = {
    "exokg.facets_build:build_facets": "exokg.facets_input:build_facets_from_input",
}

_T = TypeVar("_T")

_ARTIFACT_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")


def register_artifact(name: str, builder: str | ArtifactBuilder) -> None:
    """Build the artifact ``name`` with every store, into ``StoreInfo.artifact_dir(name)``.

    >>> register_artifact("Bad Name", "m:f")
    Traceback (most recent call last):
    ...
    exokg.errors.ConfigError: artifact name 'Bad Name': use lower-case letters, digits, - and _
    """
    if not _ARTIFACT_NAME.match(name):
        raise ConfigError(f"artifact name {name!r}: use lower-case letters, digits, - and _")
    ARTIFACT_BUILDERS[name] = builder


def _builder_id(builder: str | ArtifactBuilder) -> str:
    if isinstance(builder, str):
        return builder
    return f"{builder.__module__}:{builder.__qualname__}"


def resolve_builder(builder: str | ArtifactBuilder) -> ArtifactBuilder:
    """The builder function of a registry entry (``"module:function"`` or the function).

    >>> resolve_builder("exokg.index:build_index").__name__
    'build_index'
    """
    if not isinstance(builder, str):
        return builder
    module, _, name = builder.partition(":")
    func: ArtifactBuilder = getattr(importlib.import_module(module), name)
    return func


def data_version(chunks: Sequence[bytes]) -> str:
    """A short, stable hash of ``chunks`` and of the store layout.

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


def rdf_format(path: Path) -> ox.RdfFormat:
    suffix = path.suffix.lower().lstrip(".")
    if suffix == "gz":
        raise ConfigError(f"{path}: compressed files are not read; decompress it first")
    try:
        return RDF_SUFFIXES[suffix]
    except KeyError:
        known = ", ".join(sorted(RDF_SUFFIXES))
        raise ConfigError(f"{path}: unknown RDF file suffix {suffix!r}; known: {known}") from None


def check_syntax(path: Path) -> None:
    """What an input's syntax needs checked before it is read: RDF/XML's entities
    (:mod:`exokg.xml_entities`), what JSON-LD would drop (:mod:`exokg.jsonld_check`).

    Raises
    ------
    ConfigError
        naming the file and what is wrong in it.
    """
    syntax = rdf_format(path)
    if syntax == ox.RdfFormat.RDF_XML:
        check_entities(path)
    elif syntax == ox.RdfFormat.JSON_LD:
        check_jsonld(path)
    # valid RDF, but no data: an empty (or truncated to nothing) file was served as an
    # empty graph, every answer empty and /healthz "ok"
    try:
        first = next(iter(ox.parse(path=str(path), format=syntax)), None)
    except RDF_PARSE_ERRORS:
        return  # something is there: its reader says what is wrong, and where
    if first is None:
        raise ConfigError(f"{path}: holds no triples (an empty file, or only prefixes and "
                          "comments)")


def _file_digest(path: Path) -> bytes:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.digest()


def _folder_files(folder: Path) -> list[Path]:
    """The files under ``folder`` that its data version hashes, in path order."""
    return sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def tree_digests(folder: Path) -> Iterator[bytes]:
    """Each file under ``folder`` as its relative name and the hash of its bytes."""
    for path in _folder_files(folder):
        yield path.relative_to(folder).as_posix().encode() + b"\0" + _file_digest(path)


def _format_chunks() -> list[bytes]:
    """What, besides the inputs, a store's content depends on: the declared build format
    and the artifact builders' names (not the code: see :mod:`exokg.build_format`)."""
    chunks = [f"build-format={build_format.BUILD_FORMAT}".encode()]
    chunks += [f"{n}={_builder_id(b)}".encode() for n, b in sorted(ARTIFACT_BUILDERS.items())]
    return chunks


def input_version(data_files: Sequence[Path | str], records_dirs: Sequence[Path | str]
                  ) -> tuple[list[Path], list[Path], str, list[str]]:
    """Check the inputs and give their data version, building nothing: ``(files,
    records folders, version, sources)``; the folders are ignored with data files.

    The version hashes the inputs' bytes (for records, the bundled data and ontology
    too), the store layout, :data:`~exokg.build_format.BUILD_FORMAT` and the artifact
    builders' names; the same inputs give the same version under any code that declares
    the same build format.

    Raises
    ------
    ConfigError
        for a data file that is missing or of an unknown syntax.
    """
    files = [Path(f).expanduser() for f in data_files]
    for f in files:
        problem = file_problem(f)
        if problem == "not found":
            raise ConfigError(f"data file not found: {f}")
        if problem is not None:
            raise ConfigError(f"{f}: {problem}")
        check_syntax(f)
    dirs = [] if files else [Path(d).expanduser() for d in records_dirs]
    version, sources = _inputs(files, dirs)
    return files, dirs, version, sources


#: An input file as last seen: its path, size, modification and change times (ns).
_Seen = tuple[str, int, int, int]


def _seen(files: Sequence[Path], records_dirs: Sequence[Path]) -> list[_Seen]:
    """Every input file as it is now (what the data version hashes), to tell whether one
    changed while a store was built from it; a file gone is ``(path, -1, -1, -1)``."""
    if files:
        paths = list(files)
    else:
        from exokg.resources import data_path, ontology_path

        paths = [p for folder in (data_path(), ontology_path(), *records_dirs)
                 for p in _folder_files(Path(folder))]
    seen = []
    for path in paths:
        try:
            st = path.stat()
        except OSError:
            seen.append((str(path), -1, -1, -1))
        else:
            seen.append((str(path), st.st_size, st.st_mtime_ns, st.st_ctime_ns))
    return seen


def _unchanged(seen: list[_Seen], version: str, files: Sequence[Path],
               records_dirs: Sequence[Path]) -> None:
    """Raise :class:`ConfigError` when the inputs are not what ``version`` hashed: a file
    seen otherwise than before the hash (its size or times) is hashed again, so a file
    only touched, or saved unchanged, is no change."""
    now = _seen(files, records_dirs)
    if now == seen or _inputs(files, records_dirs)[0] == version:
        return
    before = {path: rest for path, *rest in seen}
    after = {path: rest for path, *rest in now}
    changed = sorted(path for path in before.keys() | after.keys()
                     if before.get(path) != after.get(path))
    raise ConfigError(f"{changed[0]}: changed while the store was built from it; nothing "
                      "was kept (start again once the inputs stay as they are)")


def _inputs(files: Sequence[Path], records_dirs: Sequence[Path]) -> tuple[str, list[str]]:
    """The data version and the sources of the inputs, read without building anything."""
    if files:
        chunks = [b"data"] + [f.suffix.lower().encode() + _file_digest(f) for f in files]
        sources = [str(f.resolve()) for f in files]
    else:
        from exokg.resources import data_path, ontology_path

        chunks = [b"bundled", *tree_digests(data_path()), *tree_digests(ontology_path())]
        for folder in records_dirs:
            for path in _folder_files(folder):  # each is read whole: refused before hashed
                check_whole_size(path, path.stat().st_size)
            chunks += [b"records", str(folder.resolve()).encode(), *tree_digests(folder)]
        sources = [f"bundled: {review.SOURCE}"]
        sources += [str(d.resolve()) for d in records_dirs]
    return data_version(chunks + _format_chunks()), sources


def dataset_stats(store: ox.Store) -> dict[str, Any]:
    """Counts for VoID: triples, distinct subjects/objects, class and property partitions,
    each named graph's triples (``graph_triples``); and ``literal_properties``, the
    properties with at least one literal object.

    Counts cover every graph of the store (the default graph and the named graphs).
    Each count is one aggregate query evaluated inside Oxigraph, which releases the GIL,
    so they run side by side in threads; whether a property has a literal object is one
    ``ASK`` for each. A class's instances are counted with ``COUNT(*)`` when no named
    graph holds a ``rdf:type`` triple (then no instance can be counted twice), with
    ``COUNT(DISTINCT ?s)`` otherwise.
    """
    def select(query: str) -> list[tuple[Any, ...]]:
        result = store.query(query, use_default_graph_as_union=True)
        assert isinstance(result, ox.QuerySolutions)
        return [tuple(sol) for sol in result]

    def by_count(pairs: Iterable[tuple[str, int]]) -> list[tuple[str, int]]:
        return sorted(pairs, key=lambda kv: (-kv[1], kv[0]))

    def partition(query: str) -> list[tuple[str, int]]:
        return by_count((name.value, int(n.value)) for name, n in select(query)
                        if isinstance(name, ox.NamedNode))

    def has_literal(p: ox.NamedNode) -> bool:
        # stops at the first literal. A literal test decodes each term it sees: as a
        # SUM(IF(isLiteral(?o))) beside the property counts it cost 11 s of CPU at 10^5
        # findings, these questions 5.5 s
        return bool(store.query(f"ASK {{ ?s {p} ?o FILTER(isLiteral(?o)) }}",
                                use_default_graph_as_union=True))

    typed_in_named = store.query("ASK { GRAPH ?g { ?s a ?c } }")
    instances = "COUNT(DISTINCT ?s)" if typed_in_named else "COUNT(*)"
    with ThreadPoolExecutor(2, thread_name_prefix="statistics") as pool:
        distinct = pool.submit(select, "SELECT (COUNT(DISTINCT ?s) AS ?ns) "
                                       "(COUNT(DISTINCT ?o) AS ?no) { ?s ?p ?o }")
        by_property = pool.submit(select, "SELECT ?p (COUNT(*) AS ?n) { ?s ?p ?o } GROUP BY ?p")
        # each named graph's own count (the metrics' graph beside the data): VoID and the
        # home page say what the total is made of. A remote store counts its own
        # (exokg.sparql.remote.RemoteStore.graph_counts): its engine's dataset holds none
        # of them as named graphs (Oxigraph server) or its system's too (Virtuoso)
        named = sorted(g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode))
        counts = getattr(store, "graph_counts", None)
        by_graph = pool.submit(counts, named) if counts is not None else pool.submit(
            partition, "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
        classes = partition(f"SELECT ?c ({instances} AS ?n) {{ ?s a ?c }} GROUP BY ?c")
        counted = [(p, int(n.value)) for p, n in by_property.result()
                   if isinstance(p, ox.NamedNode)]
        # the properties with a literal object: a node's literal attributes are then read
        # by these alone, not by scanning all its statements
        # (exokg.store_source.attribute_query)
        literal = pool.map(has_literal, [p for p, _ in counted])
        triples = len(store)
        ((subjects, objects),) = distinct.result()
        own = frozenset(named)
        return {
            "triples": triples,
            "distinct_subjects": int(subjects.value),
            "distinct_objects": int(objects.value),
            "classes": classes,
            "properties": by_count((p.value, n) for p, n in counted),
            "literal_properties": sorted(p.value for (p, _), lit in zip(counted, literal,
                                                                       strict=True) if lit),
            "graphs": named,
            "graph_triples": {g: n for g, n in sorted(dict(by_graph.result()).items())
                              if g in own},
        }


def bundled_ntriples(records_dirs: Sequence[Path]) -> bytes:
    from exokg.build import build_graph, to_sorted_ntriples

    return to_sorted_ntriples(build_graph(records_dirs))


def prepare_store(store_dir: Path | str, *, data_files: Sequence[Path | str] = (),
                  records_dirs: Sequence[Path | str] = (), loaded_copy: Path | None = None,
                  early_triples: int = 1) -> StoreInfo:
    """Open the store for these inputs, building it first if no sound store holds them.

    A store found is checked (:func:`exokg.store_layout.check_store`) and rebuilt when
    damaged; build folders left by a builder that died are removed, and so are data
    versions beyond the newest few that no process uses. The version returned is held
    in use by this process until it exits.

    Parameters
    ----------
    store_dir
        the folder holding one store per data version.
    data_files
        RDF files to serve instead of the bundled graph (the suffix names the syntax;
        N-Quads, TriG and JSON-LD keep their named graphs).
    records_dirs
        extra records folders for the bundled graph (ignored with ``data_files``).
    loaded_copy
        when the store is built: a folder of ``store_dir`` named ``.early-*`` where a
        copy of the store is put as soon as it is loaded, before its artifacts and
        statistics are built (``meta.json`` last, ``complete`` false), so that it can be
        served meanwhile; removed by a later start once no process uses it. A copy that
        cannot be made (a full disk) is left out, and the build goes on.
    early_triples
        make that copy only of a store of at least this many triples (a small one is
        built in seconds).

    Returns
    -------
    StoreInfo
        ``reused`` is true when an existing store was found.

    Raises
    ------
    ConfigError
        for a data file that is missing, of an unknown syntax or not parseable, or a
        store that cannot be written (a full disk, a folder not writable).

    Notes
    -----
    The build runs in a child process started by ``spawn``, which imports the calling
    script again: a script that calls this at import time, outside an
    ``if __name__ == "__main__":`` block, calls it again in that child, which then waits
    for the store's lock that the caller holds.
    """
    store_dir = Path(store_dir).expanduser()
    seen = _seen([Path(f).expanduser() for f in data_files],
                 [] if data_files else [Path(d).expanduser() for d in records_dirs])
    files, dirs, version, sources = input_version(data_files, records_dirs)
    target = store_dir / version
    with build_lock(store_dir):
        remove_leftovers(store_dir)
        if target.exists():
            try:
                info = open_store_info(target)
            except StoreDamaged as err:
                logger.warning("%s; rebuilding it from its inputs", err)
                shutil.rmtree(target, ignore_errors=True)
            else:
                logger.info("reusing store %s (%s triples)", target, info.triples)
                with contextlib.suppress(OSError):  # the newest used is kept longest
                    os.utime(target)
                hold_in_use(target)
                prune_versions(store_dir)
                return info
        if loaded_copy is not None and not (loaded_copy.parent == store_dir and
                                            loaded_copy.name.startswith(EARLY_PREFIX)):
            raise ConfigError(f"a loaded copy goes in {store_dir}/{EARLY_PREFIX}*, not "
                              f"{loaded_copy}")
        info = _build(store_dir, version, files, dirs, sources, seen,
                      None if loaded_copy is None else (loaded_copy, early_triples))
        mark_checked(target)  # just built: the workers forked from here need not check it
        hold_in_use(target)
        prune_versions(store_dir)
        return info


def _portable(builders: dict[str, str | ArtifactBuilder]) -> bool:
    """Whether the builders can be sent to another process (names, module-level functions)."""
    try:
        pickle.dumps(builders)
    except (pickle.PicklingError, AttributeError, TypeError):
        return False
    return True


def _build(store_dir: Path, version: str, files: Sequence[Path], records_dirs: Sequence[Path],
           sources: list[str], seen: list[_Seen],
           loaded_copy: tuple[Path, int] | None = None) -> StoreInfo:
    """Build the store in a child process (:func:`exokg.child.run_in_child`), so that this
    process -- the server's master, which forks the web workers -- never holds the build's
    memory; in this process only when a registered builder cannot be sent to another
    (a function defined inside a function)."""
    builders = dict(ARTIFACT_BUILDERS)
    if not _portable(builders):
        logger.info("building in this process: an artifact builder is not importable by name")
        return _build_here(store_dir, version, files, records_dirs, sources, seen, builders,
                           loaded_copy)
    try:
        return run_in_child(_build_here, store_dir, version, list(files), list(records_dirs),
                            sources, seen, builders, loaded_copy, what="the store build")
    except ChildFailed:
        remove_leftovers(store_dir)  # the build process died without cleaning up (lock held)
        raise


def _build_here(store_dir: Path, version: str, files: Sequence[Path],
                records_dirs: Sequence[Path], sources: list[str], seen: list[_Seen],
                builders: dict[str, str | ArtifactBuilder],
                loaded_copy: tuple[Path, int] | None = None) -> StoreInfo:
    started = time.monotonic()
    payload = None if files else bundled_ntriples(records_dirs)
    blank_nodes = search_blank_nodes(files, payload, rdf_format)
    tmp = store_dir / f"{BUILDING_PREFIX}{version}-{os.getpid()}"
    target = store_dir / version
    early = None
    try:
        tmp.mkdir()
        # with a copy to serve once loaded, the first answer waits for the load: beside it
        # only the input's serialisation, at the lowest priority (at 10^6 findings the
        # facets' whole input pass beside the load made it 121 s against pyoxigraph's 83 s)
        early = _Early.start(tmp, files, builders, started,
                             wait_for_load=loaded_copy is not None)
        store = ox.Store(str(tmp / OXIGRAPH_DIR))
        if payload is not None:
            store.bulk_load(payload, format=ox.RdfFormat.N_TRIPLES)
            payload = None
        for f in files:
            try:
                store.bulk_load(path=str(f), format=rdf_format(f))
            except RDF_PARSE_ERRORS as err:
                raise not_valid_rdf(f, err) from None
        store.flush()
        logger.info("loaded in %.1f s", time.monotonic() - started)
        _say_named_graphs(store)
        if loaded_copy is not None:
            _copy_loaded(store, *loaded_copy, version, sources)
            logger.info("loaded copy made at %.1f s", time.monotonic() - started)
        # counted after the builders that write (the metrics' named graph adds triples,
        # and the statistics describe everything the endpoint serves), while the
        # read-only ones still run
        stats = _build_artifacts(store, tmp, builders, started,
                                 lambda done: _statistics(done, started), early)
        del store
        info = StoreInfo(path=str(target / OXIGRAPH_DIR), version=version,
                         triples=stats["triples"], sources=sources,
                         built=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                         stats=stats, folder=str(target), artifacts=sorted(builders),
                         artifact_sizes=artifact_sizes(tmp),
                         build_id=uuid.uuid4().hex if blank_nodes() else "")
        _unchanged(seen, version, files, records_dirs)  # what was read is what was hashed
        write_meta(tmp, info)
        tmp.rename(target)
    except BaseException as err:
        if early is not None:
            early.give_up()
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(err, OSError) or isinstance(err, RuntimeError) and "IO error" in str(err) \
                or isinstance(err, sqlite3.OperationalError) and "disk" in str(err):
            # the disk, not the data (an artifact's SQLite file: "database or disk is full")
            reason = getattr(err, "strerror", None) or str(err).splitlines()[0]
            raise ConfigError(f"cannot build the store in {store_dir}: {reason}; the stores "
                              "already there are left as they were") from None
        if isinstance(err, DataError) and err.subject and err.predicate and err.value \
                and files:
            # the store keeps no file or line: the input is searched, once, now
            try:
                where = written_at(files, err.subject, err.predicate, err.value, rdf_format)
            except Exception:  # noqa: BLE001 - the search only adds to the error it names
                logger.debug("the input was not searched for the value", exc_info=True)
                where = None
            if where:
                raise DataError(f"{where}: {err}") from None
        raise
    logger.info("built store %s: %d triples in %.1f s", target, info.triples,
                time.monotonic() - started)
    return info


def _copy_loaded(store: ox.Store, folder: Path, least: int, version: str,
                 sources: list[str]) -> None:
    """A copy of the loaded store (a checkpoint: hard links) in ``folder`` when it holds
    at least ``least`` triples, described as not complete: its own data version (its
    answers lack the metrics' graph) and no artifacts or statistics. A copy that fails
    (a full disk) is logged and left out: the build goes on."""
    triples = len(store)  # counted once: a whole read of the store at 10^6 findings
    if triples < least:
        return
    part = folder.with_name(folder.name + ".part")
    try:
        part.mkdir()
        store.backup(str(part / OXIGRAPH_DIR))
        write_meta(part, StoreInfo(path="", version=f"{version}-early", triples=triples,
                                   sources=sources, complete=False,
                                   built=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())))
        part.rename(folder)
    except (OSError, RuntimeError) as err:  # Oxigraph's own IO errors are RuntimeErrors
        logger.warning("no copy of the loaded store served early (%s): the build goes on",
                       getattr(err, "strerror", None) or str(err).splitlines()[0])
        shutil.rmtree(part, ignore_errors=True)


def _build_artifacts(store: ox.Store, tmp: Path, builders: dict[str, str | ArtifactBuilder],
                     started: float, then: Callable[[ox.Store], _T],
                     early: _Early | None = None) -> _T:
    """Run the artifact builders, in name order; those of :data:`READ_ONLY_ARTIFACTS`
    in a second process beside the others, on a checkpoint of the loaded store (hard links:
    the others may write to the store meanwhile, the checkpoint stays as loaded), or, when
    ``early`` started them from the input files during the load, handed that checkpoint.
    ``then`` runs once the builders of this process are done (the store is complete),
    while those beside may still run; its answer is returned once all are done."""
    started_early = early.names if early is not None else frozenset()
    for name in builders:
        if name not in started_early:
            (tmp / ARTIFACTS_DIR / name).mkdir(parents=True)
    beside = {name: builder for name, builder in sorted(builders.items())
              if name in READ_ONLY_ARTIFACTS and name not in started_early}
    if not _portable(beside):
        beside = {}
    here = [name for name in sorted(builders)
            if name not in beside and name not in started_early]
    snapshot = tmp / "checkpoint"
    with ThreadPoolExecutor(1, thread_name_prefix="artifacts-beside") as pool:
        other = None
        if beside or early is not None:
            store.backup(str(snapshot))
        if early is not None:
            early.loaded(snapshot)
        try:
            if beside:
                other = pool.submit(start_in_child(_build_on_checkpoint, snapshot,
                                                   {name: (b, tmp / ARTIFACTS_DIR / name)
                                                    for name, b in beside.items()}, started,
                                                   what="the artifact build"))
            for name in here:
                resolve_builder(builders[name])(store, tmp / ARTIFACTS_DIR / name)
                logger.info("artifact %s built at %.1f s", name, time.monotonic() - started)
            answer = then(store)
        except BaseException:
            if early is not None:  # failing fast: the child stops at its next check
                early.give_up()
                early = None
            raise
        finally:
            if other is not None:
                other.result()
            if early is not None:
                early.result()
            shutil.rmtree(snapshot, ignore_errors=True)
    return answer


class _Early:
    """The builders of :data:`FROM_INPUT` started from the ``--data`` files before the
    load, in one child process beside it; told where the loaded store's checkpoint is
    (:meth:`loaded`) or that the build was given up (:meth:`give_up`) through a file."""

    def __init__(self, signal: Path, names: frozenset[str], pool: ThreadPoolExecutor,
                 done: Any) -> None:
        self.signal, self.names, self.pool, self.done = signal, names, pool, done

    @classmethod
    def start(cls, tmp: Path, files: Sequence[Path],
              builders: dict[str, str | ArtifactBuilder], started: float, *,
              wait_for_load: bool = False) -> _Early | None:
        """Start them (``None`` when none applies: no files, or no such builder); with
        ``wait_for_load``, the load comes first (a variant is given ``loading``:
        :data:`FROM_INPUT`)."""
        variants = {name: FROM_INPUT[b] for name, b in sorted(builders.items())
                    if name in READ_ONLY_ARTIFACTS and isinstance(b, str) and b in FROM_INPUT}
        if not files or not variants:
            return None
        for name in variants:
            (tmp / ARTIFACTS_DIR / name).mkdir(parents=True)
        signal = tmp / "checkpoint.signal"
        pool = ThreadPoolExecutor(1, thread_name_prefix="artifacts-early")
        done = pool.submit(start_in_child(_build_from_input, list(files), signal,
                                          {name: (v, tmp / ARTIFACTS_DIR / name)
                                           for name, v in variants.items()},
                                          started, wait_for_load, what="the artifact build"))
        return cls(signal, frozenset(variants), pool, done)

    def loaded(self, checkpoint: Path) -> None:
        _signal(self.signal, str(checkpoint))

    def give_up(self) -> None:
        """Tell the child to stop, and wait until it has (at its next check: every million
        triples parsed, second of the input's sort or batch of findings; it must not write
        into a build folder being removed)."""
        _signal(self.signal, "")
        with contextlib.suppress(Exception):  # its error is the build's failing
            self.done.result()
        self.pool.shutdown(wait=False)

    def result(self) -> None:
        try:
            self.done.result()
        finally:
            self.pool.shutdown(wait=False)


def _signal(path: Path, text: str) -> None:
    with contextlib.suppress(OSError):  # a build folder already removed: nobody waits
        part = path.with_suffix(".part")
        part.write_text(text)
        part.replace(path)


class _Waiter:
    """The child's side of :class:`_Early`'s signal file."""

    def __init__(self, signal: Path) -> None:
        self.signal = signal
        self.store: ox.Store | None = None
        self.lock = threading.Lock()  # a builder's threads may wait at once

    def loading(self) -> bool:
        """Whether the store's load still runs: no checkpoint yet, and not given up (an
        empty signal, or the build folder removed)."""
        return self.signal.parent.exists() and not self.signal.exists()

    def alive(self) -> None:
        """Raise once the build was given up (or its folder removed)."""
        if not self.signal.parent.exists() or (self.signal.exists()
                                               and not self.signal.read_text()):
            raise ChildFailed("the store build was given up")

    def __call__(self) -> ox.Store:
        """The loaded store's checkpoint, once there."""
        with self.lock:
            while self.store is None:
                self.alive()
                if self.signal.exists():
                    self.store = ox.Store.read_only(self.signal.read_text())
                else:
                    time.sleep(0.05)
            return self.store


def _build_from_input(files: list[Path], signal: Path,
                      builders: dict[str, tuple[str, Path]], started: float,
                      wait_for_load: bool) -> None:
    waiter = _Waiter(signal)
    for name, (variant, folder) in builders.items():
        module, _, func = variant.partition(":")
        getattr(importlib.import_module(module), func)(
            files, folder, waiter, waiter.alive,
            loading=waiter.loading if wait_for_load else None)
        logger.info("artifact %s built at %.1f s (from the input, %s)", name,
                    time.monotonic() - started,
                    "read once loaded" if wait_for_load else "beside the load")


def _say_named_graphs(store: ox.Store) -> None:
    """Warn when the data put triples in named graphs (N-Quads, TriG, JSON-LD): the store
    keeps them, and SPARQL reads them with GRAPH or FROM, but the pages, search, graph
    queries and exports read the default graph, which may then be empty. The metrics' graph of an
    ExoKG export given back as data is dropped: the build computes it again (its stale
    values would sit beside the new ones)."""
    if next(iter(store.named_graphs()), None) is None:  # the usual case: nothing to count
        return
    from exokg.index.metrics import METRICS_GRAPH

    metrics = ox.NamedNode(METRICS_GRAPH)
    if store.contains_named_graph(metrics):
        store.remove_graph(metrics)
        logger.warning("the data's graph <%s> was dropped: the build computes the metrics "
                       "again", METRICS_GRAPH)
    answer = store.query("SELECT (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } }")
    assert isinstance(answer, ox.QuerySolutions)
    named = int(next(iter(answer))[0].value)
    if named:
        logger.warning("%d of the data's triples are in named graphs: SPARQL reads them "
                       "with GRAPH or FROM, but the pages, search, graph queries and "
                       "exports read the default graph only", named)


def _statistics(store: ox.Store, started: float) -> dict[str, Any]:
    store.flush()
    stats = dataset_stats(store)
    logger.info("statistics counted at %.1f s", time.monotonic() - started)
    return stats


def _build_on_checkpoint(snapshot: Path, builders: dict[str, tuple[str | ArtifactBuilder, Path]],
                         started: float) -> None:
    store = ox.Store.read_only(str(snapshot))
    for name, (builder, folder) in builders.items():
        resolve_builder(builder)(store, folder)
        logger.info("artifact %s built at %.1f s (beside the others)", name,
                    time.monotonic() - started)


def find_store(store_dir: Path | str | None, *, store_path: Path | str | None = None,
               data_files: Sequence[Path | str] = (),
               records_dirs: Sequence[Path | str] = (), loaded_copy: Path | None = None,
               early_triples: int = 1) -> StoreInfo:
    """The store to serve: ``store_path`` as is, or one found or built in ``store_dir``.

    A ``store_path`` store (the settings' ``STORE_PATH``) is checked but never rebuilt,
    since its inputs are not known; otherwise see :func:`prepare_store`.

    Raises
    ------
    ConfigError
        for a damaged ``store_path`` store (naming its folder), or as :func:`prepare_store`.
    """
    if store_path:
        try:
            info = open_store_info(store_path)
        except StoreDamaged as err:
            raise StoreDamaged(f"{err}; a store given as is (STORE_PATH) is not rebuilt: "
                               "remove it, or serve with --store DIR to build one") from None
        hold_in_use(info.folder)
        return info
    if not store_dir:
        raise ConfigError("no store folder (STORE_DIR) and no store (STORE_PATH) given")
    return prepare_store(store_dir, data_files=data_files, records_dirs=records_dirs,
                         loaded_copy=loaded_copy, early_triples=early_triples)


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
