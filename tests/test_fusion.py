"""Fusion pitfalls, pinned without an index (fusion is pure)."""

from __future__ import annotations

import pytest

from hsearch.index.errors import SettingsError
from hsearch.search.fusion import FusionSettings, Side, fuse, is_latin_query, normalize

BM25 = Side([("kursk", 12.0), ("putin", 7.5), ("seoul", 3.0)], upper=20.0)
DENSE = Side([("putin", 0.91), ("kim", 0.88), ("kursk", 0.80)], upper=1.0)


@pytest.mark.parametrize("method", ["rrf", "minmax", "zscore", "bounded"])
def test_an_empty_side_leaves_the_other_ranking_unchanged(method: str) -> None:
    settings = FusionSettings(method=method)
    assert fuse(Side([], upper=0.0), DENSE, settings) == list(DENSE.ranked)
    assert fuse(BM25, Side([]), settings) == list(BM25.ranked)


def test_a_lone_weak_cosine_is_not_lifted_to_one() -> None:
    assert normalize(Side([("stray", 0.003)], upper=1.0), "minmax") == {"stray": pytest.approx(0.003)}


def test_a_lone_bm25_match_is_scaled_by_the_query_bound_not_to_one() -> None:
    lone = normalize(Side([("only", 4.0)], upper=16.0), "minmax")
    assert lone == {"only": pytest.approx(0.25)}


def test_equal_scores_do_not_divide_by_zero() -> None:
    tied = normalize(Side([("a", 2.0), ("b", 2.0)], upper=8.0), "minmax")
    assert tied == {"a": pytest.approx(0.25), "b": pytest.approx(0.25)}
    assert normalize(Side([("a", 2.0), ("b", 2.0)], upper=8.0), "zscore") == tied


def test_minmax_spreads_a_real_list_from_zero_to_one() -> None:
    spread = normalize(BM25, "minmax")
    assert spread["kursk"] == 1.0 and spread["seoul"] == 0.0
    assert 0.0 < spread["putin"] < 1.0


def test_rrf_puts_the_document_both_sides_like_first() -> None:
    fused = fuse(BM25, DENSE, FusionSettings(method="rrf", weight=0.5))
    assert [doc for doc, _ in fused][:2] == ["putin", "kursk"]
    assert {doc for doc, _ in fused} == {"kursk", "putin", "seoul", "kim"}


def test_rrf_score_follows_cormack_formula() -> None:
    fused = dict(fuse(BM25, DENSE, FusionSettings(method="rrf", rrf_k=60, weight=0.5)))
    assert fused["putin"] == pytest.approx(1 / 62 + 1 / 61)
    assert fused["seoul"] == pytest.approx(1 / 63)


def test_ties_are_broken_by_best_single_side_rank_then_id() -> None:
    left = Side([("b", 1.0), ("a", 0.5)], upper=1.0)
    right = Side([("a", 1.0), ("b", 0.5)], upper=1.0)
    fused = fuse(left, right, FusionSettings(method="minmax", weight=0.5))
    assert fused[0][1] == fused[1][1]
    assert [doc for doc, _ in fused] == ["a", "b"]


def test_weight_one_is_the_semantic_ranking() -> None:
    fused = fuse(BM25, DENSE, FusionSettings(method="minmax", weight=1.0))
    assert [doc for doc, _ in fused][:3] == ["putin", "kim", "kursk"]


def test_latin_queries_use_their_own_weight() -> None:
    settings = FusionSettings(method="minmax", weight=0.0, latin_weight=1.0)
    assert [d for d, _ in fuse(BM25, DENSE, settings, latin=True)][0] == "putin"
    assert [d for d, _ in fuse(BM25, DENSE, settings, latin=False)][0] == "kursk"


def test_latin_script_detection() -> None:
    assert is_latin_query("North Korea Russia support")
    assert not is_latin_query("उत्तर कोरिया रूस समर्थन")
    assert not is_latin_query("NATO और रूस के बीच तनाव")


def test_bad_settings_name_the_choices() -> None:
    with pytest.raises(SettingsError, match="rrf, minmax, zscore, bounded"):
        FusionSettings(method="borda")
    with pytest.raises(SettingsError, match="weight must be between 0 and 1"):
        FusionSettings(weight=1.5)
