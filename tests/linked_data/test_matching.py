"""zkg.linked_data.matching: the one scoring of the site search and of reconciliation (issue 15,
"Search that forgives"): words, typos, numbers, Chinese, and the edit distance it rests on."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zkg.linked_data.matching import (
    BEST_INEXACT,
    KINDS,
    Name,
    Query,
    match_word,
    numbers_in,
    osa_distance,
    score,
    typos_forgiven,
    words,
)

# -- the edit distance, against the textbook table ------------------------------------------------


def textbook_osa(a: str, b: str) -> int:
    """The optimal string alignment distance by the full table (Damerau's edits, swaps of
    neighbours, no character edited twice)."""
    table = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                table[i][j] = min(table[i][j], table[i - 2][j - 2] + 1)
    return table[-1][-1]


_small = st.text(alphabet="abcz 中关", max_size=24)  # small alphabets: many swaps and near misses


@settings(max_examples=500, deadline=None, derandomize=True)
@given(a=st.one_of(_small, st.text(max_size=40)), b=st.one_of(_small, st.text(max_size=40)))
def test_the_bit_parallel_distance_is_the_textbook_one(a, b):
    assert osa_distance(a, b) == textbook_osa(a, b) == osa_distance(b, a)


def test_long_texts_and_swaps():
    a, b = "zhongguancun science park " * 12, "zhongguancun sceince park international " * 8
    assert osa_distance(a, b) == textbook_osa(a, b)  # several machine words wide
    assert osa_distance("sceince", "science") == 1  # one swap, where Levenshtein counts two
    assert osa_distance("ca", "abc") == 3  # no character edited twice


# -- words -------------------------------------------------------------------------------------------


def test_words_and_numbers():
    assert words("zhongguancun science-park 2015") == ["zhongguancun", "science", "park", "2015"]
    assert words("中关村科技园区") == ["中关", "关村", "村科", "科技", "技园", "园区"]
    assert words("张 z中关村") == ["张", "z", "中关", "关村"]
    assert numbers_in("2015-09; the 32nd, 6,900 m²") == {"2015", "09", "32", "6", "900", "2"}
    assert [typos_forgiven(w) for w in ("iasp", "sinovak", "zhongguancum", "abc", "2015")] == [1, 1, 2, 0, 0]


@pytest.mark.parametrize(
    "query_word, word, how",
    [
        ("park", "park", "exact"),
        ("32", "32nd", "exact"),
        ("32nd", "32", "exact"),
        ("univ", "university", "prefix"),
        ("ousheng", "shousheng", "part"),
        ("sinovak", "sinovac", "typo"),
        ("sceince", "science", "typo"),
        ("zhongguancum", "zhongguancun", "typo"),
        ("movexumincubator", "movexum", "contains"),
    ],
)
def test_how_a_word_is_found(query_word, word, how):
    assert match_word(query_word, word).how == how


@pytest.mark.parametrize(
    "query_word, word",
    [("2015", "2016"), ("park", "paris"), ("abc", "abd"), ("iasp", "ia"), ("sinovak", "sinoxyz")],
)
def test_what_is_not_forgiven(query_word, word):
    # Numbers are never near misses; three-letter words have no typos; two edits only from eight.
    assert match_word(query_word, word) is None


# -- the score ---------------------------------------------------------------------------------------


def test_kinds_in_order():
    name = Name.of("Zhongguancun Science Park")
    kinds = [
        score(Query.of(q), name).kind
        for q in (
            "Zhongguancun Science Park",
            "zhongguancun sci",
            "science",
            "cience park",
            "park zhongguancun",
            "zhongguancum park",
            "zhongguancun gardens",
        )
    ]
    assert kinds == list(KINDS)


def test_scores():
    def of(query, name, numbers=frozenset()):
        found = score(Query.of(query), Name.of(name), numbers)
        return round(found.score, 3) if found else None

    assert of("ZHŌNGGUĀNCŪN science park", "Zhongguancun Science Park") == 1.0
    assert of("z park", "Z-Park") == of("zpark", "Z-Park") == 0.98
    assert of("Shousheng Zhang", "Zhang Shousheng") == BEST_INEXACT  # every word, out of order
    # A typo costs its share of the text: one in a long name is a surer match than one in a short one.
    assert of("Zhongguancun Sceince Park", "Zhongguancun Science Park") > 0.95 > of("Microsfot", "Microsoft") > 0.85
    # The name the query covers best wins; half a name is a candidate, not a match.
    assert of("Sinovac Biotec", "Sinovac Biotech") > 0.9 > of("Sinovac", "Sinovac Biotech") == 0.6
    assert of("Zhongguancun Sceince Park", "Zhongguancun Science Park area") < 0.86
    # Numbers in the entity's other text count as found, not as written in the name.
    assert of("IASP 2015", "32nd IASP World Conference", frozenset({"2015"})) == 0.437
    assert of("IASP 2015", "32nd IASP World Conference") < 0.1  # half the query: part of it
    assert of("IASP 2015", "selection of the host of the 2015 IASP World Conference") < 0.35
    # Words run together: every name word inside the query word counts.
    together = score(Query.of("zhongkerobotics"), Name.of("Zhongke Robotics 429"))
    assert together.kind == "words" and round(together.score, 3) == 0.867
    # Nothing in common, or less than half the query: no answer.
    assert of("abc", "xyz") is None and of("zhongguancun science park", "Park") is None
    assert of("中关村", "中关村科技园区") == of("中关村", "中关村发展集团") > of("中关村", "中关村科技园区管理委员会")


@settings(max_examples=300, deadline=None, derandomize=True)
@given(query=st.text(max_size=60), name=st.text(max_size=60))
def test_scores_are_between_0_and_1_and_only_the_same_text_scores_1(query, name):
    found = score(Query.of(query), Name.of(name))
    if found is not None:
        assert 0 < found.score <= 1 and found.kind in KINDS
        assert (found.score == 1.0) == (Name.of(query).folded == Name.of(name).folded)


def test_a_query_reads_twelve_words_each_once():
    query = Query.of("park " * 50 + " ".join(f"w{i}" for i in range(20)))
    assert query.words == ("park", *(f"w{i}" for i in range(11)))
