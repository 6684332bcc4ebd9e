"""The declared build format: what, besides its inputs, names a store's data version.

A store's data version (:func:`exokg.store.input_version`) is a hash of its inputs (the
``--data`` files, or the bundled data, ontology and ``--records`` folders), the store
layout, :data:`BUILD_FORMAT` and the artifact builders' names. It is not a hash of the
package's code: editing a page, a template or a docstring, or upgrading ExoKG, keeps
every store, since none of that changes what a build writes (at 10^6 findings a
rebuild takes about an hour).

What a build writes for the same inputs -- the graph's triples, the statistics, every
artifact's content -- is pinned instead by :data:`BUILD_DIGESTS`, the digests of the
review's store (the bundled inputs) as :func:`build_digests` reads it. A test
(``tests/test_build_format.py``) builds that store and compares: a change to the graph
building (records, entities, links), the statistics, the metrics, the search index or the
facets fails it until :data:`BUILD_FORMAT` is bumped, so a store built by older code is
never served as if current. The test prints the new digests to paste here. Code reached
only by a user's records (a column the review leaves empty) is covered by the bump rule,
not by the digest: whoever changes it bumps :data:`BUILD_FORMAT`.

The digests read what a build means, not its bytes: each graph as its sorted N-Triples,
each SQLite database as its schema and sorted rows (shadow tables of a full-text index
left out: their pages depend on how SQLite merged them), each ``.npy`` array as its
dtype, shape and values, each JSON file parsed, the statistics of ``meta.json``. They
leave out what differs from one build to the next: the build time, the input paths, the
data version itself, timings (JSON keys ending in ``_s``); and floating-point numbers
are read to :data:`SIGNIFICANT` digits, so that PageRank's last bit on another CPU is no
format change. None of it follows ``PYTHONHASHSEED``.

>>> import tempfile
>>> from pathlib import Path
>>> from exokg.store import prepare_store
>>> with tempfile.TemporaryDirectory() as tmp:
...     data = Path(tmp, "a.nt")
...     _ = data.write_text('<http://ex/a> <http://ex/p> "1" .\\n')
...     for part in sorted(build_digests(prepare_store(Path(tmp, "s"), data_files=[data]).folder)):
...         print(part)
artifacts/facets
artifacts/index
graph default
meta.json
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from exokg.readonly_db import connect_read_only
from exokg.store_layout import ARTIFACTS_DIR, META_FILE, OXIGRAPH_DIR, store_folder

__all__ = ["BUILD_DIGESTS", "BUILD_FORMAT", "SIGNIFICANT", "build_digests"]

logger = logging.getLogger(__name__)

#: The format of what a build writes from its inputs; part of every data version.
#: Bump it (any new value) in the commit that changes what a build writes for the same
#: inputs -- the graph built from records (kg/build.py, records, entities, links), the
#: statistics, an artifact's content or layout, a builder's rules -- or when a dependency
#: upgrade does (the digest test says so), and paste the new :data:`BUILD_DIGESTS` the
#: test prints. Stores of the old format are then rebuilt once; those of the new one are
#: kept across every code change that writes the same.
BUILD_FORMAT = 15

#: What the review's store holds under :data:`BUILD_FORMAT`, by part (see
#: :func:`build_digests`); checked by tests/test_build_format.py.
BUILD_DIGESTS: dict[str, str] = {
    'artifacts/facets': 'bfe0aebf65a61a5e',
    'artifacts/index': 'dac5587902d6cde5',
    'graph <https://w3id.org/exokg/graph/metrics>': '3d92489bbc7c8682',
    'graph default': '6239b8075c6991c4',
    'meta.json': 'a51df79f399d0107',
}

#: Significant digits a floating-point number is read to.
SIGNIFICANT = 10

#: ``meta.json`` fields that differ between builds of the same inputs and format (the
#: artifacts' file sizes follow how SQLite laid out pages; their content is digested).
_VOLATILE_META = frozenset({"version", "built", "sources", "artifact_sizes"})

_DOUBLES = frozenset({"http://www.w3.org/2001/XMLSchema#double",
                      "http://www.w3.org/2001/XMLSchema#float"})


def build_digests(folder: Path | str) -> dict[str, str]:
    """The digests of what the built store at ``folder`` holds, by part.

    Parameters
    ----------
    folder
        a data version's folder (or its ``oxigraph/`` store).

    Returns
    -------
    dict
        ``"meta.json"`` (the statistics, triple count and artifact names),
        ``"graph default"`` and ``"graph <iri>"`` per named graph (sorted N-Triples),
        and ``"artifacts/<name>"`` per artifact (each file read by its kind).
    """
    folder = store_folder(folder)
    meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
    parts = {META_FILE: _digest([_json_line({k: v for k, v in meta.items()
                                             if k not in _VOLATILE_META})])}
    store = ox.Store.read_only(str(folder / OXIGRAPH_DIR))
    graphs: list[ox.DefaultGraph | ox.NamedNode | ox.BlankNode] = [ox.DefaultGraph()]
    graphs += sorted(store.named_graphs(), key=str)
    for graph in graphs:
        name = "default" if isinstance(graph, ox.DefaultGraph) else str(graph)
        parts[f"graph {name}"] = _digest(sorted(
            _triple_line(q) for q in store.quads_for_pattern(None, None, None, graph)))
    del store
    for artifact in sorted(p for p in (folder / ARTIFACTS_DIR).iterdir() if p.is_dir()):
        parts[f"{ARTIFACTS_DIR}/{artifact.name}"] = _digest(_artifact_lines(artifact))
    return parts


def _digest(lines: Iterable[str]) -> str:
    digest = hashlib.sha256()
    for line in lines:
        digest.update(line.encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()[:16]


def _number(value: float) -> str:
    return f"{value:.{SIGNIFICANT}g}"


def _triple_line(quad: ox.Quad) -> str:
    obj = quad.object
    if isinstance(obj, ox.Literal) and obj.datatype.value in _DOUBLES:
        obj = ox.Literal(_number(float(obj.value)), datatype=obj.datatype)
    return str(ox.Triple(quad.subject, quad.predicate, obj))


def _plain(value: Any) -> Any:
    """A value as JSON without volatile keys or full-precision floats."""
    if isinstance(value, float):
        return {"float": _number(value)}
    if isinstance(value, bytes):
        return {"bytes": value.hex()}
    if isinstance(value, dict):
        # keys ending in _s are timings in seconds (metrics.json's pagerank_s ...)
        return {k: _plain(v) for k, v in value.items() if not k.endswith("_s")}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _json_line(value: Any) -> str:
    return json.dumps(_plain(value), sort_keys=True, ensure_ascii=False)


def _artifact_lines(artifact: Path) -> Iterator[str]:
    files = sorted((p for p in artifact.rglob("*") if p.is_file()),
                   key=lambda p: p.relative_to(artifact).as_posix())
    for path in files:
        yield f"file {path.relative_to(artifact).as_posix()}"
        if path.suffix in (".sqlite", ".db"):
            yield from _sqlite_lines(path)
        elif path.suffix == ".npy":
            yield from _array_lines(path)
        elif path.suffix == ".json":
            yield _json_line(json.loads(path.read_text(encoding="utf-8")))
        else:
            yield hashlib.sha256(path.read_bytes()).hexdigest()


def _array_lines(path: Path) -> Iterator[str]:
    import numpy as np

    array = np.load(path, allow_pickle=False)
    yield f"{array.dtype.kind}{array.dtype.itemsize} {list(array.shape)}"
    if array.dtype.kind in "fc":
        yield from (_number(v) for v in array.ravel().tolist())
    else:
        yield hashlib.sha256(array.astype(array.dtype.newbyteorder("<")).tobytes()).hexdigest()


def _sqlite_lines(path: Path) -> Iterator[str]:
    """The schema and the sorted rows of every table but a virtual table's shadows."""
    con = connect_read_only(path)
    try:
        schema = con.execute("SELECT type, name, sql FROM sqlite_master "
                             "WHERE sql IS NOT NULL ORDER BY type, name").fetchall()
        virtual = [name for _, name, sql in schema
                   if sql.upper().startswith("CREATE VIRTUAL TABLE")]
        kept = [(kind, name, sql) for kind, name, sql in schema
                if not any(name.startswith(f"{v}_") for v in virtual)]
        for kind, name, sql in kept:
            yield _json_line([kind, name, " ".join(sql.split())])
        for kind, name, _ in kept:
            if kind != "table":
                continue
            # a full-text table's rowid is the document's id; other tables' rowids are
            # insertion order, not content
            columns = "rowid, *" if name in virtual else "*"
            rows = con.execute(f'SELECT {columns} FROM "{name}"')
            yield f"rows {name}"
            yield from sorted(_json_line(list(row)) for row in rows)
    finally:
        con.close()
