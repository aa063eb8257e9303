"""The one stable 64-bit hash of terms (scoring sidecars' term tables, story shingles).

Python's ``hash`` changes from process to process; BLAKE2b's first 8 bytes,
read little-endian, do not.
"""

from __future__ import annotations

import hashlib


def hash64(data: bytes) -> int:
    """``data``'s stable 64-bit hash."""
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")
