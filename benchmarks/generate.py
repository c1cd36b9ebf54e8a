"""Deterministic Z-Park-like data at any size, conforming to the project's shapes.

``python -m benchmarks.generate --triples 100000 --out DIR`` writes ``DIR/graph/`` in the
layout ``zkg load`` reads (``zkg load --graph-dir DIR/graph``; the vocabulary and shapes
come from the project's ``ontology/``):

- ``graph/reference.trig``: the park, its sub-parks and their sites, places, exchanges,
  publishers, event series and the statistics data set (the project's reference graph);
- ``graph/metadata.trig``: one news article per source graph (publisher, date, page) and
  each graph's provenance (PROV, Dublin Core), as the real metadata graph has;
- ``graph/sources/source-NNNNN.trig``: one named graph per source document, each holding
  about :data:`TRIPLES_PER_SOURCE` triples: companies (names, other names, Chinese names
  for some, kind, founding year, location in a sub-park), their people with memberships
  and roles, yearly statistics (Data Cube observations), deals between companies, events
  with organisers and attendees, and quotations.

The same ``--triples`` and ``--seed`` always give byte-identical files. The triple count is
reached to within one company's worth (about 100 triples). IRIs are relative, resolved by
``zkg load`` against the base IRI, as in the project's own files.

Entity IRIs follow fixed patterns (``id/company-N``, ``id/person-N``, ``id/sub-park-K``,
``id/sub-park-K-area``) so that the query mix (:mod:`benchmarks.queries`) can name them.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

TRIPLES_PER_SOURCE = 2500
YEARS = range(2010, 2016)

PREFIXES = """@prefix id: <id/> .
@prefix zkg: <def/> .
@prefix kind: <code/org-kind/> .
@prefix role: <code/role/> .
@prefix ind: <code/indicator/> .
@prefix unit: <code/unit/> .
@prefix tf: <code/transformation/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix schema: <https://schema.org/> .
@prefix org: <http://www.w3.org/ns/org#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix qb: <http://purl.org/linked-data/cube#> .
@prefix sdmx-dimension: <http://purl.org/linked-data/sdmx/2009/dimension#> .
@prefix sdmx-measure: <http://purl.org/linked-data/sdmx/2009/measure#> .
"""

SURNAMES = [
    "Wang",
    "Li",
    "Zhang",
    "Liu",
    "Chen",
    "Yang",
    "Huang",
    "Zhao",
    "Wu",
    "Zhou",
    "Xu",
    "Sun",
    "Ma",
    "Zhu",
    "Hu",
    "Guo",
    "He",
    "Lin",
    "Luo",
    "Gao",
    "Zheng",
    "Liang",
    "Xie",
    "Song",
    "Tang",
]
GIVEN = [
    "wei",
    "fang",
    "min",
    "jing",
    "li",
    "qiang",
    "lei",
    "jun",
    "yang",
    "yong",
    "yan",
    "jie",
    "tao",
    "ming",
    "chao",
    "xia",
    "ping",
    "gang",
    "hui",
    "hong",
    "bo",
    "ning",
    "kai",
    "rui",
    "xin",
    "yu",
]
CORES = [
    "Huaxin",
    "Zhongke",
    "Jingdong",
    "Baiyun",
    "Tianyu",
    "Xinghe",
    "Longteng",
    "Ruida",
    "Hengtai",
    "Kunlun",
    "Haitai",
    "Shuguang",
    "Dingxin",
    "Yuanjing",
    "Qihang",
    "Lianchuang",
    "Zhiyuan",
    "Boya",
    "Jinqiao",
    "Weilai",
    "Mingde",
    "Anxin",
    "Fengyun",
    "Chuangxin",
    "Guoxin",
    "Taiji",
]
CORES_ZH = [
    "华信",
    "中科",
    "京东",
    "白云",
    "天宇",
    "星河",
    "龙腾",
    "瑞达",
    "恒泰",
    "昆仑",
    "海泰",
    "曙光",
    "鼎新",
    "远景",
    "启航",
    "联创",
    "智源",
    "博雅",
    "金桥",
    "未来",
    "明德",
    "安信",
    "风云",
    "创新",
    "国信",
    "太极",
]
FIELDS = [
    "Technology",
    "Biotech",
    "Software",
    "Semiconductor",
    "Robotics",
    "Energy",
    "Materials",
    "Networks",
    "Data",
    "Medical",
    "Aerospace",
    "Photonics",
    "Education",
    "Finance",
    "Mobility",
]
FIELDS_ZH = [
    "科技",
    "生物",
    "软件",
    "半导体",
    "机器人",
    "能源",
    "材料",
    "网络",
    "数据",
    "医疗",
    "航天",
    "光电",
    "教育",
    "金融",
    "出行",
]
SUFFIXES = ["Co.", "Group", "Holdings", "Labs", "Inc.", "Systems"]
KINDS = ["company", "company", "company", "listed-company", "incubator", "startup-organisation"]
ROLES = ["chief-executive-officer", "president", "head", "deputy-head", "scientist"]
ROLE_TITLES = {
    "chief-executive-officer": "CEO",
    "president": "president",
    "head": "head",
    "deputy-head": "deputy head",
    "scientist": "scientist",
}
INDICATORS = [
    ("pct-applications", "count", "PCT international patent applications"),
    ("mna-completed", "count", "mergers and acquisitions completed"),
    ("capital-invested", "USD", "capital invested"),
]
COUNTRIES = [
    ("china", "China", "中国"),
    ("united-states", "United States", None),
    ("canada", "Canada", None),
    ("finland", "Finland", None),
    ("israel", "Israel", None),
    ("united-kingdom", "United Kingdom", None),
    ("germany", "Germany", None),
    ("sweden", "Sweden", None),
]
SERIES = [
    "Zhongguancun Forum",
    "Z-Park Startup Festival",
    "Innovation Demo Day",
    "IASP Regional Meeting",
    "Beijing Tech Week",
    "Global Innovation Awards",
]
WORDS = [
    "innovation",
    "growth",
    "talent",
    "services",
    "overseas",
    "partners",
    "capital",
    "research",
    "markets",
    "products",
    "customers",
    "patents",
    "engineers",
    "investment",
    "platforms",
]


def lit(text: str, language: str | None = "en") -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"@{language}' if language else f'"{escaped}"'


def typed(value, datatype: str) -> str:
    return f'"{value}"^^xsd:{datatype}'


class Generator:
    """Writes the files, counting the triples it writes."""

    def __init__(self, triples: int, seed: int = 1):
        self.target = triples
        self.random = random.Random(seed)
        # Scale the fixed parts with the size, but keep them small and never zero.
        self.sub_parks = max(4, min(64, triples // 20000))
        self.publishers = max(2, min(20, triples // 100000 + 2))
        self.count = 0
        self.companies = 0
        self.people = 0
        self.edition = {s: 0 for s in range(len(SERIES))}

    # -- small helpers -------------------------------------------------------------------------

    def block(self, subject: str, statements: list[tuple[str, str]]) -> str:
        self.count += sum(1 if o.startswith('"') else o.count(", ") + 1 for _p, o in statements)
        body = " ;\n    ".join(f"{p} {o}" for p, o in statements)
        return f"  {subject} {body} .\n"

    def person_name(self) -> str:
        r = self.random
        return f"{r.choice(SURNAMES)} {r.choice(GIVEN).capitalize()}{r.choice(GIVEN)}"

    # -- the reference graph ---------------------------------------------------------------------

    def reference(self) -> str:
        out = [PREFIXES, "\n<graph/reference> {\n"]
        for slug, name, chinese in COUNTRIES:
            statements = [("a", "schema:Country"), ("rdfs:label", lit(name)), ("schema:name", lit(name))]
            if chinese:
                statements.append(("schema:name", lit(chinese, "zh-Hans")))
            out.append(self.block(f"id:{slug}", statements))
        out.append(
            self.block(
                "id:beijing",
                [
                    ("a", "schema:City"),
                    ("rdfs:label", lit("Beijing")),
                    ("schema:name", lit("Beijing")),
                    ("schema:name", lit("北京", "zh-Hans")),
                    ("schema:containedInPlace", "id:china"),
                ],
            )
        )
        out.append(
            self.block(
                "id:z-park",
                [
                    ("a", "schema:Organization, org:FormalOrganization"),
                    ("rdfs:label", lit("Zhongguancun Science Park")),
                    ("schema:name", lit("Zhongguancun Science Park")),
                    ("schema:alternateName", lit("Z-Park")),
                    ("schema:name", lit("中关村科技园区", "zh-Hans")),
                    ("schema:description", lit("China's first science park.")),
                    ("zkg:organizationKind", "kind:science-park"),
                    ("schema:foundingDate", typed(1988, "gYear")),
                    ("org:hasSite", "id:z-park-area"),
                ],
            )
        )
        out.append(
            self.block(
                "id:z-park-area",
                [
                    ("a", "schema:Place, org:Site"),
                    ("rdfs:label", lit("Zhongguancun Science Park area")),
                    ("schema:name", lit("Zhongguancun Science Park area")),
                    ("org:siteOf", "id:z-park"),
                    ("schema:containedInPlace", "id:beijing"),
                ],
            )
        )
        for k in range(self.sub_parks):
            name = f"{CORES[k % len(CORES)]} Sub-park {k}"
            out.append(
                self.block(
                    f"id:sub-park-{k}",
                    [
                        ("a", "schema:Organization, org:FormalOrganization"),
                        ("rdfs:label", lit(name)),
                        ("schema:name", lit(name)),
                        ("schema:description", lit(f"Sub-park number {k} of Z-Park.")),
                        ("zkg:organizationKind", "kind:sub-park"),
                        ("org:subOrganizationOf", "id:z-park"),
                        ("org:hasSite", f"id:sub-park-{k}-area"),
                    ],
                )
            )
            out.append(
                self.block(
                    f"id:sub-park-{k}-area",
                    [
                        ("a", "schema:Place, org:Site"),
                        ("rdfs:label", lit(f"{name} area")),
                        ("schema:name", lit(f"{name} area")),
                        ("org:siteOf", f"id:sub-park-{k}"),
                        ("schema:containedInPlace", "id:z-park-area"),
                    ],
                )
            )
        for slug, name in (("nasdaq", "Nasdaq"), ("shanghai-stock-exchange", "Shanghai Stock Exchange")):
            out.append(
                self.block(
                    f"id:{slug}",
                    [
                        ("a", "schema:Organization, org:FormalOrganization"),
                        ("rdfs:label", lit(name)),
                        ("schema:name", lit(name)),
                        ("schema:description", lit("A stock exchange.")),
                        ("zkg:organizationKind", "kind:stock-exchange"),
                    ],
                )
            )
        for p in range(self.publishers):
            name = f"{CORES[(p * 7) % len(CORES)]} Daily"
            out.append(
                self.block(
                    f"id:publisher-{p}",
                    [
                        ("a", "schema:NewsMediaOrganization, org:FormalOrganization"),
                        ("rdfs:label", lit(name)),
                        ("schema:name", lit(name)),
                        ("schema:description", lit("A newspaper.")),
                        ("zkg:organizationKind", "kind:news-publisher"),
                    ],
                )
            )
        out.append(
            self.block(
                "id:zkg-benchmark",
                [
                    ("a", "prov:Agent, schema:Organization"),
                    ("rdfs:label", lit("zkg benchmark generator")),
                    ("schema:name", lit("zkg benchmark generator")),
                    ("schema:description", lit("Generated data.")),
                    ("zkg:organizationKind", "kind:data-project"),
                ],
            )
        )
        for s, name in enumerate(SERIES):
            out.append(
                self.block(
                    f"id:series-{s}",
                    [
                        ("a", "schema:EventSeries"),
                        ("rdfs:label", lit(name)),
                        ("schema:name", lit(name)),
                        ("schema:organizer", "id:z-park"),
                    ],
                )
            )
        out.append(
            self.block(
                "id:stats-companies",
                [
                    ("a", "qb:DataSet"),
                    ("rdfs:label", lit("Yearly figures of Z-Park companies")),
                    ("qb:structure", "<def/dsd-headline>"),
                ],
            )
        )
        out.append("}\n")
        return "".join(out)

    # -- one company and what hangs off it ---------------------------------------------------------

    def company(self, source: int) -> str:
        r = self.random
        i = self.companies
        self.companies += 1
        core, field = r.randrange(len(CORES)), r.randrange(len(FIELDS))
        name = f"{CORES[core]} {FIELDS[field]} {r.choice(SUFFIXES)} {i}"
        kind = r.choice(KINDS)
        park = r.randrange(self.sub_parks)
        statements = [
            ("a", "schema:Corporation, org:FormalOrganization"),
            ("rdfs:label", lit(name)),
            ("schema:name", lit(name)),
            ("schema:alternateName", lit(f"{CORES[core]} {FIELDS[field]} {i}")),
            ("schema:description", lit(f"A {FIELDS[field].lower()} company in sub-park {park} of Z-Park.")),
            ("zkg:organizationKind", f"kind:{kind}"),
            ("schema:foundingDate", typed(r.randrange(1988, 2016), "gYear")),
            ("schema:location", f"id:sub-park-{park}-area"),
        ]
        if i % 4 == 0:
            statements.append(("schema:name", lit(f"{CORES_ZH[core]}{FIELDS_ZH[field]}{i}", "zh-Hans")))
        if kind == "listed-company":
            statements.append(("zkg:listedOn", r.choice(["id:nasdaq", "id:shanghai-stock-exchange"])))
        out = [self.block(f"id:company-{i}", statements)]
        # People: a head (with org:headOf and the membership the shapes then require) and staff.
        for n in range(2):
            j = self.people
            self.people += 1
            person = self.person_name()
            role = "chief-executive-officer" if n == 0 else r.choice(ROLES[1:])
            facts = [
                ("a", "schema:Person, prov:Agent"),
                ("rdfs:label", lit(person)),
                ("schema:name", lit(person)),
                ("schema:worksFor", f"id:company-{i}"),
            ]
            if n == 0:
                facts.append(("org:headOf", f"id:company-{i}"))
            out.append(self.block(f"id:person-{j}", facts))
            out.append(
                self.block(
                    f"id:membership-{j}",
                    [
                        ("a", "org:Membership"),
                        ("rdfs:label", lit(f"{ROLE_TITLES[role]} of {name}")),
                        ("org:member", f"id:person-{j}"),
                        ("org:organization", f"id:company-{i}"),
                        ("org:role", f"role:{role}"),
                    ],
                )
            )
        # Yearly statistics.
        for year in YEARS:
            for slug, unit, label in INDICATORS[:2] if year % 2 else INDICATORS:
                value = r.randrange(1, 5000) * (100000 if unit == "USD" else 1)
                out.append(
                    self.block(
                        f"id:obs-{slug}-{i}-{year}",
                        [
                            ("a", "qb:Observation"),
                            ("qb:dataSet", "id:stats-companies"),
                            ("rdfs:label", lit(f"{label} of {name}, {year}")),
                            ("zkg:refSubject", f"id:company-{i}"),
                            ("sdmx-dimension:refPeriod", typed(year, "gYear")),
                            ("zkg:indicator", f"ind:{slug}"),
                            ("zkg:unit", f"unit:{unit}"),
                            ("zkg:transformation", "tf:level"),
                            ("sdmx-measure:obsValue", str(value)),
                            ("zkg:valueAsPrinted", lit(f"{value:,}", None)),
                        ],
                    )
                )
        # A deal with an earlier company, every third company.
        if i % 3 == 2:
            target = r.randrange(i)
            out.append(
                self.block(
                    f"id:deal-{i}",
                    [
                        ("a", "schema:Action"),
                        ("rdfs:label", lit(f"acquisition of company {target} by {name}")),
                        ("schema:description", lit("A merger or acquisition between two Z-Park companies.")),
                        ("schema:agent", f"id:company-{i}"),
                        ("schema:participant", f"id:company-{target}"),
                        ("schema:startTime", typed(r.choice(list(YEARS)), "gYear")),
                        ("schema:location", f"id:sub-park-{park}-area"),
                    ],
                )
            )
        # An event, every tenth company: an edition of a series, organised by the company.
        if i % 10 == 9:
            s = r.randrange(len(SERIES))
            self.edition[s] += 1
            year = r.choice(list(YEARS))
            attendees = ", ".join(f"id:person-{r.randrange(self.people)}" for _ in range(3))
            out.append(
                self.block(
                    f"id:event-{i}",
                    [
                        ("a", "schema:Event"),
                        ("rdfs:label", lit(f"{SERIES[s]} {year}, edition {self.edition[s]}")),
                        ("schema:name", lit(f"{SERIES[s]} {year}")),
                        ("schema:superEvent", f"id:series-{s}"),
                        ("zkg:editionNumber", str(self.edition[s])),
                        (
                            "schema:startDate",
                            typed(f"{year}-{r.randrange(1, 13):02d}-{r.randrange(1, 29):02d}", "date"),
                        ),
                        ("schema:location", f"id:sub-park-{park}-area"),
                        ("schema:organizer", f"id:company-{i}"),
                        ("schema:attendee", attendees),
                    ],
                )
            )
        # A quotation, every fifth company.
        if i % 5 == 4:
            words = " ".join(r.choice(WORDS) for _ in range(8))
            out.append(
                self.block(
                    f"id:quote-{i}",
                    [
                        ("a", "schema:Quotation"),
                        ("rdfs:label", lit(f"the head of {name} on {r.choice(WORDS)}")),
                        ("schema:text", lit(f"We will bring {words} to Z-Park.")),
                        ("schema:creator", f"id:person-{self.people - 2}"),
                        ("schema:about", f"id:company-{i}"),
                        ("schema:isPartOf", f"id:article-{source}"),
                    ],
                )
            )
        return "".join(out)

    # -- the whole dataset -----------------------------------------------------------------------

    def write(self, out_dir: Path) -> dict:
        graph_dir = out_dir / "graph"
        sources_dir = graph_dir / "sources"
        sources_dir.mkdir(parents=True, exist_ok=True)
        for stale in sources_dir.glob("*.trig"):
            stale.unlink()
        (graph_dir / "reference.trig").write_text(self.reference(), encoding="utf-8")
        metadata = [PREFIXES, "\n<graph/metadata> {\n"]
        metadata.append(
            self.block(
                "<graph/reference>",
                [
                    ("a", "prov:Entity"),
                    ("rdfs:label", lit("Reference facts of the benchmark")),
                    ("prov:wasAttributedTo", "id:zkg-benchmark"),
                    ("dcterms:created", typed("2026-01-01", "date")),
                ],
            )
        )
        source = 0
        # Each source: its metadata (11 triples), then companies until it is full.
        while self.count < self.target:
            day = f"2016-{1 + source % 12:02d}-{1 + source % 28:02d}"
            headline = f"{CORES[source % len(CORES)]} report {source}: Z-Park companies at home and abroad"
            metadata.append(
                self.block(
                    f"id:article-{source}",
                    [
                        ("a", "schema:NewsArticle, prov:Entity"),
                        ("rdfs:label", lit(headline)),
                        ("schema:headline", lit(headline)),
                        ("schema:publisher", f"id:publisher-{source % self.publishers}"),
                        ("schema:datePublished", typed(day, "date")),
                        ("schema:printPage", lit(str(1 + source % 24), None)),
                    ],
                )
            )
            metadata.append(
                self.block(
                    f"<graph/source-{source:05d}>",
                    [
                        ("a", "prov:Entity"),
                        ("rdfs:label", lit(f"Statements of {headline}")),
                        ("prov:wasDerivedFrom", f"id:article-{source}"),
                        ("dcterms:source", f"id:article-{source}"),
                        ("prov:wasAttributedTo", "id:zkg-benchmark"),
                        ("dcterms:created", typed("2026-01-01", "date")),
                    ],
                )
            )
            start = self.count
            parts = [PREFIXES, f"\n<graph/source-{source:05d}> {{\n"]
            while self.count - start < TRIPLES_PER_SOURCE and self.count < self.target:
                parts.append(self.company(source))
            parts.append("}\n")
            (sources_dir / f"source-{source:05d}.trig").write_text("".join(parts), encoding="utf-8")
            source += 1
        metadata.append("}\n")
        (graph_dir / "metadata.trig").write_text("".join(metadata), encoding="utf-8")
        return {
            "triples": self.count,
            "companies": self.companies,
            "people": self.people,
            "sources": source,
            "sub_parks": self.sub_parks,
        }


def generate(triples: int, out_dir: Path, *, seed: int = 1) -> dict:
    """Write about ``triples`` triples under ``out_dir/graph``; returns the counts."""
    return Generator(triples, seed).write(Path(out_dir))


def parse_size(text: str) -> int:
    """``100k``, ``1M``, ``2.5m``, ``10000`` as a number.

    >>> parse_size("100k"), parse_size("1M"), parse_size("2500")
    (100000, 1000000, 2500)
    """
    text = text.strip().lower().replace("_", "")
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    number = text[:-1] if scale > 1 else text
    return int(float(number) * scale)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.generate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--triples", type=parse_size, required=True, help="how many triples (100k, 1M, …)")
    parser.add_argument("--out", type=Path, required=True, help="output folder (graph/ is written inside)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    counts = generate(args.triples, args.out, seed=args.seed)
    print(
        f"wrote {counts['triples']} triples ({counts['companies']} companies, {counts['people']} people, "
        f"{counts['sources']} source graphs) under {args.out / 'graph'}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
