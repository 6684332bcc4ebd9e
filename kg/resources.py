"""Where the bundled data and ontology are: the packages ``exokg.data`` and ``exokg.ontology``.

The repository keeps them in ``data/`` and ``ontology/``; ``pyproject.toml`` maps those
folders into the one installed package, so an install (editable or not) finds them here.

>>> (data_path() / "entities.tsv").is_file()
True
>>> (ontology_path() / "exokg.ttl").is_file()
True
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

__all__ = ["data_path", "ontology_path"]


def data_path() -> Path:
    """The folder of the bundled data (records, entity table, mappings)."""
    return Path(str(files("exokg.data")))


def ontology_path() -> Path:
    """The folder of the ontology and SHACL shapes."""
    return Path(str(files("exokg.ontology")))
