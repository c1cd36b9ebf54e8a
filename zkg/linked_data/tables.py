"""A Data Cube data set as a table: CSV, and its CSVW metadata (W3C, "Metadata Vocabulary for
Tabular Data"), so a researcher loads the numbers in one line (``pandas.read_csv(url)``) and a
CSVW-aware tool also knows each column's type and meaning.

One row per observation, the columns of :data:`COLUMNS`: IRIs in full (they dereference),
each coded value beside its label, the value as a plain number in base units with its unit's
code, and the figure as the source printed it. Empty cells are absent values (CSVW's
default ``null``).

>>> metadata = csvw_metadata("http://x/id/stats", "stats.csv", title="Figures")
>>> metadata["url"], metadata["tableSchema"]["primaryKey"]
('stats.csv', 'observation')
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Callable, Sequence

from zkg.linked_data.statistics import Observation
from zkg.rdf.namespaces import QB

ZKG_DEF = "def/"  # the vocabulary's path below the base IRI


@dataclass(frozen=True)
class Column:
    name: str
    datatype: str  # a CSVW built-in datatype
    property: str  # the property the column's values are of (a full IRI, or def/… under the base)
    description: str


_SDMX_DIMENSION = "http://purl.org/linked-data/sdmx/2009/dimension#"
_SDMX_MEASURE = "http://purl.org/linked-data/sdmx/2009/measure#"
_RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
_PROV = "http://www.w3.org/ns/prov#"

COLUMNS: tuple[Column, ...] = (
    Column("observation", "anyURI", QB + "Observation", "The observation's IRI (one figure)."),
    Column("subject", "anyURI", ZKG_DEF + "refSubject", "What the figure is about."),
    Column("subject_label", "string", _RDFS_LABEL, "The subject's name."),
    Column("indicator", "anyURI", ZKG_DEF + "indicator", "What is measured: a concept of the indicator code list."),
    Column("indicator_label", "string", _RDFS_LABEL, "The indicator's name."),
    Column("period", "string", _SDMX_DIMENSION + "refPeriod", "The year (2015), month or date (2016-03-05)."),
    Column("value", "decimal", _SDMX_MEASURE + "obsValue", "The figure, in base units of the unit column."),
    Column(
        "unit",
        "string",
        ZKG_DEF + "unit",
        "The unit's code: ISO 4217 currency or UN/ECE unit (C62 a count, P1 percent).",
    ),
    Column(
        "transformation",
        "string",
        ZKG_DEF + "transformation",
        "level, change (on the previous period) or percent-change.",
    ),
    Column("partner", "anyURI", ZKG_DEF + "partner", "The partner country or region, for figures broken down by it."),
    Column("partner_label", "string", _RDFS_LABEL, "The partner's name."),
    Column("value_as_printed", "string", ZKG_DEF + "valueAsPrinted", "The figure exactly as the source prints it."),
    Column("derived", "boolean", _PROV + "wasDerivedFrom", "true: computed from other figures, not printed."),
    Column(
        "graph",
        "anyURI",
        "http://www.w3.org/ns/sparql-service-description#namedGraph",
        "The named graph (source) stating it.",
    ),
)


def table_rows(found: Sequence[Observation], label: Callable[[str], str]) -> list[list[str]]:
    """The rows of the table (without the header), in the order of ``found``."""

    def named(iri: str | None) -> str:
        return label(iri) if iri else ""

    return [
        [
            o.iri,
            o.subject or "",
            named(o.subject),
            o.indicator or "",
            named(o.indicator),
            o.period or "",
            o.value,
            o.notation or "",
            o.transformation,
            o.partner or "",
            named(o.partner),
            o.printed or "",
            "true" if o.derived else "false",
            o.graph,
        ]
        for o in found
    ]


def table_csv(found: Sequence[Observation], label: Callable[[str], str]) -> str:
    """RFC 4180 CSV (CRLF line ends, quotes where needed) with a header row of column names.

    >>> print(table_csv([], str), end="")
    observation,subject,subject_label,indicator,indicator_label,period,value,unit,transformation,partner,partner_label,value_as_printed,derived,graph
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.name for c in COLUMNS])
    writer.writerows(table_rows(found, label))
    return out.getvalue()


def csvw_metadata(dataset: str, csv_url: str, *, title: str, base_iri: str = "") -> dict:
    """The CSVW metadata document of the data set's table at ``csv_url`` (relative to the
    metadata document's own URL)."""
    return {
        "@context": ["http://www.w3.org/ns/csvw", {"@language": "en"}],
        "url": csv_url,
        "dc:title": title,
        "dc:source": {"@id": dataset},
        "dc:description": "The observations of an RDF Data Cube data set of the Zhongguancun Knowledge Graph, "
        "one row each.",
        "tableSchema": {
            "columns": [
                {
                    "name": c.name,
                    "titles": c.name,
                    "datatype": c.datatype,
                    "propertyUrl": (base_iri + c.property) if c.property.startswith(ZKG_DEF) else c.property,
                    "dc:description": c.description,
                    **({"required": True} if c.name in ("observation", "value") else {}),
                }
                for c in COLUMNS
            ],
            "primaryKey": "observation",
            "aboutUrl": "{+observation}",
        },
    }
