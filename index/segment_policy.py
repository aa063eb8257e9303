"""Which search a vector segment gets, and which segments a commit merges: policy only, no I/O.

:func:`segment_ann` is the one place that maps a segment's size to its kind
of search (exact, or an ANN index re-ranked with exact cosines); a later
kind (fast-scan PQ per segment) goes in here.  :class:`MergePolicy` and
:func:`find_merges` are the tiered merge policy (after Lucene's
TieredMergePolicy) that :mod:`hsearch.index.vector_segments` applies at commit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # settings import this policy, and settings load without the full-text side
    from .manifest import SegmentRef

IVF_MIN_TRAIN = 4096  # below this an IVF index (or a quantizer) has too little to learn from: search exactly
FAST_SCAN = ("pq4", "ivfpq4")  # 4-bit PQ codes read by FAISS's fast scan: all of them, or IVF lists of them
APPROXIMATE = (*FAST_SCAN, "sq8", "ivf", "hnsw")  # every kind with a FAISS index beside the float rows


# --------------------------------------------------------------------------
# Which search a segment gets
# --------------------------------------------------------------------------
def segment_ann(requested: str, passages: int, archive_passages: int, exact_limit: int) -> str:
    """The search kind of one segment: the one place that decides it, by size.

    Segments under :data:`IVF_MIN_TRAIN` passages are searched exactly (a
    quantizer or IVF has too little to learn from, and a scan of them is
    cheap).  ``auto`` keeps every segment exact until the archive passes
    ``exact_limit`` passages, then gives each bigger segment 4-bit fast-scan
    PQ codes, every one scanned, the shortlist re-ranked with exact cosines
    (``pq4``).  Measured on the real vectors of the bench corpus
    (bench/results/ann_fast_scan.md, at 5.6k, 11k and 37k passages) it finds
    what ``sq8`` finds (article Recall@10 0.990 against 0.991 at 37k) from a
    quarter of its bytes, in under half its time; IVF lists of the same codes
    (``ivfpq4``) lose 3 to 8 points of recall there probing half the lists,
    so no size gets them unless asked for.  An explicit kind (``pq4``, ``ivfpq4``, ``sq8``, ``ivf``,
    ``hnsw``) is given to every segment big enough for it.
    """
    if requested == "flat" or passages < IVF_MIN_TRAIN:
        return "flat"
    if requested == "auto":
        return "pq4" if archive_passages > exact_limit else "flat"
    return requested if requested in APPROXIMATE else "flat"


# --------------------------------------------------------------------------
# The merge policy
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class MergePolicy:
    """Tiered merging, after Lucene's TieredMergePolicy, in passages instead of bytes.

    Segments smaller than ``floor_passages`` count as that size; the index may
    hold ``segments_per_tier`` segments of each size tier (tiers grow by
    ``max_merge_at_once``) before the most balanced run of up to
    ``max_merge_at_once`` similar segments is merged; no merge makes a segment
    over ``max_segment_passages`` (which also bounds a merge's memory: its
    rows are read into memory, 1.5 KB a passage at 384 dims); a segment whose
    tombstoned share passes ``deletes_allowed`` is rewritten without them.

    A commit merges only small segments (each at most a tenth of
    ``commit_merge_passages``) into at most ``commit_merge_passages``
    passages (about 38 MB of rows at 384 dims), so that adding a few articles
    never pays for a big merge; bigger merges wait for
    :func:`hsearch.index.vector_segments.merge_pending`, which a background job
    (or ``force_merge``) runs under the write lock while readers keep searching.
    """

    enabled: bool = True
    segments_per_tier: int = 10
    max_merge_at_once: int = 10
    floor_passages: int = 2048
    max_segment_passages: int = 500_000
    commit_merge_passages: int | None = 25_000
    deletes_allowed: float = 0.33
    #: At most this many segments after a commit (the smallest are merged): ``force_merge`` uses 1.
    max_segments: int | None = None


def commit_parts(counts: Sequence[int], policy: MergePolicy) -> list[tuple[int, int]]:
    """How one commit's new articles (passages per article, in order) are cut into segments.

    No merge makes a segment over ``max_segment_passages``, and neither does
    a commit: a bulk load of a million articles is written as segments of
    about equal size under that bound (as Lucene flushes a full buffer as
    its own segment), which keeps each segment's codes small enough to
    train and lets segments be searched side by side.  Returns ``(start,
    stop)`` article ranges; an article is never split.
    """
    total = int(sum(counts))
    bound = policy.max_segment_passages
    if not counts or total <= bound:
        return [(0, len(counts))] if counts else []
    parts = -(-total // bound)
    target = total / parts
    cuts, run, start = [], 0, 0
    for i, count in enumerate(counts):
        if run and (run + count > bound or run >= target and len(cuts) < parts - 1):
            cuts.append((start, i))
            start, run = i, 0
        run += int(count)
    cuts.append((start, len(counts)))
    return cuts


def find_merges(segments: Sequence[SegmentRef], policy: MergePolicy, *, at_commit: bool = False) -> list[list[int]]:
    """Which segments to merge (lists of positions in ``segments``); empty when the index is in budget.

    ``at_commit`` leaves out merges over ``commit_merge_passages`` (they are pending until
    :func:`~hsearch.index.vector_segments.merge_pending` runs).
    """
    ceiling = policy.commit_merge_passages if at_commit and policy.commit_merge_passages else None
    if not policy.enabled or len(segments) < 2 and not any(_too_deleted(s, policy) for s in segments):
        return []
    if policy.max_segments is not None and len(segments) > policy.max_segments:
        smallest = sorted(range(len(segments)), key=lambda i: (segments[i].live_passages, i))
        return [sorted(smallest[:len(segments) - max(policy.max_segments, 1) + 1])]
    floor = max(1, policy.floor_passages)

    def size(i: int) -> int:
        return max(segments[i].live_passages, floor)

    # segments over half the largest merge are left alone, unless they are mostly tombstones
    eligible = sorted((i for i, s in enumerate(segments) if s.live_passages <= policy.max_segment_passages // 2),
                      key=lambda i: (-segments[i].live_passages, i))
    merges: list[list[int]] = []
    if eligible:
        remaining, level, allowed = sum(size(i) for i in eligible), floor, 0.0
        level = max(floor, min(size(i) for i in eligible))
        while True:
            count = remaining / level
            if count < policy.segments_per_tier:
                allowed += math.ceil(count)
                break
            allowed += policy.segments_per_tier
            remaining -= policy.segments_per_tier * level
            level *= policy.max_merge_at_once
        allowed = max(allowed, policy.segments_per_tier)
        candidates = list(eligible)
        while len(candidates) + len(merges) > allowed:
            best: tuple[float, list[int]] | None = None
            for start in range(len(candidates)):
                window: list[int] = []
                total = 0
                for i in candidates[start:]:
                    if len(window) == policy.max_merge_at_once:
                        break
                    if total + segments[i].live_passages > policy.max_segment_passages:
                        continue
                    if ceiling is not None and segments[i].live_passages > ceiling // policy.max_merge_at_once:
                        continue  # at a commit only small segments merge
                    window.append(i)
                    total += segments[i].live_passages
                if len(window) < 2 or (ceiling is not None and total > ceiling):
                    continue
                floored = [size(i) for i in window]
                skew = max(floored) / sum(floored)
                written = sum(segments[i].passages for i in window)
                score = skew * max(total, 1) ** 0.05 * (max(total, 1) / max(written, 1)) ** 2
                if best is None or score < best[0]:
                    best = (score, window)
            if best is None:
                break
            merges.append(sorted(best[1]))
            candidates = [i for i in candidates if i not in best[1]]
    merged = {i for group in merges for i in group}
    merges += [[i] for i, s in enumerate(segments) if i not in merged and _too_deleted(s, policy)
               and (ceiling is None or s.live_passages <= ceiling)]
    return merges


def _too_deleted(segment: SegmentRef, policy: MergePolicy) -> bool:
    return segment.passages > 0 and segment.deleted_passages / segment.passages > policy.deletes_allowed
