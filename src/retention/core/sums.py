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

# The fixed grid of the exact float sums: a level holds the bits of every value between two fixed powers
# of two, 53 - _GUARD bits apart, so that a group's level sums depend on that group's values alone. _GUARD
# spare bits keep every partial sum of a level exact for groups of up to 2**_GUARD - 2 values.
_GUARD: Final = 31
# Values checked for whole cents at a time (the temporaries of one block stay in the caches).
_BLOCK: Final = 1 << 16
# Cents add exactly as integers in float64 while every partial sum stays below this.
_EXACT_INTEGERS: Final = 2.0**53


def _cents(values: FloatArray) -> tuple[FloatArray, NDArray[np.bool_]]:
    """Return the values times 100, rounded, and whether each value is a whole number of cents.

    A float is a whole number of cents when it is the float nearest to ``c / 100`` for an integer ``c``
    (it prints with at most two decimals).
    """
    cents = np.empty_like(values)
    whole = np.empty(len(values), dtype=np.bool_)
    back = np.empty(min(len(values), _BLOCK), dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):  # values near the float limit: not cents
        for lo in range(0, len(values), _BLOCK):
            block = values[lo : lo + _BLOCK]
            c = cents[lo : lo + _BLOCK]
            np.multiply(block, 100.0, out=c)
            np.rint(c, out=c)
            b = back[: len(c)]
            np.divide(c, 100.0, out=b)
            np.equal(b, block, out=whole[lo : lo + _BLOCK])
    return cents, whole


def _two_sum(a: FloatArray, b: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Knuth's TwoSum: ``a + b`` rounded and its exact rounding error, element by element."""
    s = a + b
    v = s - a
    return s, (a - (s - v)) + (b - v)


def _float_sums(group: IntArray, values: FloatArray, n_groups: int, guard: int) -> FloatArray:
    """Exact per-group sums of floats on the fixed grid of ``guard`` spare bits, smallest level first."""
    width = 53 - guard
    top_limit = 1023 - guard
    rest = values.copy()
    biggest = max(float(rest.max()), -float(rest.min()))
    if biggest == 0.0:
        return np.zeros(n_groups, dtype=np.float64)
    # The first level is the one with the smallest top at least one bit above the largest value: a level
    # above a value's top bit then takes nothing from it (its slice would round to zero), so every group's
    # level sums are those of its values alone, whatever the other groups hold.
    exponent = math.frexp(biggest)[1] + 1  # biggest < 2**(exponent - 1)
    # Values near the float limit are scaled down by whole levels, which keeps the grid (exact, unless
    # subnormal values of the same table lose bits).
    shift = max(0, -(-(exponent - top_limit) // width) * width)
    exponent -= shift
    top = top_limit - ((top_limit - exponent) // width) * width
    if shift:
        rest = np.ldexp(rest, -shift)
    parts: list[FloatArray] = []
    high = np.empty_like(rest)
    for _ in range(
        (top_limit + 1075) // width + 2
    ):  # enough for every float: the loop always breaks
        sigma = math.ldexp(1.0, top + guard)
        np.add(rest, sigma, out=high)
        np.subtract(high, sigma, out=high)
        parts.append(
            np.bincount(group, weights=high, minlength=n_groups).astype(np.float64, copy=False)
        )
        np.subtract(rest, high, out=rest)
        if not rest.any():
            break
        top -= width
    # The level sums are exact; add them from the smallest level up with TwoSum, carrying the rounding
    # errors (Ogita, Rump and Oishi's Sum2), so that cancelling levels lose nothing that matters.
    total = parts[-1]
    error = np.zeros(n_groups, dtype=np.float64)
    for part in reversed(parts[:-1]):
        total, e = _two_sum(total, part)
        error += e
    total = total + error
    return np.ldexp(total, shift) if shift else total


def group_sums(
    group: IntArray, values: FloatArray, n_groups: int, *, largest_group: int | None = None
) -> FloatArray:
    r"""Sum ``values`` per group, each group's sum depending on that group's values alone, in any order.

    A plain :func:`numpy.bincount` adds the values in row order, so two orders of the same rows can give
    sums that differ in the last bit, and two customers whose totals are equal on paper may tie in one
    order and not in another. Here each group is summed by one of two exact methods, chosen from that
    group's values alone:

    - When every value of the group is a whole number of cents (it prints with at most two decimals, as
      amounts of money do), the values are read as those decimals and their cents added as integers: the
      sum is the decimal total, correctly rounded (``1000.01 - 1000.00`` gives ``0.01``, where the exact
      sum of the two floats is ``0.0099999999999909``).
    - Otherwise every value is split, without error, into slices on a fixed grid (Rump, Ogita and
      Oishi's error-free extraction): the slices of one level are multiples of one fixed power of two and
      small enough that every partial sum of them is exact, in any order. The exact level sums are then
      added from the smallest level up with TwoSum (Ogita, Rump and Oishi's Sum2); the result is the
      exact sum of the floats, faithfully rounded.

    Since neither the method nor the grid depends on other groups, a group's sum is the same whether it
    is computed with the other groups or alone: a customer's total does not move when another customer's
    purchase is added, and the sums of a breakdown's groups equal those of each group's table alone.

    Parameters
    ----------
    group : numpy.ndarray of int64
        Per value, its group code in ``0 .. n_groups - 1``.
    values : numpy.ndarray of float64
        Finite values. Not modified.
    n_groups : int
        Number of groups.
    largest_group : int, optional
        The number of values in the largest group, or a bound on it, if the caller knows one (otherwise
        the number of values bounds it). Only speed depends on it, never the sums.

    Returns
    -------
    numpy.ndarray of float64
        Per group, the sum (0 for a group without values).

    Notes
    -----
    The grid has levels of $W = 53 - G$ bits with $G = 31$ guard bits: level $j$ takes from each value the
    multiple of $2^{t_j - W}$ nearest to what the levels above left, $q_i = (\sigma_j + p_i) - \sigma_j$
    with $\sigma_j = 2^{t_j + G}$ and fixed tops $t_j = 992 - jW$ (Rump, Ogita and Oishi's ExtractVector with
    a fixed rather than a data-driven $\sigma$). Every $|p_i| < 2^{t_j}$, so the sum of up to $2^G - 2$
    slices is exact in any order; :func:`numpy.bincount` adds each group's values on their own, so only
    the size of each group matters. The first level is the lowest with $t_j$ at least one bit above the
    largest value; a level above a value's top bit then gives it a zero slice ($|p_i| < 2^{t_j - W - 1}$,
    half the level's unit), so the levels a group's values see do not depend on the other groups. Groups of $2^{31} - 1$ values or more (more than one machine holds) are summed on a grid
    with more guard bits, which then depends on the size of the largest group.

    References
    ----------
    Rump, S. M., Ogita, T. and Oishi, S. (2008). Accurate floating-point summation part I: faithful
    rounding. *SIAM Journal on Scientific Computing* 31(1), 189-224.

    Ogita, T., Rump, S. M. and Oishi, S. (2005). Accurate sum and dot product. *SIAM Journal on
    Scientific Computing* 26(6), 1955-1988.

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
        # The number of values bounds the largest group; counting is needed only for tables of more
        # than 2**31 - 2 values (the guard) or when the bound is too coarse for the cents (below).
        largest_group = len(values)
        if n_groups > 1 and largest_group >= 2**_GUARD - 1:
            largest_group = int(np.bincount(group, minlength=n_groups).max())
    # Groups beyond 2**31 - 2 values (more than one machine holds) need a wider guard.
    guard = max(_GUARD, (largest_group + 1).bit_length())
    cents, whole = _cents(values)
    if whole.all():
        by_cents = np.ones(n_groups, dtype=np.bool_)
    else:
        by_cents = np.bincount(group[~whole], minlength=n_groups) == 0
    if by_cents.any():
        # A group adds as cents when its values are whole cents whose sums stay exact integers.
        counted = cents if by_cents.all() else cents[by_cents[group]]
        if (
            max(float(counted.max(initial=0.0)), -float(counted.min(initial=0.0))) * largest_group
            >= _EXACT_INTEGERS
        ):
            peak = np.zeros(n_groups, dtype=np.float64)
            np.maximum.at(peak, group, np.abs(np.where(whole, cents, 0.0)))
            sizes = np.bincount(group, minlength=n_groups)
            by_cents &= peak * sizes < _EXACT_INTEGERS
    if by_cents.all():
        total = np.bincount(group, weights=cents, minlength=n_groups).astype(np.float64, copy=False)
        total /= 100.0
        return total
    in_cents = by_cents[group]
    if not in_cents.any():  # every value is in a group added as floats
        return _float_sums(group, values, n_groups, guard)
    if by_cents.any():
        total = np.bincount(group[in_cents], weights=cents[in_cents], minlength=n_groups).astype(
            np.float64, copy=False
        )
        total /= 100.0
    in_floats = ~in_cents
    floats = _float_sums(group[in_floats], values[in_floats], n_groups, guard)
    return np.where(by_cents, total, floats)
