"""Hybrid weighs its two sides per query (issue 24): by how far the vector side's best cosine stands above
the background and how much of the query BM25's best hit covers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hsearch.search.engine import SearchEngine
from hsearch.search.fusion import FusionSettings, Side, fuse, weigh
from hsearch.search.retrieval import word_groups

from .conftest import cli

# The seed index's own readings (bench/notes/issue-24.md): an English question about Apple's iPhone launch
# (the vector side peaks 0.142 above its background; BM25's best hit covers 15% of the words, the name
# Apple) and a romanized one about the hostel that fell in Mecca (the vector side peaks 0.057; BM25's
# best hit covers 96%).
ENGLISH = "Apple CEO Steve Jobs shows the iPhone"
ROMANIZED = "makka mein chhatravas dhah gaya"


# ------------------------------------------------------------ the rule, pure
def test_a_peaked_vector_side_and_a_thin_word_match_lean_on_the_vectors() -> None:
    weights = weigh(FusionSettings(), latin=True, peak=0.142, cover=0.15)
    assert weights.semantic == pytest.approx(0.142 / (0.142 + FusionSettings().bm25_trust * 0.15))
    assert weights.semantic > 0.8


def test_a_word_match_of_the_whole_query_with_a_flat_vector_side_leans_on_bm25() -> None:
    weights = weigh(FusionSettings(), peak=0.057, cover=0.96)
    assert weights.bm25 > 0.6


def test_weights_are_fixed_when_asked_or_when_the_index_has_no_background() -> None:
    settings = FusionSettings()
    assert weigh(settings, peak=None, cover=0.96).semantic == settings.weight
    assert weigh(settings, latin=True, peak=None, cover=None).semantic == settings.latin_weight
    assert weigh(FusionSettings(bm25_trust=None), peak=0.057, cover=0.96).semantic == settings.weight
    assert weigh(settings, peak=0.0, cover=0.0).semantic == settings.weight  # neither side offers anything
    assert "fixed weights" in weigh(settings, peak=None, cover=None).describe()


def test_the_weights_decide_which_side_leads_the_fusion() -> None:
    bm25 = Side([("मक्का-छात्रावास", 9.0), ("मक्का-हज", 4.0), ("ढाका-इमारत", 1.0)], upper=9.0)
    dense = Side([("ढाका-इमारत", 0.80), ("मक्का-छात्रावास", 0.79), ("मक्का-हज", 0.70)], upper=1.0)
    settings = FusionSettings()
    leans_on_words = weigh(settings, peak=0.057, cover=0.96)
    leans_on_meaning = weigh(settings, peak=0.142, cover=0.05)
    assert fuse(bm25, dense, settings, weights=leans_on_words)[0][0] == "मक्का-छात्रावास"
    assert fuse(bm25, dense, settings, weights=leans_on_meaning)[0][0] == "ढाका-इमारत"


# ------------------------------------------------------------ on the seed index
def test_a_confidently_transliterated_romanized_query_leans_on_bm25(seed_engine: SearchEngine) -> None:
    ranking = seed_engine.rank(ROMANIZED, mode="hybrid")
    assert ranking.plan.romanized
    assert ranking.weights is not None and ranking.weights.bm25 > 0.6
    assert ranking.ranked[0][0] == "wikinews-249"  # the hostel that fell in Mecca


def test_an_english_query_leans_on_the_vectors(seed_engine: SearchEngine) -> None:
    ranking = seed_engine.rank(ENGLISH, mode="hybrid")
    assert ranking.weights is not None and ranking.weights.semantic > 0.8
    assert ranking.ranked[0][0] == "wikinews-61"  # Steve Jobs takes the iPhone out of his jeans


def test_single_side_modes_carry_no_weights(seed_engine: SearchEngine) -> None:
    assert seed_engine.rank(ROMANIZED, mode="bm25").weights is None
    assert seed_engine.rank(ROMANIZED, mode="semantic").weights is None


def test_romanized_function_words_are_not_words_of_the_query(seed_engine: SearchEngine) -> None:
    # "se" has a near spelling the index holds (शय) and "ka" one too (खा): neither is a topic word
    ranking = seed_engine.rank("alaska se tel ka risav", mode="hybrid")
    groups = word_groups(seed_engine.fulltext, ranking.terms, ranking.plan)
    assert sorted(next(t for t in members if t.isascii()) for members, _ in groups) == ["alaska", "risav", "tel"]
    assert ranking.ranked[0][0] == "wikinews-99"  # crude oil leaked south of Fairbanks, Alaska


# Real questions about seed articles in English, romanized Hindi and Hindi, and the article that answers.
SMALL_SET = (
    ("Stanford scientists invent a chip that sorts cells", "wikinews-1"),
    (ENGLISH, "wikinews-61"),
    ("oil spill from the Alaska pipeline", "wikinews-99"),
    ("hostel collapse in Mecca", "wikinews-249"),
    ("stanford ke vaigyanikon ne chip banayi", "wikinews-1"),
    ("alaska mein kachche tel ka risav", "wikinews-99"),
    (ROMANIZED, "wikinews-249"),
    ("mumbai ke hamlavar nav se pahunche", "wikinews-166"),
    ("स्टैनफ़ोर्ड के वैज्ञानिकों ने चिप बनाई", "wikinews-1"),
    ("मक्का में छात्रावास ढहा", "wikinews-249"),
)


def _mrr(engine: SearchEngine, mode: str) -> float:
    total = 0.0
    for query, answer in SMALL_SET:
        shown = [doc for doc, _ in engine.rank(query, mode=mode).ranked]
        total += 1.0 / (shown.index(answer) + 1) if answer in shown else 0.0
    return total / len(SMALL_SET)


def test_hybrid_is_not_below_its_better_side_on_a_small_real_set(seed_engine: SearchEngine) -> None:
    bm25, semantic, hybrid = (_mrr(seed_engine, mode) for mode in ("bm25", "semantic", "hybrid"))
    assert bm25 < 0.8  # BM25 alone misses the English questions: the set tells the sides apart
    assert hybrid >= max(bm25, semantic) - 0.005
    assert hybrid == 1.0


# ------------------------------------------------------------ what the edges say
def test_explain_and_json_show_the_weights_used(seed_index: Path) -> None:
    explained = cli("query", ROMANIZED, "--index", seed_index, "--explain")
    assert explained.exit_code == 0, explained.output
    assert "fused bm25 0.6" in explained.output and "best word match covers 9" in explained.output
    as_json = cli("query", ROMANIZED, "--index", seed_index, "--json")
    first = json.loads(as_json.output.splitlines()[0])
    assert first["id"] == "wikinews-249" and "fused bm25 0.6" in first["evidence"]


def test_a_weight_asked_for_is_the_weight_used(seed_index: Path) -> None:
    result = cli("query", ROMANIZED, "--index", seed_index, "--explain", "--weight", "0.5")
    assert result.exit_code == 0, result.output
    assert "fused bm25 0.50 / semantic 0.50 (fixed weights)" in result.output
