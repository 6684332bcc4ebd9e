"""Where the input files write a value: the file and line a build error points to.

A value the build refuses (:class:`~exokg.errors.DataError`: a finding's sample size that
is not a whole number) is found in the store, which keeps no file or line; the files are
searched for it only then, once:

* the file (its path as given): the one given, or among several the one whose triples
  hold the subject and the property (each file parsed again: a Turtle subject is often a
  prefixed or relative name, and another file may write the same value for another node);
* the line, when the value is written as the store gives it: the line of that file that
  holds the subject's IRI and the value's lexical form in quotes (N-Triples, N-Quads), or
  else the first that holds the quoted form (Turtle, TriG, JSON-LD) or, for RDF/XML, the
  form between tags. A value the store rewrote (``"3.0"^^xsd:decimal`` is ``"3"``), or
  wrote bare (``-5``), gets the file alone.

>>> import tempfile, pyoxigraph as ox
>>> from pathlib import Path
>>> folder = Path(tempfile.mkdtemp())
>>> nt = lambda path: ox.RdfFormat.N_TRIPLES
>>> (folder / "a.nt").write_text('<urn:f1> <urn:n> "12x" .\\n<urn:f2> <urn:n> "12x" .\\n')
50
>>> (folder / "b.nt").write_text('<urn:f3> <urn:n> "12x" .\\n')
25
>>> written_at([folder / "a.nt", folder / "b.nt"], "urn:f2", "urn:n", '"12x"', nt
...            ) == f"{folder / 'a.nt'}, line 2"
True
>>> written_at([folder / "a.nt", folder / "b.nt"], "urn:f3", "urn:n", '"12x"', nt
...            ) == f"{folder / 'b.nt'}, line 1"
True
>>> written_at([folder / "a.nt", folder / "b.nt"], "urn:f4", "urn:n", '"12x"', nt) is None
True
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pyoxigraph as ox
from exokg.errors import RDF_PARSE_ERRORS

__all__ = ["written_at"]

#: Lines read for one file: past them a value written everywhere stops the search.
MAX_LINES = 10_000

_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')


def written_at(files: Sequence[Path], subject: str, predicate: str, value: str,
               syntax: Callable[[Path], ox.RdfFormat]) -> str | None:
    """``"FILE, line N"`` (or ``"FILE"``, the path as given) where ``files`` write
    ``value`` (an N-Triples term) as ``subject``'s ``predicate``, the files read in their
    ``syntax`` (see the module); ``None`` when no file holds that subject and property."""
    if len(files) == 1:
        path: Path | None = files[0]
    elif subject.startswith("_:") or ":" not in subject:  # a blank node: named by no file
        return None
    else:
        path = _holder(files, subject, predicate, syntax)
    if path is None:
        return None
    quoted = _QUOTED.match(value)
    if value.startswith("<") and value.endswith(">"):  # an IRI where a number belongs
        needles = [value.encode()]
    elif quoted is not None and not value.startswith('"""'):
        needles = [quoted.group().encode(), f">{quoted.group()[1:-1]}<".encode()]
    else:  # a blank node's label is the store's; a long string is written many ways
        return str(path)
    iri, first = f"<{subject}>".encode(), None
    for number, line in _lines_with(path, needles):
        if iri in line:
            return f"{path}, line {number}"
        first = first or number
    return str(path) if first is None else f"{path}, line {first}"


def _holder(files: Sequence[Path], subject: str, predicate: str,
            syntax: Callable[[Path], ox.RdfFormat]) -> Path | None:
    """The first of ``files`` with a triple of ``subject`` and ``predicate``."""
    node, prop = ox.NamedNode(subject), ox.NamedNode(predicate)
    for path in files:
        try:
            if any(t.subject == node and t.predicate == prop
                   for t in ox.parse(path=str(path), format=syntax(path))):
                return path
        except (OSError, *RDF_PARSE_ERRORS):  # gone or changed since the load
            continue
    return None


def _lines_with(path: Path, needles: list[bytes]) -> Iterator[tuple[int, bytes]]:
    """(line number, line) of the first :data:`MAX_LINES` lines of ``path`` that hold one of
    ``needles``: by the system's ``grep`` (a large file in seconds), else in Python."""
    program = shutil.which("grep")
    if program is not None and not any(b"\n" in needle for needle in needles):
        # the patterns on standard input: a long value passes the argument list's limit
        command = [program, "-n", "-F", "-a", "-m", str(MAX_LINES), "-f", "-", str(path)]
        try:
            found = subprocess.run(command, env={**os.environ, "LC_ALL": "C"},
                                   input=b"\n".join(needles), capture_output=True,
                                   check=False)
        except OSError:
            found = None
        if found is not None and found.returncode in (0, 1):
            # lines end at a line feed, as grep counts them (a carriage return is no end)
            for line in found.stdout.split(b"\n")[:-1]:
                count, _, text = line.partition(b":")
                yield int(count), text
            return
    seen = 0
    try:
        with path.open("rb") as lines:
            for number, line in enumerate(lines, start=1):
                if any(needle in line for needle in needles):
                    yield number, line
                    seen += 1
                    if seen == MAX_LINES:
                        return
    except OSError:
        return
