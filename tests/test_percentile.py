"""The benchmarks' one percentile: nearest rank, never one rank high."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from bench.timing import percentile


def test_p95_of_twenty_latencies_is_the_nineteenth_not_the_maximum() -> None:
    latencies_ms = [float(ms) for ms in range(101, 121)]  # 20 requests
    assert percentile(latencies_ms, 0.95) == 119.0
    assert percentile(latencies_ms, 0.50) == 110.0
    assert percentile([], 0.95) == 0.0


@given(st.lists(st.floats(min_value=0, max_value=1e4, allow_nan=False), min_size=1, max_size=300),
       st.sampled_from([0.5, 0.9, 0.95, 0.99]))
def test_it_is_the_value_at_rank_ceil_share_times_n(values: list[float], share: float) -> None:
    rank = max(1, math.ceil(round(share * len(values), 9)))
    assert percentile(values, share) == sorted(values)[rank - 1]
