"""Sums of floats per group that do not depend on the order of the rows: numpy in, numpy out.

A plain :func:`numpy.bincount` with weights adds in row order, so the same purchases in another order can
give a customer a total that differs in the last bit; a tie at a class or score boundary could then split
differently. Every per-customer or overall amount total that feeds a ranking, a class or a reported mean
goes through :func:`group_sums`, the one implementation of this concept in the library.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
from numpy.typing import NDArray

__all__ = ["group_sums"]

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

# Safety net for group_sums: every level removes at least 2**12 of the remaining magnitude for any
# realistic table, so 100 levels cover the whole float64 range.
_MAX_LEVELS: Final = 100
# Values checked for whole cents at a time (the temporaries of one block stay in the caches).
_BLOCK: Final = 1 << 16


def _whole_cents(values: FloatArray, largest_group: int) -> FloatArray | None:
    """Return the values times 100 when all are whole numbers of cents that add exactly, else None.

    A float is a whole number of cents when it is the float nearest to ``c / 100`` for an integer ``c``
    (it prints with at most two decimals). Sums of such ``c`` are exact while they stay below 2**53.
    """
    cents = np.empty_like(values)
    back = np.empty(min(len(values), _BLOCK), dtype=np.float64)
    # The first block settles the usual case of other floats without a pass over all values.
    with np.errstate(over="ignore"):  # values near the float limit overflow to inf: not cents
        for lo in range(0, len(values), _BLOCK):
            block = values[lo : lo + _BLOCK]
            c = cents[lo : lo + _BLOCK]
            np.multiply(block, 100.0, out=c)
            np.rint(c, out=c)
            b = back[: len(c)]
            np.divide(c, 100.0, out=b)
            if not np.array_equal(b, block):
                return None
    if max(float(cents.max()), -float(cents.min())) * largest_group >= 2.0**53:
        return None
    return cents


def group_sums(
    group: IntArray, values: FloatArray, n_groups: int, *, largest_group: int | None = None
) -> FloatArray:
    r"""Sum ``values`` per group so that the result does not depend on the order of the rows.

    A plain :func:`numpy.bincount` adds the values in row order, so two orders of the same rows can give
    sums that differ in the last bit, and two customers whose totals are equal on paper may tie in one
    order and not in another. Two exact methods avoid that:

    - When every value is a whole number of cents (it prints with at most two decimals, as amounts of
      money do), the values are read as those decimals and their cents added as integers: the sum is the
      decimal total, correctly rounded (``1000.01 - 1000.00`` gives ``0.01``, where the exact sum of the
      two floats is ``0.0099999999999909``). One weighted count instead of two or more.
    - Otherwise every value is split, without error, into slices on a fixed grid (Rump, Ogita and
      Oishi's error-free extraction): the slices of one level are multiples of one power of two and small
      enough that every partial sum of them is exact, in any order. The exact per-group sums of the
      levels are then added from the smallest level up, always in the same order; the result is the
      exact sum of the floats, faithfully rounded.

    Which method applies depends on the whole set of values, never on their order; the two can differ in
    the last bits, so one value with more decimals can move other groups' sums by a unit in the last
    place.

    Parameters
    ----------
    group : numpy.ndarray of int64
        Per value, its group code in ``0 .. n_groups - 1``.
    values : numpy.ndarray of float64
        Finite values. Not modified.
    n_groups : int
        Number of groups.
    largest_group : int, optional
        The number of values in the largest group, if the caller knows it (otherwise it is counted).

    Returns
    -------
    numpy.ndarray of float64
        Per group, the sum (0 for a group without values).

    Notes
    -----
    With $n$ values in the largest group and $M$ the smallest integer with $2^M \ge n + 2$, a level with largest magnitude
    $|p| < 2^e$ uses $\sigma = 2^{e + M}$: $q_i = (\sigma + p_i) - \sigma$ is exact, a multiple of
    $2^{e + M - 53}$, and $|\sum q_i| < \sigma$, so every partial sum is exact; $p_i - q_i$ is exact too
    and at most $2^{e + M - 53}$, the next level's input. :func:`numpy.bincount` adds each group's values
    on their own, so only the size of the largest group matters. Amounts in cents of customers with up to
    a hundred purchases need two levels.

    References
    ----------
    Rump, S. M., Ogita, T. and Oishi, S. (2008). Accurate floating-point summation part I: faithful
    rounding. *SIAM Journal on Scientific Computing* 31(1), 189-224.

    Examples
    --------
    >>> group_sums(np.array([0, 0, 0, 1]), np.array([0.1, 0.2, 0.3, 0.6]), 2)
    array([0.6, 0.6])
    >>> 0.1 + 0.2 + 0.3  # what adding in row order gives
    0.6000000000000001
    >>> group_sums(np.array([0, 0]), np.array([1000.01, -1000.0]), 1)  # whole cents: the decimal total
    array([0.01])
    """
    values = np.asarray(values, dtype=np.float64)
    total = np.zeros(n_groups, dtype=np.float64)
    if len(values) == 0:
        return total
    if largest_group is None:
        largest_group = int(np.bincount(group, minlength=n_groups).max())
    cents = _whole_cents(values, largest_group)
    if cents is not None:
        # Whole numbers of cents add exactly as integers (in float64, below 2**53), in any order; one
        # division rounds the decimal total.
        sums = np.bincount(group, weights=cents, minlength=n_groups).astype(np.float64, copy=False)
        sums /= 100.0
        return sums
    guard = (largest_group + 1).bit_length()  # 2**guard >= largest_group + 2
    rest = values.copy()
    biggest = max(float(rest.max()), -float(rest.min()))
    # Keep sigma finite for amounts near the float64 limit: scaling by a power of two is exact (or, for
    # values that underflow, rounds each value on its own, which does not depend on the order either).
    shift = max(0, math.frexp(biggest)[1] + guard - 1020)
    if shift:
        rest = np.ldexp(rest, -shift)
        biggest = math.ldexp(biggest, -shift)
    parts: list[FloatArray] = []
    high = np.empty_like(rest)
    for _ in range(_MAX_LEVELS):
        if biggest == 0.0:
            break
        sigma = math.ldexp(1.0, math.frexp(biggest)[1] + guard)
        np.add(rest, sigma, out=high)
        np.subtract(high, sigma, out=high)
        parts.append(
            np.bincount(group, weights=high, minlength=n_groups).astype(np.float64, copy=False)
        )
        np.subtract(rest, high, out=rest)
        biggest = max(float(rest.max()), -float(rest.min()))
    else:  # pragma: no cover - unreachable for finite float64 input; keeps the loop bounded regardless
        parts.append(
            np.bincount(group, weights=rest, minlength=n_groups).astype(np.float64, copy=False)
        )
    for part in reversed(parts):
        total += part
    return np.ldexp(total, shift) if shift else total
