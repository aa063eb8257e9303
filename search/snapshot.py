"""What one query reads, opened from one manifest: the full text, the vectors, the key table, the stories.

As Lucene's ``SearcherManager``: a :class:`Snapshot` is never changed; when a
writer commits (its manifest is replaced by rename), the engine opens a new
snapshot *following* the old one -- unchanged Whoosh segments, scoring
sidecars, field-length tables and the query encoder are shared -- and swaps
it in before the next query.  A query holds one snapshot from start to end,
so it never mixes two commits: both sides come from the generations one
manifest names, and deleted articles vanish from every mode, from stored
fields, from ``similar`` and from story copies at the same moment.

Derived tables (the romanized key table, the story table, the learned site chrome) are written just
after the manifest's switch; a snapshot reads them when it first needs them.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from hsearch.index import layout, vector_segments
from hsearch.index.boilerplate import Boilerplate
from hsearch.index import manifest as manifest_io
from hsearch.index.encoders import Encoder
from hsearch.index.errors import IndexNotFoundError
from hsearch.index.manifest import Manifest
from hsearch.index.model_spec import ModelSpec
from hsearch.index.stories import StoryTable
from hsearch.index.whoosh_compat import GenerationGone

from .expansion import Expander, ExpansionSettings
from .fulltext import FullTextSearcher
from .semantic import SemanticSearcher

if TYPE_CHECKING:
    from .vector_prefetch import VectorPrefetch

EncoderSource = Callable[[ModelSpec], Encoder]  # the query encoder for a model (a server shares one per model)
Stamp = tuple[int, int, int]  # the manifest file's inode, mtime and size: it is replaced by rename at each commit
#: How long opening a snapshot waits for the manifest to name a full-text generation that still exists.
OPEN_PATIENCE_S = 0.3


def manifest_stamp(index_dir: Path) -> Stamp:
    """One ``stat`` of the manifest: cheap enough to check before every query."""
    try:
        info = os.stat(layout.manifest_path(index_dir))
    except FileNotFoundError:
        manifest_io.load(index_dir)  # raises the library's own message
        raise IndexNotFoundError(f"no hsearch index at {index_dir}") from None
    return info.st_ino, info.st_mtime_ns, info.st_size


@dataclass(frozen=True)
class SnapshotSettings:
    """How a snapshot opens its sides (see :class:`hsearch.search.engine.SearchSettings`)."""

    preload: bool = False
    expansion: ExpansionSettings = ExpansionSettings()


@dataclass(eq=False)
class Snapshot:
    """The index as one manifest describes it.  Build with :func:`open_snapshot`; never mutated after.

    The key table and the story table are read at the first query that needs
    them (their fields are caches of files, not of queries).
    """

    index_dir: Path
    manifest: Manifest
    stamp: Stamp
    fulltext: FullTextSearcher
    semantic: SemanticSearcher | None
    settings: SnapshotSettings
    _expander: Expander | None = field(default=None, repr=False)
    _stories: StoryTable | None = field(default=None, repr=False)
    _boilerplate: Boilerplate | None = field(default=None, repr=False)

    @property
    def expander(self) -> Expander:
        if self._expander is None:
            from hsearch.index.keytable import KeyTable

            self._expander = Expander(KeyTable.open(self.index_dir, keys_in_memory=self.settings.preload),
                                     self.settings.expansion)
        return self._expander

    @property
    def stories(self) -> StoryTable:
        """Article id -> story id."""
        if self._stories is None:
            self._stories = StoryTable.load(self.index_dir)
        return self._stories

    @property
    def boilerplate(self) -> Boilerplate:
        """The site-chrome lines learned per source (left out of snippets and of the reading view)."""
        if self._boilerplate is None:
            self._boilerplate = Boilerplate.load(self.index_dir)
        return self._boilerplate

    def reading_text(self, stored: dict[str, object]) -> str:
        """An article's body without its site's chrome lines (stored whole, shown without them)."""
        return self.boilerplate.content(str(stored.get("body") or ""), str(stored.get("source") or ""))

    def release(self) -> None:
        """Close what this snapshot alone holds (the key table); the full text is closed by the engine."""
        if self._expander is not None:
            self._expander.table.close()
            self._expander = None


def open_snapshot(index_dir: Path, settings: SnapshotSettings, *, encoder: Encoder | None = None,
                  previous: Snapshot | None = None, encoder_for: EncoderSource | None = None,
                  prefetched: VectorPrefetch | None = None) -> Snapshot:
    """The index as its current manifest describes it, sharing what ``previous`` already opened.

    Whoosh removes a commit's table of contents when the next one lands, so
    the generation a manifest names can be gone: a writer is between its
    full-text commit and its manifest's switch (the manifest is read again,
    for at most :data:`OPEN_PATIENCE_S`), or it died there, leaving the vector
    side behind until ``verify --repair``.  Then the latest full text is
    opened: it is the index of record.  Likewise a vector segment that a later
    commit merged away: the newer manifest is read and both sides opened again.
    """
    deadline = time.monotonic() + OPEN_PATIENCE_S
    while True:
        stamp = manifest_stamp(index_dir)
        built = manifest_io.load(index_dir)
        chosen = _encoder(built, encoder, previous, encoder_for)
        try:
            pinned = built.fulltext_generation if built.fulltext_generation >= 0 else None  # -1: not recorded
            return _open(index_dir, settings, built, stamp, chosen, previous, pinned, prefetched=prefetched)
        except (GenerationGone, vector_segments.SegmentsGone):
            if time.monotonic() > deadline:  # a crash left the manifest behind: the latest of each side
                return _open(index_dir, settings, built, stamp, chosen, previous, None, exact=False,
                             prefetched=prefetched)
            time.sleep(0.05)


def _encoder(built: Manifest, given: Encoder | None, previous: Snapshot | None,
             encoder_for: EncoderSource | None) -> Encoder | None:
    """The query encoder for ``built``'s model: given, shared with the previous snapshot, or from ``encoder_for``.

    None lets the semantic side load its own at the first query that needs it.
    """
    if built.model is None:
        return None
    if given is not None:
        return given
    if previous is not None and previous.semantic is not None and previous.semantic.spec == built.model \
            and previous.semantic.loaded_encoder is not None:
        return previous.semantic.loaded_encoder
    return encoder_for(built.model) if encoder_for is not None else None


def _open(index_dir: Path, settings: SnapshotSettings, built: Manifest, stamp: Stamp,
          encoder: Encoder | None, previous: Snapshot | None, generation: int | None, *, exact: bool = True,
          prefetched: VectorPrefetch | None = None) -> Snapshot:
    """Both sides as ``built`` names them; the vectors first, since following the full text closes what
    the previous snapshot alone held (nothing may fail after it)."""
    semantic = None
    if built.model is not None:
        # an engine that answers many queries maps the vectors now, from this manifest exactly
        store = vector_segments.open_store(index_dir, built, exact=exact, compiled=True) if settings.preload \
            else None
        semantic = SemanticSearcher(index_dir, built, encoder, fast_queries=settings.preload, store=store,
                                    prefetched=None if settings.preload else prefetched)
    if previous is not None:
        fulltext = previous.fulltext.following(generation)
    else:
        fulltext = FullTextSearcher(index_dir, generation=generation, length_tables=settings.preload,
                                    compiled=settings.preload)
    return Snapshot(index_dir, built, stamp, fulltext, semantic, settings)
