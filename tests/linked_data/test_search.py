"""zkg.linked_data.search: folded, ranked label search across languages."""

import pytest

from tests.support.zkg_testing import TEST_BASE
from zkg.linked_data.search import LabelIndex, fold

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
    assert [h.match for h in hits] == sorted(
        (h.match for h in hits), key=["exact", "prefix", "word", "substring", "words"].index
    )
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
