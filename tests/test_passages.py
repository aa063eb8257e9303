"""Cutting articles into passages for the encoder."""

from __future__ import annotations

from hsearch.index.articles import Article
from hsearch.index.passages import sentences, split_passages
from hsearch.index.settings import PassageSettings

from .conftest import SEED_ARTICLE_ID, SEEDS


def words(text: str) -> int:
    return len(text.split())


def seed() -> Article:
    lines = (SEEDS / f"{SEED_ARTICLE_ID}.txt").read_text(encoding="utf-8").splitlines()
    return Article(id="seed", title=lines[0], body="\n".join(lines[1:]))


def test_sentences_split_on_danda_and_full_stop() -> None:
    assert sentences("किम ने समर्थन दिया। पुतिन ने तारीफ की. क्या?") == ["किम ने समर्थन दिया।", "पुतिन ने तारीफ की.", "क्या?"]


def test_short_article_is_one_passage() -> None:
    article = Article(id="a", title="कुर्स्क", body="उत्तर कोरिया कुर्स्क में सैनिक भेजेगा।")
    assert split_passages(article, words, PassageSettings(max_tokens=50)) == ["कुर्स्क\nउत्तर कोरिया कुर्स्क में सैनिक भेजेगा।"]


def test_long_article_headline_and_lead_first_then_overlapping_windows_within_budget() -> None:
    settings = PassageSettings(max_tokens=60, overlap_sentences=1, lead_sentences=2)
    passages = split_passages(seed(), words, settings)
    assert len(passages) > 3
    assert passages[0].startswith("North Korea Russia Support:")
    assert all(words(p) <= 60 for p in passages)
    last_of_first_window = sentences(passages[1])[-1]
    assert passages[2].startswith(last_of_first_window)  # one sentence of overlap
    assert "कुर्स्क" in " ".join(passages)


def test_a_sentence_longer_than_the_budget_is_cut_into_word_runs() -> None:
    article = Article(id="a", title="", body=" ".join(["समर्थन"] * 50))
    passages = split_passages(article, words, PassageSettings(max_tokens=20))
    assert [words(p) for p in passages] == [20, 20, 10]
