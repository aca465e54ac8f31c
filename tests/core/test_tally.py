"""Tests of the histograms that add up over parts of a table."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from retention.core.tally import Histogram


@given(st.lists(st.lists(st.integers(-50, 50), max_size=20), min_size=1, max_size=4))
def test_histograms_of_parts_add_up_to_the_histogram_of_the_whole(parts: list[list[int]]) -> None:
    total = Histogram.of(np.array([], dtype=np.int64))
    for part in parts:
        total = total + Histogram.of(np.array(part, dtype=np.int64))
    every = np.array([v for part in parts for v in part], dtype=np.int64)
    np.testing.assert_array_equal(total.values(), np.sort(every))
    if len(every):
        assert total.start == every.min()
        assert int(total.counts.sum()) == len(every)
        np.testing.assert_array_equal(total.counts, np.bincount(every - every.min()))
