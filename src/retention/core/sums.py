"""Sums of floats per group that do not depend on the order of the rows: numpy in, numpy out.

A plain :func:`numpy.bincount` with weights adds in row order, so the same purchases in another order can
give a customer a total that differs in the last bit; a tie at a class or score boundary could then split
differently. Every per-customer or overall amount total that feeds a ranking, a class or a reported mean
goes through :func:`group_sums`, the one implementation of this concept in the library.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

from retention.core.arrays import FloatArray, IntArray
from retention.core.parallel import bincount, map_runs

__all__ = [
    "Partials",
    "Piece",
    "add_partials",
    "group_sums",
    "group_sums_of",
    "partial_sums",
    "scatter_partials",
    "sums_of_partials",
    "take_partials",
]

Piece = tuple[IntArray | None, FloatArray]
"""Values and their group codes (None: all in group 0), one of the pieces :func:`group_sums_of` adds."""

# The fixed grid of the exact float sums: a level holds the bits of every value between two fixed powers
# of two, 53 - _GUARD bits apart, so that a group's level sums depend on that group's values alone. _GUARD
# spare bits keep every partial sum of a level exact for groups of up to 2**_GUARD - 2 values.
_GUARD: Final = 31
# Values checked for whole cents at a time (the temporaries of one block stay in the caches).
_BLOCK: Final = 1 << 16
# Cents add exactly as integers in float64 while every partial sum stays below this.
_EXACT_INTEGERS: Final = 2.0**53


def _cents(values: FloatArray, *, overwrite: bool = False) -> tuple[FloatArray, NDArray[np.bool_]]:
    """Return the values times 100, rounded, and whether each value is a whole number of cents.

    A float is a whole number of cents when it is the float nearest to ``c / 100`` for an integer ``c``
    (it prints with at most two decimals). The cents are meant only where the value is whole. With
    ``overwrite``, they are written into ``values`` itself there (the other values stay as they are; a
    whole value is its cents / 100, exactly: see :func:`_restored`), and no new array is made.
    """
    cents = values if overwrite else np.empty_like(values)
    whole = np.empty(len(values), dtype=np.bool_)

    def run(start: int, stop: int) -> None:  # a run of rows on a thread, block by block
        back = np.empty(min(stop - start, _BLOCK), dtype=np.float64)
        rounded = np.empty(len(back) if overwrite else 0, dtype=np.float64)
        with np.errstate(over="ignore", invalid="ignore"):  # values near the float limit: not cents
            for lo in range(start, stop, _BLOCK):
                hi = min(lo + _BLOCK, stop)
                block, b, w = values[lo:hi], back[: hi - lo], whole[lo:hi]
                c = rounded[: hi - lo] if overwrite else cents[lo:hi]
                _round_cents(block, c, b, w)
                if overwrite:
                    np.copyto(block, c, where=w)

    map_runs(run, len(values))
    return cents, whole


def _round_cents(
    values: FloatArray, cents: FloatArray, back: FloatArray, whole: NDArray[np.bool_]
) -> None:
    """Write the values times 100, rounded, into ``cents`` and whether each is whole into ``whole``.

    ``back``: scratch of the same length. Call under ``np.errstate(over="ignore", invalid="ignore")``.
    """
    np.multiply(values, 100.0, out=cents)
    np.rint(cents, out=cents)
    np.divide(cents, 100.0, out=back)
    np.equal(back, values, out=whole)


def _cents_total(values: FloatArray) -> tuple[float, float] | None:
    """Return the total of values in whole cents and their largest magnitude, in cents; None if one is not.

    Block by block on threads, without an array of the cents: for a grand total. The total is exact
    when the largest magnitude times the number of values is below 2**53 (every partial sum an integer
    that float64 holds); the caller checks that.
    """

    def run(start: int, stop: int) -> tuple[float, float] | None:
        n = min(stop - start, _BLOCK)
        cents, back, whole = np.empty(n), np.empty(n), np.empty(n, dtype=np.bool_)
        total = peak = 0.0
        with np.errstate(over="ignore", invalid="ignore"):
            for lo in range(start, stop, _BLOCK):
                hi = min(lo + _BLOCK, stop)
                c = cents[: hi - lo]
                _round_cents(values[lo:hi], c, back[: hi - lo], whole[: hi - lo])
                if not whole[: hi - lo].all():
                    return None
                total += float(np.sum(c))
                peak = max(peak, float(c.max()), -float(c.min()))
        return total, peak

    runs = map_runs(run, len(values))
    found = [r for r in runs if r is not None]
    if len(found) < len(runs):
        return None
    return sum(total for total, _ in found), max(peak for _, peak in found)


def _restored(cents: FloatArray, whole: NDArray[np.bool_]) -> FloatArray:
    """Return the values that :func:`_cents` overwrote: cents / 100 where whole (exactly the value), else as is."""
    return np.where(whole, cents / 100.0, cents)


def _two_sum(a: FloatArray, b: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Knuth's TwoSum: ``a + b`` rounded and its exact rounding error, element by element."""
    s = a + b
    v = s - a
    return s, (a - (s - v)) + (b - v)


def _tally(group: IntArray | None, n_groups: int, values: FloatArray) -> FloatArray:
    """Add ``values`` per group (``group`` None: all in group 0), in the order of the rows.

    Callers pass only values whose partial sums are exact in any order (whole cents, or the slices of one
    level of the grid), so the order does not show in the result.
    """
    if group is None:
        total = np.zeros(n_groups, dtype=np.float64)
        total[0] = np.sum(values)
        return total
    # On threads, each run of rows tallied on its own and the runs added: exact, as every partial sum is.
    return bincount(group, weights=values, minlength=n_groups).astype(np.float64, copy=False)


def _cents_tallies(pieces: Iterable[Piece], n_groups: int) -> FloatArray:
    """Per group, the total of the pieces' whole cents: each piece's tally added into the first one's.

    Exact in any order (whole cents, every partial sum an exact integer); the tallies are made one piece
    at a time and added in place, not into new tables. Adding 0.0 at the end gives a total of -0.0 (a
    single value -0.0) as +0.0, as a sum starting from 0.0 does.
    """
    total: FloatArray | None = None
    for group, cents in pieces:
        tally = _tally(group, n_groups, cents)
        if total is None:
            total = tally
        else:
            total += tally
    if total is None:
        return np.zeros(n_groups, dtype=np.float64)
    total += 0.0
    return total


def _count(group: IntArray | None, n_groups: int, n_values: int) -> IntArray:
    """Count values per group (``group`` None: ``n_values`` in group 0)."""
    if group is None:
        counts = np.zeros(n_groups, dtype=np.int64)
        counts[0] = n_values
        return counts
    return bincount(group, minlength=n_groups).astype(np.int64, copy=False)


def _select(group: IntArray | None, mask: NDArray[np.bool_]) -> IntArray | None:
    return None if group is None else group[mask]


def _levels(pieces: list[Piece], n_groups: int, guard: int) -> tuple[int, list[FloatArray], int]:
    """Split the values onto the fixed grid of ``guard`` spare bits and add each level's slices per group.

    Returns the number of the first level (level ``j`` has its top at ``1023 - guard - j * (53 - guard)``),
    the exact level sums from that level down, and the power of two the values were scaled down by.
    """
    width = 53 - guard
    top_limit = 1023 - guard
    pieces = [(g, v) for g, v in pieces if len(v)]
    rests = [v.copy() for _, v in pieces]
    biggest = max((max(float(r.max()), -float(r.min())) for r in rests), default=0.0)
    if biggest == 0.0:
        return 0, [], 0
    # The first level is the one with the smallest top at least one bit above the largest value: a level
    # above a value's top bit then takes nothing from it (its slice would round to zero), so every group's
    # level sums are those of its values alone, whatever the other groups hold.
    exponent = math.frexp(biggest)[1] + 1  # biggest < 2**(exponent - 1)
    # Values near the float limit are scaled down by whole levels, which keeps the grid (exact, unless
    # subnormal values of the same table lose bits).
    shift = max(0, -(-(exponent - top_limit) // width) * width)
    exponent -= shift
    first = (top_limit - exponent) // width
    top = top_limit - first * width
    if shift:
        rests = [np.ldexp(r, -shift) for r in rests]
    parts: list[FloatArray] = []
    highs = [np.empty_like(r) for r in rests]
    for _ in range(
        (top_limit + 1075) // width + 2
    ):  # enough for every float: the loop always breaks
        sigma = math.ldexp(1.0, top + guard)
        level = np.zeros(n_groups, dtype=np.float64)
        for (group, _), rest, high in zip(pieces, rests, highs, strict=True):
            np.add(rest, sigma, out=high)
            np.subtract(high, sigma, out=high)
            # A level's partial sums are exact: the pieces' sums add up exactly too.
            level += _tally(group, n_groups, high)
            np.subtract(rest, high, out=rest)
        parts.append(level)
        if not any(r.any() for r in rests):
            break
        top -= width
    return first, parts, shift


def _add_levels(parts: list[FloatArray], shift: int, n_groups: int) -> FloatArray:
    """Add exact level sums, largest level first in ``parts``, to one faithfully rounded sum per group."""
    if not parts:
        return np.zeros(n_groups, dtype=np.float64)
    # The level sums are exact; add them from the smallest level up with TwoSum, carrying the rounding
    # errors (Ogita, Rump and Oishi's Sum2), so that cancelling levels lose nothing that matters.
    total = parts[-1]
    error = np.zeros(n_groups, dtype=np.float64)
    for part in reversed(parts[:-1]):
        total, e = _two_sum(total, part)
        error += e
    total = total + error
    return np.ldexp(total, shift) if shift else total


def _float_sums(pieces: list[Piece], n_groups: int, guard: int) -> FloatArray:
    """Exact per-group sums of floats on the fixed grid of ``guard`` spare bits, smallest level first."""
    _, parts, shift = _levels(pieces, n_groups, guard)
    return _add_levels(parts, shift, n_groups)


def _counts(pieces: list[Piece], n_groups: int) -> IntArray:
    """Count the values of every piece per group."""
    counts = np.zeros(n_groups, dtype=np.int64)
    for g, v in pieces:
        counts += _count(g, n_groups, len(v))
    return counts


def _groups_in_cents(
    pieces: list[Piece],
    cents_whole: list[tuple[FloatArray, NDArray[np.bool_]]],
    n_groups: int,
    largest_group: int,
) -> NDArray[np.bool_]:
    """Per group, whether it adds as cents: all its values whole cents, their sums exact integers."""
    if all(whole.all() for _, whole in cents_whole):
        by_cents = np.ones(n_groups, dtype=np.bool_)
    else:
        by_cents = np.ones(n_groups, dtype=np.bool_)
        for (g, _), (_, whole) in zip(pieces, cents_whole, strict=True):
            by_cents &= _count(_select(g, ~whole), n_groups, int(np.count_nonzero(~whole))) == 0
    if not by_cents.any():
        return by_cents
    counted = [
        c if by_cents.all() else (c if by_cents[0] else c[:0]) if g is None else c[by_cents[g]]
        for (g, _), (c, _) in zip(pieces, cents_whole, strict=True)
    ]
    biggest = max(max(float(c.max(initial=0.0)), -float(c.min(initial=0.0))) for c in counted)
    if biggest * largest_group >= _EXACT_INTEGERS:
        peak = np.zeros(n_groups, dtype=np.float64)
        for (g, _), (c, whole) in zip(pieces, cents_whole, strict=True):
            magnitude = np.abs(np.where(whole, c, 0.0))
            if g is None:
                peak[0] = max(peak[0], float(magnitude.max()))
            else:
                np.maximum.at(peak, g, magnitude)
        by_cents &= peak * _counts(pieces, n_groups) < _EXACT_INTEGERS
    return by_cents


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
    return group_sums_of([(group, values)], n_groups, largest_group=largest_group)


def group_sums_of(
    pieces: Sequence[Piece],
    n_groups: int,
    *,
    largest_group: int | None = None,
    overwrite: bool = False,
) -> FloatArray:
    """Sum values given in pieces per group: :func:`group_sums` of the pieces put end to end.

    The same sums, to the last bit, without putting the pieces together (purchases and returns, say, which
    would take a table-sized copy). A piece is ``(group, values)``; ``group`` None puts every value of the
    piece in group 0 (for a grand total, without an array of zeros).

    Parameters
    ----------
    pieces : sequence of (numpy.ndarray of int64 or None, numpy.ndarray of float64)
        The group codes and the values of each piece.
    n_groups : int
        Number of groups (>= 1 when a piece has ``group`` None).
    largest_group : int, optional
        A bound on the number of values of the largest group, over all pieces (as in
        :func:`group_sums`).
    overwrite : bool, default False
        Whether the values' arrays may be overwritten (scratch arrays of the caller, float64 and
        writeable): the values in whole cents are then rounded to cents in place, and no table-sized
        array of cents is made. The sums are the same.

    Returns
    -------
    numpy.ndarray of float64
        Per group, the sum of its values in every piece.

    Examples
    --------
    >>> purchases = (np.array([0, 1, 0]), np.array([10.0, 5.5, 0.1]))
    >>> returns = (np.array([0]), np.array([-0.1]))
    >>> group_sums_of([purchases, returns], 2)
    array([10. ,  5.5])
    >>> group_sums_of([(None, np.array([0.1, 0.2])), (None, np.array([0.3]))], 1)
    array([0.6])
    """
    read = [(g, np.asarray(v, dtype=np.float64)) for g, v in pieces]
    read = [(g, v) for g, v in read if len(v)]
    if not read:
        return np.zeros(n_groups, dtype=np.float64)
    if largest_group is None:
        # The number of values bounds the largest group; counting is needed only for tables of more
        # than 2**31 - 2 values (the guard) or when the bound is too coarse for the cents (below).
        largest_group = sum(len(v) for _, v in read)
        if n_groups > 1 and largest_group >= 2**_GUARD - 1:
            largest_group = int(_counts(read, n_groups).max())
    # Groups beyond 2**31 - 2 values (more than one machine holds) need a wider guard.
    guard = max(_GUARD, (largest_group + 1).bit_length())
    if all(g is None for g, _ in read):
        # A grand total: when every value is whole cents and every partial sum exact, added block by
        # block without an array of the cents (the same total as below, an exact integer).
        found = [_cents_total(v) for _, v in read]
        if all(f is not None for f in found):
            totals = [f for f in found if f is not None]
            if max(peak for _, peak in totals) * largest_group < _EXACT_INTEGERS:
                grand = np.zeros(n_groups, dtype=np.float64)
                grand[0] = sum(total for total, _ in totals) + 0.0
                grand /= 100.0
                return grand
    cents_whole = [_cents(v, overwrite=overwrite) for _, v in read]
    by_cents = _groups_in_cents(read, cents_whole, n_groups, largest_group)
    if by_cents.all():
        # Whole cents add exactly as integers: the pieces' sums add up exactly too.
        total = _cents_tallies(
            ((g, c) for (g, _), (c, _) in zip(read, cents_whole, strict=True)), n_groups
        )
        total /= 100.0
        return total
    if overwrite:  # the values as given, for the groups added as floats
        read = [(g, _restored(c, w)) for (g, _), (c, w) in zip(read, cents_whole, strict=True)]
    in_cents = [np.full(len(v), bool(by_cents[0])) if g is None else by_cents[g] for g, v in read]
    if not any(ic.any() for ic in in_cents):  # every value is in a group added as floats
        return _float_sums(read, n_groups, guard)
    if by_cents.any():
        total = _cents_tallies(
            (
                (_select(g, ic), c[ic])
                for (g, _), (c, _), ic in zip(read, cents_whole, in_cents, strict=True)
            ),
            n_groups,
        )
        total /= 100.0
    floats = _float_sums(
        [(_select(g, ~ic), v[~ic]) for (g, v), ic in zip(read, in_cents, strict=True)],
        n_groups,
        guard,
    )
    return np.where(by_cents, total, floats)


@dataclass(frozen=True)
class Partials:
    """Exact per-group partial sums that add up across disjoint sets of values.

    The tallies of a table split into parts (the partitions of a cluster): :func:`partial_sums` of each
    part, added with :func:`add_partials`, give with :func:`sums_of_partials` the sums that
    :func:`group_sums_of` gives for the whole table, to the last bit. Each group keeps what decides its
    method and its value: whether all its values are whole cents and their cents total (with the largest
    and the number of values, which bound that total), and its exact sums on each level of the fixed grid.

    Attributes
    ----------
    whole : numpy.ndarray of bool
        Per group, whether every value is a whole number of cents.
    cents : numpy.ndarray of float64
        Per group, the total of the whole-cent values in cents (an exact integer).
    peak : numpy.ndarray of float64
        Per group, the largest magnitude of a whole-cent value, in cents.
    count : numpy.ndarray of int64
        Per group, the number of values.
    levels : dict of int to numpy.ndarray of float64
        Per level of the grid (numbered from the top), the exact per-group sums of the values' slices.
    """

    whole: NDArray[np.bool_]
    cents: FloatArray
    peak: FloatArray
    count: IntArray
    levels: dict[int, FloatArray]


def partial_sums(pieces: Sequence[Piece], n_groups: int) -> Partials:
    """Return the exact partial sums of values given in pieces per group (see :class:`Partials`).

    Parameters
    ----------
    pieces : sequence of (numpy.ndarray of int64 or None, numpy.ndarray of float64)
        As for :func:`group_sums_of`. Values must be below about ``2**990`` in magnitude.
    n_groups : int
        Number of groups.

    Returns
    -------
    Partials

    Examples
    --------
    >>> a = partial_sums([(None, np.array([0.1, 0.2]))], 1)
    >>> b = partial_sums([(None, np.array([0.3]))], 1)
    >>> sums_of_partials(add_partials(a, b))
    array([0.6])
    """
    read = [(g, np.asarray(v, dtype=np.float64)) for g, v in pieces]
    read = [(g, v) for g, v in read if len(v)]
    whole = np.ones(n_groups, dtype=np.bool_)
    cents = np.zeros(n_groups, dtype=np.float64)
    peak = np.zeros(n_groups, dtype=np.float64)
    for g, v in read:
        c, w = _cents(v)
        whole &= _count(_select(g, ~w), n_groups, int(np.count_nonzero(~w))) == 0
        c = np.where(w, c, 0.0)
        cents += _tally(g, n_groups, c)
        magnitude = np.abs(c)
        if g is None:
            peak[0] = max(peak[0], float(magnitude.max()))
        else:
            np.maximum.at(peak, g, magnitude)
    first, parts, shift = _levels(read, n_groups, _GUARD)
    if shift:  # pragma: no cover - amounts are far below the float limit
        msg = "partial_sums does not take values near the float limit"
        raise AssertionError(msg)
    levels = {first + k: part for k, part in enumerate(parts)}
    return Partials(whole, cents, peak, _counts(read, n_groups), levels)


def add_partials(a: Partials, b: Partials) -> Partials:
    """Add the partial sums of two disjoint sets of values with the same groups.

    Parameters
    ----------
    a, b : Partials

    Returns
    -------
    Partials
        The partial sums of both sets.

    Examples
    --------
    >>> a = partial_sums([(np.array([0, 1]), np.array([1000.01, 2.0]))], 2)
    >>> b = partial_sums([(np.array([0]), np.array([-1000.0]))], 2)
    >>> sums_of_partials(add_partials(a, b))
    array([0.01, 2.  ])
    """
    levels = dict(a.levels)
    for j, part in b.levels.items():
        levels[j] = levels[j] + part if j in levels else part
    return Partials(
        a.whole & b.whole,
        a.cents + b.cents,
        np.maximum(a.peak, b.peak),
        a.count + b.count,
        levels,
    )


def sums_of_partials(p: Partials) -> FloatArray:
    """Return the per-group sums of partial sums: :func:`group_sums_of` of all their values.

    Parameters
    ----------
    p : Partials

    Returns
    -------
    numpy.ndarray of float64

    Examples
    --------
    >>> sums_of_partials(partial_sums([(np.array([0, 0, 1]), np.array([0.1, 0.2, 0.5]))], 2))
    array([0.3, 0.5])
    """
    n_groups = len(p.count)
    if int(p.count.max(initial=0)) >= 2**_GUARD - 1:  # pragma: no cover - more than a machine holds
        msg = "partial sums of groups of 2**31 values or more are not exact"
        raise AssertionError(msg)
    by_cents = p.whole & (p.peak * p.count < _EXACT_INTEGERS)
    in_cents = p.cents / 100.0
    if p.levels:
        top, bottom = min(p.levels), max(p.levels)
        zeros = np.zeros(n_groups, dtype=np.float64)
        parts = [p.levels.get(j, zeros) for j in range(top, bottom + 1)]
        floats = _add_levels(parts, 0, n_groups)
    else:
        floats = np.zeros(n_groups, dtype=np.float64)
    return np.where(by_cents, in_cents, floats)


def scatter_partials(p: Partials, positions: IntArray, n_groups: int) -> Partials:
    """Put the partial sums of ``p``'s groups at ``positions`` among ``n_groups`` groups (others empty).

    Parameters
    ----------
    p : Partials
    positions : numpy.ndarray of int64
        Per group of ``p``, its position among the new groups (distinct).
    n_groups : int
        Number of new groups.

    Returns
    -------
    Partials
        A group without values is empty: no values, whole cents, zero sums.

    Examples
    --------
    >>> p = scatter_partials(partial_sums([(np.array([0, 1]), np.array([1.5, 2.25]))], 2), np.array([2, 0]), 3)
    >>> sums_of_partials(p)
    array([2.25, 0.  , 1.5 ])
    """

    def spread(values: NDArray[np.generic], fill: object) -> NDArray[np.generic]:
        out = np.full(n_groups, fill, dtype=values.dtype)
        out[positions] = values
        return out

    return Partials(
        spread(p.whole, True),  # type: ignore[arg-type]
        spread(p.cents, 0.0),  # type: ignore[arg-type]
        spread(p.peak, 0.0),  # type: ignore[arg-type]
        spread(p.count, 0),  # type: ignore[arg-type]
        {j: spread(level, 0.0) for j, level in p.levels.items()},  # type: ignore[misc]
    )


def take_partials(p: Partials, groups: NDArray[np.int64] | NDArray[np.bool_]) -> Partials:
    """Return the partial sums of some groups of ``p`` (positions, or a mask over the groups).

    Examples
    --------
    >>> p = partial_sums([(np.array([0, 1, 2]), np.array([1.0, 2.0, 4.0]))], 3)
    >>> sums_of_partials(take_partials(p, np.array([2, 0])))
    array([4., 1.])
    """
    return Partials(
        p.whole[groups],
        p.cents[groups],
        p.peak[groups],
        p.count[groups],
        {j: level[groups] for j, level in p.levels.items()},
    )
