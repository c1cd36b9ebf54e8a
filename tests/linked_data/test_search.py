"""zkg.linked_data.search: folded, ranked label search across languages."""

import random
import string

import pyoxigraph as ox
import pytest

from tests.support.zkg_testing import ONTOLOGY_DIR, TEST_BASE
from zkg.linked_data import matching, word_index
from zkg.linked_data.search import MATCHES, LabelIndex, fold
from zkg.store.local import Store

ID = TEST_BASE + "id/"


@pytest.fixture(scope="module")
def index(real_store):
    return LabelIndex.from_store(real_store)


def first(index, query):
    hits = index.search(query)
    return (hits[0].iri, hits[0].match) if hits else None


def test_fold():
    assert fold("Zhōngguāncūn") == "zhongguancun"
    assert fold("ＺＨＯＮＧ") == "zhong"  # full-width forms
    assert fold("ÅNGSTRÖM\t x") == "angstrom x"


def test_exact_beats_prefix_beats_word_beats_substring(index):
    assert first(index, "Z-Park") == (ID + "z-park", "exact")
    hits = index.search("z-park")
    assert [h.match for h in hits] == sorted((h.match for h in hits), key=MATCHES.index)
    assert MATCHES[:5] == ("exact", "prefix", "word", "substring", "words")  # then near misses, then part of the query
    assert first(index, "stanford") == (ID + "stanford-university", "prefix")
    assert first(index, "shousheng") == (ID + "zhang-shousheng", "word")
    assert first(index, "ousheng") == (ID + "zhang-shousheng", "substring")


def test_case_accents_and_other_languages(index):
    assert first(index, "ZHŌNGGUĀNCŪN SCIENCE PARK") == (ID + "z-park", "exact")
    assert first(index, "中关村科技园区") == (ID + "z-park", "exact")
    assert first(index, "张首晟") == (ID + "zhang-shousheng", "exact")
    hits = index.search("发展")
    assert hits[0].iri == ID + "zhongguancun-development-group" and hits[0].match == "substring"
    assert hits[0].label == "Zhongguancun Development Group" and hits[0].matched == "中关村发展集团"
    assert index.search("发展", languages=["zh"])[0].label == "中关村发展集团"


def test_other_spellings_and_word_order(index):
    assert first(index, "Shoucheng Zhang") == (ID + "zhang-shousheng", "exact")
    assert (ID + "z-park", "words") in [(h.iri, h.match) for h in index.search("park science", limit=50)]


def test_nothing_and_limits(index):
    assert index.search("") == [] and index.search("   ") == []
    assert index.search("qqqxxx") == []
    assert len(index.search("a", limit=5)) == 5
    assert len({h.iri for h in index.search("park", limit=100)}) == len(index.search("park", limit=100))


def test_names_and_descriptions_of_one_resource(index):
    """What reconciliation's catalogue reads from the same index (zkg.power.entity_index)."""
    names = [(e.text, e.main) for e in index.labels_of(ID + "z-park")]
    assert ("中关村科技园区", True) in names and ("Z-Park", False) in names
    assert index.descriptions_of(ID + "z-park")[0].value.startswith("China's first science park")
    assert index.labels_of(ID + "nowhere") == [] and index.descriptions_of(ID + "nowhere") == []
    assert index.label(ID + "z-park", ["zh"]) == "中关村科技园区" and index.label(ID + "nowhere") == "nowhere"


# -- search that forgives (issue 15, point 5) ------------------------------------------------------


@pytest.mark.parametrize(
    "query, entity, within",
    [
        ("zhongguancum", "z-park", 1),  # a typo
        ("Sinovak", "sinovac-biotech", 1),
        ("Movexum incubater", "movexum", 1),  # a typo in another name of it
        ("IASP 2015", "iasp-world-conference-2015", 3),  # the year is in its dates, not its name
        ("中关村", "z-park", 1),  # inside its Chinese name
        ("Zhongguancun Sceince Park", "z-park", 1),  # two letters swapped
        ("zhongguancunsciencepark", "z-park", 1),  # without its spaces
        ("Stanford Universty", "stanford-university", 1),
        ("IASP 32", "iasp-world-conference-2015", 1),  # the number as the ordinal of its name
        ("Zhuo Guolin", "zhou-guolin", 1),
    ],
)
def test_typos_numbers_and_chinese_find_the_entity(index, query, entity, within):
    assert ID + entity in [h.iri for h in index.search(query, limit=within)], index.search(query, limit=5)


def test_each_hit_says_how_it_matched_and_describes_its_resource(index):
    hit = index.search("zhongguancum")[0]
    assert (hit.iri, hit.match, hit.matched) == (ID + "z-park", "fuzzy", "Zhongguancun")
    assert hit.description.startswith("China's first science park") and 0.8 < hit.score < 0.9
    conference = next(h for h in index.search("IASP 2015") if h.iri == ID + "iasp-world-conference-2015")
    assert conference.match == "words" and conference.label == "32nd IASP World Conference"
    # Literal matches come before near misses, near misses before names holding part of the query.
    kinds = [h.match for h in index.search("Movexum incubater", limit=50)]
    assert kinds[:2] == ["fuzzy", "fuzzy"] and set(kinds[2:]) == {"partial"}


def test_descriptions_are_one_line_in_the_readers_language():
    rows = [("http://x/a", "http://www.w3.org/2000/01/rdf-schema#label", "Alpha", "en")]
    long = ox.Literal("An alpha.\n\n  " + "Very long indeed, " * 20, language="en")
    index = LabelIndex(rows, {"http://x/a": [long, ox.Literal("阿尔法。", language="zh")]})
    english = index.search("alpha")[0].description
    assert (
        "\n" not in english and len(english) <= 140 and english.endswith("…") and english.startswith("An alpha. Very")
    )
    assert index.search("alpha", languages=["zh"])[0].description == "阿尔法。"


def one_typo(text: str, rng: random.Random) -> str:
    """``text`` with one letter dropped, added or changed, or two neighbours swapped."""
    at = rng.randrange(len(text))
    letter = rng.choice(string.ascii_lowercase)
    edit = rng.choice(["drop", "add", "change", "swap"])
    if edit == "drop":
        return text[:at] + text[at + 1 :]
    if edit == "add":
        return text[:at] + letter + text[at:]
    if edit == "change":
        return text[:at] + letter + text[at + 1 :]
    at = min(at, len(text) - 2)
    return text[:at] + text[at + 1] + text[at] + text[at + 2 :]


def test_one_typo_in_any_entitys_name_still_finds_it(index):
    """Every entity's name with a random typo (three each, seeded): the entity is among the
    first three hits for at least 95% of them (312 of 312 when this was written; 996 of a
    thousand companies and people of the benchmark generator's data, whose names differ by
    a number)."""
    rng = random.Random(15)
    names = sorted({(e.iri, index.label(e.iri)) for e in index.entries if e.iri.startswith(ID)})
    missed, tried = [], 0
    for iri, name in names:
        for _ in range(3):
            typo = one_typo(name, rng)
            tried += 1
            if iri not in [h.iri for h in index.search(typo, limit=3)]:
                missed.append((name, typo))
    assert tried > 300
    assert len(missed) <= 0.05 * tried, missed


def test_a_query_costs_a_bounded_number_of_names_whatever_the_store(tmp_path):
    """On the benchmark generator's data (about 40 000 names at 100 000 triples, a few words
    shared by thousands of them), no query scores more than CANDIDATES names, reads more
    than NAMES_PER_WORD names a word, or compares more words than the caps allow; and the
    right entity still comes first."""
    from benchmarks import generate

    generate.generate(100_000, tmp_path)
    store = Store.open(base_iri=TEST_BASE)
    store.load_sources(graph_dir=tmp_path / "graph", ontology_dir=ONTOLOGY_DIR)
    index = LabelIndex.from_store(store)
    assert len(index.entries) > 20 * word_index.CANDIDATES
    company = next(e for e in index.entries if "/company-" in e.iri and e.property.endswith("#label"))
    queries = [company.text, one_typo(company.text, random.Random(1)), "park", "a", "of the", "z", "Wang", "华信"]
    queries += ["a b c d e f g h i j k l m n", "the of and inc co group labs systems holdings capital invested patent"]
    for query in queries:
        cost = word_index.Cost()
        hits = index.search(query, cost=cost)
        words = min(len(query.split()), matching.QUERY_WORDS)
        assert cost.scored <= word_index.CANDIDATES, (query, cost)
        assert cost.postings <= words * word_index.NAMES_PER_WORD, (query, cost)
        per_word = (
            word_index.PREFIX_SCAN + 64 * word_index.WORDS_PER_KIND + word_index.NEAR_READ + word_index.NEAR_CHECKED
        )
        assert cost.words <= words * per_word, (query, cost)
        if query in queries[:2]:
            assert hits[0].iri == company.iri, (query, hits[:3])
