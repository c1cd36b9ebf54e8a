"""The statistics of the pages: Data Cube observations read for a page, its table rows and
its yearly series (the charts), and the same observations as a table for a download.

An entity's page shows the observations about it (``zkg:refSubject``); a data set's page the
observations in it (``qb:dataSet``). One query either way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import pyoxigraph as ox

from zkg.linked_data import formatting
from zkg.linked_data.labels import DEFAULT_LANGUAGES, choose_label, fallback_label, fetch_label_candidates

OBSERVATIONS_QUERY = """
SELECT ?obs ?subject ?value ?period ?indicator ?unit ?notation ?transformation ?printed ?partner ?g
       (BOUND(?from) AS ?derived)
WHERE {
  GRAPH ?g { ?obs zkg:refSubject SUBJECT ; sdmx-measure:obsValue ?value }
  FILTER_BY
  OPTIONAL { ?obs sdmx-dimension:refPeriod ?period }
  OPTIONAL { ?obs zkg:indicator ?indicator }
  OPTIONAL { ?obs zkg:unit ?unit OPTIONAL { ?unit skos:notation ?notation } }
  OPTIONAL { ?obs zkg:transformation ?transformation }
  OPTIONAL { ?obs zkg:valueAsPrinted ?printed }
  OPTIONAL { ?obs zkg:partner ?partner }
  OPTIONAL { ?obs prov:wasDerivedFrom ?from }
}
"""

LEVEL, CHANGE, PERCENT_CHANGE = "level", "change", "percent-change"


@dataclass
class Observation:
    iri: str
    value: str
    period: str | None
    period_kind: str | None  # gYear, gYearMonth, date
    indicator: str | None
    unit: str | None
    notation: str | None
    transformation: str  # LEVEL, CHANGE or PERCENT_CHANGE
    printed: str | None
    partner: str | None
    derived: bool
    graph: str
    subject: str | None = None  # what the figure is about (zkg:refSubject)

    def value_text(self) -> str:
        if self.transformation == PERCENT_CHANGE:
            return formatting.format_change(self.value, self.notation, percent=True)
        if self.transformation == CHANGE:
            return formatting.format_change(self.value, self.notation)
        return formatting.format_quantity(self.value, self.notation)

    def period_text(self) -> str:
        return formatting.format_date(self.period, self.period_kind or "") if self.period else ""


def _transformation_kind(iri: str | None) -> str:
    name = fallback_label(iri) if iri else "level"
    if name.startswith("percent"):
        return PERCENT_CHANGE
    if name.startswith("change"):
        return CHANGE
    return LEVEL


def observations(store, iri: str, *, in_dataset: bool = False) -> list[Observation]:
    """The observations about ``iri`` (``in_dataset``: those of the data set ``iri``), one
    query, sorted by indicator, period, partner."""
    found: dict[str, Observation] = {}
    # The IRI is written into the text (not a substitution) so remote engines answer it too.
    node = str(ox.NamedNode(iri))
    # An entity's: the subject in the pattern, so the engine reads only its observations.
    subject, where = ("?subject", f"?obs qb:dataSet {node} .") if in_dataset else (node, f"BIND({node} AS ?subject)")
    for row in store.query(OBSERVATIONS_QUERY.replace("SUBJECT", subject).replace("FILTER_BY", where), trusted=True):
        obs = row["obs"].value
        if obs in found:  # a second graph or notation: keep the first, they are one figure
            continue
        period = row["period"]
        text = lambda name: row[name].value if row[name] is not None else None  # noqa: E731
        found[obs] = Observation(
            iri=obs,
            value=row["value"].value,
            period=period.value if period is not None else None,
            period_kind=period.datatype.value.rsplit("#", 1)[-1] if isinstance(period, ox.Literal) else None,
            indicator=text("indicator"),
            unit=text("unit"),
            notation=text("notation"),
            transformation=_transformation_kind(text("transformation")),
            printed=text("printed"),
            partner=text("partner"),
            # (either lexical form of xsd:boolean true: Virtuoso writes BOUND(…) as "1")
            derived=row["derived"].value in ("true", "1"),
            graph=row["g"].value,
            subject=text("subject"),
        )
    return sorted(
        found.values(),
        key=lambda o: (o.indicator or "", o.period or "", o.partner or "", o.transformation, o.unit or ""),
    )


@dataclass
class StatisticsRow:
    """One figure of the statistics table: an indicator in a period (for a partner), with
    its levels (one per unit) and its changes on the previous period."""

    indicator: str | None
    period: str | None
    partner: str | None
    subject: str | None = None  # kept apart: a data set's page has figures of several
    levels: list[Observation] = field(default_factory=list)
    changes: list[Observation] = field(default_factory=list)

    @property
    def all(self) -> list[Observation]:
        return self.levels + self.changes


def statistics_rows(found: list[Observation]) -> list[StatisticsRow]:
    rows: dict[tuple, StatisticsRow] = {}
    for obs in found:
        key = (obs.indicator, obs.period, obs.partner, obs.subject)
        row = rows.setdefault(key, StatisticsRow(*key))
        (row.levels if obs.transformation == LEVEL else row.changes).append(obs)
    return list(rows.values())


@dataclass
class Series:
    """Yearly levels of one indicator in one unit: what a chart draws."""

    indicator: str
    unit: str | None
    notation: str | None
    points: list[Observation]  # one per year, oldest first
    subject: str | None = None


def yearly_series(found: list[Observation], *, minimum_years: int = 2) -> list[Series]:
    """Level observations per year (``xsd:gYear`` periods, no partner breakdown), grouped by
    indicator and unit, for the series covering at least ``minimum_years`` years."""
    groups: dict[tuple, dict[str, Observation]] = {}
    for obs in found:
        if obs.transformation == LEVEL and obs.period_kind == "gYear" and obs.partner is None and obs.indicator:
            groups.setdefault((obs.indicator, obs.unit, obs.notation, obs.subject), {}).setdefault(obs.period, obs)
    series = [
        Series(ind, unit, notation, [points[y] for y in sorted(points)], subject)
        for (ind, unit, notation, subject), points in groups.items()
        if len(points) >= minimum_years
    ]
    return sorted(series, key=lambda s: (s.indicator, s.unit or "", s.subject or ""))


@dataclass
class Disagreement:
    """Level figures of one indicator (for one subject, partner and unit) that sources give
    differently: ``figures`` oldest period first; ``same_period`` when two of them are for
    the same period (a real contradiction, not a change over time)."""

    indicator: str
    subject: str | None
    figures: list[Observation]
    same_period: bool

    @property
    def latest(self) -> Observation:
        return self.figures[-1]


def disagreements(found: list[Observation]) -> list[Disagreement]:
    """Where the sources of ``found`` differ: an indicator with printed levels from more than
    one source graph whose values are not all equal (derived figures are not a source's word).

    >>> def obs(value, period, graph):
    ...     return Observation("o" + period, value, period, "date", "ind", "u", None, LEVEL, value, None, False, graph, "s")
    >>> [d.same_period for d in disagreements([obs("16", "2016-03-05", "g16"), obs("10", "2008-03-31", "g08")])]
    [False]
    >>> [o.value for o in disagreements([obs("16", "2016-03-05", "g16"), obs("10", "2008-03-31", "g08")])[0].figures]
    ['10', '16']
    >>> disagreements([obs("16", "2016-03-05", "g16"), obs("16", "2016-03-05", "g2")])  # they agree
    []
    """
    groups: dict[tuple, list[Observation]] = {}
    for obs in found:
        if obs.transformation == LEVEL and obs.indicator and not obs.derived:
            groups.setdefault((obs.indicator, obs.subject, obs.partner, obs.unit), []).append(obs)
    out = []
    for (indicator, subject, _partner, _unit), figures in groups.items():
        if len({o.graph for o in figures}) < 2 or len({o.value for o in figures}) < 2:
            continue
        figures = sorted(figures, key=lambda o: (o.period or "", o.graph))
        periods = [o.period for o in figures]
        out.append(Disagreement(indicator, subject, figures, len(set(periods)) < len(periods)))
    return sorted(out, key=lambda d: (d.indicator, d.subject or ""))


def labelled_iris(found: list[Observation]) -> set[str]:
    """The IRIs :func:`observation_labels` labels: indicators, units, partners, observations."""
    return {i for o in found for i in (o.iri, o.indicator, o.unit, o.partner, o.subject) if i}


def observation_labels(
    store,
    found: list[Observation],
    languages: Sequence[str] = DEFAULT_LANGUAGES,
    *,
    candidates: dict[str, list] | None = None,
) -> dict[str, str]:
    """Labels of the indicators, units, partners and observations (one query; none when
    ``candidates`` holds those of :func:`labelled_iris` fetched already)."""
    iris = labelled_iris(found)
    if candidates is None:
        candidates = fetch_label_candidates(store, iris)
    return {iri: choose_label(candidates.get(iri, ()), languages) or fallback_label(iri) for iri in iris}
