"""Compatibility names: the vector side is now segments (:mod:`hsearch.index.vector_segments`).

Format 2's generation folders ``vectors/g<N>`` are read as segments; this
module keeps the names other code imported from it.
"""

from __future__ import annotations

from .vector_segments import (SegmentedStore, drop_unreferenced, force_merge, open_store, segment_names,
                              segments_of)

__all__ = ["SegmentedStore", "drop_unreferenced", "force_merge", "open_store", "segment_names", "segments_of"]
