"""The versions an index records in its manifest and checks when it is opened.

A light module (no Whoosh, no numpy), so that reading a manifest imports
nothing else: a one-shot query begins reading its vectors before the full
text's modules are imported (search/vector_prefetch.py).
"""

from __future__ import annotations

#: The terms :func:`hsearch.index.analysis.hindi_analyzer` emits.  Bump whenever
#: the terms emitted for some input change: an index built with another version
#: must be rebuilt, or queries will not meet its terms.  hi-2 (issue 15):
#: word-final glide spellings, vowel length and candra-o folded, unit
#: abbreviations (किमी) protected from the stemmer.
ANALYZER_VERSION = "hi-2"

#: The full-text fields of :func:`hsearch.index.schema.build_schema`.
SCHEMA_VERSION = 1
