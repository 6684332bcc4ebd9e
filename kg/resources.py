"""Where the bundled data and ontology are, installed or in a source checkout.

Installed, ``data/`` and ``ontology/`` are the packages ``kg.data`` and
``kg.ontology``; run from a checkout (``python -m kg`` in the repository, where
``./kg`` shadows the installed package), they are the folders beside ``kg/``.

>>> (data_path() / "entities.tsv").is_file()
True
>>> (ontology_path() / "exokg.ttl").is_file()
True
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

__all__ = ["data_path", "ontology_path"]

_CHECKOUT = Path(__file__).resolve().parent.parent


def _package_path(package: str, folder: str) -> Path:
    try:
        return Path(str(files(package)))
    except ModuleNotFoundError:
        return _CHECKOUT / folder


def data_path() -> Path:
    """The folder of the bundled data (records, entity table, mappings)."""
    return _package_path("kg.data", "data")


def ontology_path() -> Path:
    """The folder of the ontology and SHACL shapes."""
    return _package_path("kg.ontology", "ontology")
