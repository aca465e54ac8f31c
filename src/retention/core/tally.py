"""Histograms of integer codes (days, period codes) that add up over disjoint sets of customers.

A metric that sees its customers only through how many fall on each day or period can be computed on the
parts of a table (the partitions of a cluster) and finished from the sum of their histograms: the counts
add up exactly, and the codes can be given back, in order, to the code that counts them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["Histogram"]


@dataclass(frozen=True)
class Histogram:
    """How many values fall on each integer ``start``, ``start + 1``, ...: ``counts[k]`` of ``start + k``.

    Examples
    --------
    >>> h = Histogram.of(np.array([5, 7, 7])) + Histogram.of(np.array([3]))
    >>> h.start, h.counts
    (3, array([1, 0, 1, 0, 2]))
    >>> h.values()
    array([3, 5, 7, 7])
    """

    start: int
    counts: NDArray[np.int64]

    @classmethod
    def of(cls, values: NDArray[np.int64]) -> Histogram:
        """Count integer values (any order)."""
        start = int(values.min()) if len(values) else 0
        return cls(start, np.bincount(values - start).astype(np.int64))

    def __add__(self, other: Histogram) -> Histogram:
        """Add the counts of two histograms."""
        if not len(other.counts):
            return self
        if not len(self.counts):
            return other
        start = min(self.start, other.start)
        end = max(self.start + len(self.counts), other.start + len(other.counts))
        counts = np.zeros(end - start, dtype=np.int64)
        for h in (self, other):
            counts[h.start - start : h.start - start + len(h.counts)] += h.counts
        return Histogram(start, counts)

    def values(self) -> NDArray[np.int64]:
        """Return every value as many times as it was counted, in ascending order."""
        codes = np.arange(self.start, self.start + len(self.counts), dtype=np.int64)
        return np.repeat(codes, self.counts)
