"""The gallery of example questions: questions the review answers, as SPARQL.

Each :class:`Example` has a slug (its URL on the query page: ``/query?example=<slug>``),
a title, the question in words, the SPARQL (with ExoKG's prefixes declared) and the
answer the review gives, in words. ``tests/test_examples.py`` runs every query on the
real graph and checks that answer.

>>> get_example("findings-per-table").title
'Findings per table'
>>> [e.slug for e in EXAMPLES][:2]
['most-studied-molecules', 'serum-mirnas-ultracentrifugation']
>>> get_example("nope")
Traceback (most recent call last):
...
KeyError: "no example 'nope'"
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from exokg.vocab import PREFIXES

__all__ = ["EXAMPLES", "PREFIX_BLOCK", "Example", "get_example"]

#: The PREFIX lines every example (and the query page's empty editor) starts with.
PREFIX_BLOCK = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items()
                       if p in ("exo", "exoid", "rdf", "rdfs", "skos", "dcterms", "prov"))


@dataclass(frozen=True)
class Example:
    """One example question of the gallery."""

    slug: str
    title: str
    question: str
    body: str  # the query without its PREFIX lines
    answer: str  # what the review says, in words

    @property
    def sparql(self) -> str:
        """The full query: :data:`PREFIX_BLOCK` then the body."""
        return PREFIX_BLOCK + "\n" + self.body.strip() + "\n"

    @property
    def kind(self) -> str:
        """``SELECT``, ``ASK``, ``CONSTRUCT`` or ``DESCRIBE``."""
        for word in self.body.split():
            if word.upper() in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE"):
                return word.upper()
        return "SELECT"

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "sparql": self.sparql, "kind": self.kind}


EXAMPLES: tuple[Example, ...] = (
    Example(
        "most-studied-molecules",
        "Molecules reported by the most studies",
        "Which exosomal molecules do the most studies cited in the review report?",
        """
SELECT ?content ?label (COUNT(DISTINCT ?study) AS ?studies) (COUNT(?finding) AS ?findings)
WHERE {
  ?finding a exo:Finding ;
           exo:content ?content ;
           exo:citedIn ?study .
  ?content rdfs:label ?label .
}
GROUP BY ?content ?label
ORDER BY DESC(?studies) ?label
LIMIT 10
""",
        "miR-21 leads with five studies (refs 21-24 and 46); LINC00161, miR-122, miR-125b, "
        "miR-320a and miR-638 follow with two each.",
    ),
    Example(
        "serum-mirnas-ultracentrifugation",
        "Serum miRNAs up in HCC, ultracentrifugation, n > 50",
        "Which serum exosomal miRNAs are up-regulated in HCC in studies that isolated "
        "exosomes by ultracentrifugation with more than 50 samples?",
        """
SELECT ?content ?label ?n ?study ?ref
WHERE {
  ?finding a exo:Finding ;
           exo:content ?content ;
           exo:disease <https://w3id.org/exokg/id/disease/hcc> ;
           exo:expression exo:Up ;
           exo:sample <https://w3id.org/exokg/id/sampletype/serum> ;
           exo:isolatedBy <https://w3id.org/exokg/id/isolationmethod/ultracentrifugation> ;
           exo:sampleSize ?n ;
           exo:citedIn ?study .
  ?content a exo:MicroRNA ;
           rdfs:label ?label .
  ?study exo:refNumber ?ref .
  FILTER (?n > 50)
}
ORDER BY DESC(?n)
""",
        "miR-1247-3p (n = 135, ref 18), miR-21 (n = 95, ref 24) and miR-638 (n = 54, "
        "ref 28); miR-23a and miR-23b (n = 50) just miss the cut.",
    ),
    Example(
        "up-and-down",
        "Molecules reported both up and down",
        "Which molecules does one study report up-regulated and another down-regulated?",
        """
SELECT ?content ?label ?expression ?sample ?n ?study
WHERE {
  ?up a exo:Finding ; exo:content ?content ; exo:expression exo:Up .
  ?down a exo:Finding ; exo:content ?content ; exo:expression exo:Down .
  ?finding a exo:Finding ;
           exo:content ?content ;
           exo:expression ?e ;
           exo:citedIn ?study .
  BIND (IF(?e = exo:Up, "up", "down") AS ?expression)
  ?content rdfs:label ?label .
  OPTIONAL { ?finding exo:sample/rdfs:label ?sample }
  OPTIONAL { ?finding exo:sampleSize ?n }
}
ORDER BY ?label ?expression
""",
        "miR-638 (up in serum, n = 54, ref 28; down in serum, n = 147, ref 50) and miR-125b "
        "(up in serum, n = 218, ref 19; down in tissue, TAM exosomes, n = 6, ref 58).",
    ),
    Example(
        "findings-per-table",
        "Findings per table",
        "How many findings (rows) does each table of the review hold?",
        """
SELECT ?table (COUNT(?finding) AS ?findings)
WHERE {
  ?finding a exo:Finding ;
           exo:sourceTable ?table .
}
GROUP BY ?table
ORDER BY ?table
""",
        "Table 1: 38, Table 2: 13, Table 3: 10, Table 4: 3, Table 5: 2 (66 in all).",
    ),
    Example(
        "mir-21-studies",
        "The five studies of miR-21",
        "Which studies report exosomal miR-21, in which samples, with how many patients, "
        "and what do they find?",
        """
SELECT ?ref ?study ?sample ?n ?isolation ?function
WHERE {
  ?finding a exo:Finding ;
           exo:content <https://w3id.org/exokg/id/content/mir-21> ;
           exo:citedIn ?study ;
           exo:function ?function .
  ?study exo:refNumber ?ref .
  OPTIONAL { ?finding exo:sample/rdfs:label ?sample }
  OPTIONAL { ?finding exo:sampleSize ?n }
  OPTIONAL { ?finding exo:isolatedBy/rdfs:label ?isolation }
}
ORDER BY ?ref
""",
        "Five studies, all up-regulated: refs 21 (serum, n = 79), 22 (plasma, n = 150), "
        "23 (serum, n = 90), 24 (serum, n = 95) and 46 (hepatoblastoma, serum, n = 64).",
    ),
    Example(
        "drug-carriers",
        "Drug carriers and their sources",
        "Which drugs and nucleic acids are delivered by exosomes, and from which cells do "
        "those exosomes come?",
        """
SELECT ?drug ?source ?table ?ref ?function
WHERE {
  ?finding a exo:Finding ;
           exo:drug/rdfs:label ?drug ;
           exo:exosomeSource/rdfs:label ?source ;
           exo:sourceTable ?table ;
           exo:citedIn/exo:refNumber ?ref ;
           exo:function ?function .
}
ORDER BY ?table ?ref
""",
        "Table 4: norcantharidin and siGRP78 in BMSC exosomes, miR-214 in hCEC exosomes; "
        "Table 5: dendritic-cell exosomes, alone or with microwave ablation.",
    ),
    Example(
        "isolation-methods",
        "Isolation methods ranked by use",
        "Which exosome isolation methods do the studies use, and how often?",
        """
SELECT ?method ?label (COUNT(?finding) AS ?findings)
WHERE {
  ?finding a exo:Finding ;
           exo:isolatedBy ?method .
  ?method rdfs:label ?label .
}
GROUP BY ?method ?label
ORDER BY DESC(?findings) ?label
""",
        "ExoQuick (SBI) is used most, then ultracentrifugation, then Qiagen's exoRNeasy kit.",
    ),
    Example(
        "mir-21-graph",
        "miR-21 as a graph",
        "What does the graph say about miR-21 directly: its diseases, methods, studies "
        "and roles (a CONSTRUCT, shown as a graph)?",
        """
CONSTRUCT {
  <https://w3id.org/exokg/id/content/mir-21> rdfs:label ?name ; ?p ?o .
  ?o rdfs:label ?label .
}
WHERE {
  <https://w3id.org/exokg/id/content/mir-21> rdfs:label ?name ; ?p ?o .
  FILTER (?p IN (exo:upregulatedIn, exo:downregulatedIn, exo:isolatedBy, exo:detectedBy,
                 exo:citedIn, exo:hasRole))
  OPTIONAL { ?o rdfs:label ?label }
}
""",
        "miR-21 is up-regulated in HCC and hepatoblastoma, isolated by ExoQuick, "
        "ultracentrifugation and Total Exosome Isolation Reagent, detected by qRT-PCR, "
        "cited in five studies.",
    ),
)

_BY_SLUG = {e.slug: e for e in EXAMPLES}


def get_example(slug: str) -> Example:
    """The example with that slug; ``KeyError`` if none."""
    try:
        return _BY_SLUG[slug]
    except KeyError:
        raise KeyError(f"no example {slug!r}") from None
