r"""ABC and XYZ classification: how much each customer brings, and how regularly they buy.

Why one module of about 900 lines: ABC and XYZ share the number checks, the 40-bit comparison
(:func:`round_significant`) and the ranking of the joint table; the computed ABC limits (the ABC curve) are
a third of the length and read the same ranking. A split would move shared private helpers, not concepts.

Pure numpy. Classes are small integer codes, ``0, 1, 2`` for A, B, C (and for X, Y, Z); the adapter
(:mod:`retention.frames.classify`) turns them into labels. Every function here is vectorised: a sort for
ABC, exact sums over (customer, period) pairs for XYZ, and no loop over customers.

ABC rules (the "Classification" page of the docs explains them with examples):

- customers are ranked by value, largest first; a customer's class depends only on the customers with a
  *strictly larger* value, so customers with equal values always get the same class, whatever their order;
- ``"cumulative"``: a customer is A while the customers ahead of them hold less than ``t1`` of the total
  value, B while they hold less than ``t2``, C after that. So A is the smallest group of top customers that
  together reach ``t1``: the customer whose cumulative share first reaches or crosses ``t1`` is in A;
- ``"count"``: the same with the number of customers ahead in place of their value (A: the top ``t1`` of
  customers, rounded up);
- ``"computed"``: the limits come from the data's ABC curve (Ultsch & Lötsch 2015), see
  :func:`computed_abc_limits`;
- a customer with value 0 is C whenever the total is positive, and every customer is C when all values are 0;
- values, shares and limits are compared to 40 significant bits (about 12 decimal digits, see
  :func:`round_significant`), so that rounding noise (``0.1 + 0.2`` against ``0.3``) never splits a tie.

XYZ: the coefficient of variation (population standard deviation over mean) of each customer's value per
period, over the periods observed for them; X when it is at most ``t1``, Y when at most ``t2``, Z otherwise.
It is undefined (NaN) for fewer than ``min_periods`` observed periods or a mean that is not positive, and
such customers are Z: nothing shows that they buy regularly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from retention.core.activity import first_periods, pair_cells, run_starts
from retention.core.parallel import bincount
from retention.core.sums import group_sums
from retention.errors import (
    ColumnTypeError,
    InvalidParameterError,
    InvalidValueError,
    as_float,
    plain_value,
    shown_value,
)

__all__ = [
    "ABC_METHODS",
    "ComputedLimits",
    "abc_codes",
    "abc_table",
    "abc_thresholds",
    "check_min_periods",
    "coefficient_of_variation",
    "computed_abc_limits",
    "period_cv",
    "round_significant",
    "value_shares",
    "xyz_codes",
    "xyz_thresholds",
]

ABC_METHODS: Final = ("cumulative", "count", "computed")
"""The ways :func:`abc_codes` can draw the limits between the classes."""

# Default limits per method: the 80/95 rule of value shares, and the 20/30/50 split of customers.
_DEFAULT_ABC: Final = {"cumulative": (0.8, 0.95), "count": (0.2, 0.5)}

# Up to this many customer x period cells (or 2 per purchase, if more) the values per (customer, period)
# are summed on a dense grid (8 bytes a cell); above, each purchase finds its pair by binary search.
_DENSE_LIMIT: Final = 1 << 25
_DENSE_CELLS_PER_ROW: Final = 2

# Values and limits are compared to this many significant bits (about 12 decimal digits).
_BITS: Final = 40


def round_significant(values: ArrayLike, *, bits: int = _BITS) -> NDArray[np.float64]:
    """Round to ``bits`` significant binary digits, so that values equal but for rounding error are equal.

    Sums of the same decimal amounts in another order, or ``0.1 + 0.2`` and ``0.3``, differ in the last
    bits of their 53-bit mantissas; rounded to 40 bits (about 12 significant decimal digits) they are
    equal, unless they happen to straddle the midpoint between two 40-bit numbers (a chance of about
    1 in 8,000 for a difference of one unit in the last place). The rounding is exact arithmetic on the
    binary mantissa, monotone (it never reverses an order) and commutes with scaling by a power of two.
    NaN stays NaN.

    Parameters
    ----------
    values : array_like of float
        The values.
    bits : int, default 40
        Significant bits to keep.

    Returns
    -------
    numpy.ndarray of float64
        The rounded values.

    Examples
    --------
    >>> bool(round_significant(0.1 + 0.2) == round_significant(0.3))
    True
    >>> round_significant([1.0, 3.0, 0.0]).tolist()
    [1.0, 3.0, 0.0]
    """
    mantissa, exponent = np.frexp(np.asarray(values, dtype=np.float64))
    rounded: NDArray[np.float64] = np.ldexp(np.round(np.ldexp(mantissa, bits)), exponent - bits)
    return rounded


def _first_bad(mask: NDArray[np.bool_], values: NDArray[np.generic]) -> str:
    """Describe the offending entries for an error message: how many, and the first one."""
    n = int(mask.sum())
    position = tuple(int(i) for i in np.argwhere(mask)[0])
    where = position[0] if len(position) == 1 else position
    value = values[position]
    shown = plain_value(value)
    return f"{n} value{'s' if n != 1 else ''}, the first at position {where} ({shown!r})"


def _numbers(values: ArrayLike, name: str, func: str, ndim: int) -> NDArray[np.float64]:
    """Return ``values`` as a float array of ``ndim`` dimensions; refuse text, booleans and infinities."""
    head = f"The {name!r} argument of {func}"
    try:
        raw = np.asarray(values)
    except ValueError as e:  # ragged nested lists
        msg = (
            f"{head} must be a flat list of numbers, one per customer; it holds nested lists."
            if ndim == 1
            else f"{head} must be a rectangular array of numbers, one row per customer; its rows differ in length. Pad the short rows with NaN (a period not observed)."
        )
        raise ColumnTypeError(msg) from e
    if raw.dtype.kind not in "iuf":
        msg = f"{head} must hold numbers; it has dtype {raw.dtype}. Convert it with .astype(float)."
        raise ColumnTypeError(msg)
    if raw.ndim != ndim:
        shape = (
            "one-dimensional (one value per customer)"
            if ndim == 1
            else "two-dimensional (customers x periods)"
        )
        msg = f"{head} must be {shape}; it has shape {raw.shape}."
        raise ColumnTypeError(msg)
    out = raw.astype(np.float64, copy=False)
    bad = np.isinf(out)
    if bad.any():
        msg = f"{head} must be finite: {_first_bad(bad, raw)}. Drop or fix those values."
        raise InvalidValueError(msg)
    return out


def _check_values(values: ArrayLike, func: str) -> NDArray[np.float64]:
    """One value per customer, finite and non-negative."""
    out = _numbers(values, "values", func, 1)
    for bad, what, fix in (
        (np.isnan(out), "must not be missing (NaN)", "Fill them, e.g. with 0, or drop them."),
        (
            out < 0,
            "must not be negative",
            "ABC shares need non-negative values; clip or drop them.",
        ),
    ):
        if bad.any():
            msg = f"The 'values' argument of {func} {what}: {_first_bad(bad, out)}. {fix}"
            raise InvalidValueError(msg)
    with np.errstate(over="ignore"):
        total = float(out.sum())
    if not np.isfinite(total):  # the shares divide by it
        msg = f"The 'values' argument of {func} adds up to more than a float64 holds (the largest value is {out.max():g}). Scale the values down, e.g. to thousands."
        raise InvalidValueError(msg)
    return out


def _check_pair(
    thresholds: object, name: str, func: str, *, upper: float | None
) -> tuple[float, float]:
    """Two increasing limits ``0 <= t1 <= t2`` (``<= upper`` when given); the house-style message otherwise."""
    bound = f" <= {upper:g}" if upper is not None else ""
    fix = f"Pass two numbers 0 <= t1 <= t2{bound}, such as (0.8, 0.95)."
    if isinstance(thresholds, str | bytes) or not isinstance(thresholds, Sequence | np.ndarray):
        msg = (
            f"The {name!r} parameter of {func} must be a pair of numbers. Got {thresholds!r}. {fix}"
        )
        raise InvalidParameterError(msg)
    items = list(thresholds)
    if len(items) != 2 or not all(
        isinstance(t, int | float | np.integer | np.floating) and not isinstance(t, bool | np.bool_)
        for t in items
    ):
        msg = (
            f"The {name!r} parameter of {func} must be a pair of numbers. Got {thresholds!r}. {fix}"
        )
        raise InvalidParameterError(msg)
    # An int too large for a float is infinite here: refused below, as an infinite limit is.
    t1, t2 = as_float(items[0]), as_float(items[1])
    ok = np.isfinite(t1) and np.isfinite(t2) and 0 <= t1 <= t2 and (upper is None or t2 <= upper)
    if not ok:
        # The numbers as Python values: (0.9, 0.1), not (np.float64(0.9), np.float64(0.1)).
        shown = f"({shown_value(items[0])}, {shown_value(items[1])})"
        msg = f"The {name!r} parameter of {func} must satisfy 0 <= t1 <= t2{bound}. Got {shown}. {fix}"
        raise InvalidParameterError(msg)
    return t1, t2


def abc_thresholds(
    thresholds: object, method: object, *, func: str = "abc", name: str = "thresholds"
) -> tuple[float, float] | None:
    """Check ``method`` and ``thresholds`` of an ABC classification and fill in the method's default.

    Parameters
    ----------
    thresholds : pair of float or None
        The limits the caller passed; None for the method's default.
    method : {"cumulative", "count", "computed"}
        The ABC method.
    func : str, default "abc"
        The public function, named in error messages.
    name : str, default "thresholds"
        The name of the thresholds parameter, named in error messages.

    Returns
    -------
    tuple of float or None
        ``(t1, t2)`` for ``"cumulative"`` (default ``(0.8, 0.95)``) and ``"count"`` (default
        ``(0.2, 0.5)``); None for ``"computed"``, which takes its limits from the data.

    Raises
    ------
    InvalidParameterError
        If ``method`` is unknown, the thresholds are not ``0 <= t1 <= t2 <= 1``, or thresholds are given
        with ``method="computed"``.

    Examples
    --------
    >>> abc_thresholds(None, "count")
    (0.2, 0.5)
    >>> abc_thresholds((0.7, 0.9), "cumulative")
    (0.7, 0.9)
    """
    if not isinstance(method, str) or method not in ABC_METHODS:
        options = ", ".join(repr(m) for m in ABC_METHODS)
        msg = f"The 'method' parameter of {func} must be one of {options}. Got {method!r}."
        raise InvalidParameterError(msg)
    if method == "computed":
        if thresholds is not None:
            msg = (
                f"The {name!r} parameter of {func} must be None with method='computed', which derives "
                f"the limits from the data. Got {thresholds!r}."
            )
            raise InvalidParameterError(msg)
        return None
    if thresholds is None:
        return _DEFAULT_ABC[method]
    return _check_pair(thresholds, name, func, upper=1.0)


def xyz_thresholds(
    thresholds: object, *, func: str = "xyz", name: str = "thresholds"
) -> tuple[float, float]:
    """Check the XYZ limits on the coefficient of variation: a pair ``0 <= t1 <= t2``.

    Examples
    --------
    >>> xyz_thresholds([0.5, 1])
    (0.5, 1.0)
    """
    return _check_pair(thresholds, name, func, upper=None)


@dataclass(frozen=True, slots=True)
class ComputedLimits:
    """The points of a computed ABC analysis, as numbers of top customers (Ultsch & Lötsch 2015).

    A point at ``k`` is the point ``(k / n, y_k)`` of the ABC curve, ``y_k`` being the share of the total
    value held by the ``k`` customers with the largest values.

    Attributes
    ----------
    pareto : int
        The point closest to the ideal point (0, 1): the least effort for the most yield.
    break_even : int
        The point where the curve's slope falls to 1: the number of customers whose value is at least the
        mean.
    submarginal : int
        The point closest to ``(max(pareto, break_even) / n, 1)``: beyond it the yield is marginal.
    a : int
        Size of A: ``min(pareto, break_even)`` top customers.
    ab : int
        Size of A and B together: ``submarginal`` top customers (never fewer than ``a``).
    """

    pareto: int
    break_even: int
    submarginal: int
    a: int
    ab: int


def _sorted_descending(values: NDArray[np.float64]) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
    # The order within a tie does not matter: every rule reads whole tie groups.
    order = np.argsort(-values)
    return order, values[order]


@dataclass(frozen=True, slots=True)
class _Ranking:
    """Values sorted in descending order, their running sums and their tie groups."""

    order: NDArray[np.intp]
    s: NDArray[np.float64]
    cumulative: NDArray[np.float64]
    start: NDArray[np.int64]  # per sorted position, the first position of its tie group
    end: NDArray[np.int64]  # ... and the last

    @classmethod
    def of(cls, values: NDArray[np.float64]) -> _Ranking:
        order, s = _sorted_descending(values)
        n = len(s)
        new = np.ones(
            n + 1, dtype=np.bool_
        )  # new[i]: position i starts a tie group (new[n]: the end)
        np.not_equal(s[1:], s[:-1], out=new[1:n])
        positions = np.arange(n, dtype=np.int64)
        start = np.maximum.accumulate(np.where(new[:n], positions, 0))
        end = np.minimum.accumulate(np.where(new[1:], positions, n)[::-1])[::-1]
        return cls(order, s, np.cumsum(s), start, end)


def _ranked_codes(r: _Ranking, limits: tuple[float, float] | None, method: str) -> NDArray[np.int8]:
    """ABC codes in the original order; the total (the last running sum) must be positive."""
    n = len(r.s)
    total = r.cumulative[-1]
    if limits is None:
        found = _computed_limits(r.s, r.cumulative)
        ahead, low, high = r.start.astype(np.float64), float(found.a), float(found.ab)
    elif method == "count":
        ahead, low, high = r.start.astype(np.float64), limits[0] * n, limits[1] * n
    else:
        # The value held by the customers ahead of each tie group. The total is the same running sum,
        # so a customer with value 0 has exactly the total ahead of them and is C.
        before = np.concatenate(([0.0], r.cumulative[:-1]))
        ahead, low, high = before[r.start], limits[0] * total, limits[1] * total
    # Compared to 40 bits, so that a share that is exactly a limit on paper is not missed by one ulp.
    a, lo, hi = (round_significant(x) for x in (ahead, low, high))
    codes = np.empty(n, dtype=np.int8)
    codes[r.order] = np.where(a < lo, 0, np.where(a < hi, 1, 2))
    return codes


def _shares(
    r: _Ranking, values: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    running = np.empty(len(values))
    running[r.order] = r.cumulative[r.end]
    total = r.cumulative[-1]
    with np.errstate(invalid="ignore", divide="ignore"):
        return values / total, running / total


def _computed_limits(s: NDArray[np.float64], cumulative: NDArray[np.float64]) -> ComputedLimits:
    """Find the computed limits of values ``s`` sorted in descending order, with a positive total."""
    n = len(s)
    total = cumulative[-1]
    effort = np.arange(1, n + 1, dtype=np.float64) / n
    unrealised = 1.0 - cumulative / total
    # k >= 1 only: with a positive total the empty set is never the best A.
    pareto = int(np.argmin(effort * effort + unrealised * unrealised)) + 1
    # The slope of the segment that ends at k is n s_k / total; it is >= 1 exactly while s_k >= mean.
    at_least_mean = round_significant(s * n) >= round_significant(total)
    break_even = max(int(np.count_nonzero(at_least_mean)), 1)
    reference = max(pareto, break_even) / n
    gap = effort - reference
    submarginal = int(np.argmin(gap * gap + unrealised * unrealised)) + 1
    a = min(pareto, break_even)
    return ComputedLimits(pareto, break_even, submarginal, a, max(submarginal, a))


def computed_abc_limits(values: ArrayLike, *, func: str = "abc") -> ComputedLimits:
    r"""Compute the limits of the computed ABC analysis of Ultsch & Lötsch (2015) from the data.

    Parameters
    ----------
    values : array_like of float
        One non-negative value per customer.
    func : str, default "abc"
        The public function, named in error messages.

    Returns
    -------
    ComputedLimits
        The Pareto, break-even and submarginal points and the sizes of A and of A + B, as numbers of top
        customers. All zero for empty input or a zero total.

    Raises
    ------
    ColumnTypeError, InvalidValueError
        If ``values`` is not a one-dimensional array of finite, non-negative numbers.

    Notes
    -----
    Sort the ``n`` values in descending order, $x_1 \ge \dots \ge x_n$, and let
    $y_k = \sum_{i \le k} x_i / \sum_i x_i$. The ABC curve joins the points $(k/n, y_k)$, $k = 0, \dots, n$.

    - Pareto point $k_P$: the point closest to the ideal $(0, 1)$, $\arg\min_{k \ge 1} (k/n)^2 + (1 - y_k)^2$.
    - Break-even point $k_B$: where the slope $dABC/dp$ is 1. The segment ending at $k$ has slope
      $n x_k / \sum_i x_i = x_k / \bar x$, so $k_B = \#\{i : x_i \ge \bar x\}$ (the rightmost point if
      the slope is exactly 1 on a stretch).
    - A is the ``min(k_P, k_B)`` top customers.
    - Submarginal point $k_S$: the point closest to $(\max(k_P, k_B)/n, 1)$; A and B together are the
      $k_S$ top customers, C the rest.

    The first minimum wins a tie in distance. These are the definitions of the paper and of the reference
    implementation (the R package ``ABCanalysis``), evaluated exactly at the data points: that
    package evaluates a cubic-spline interpolation of the curve on a grid of 101 or 1001 points and
    compares with strict inequalities, so on small data sets its limits can differ from these by a
    customer.

    References
    ----------
    .. [1] Ultsch, A., & Lötsch, J. (2015). Computed ABC Analysis for Rational Selection of Most
       Informative Variables in Multivariate Data. PLoS ONE, 10(6), e0129767.
       https://doi.org/10.1371/journal.pone.0129767

    Examples
    --------
    >>> computed_abc_limits([50, 20, 10, 10, 5, 5])
    ComputedLimits(pareto=2, break_even=2, submarginal=3, a=2, ab=3)
    """
    v = _check_values(values, func)
    if len(v) == 0:
        return ComputedLimits(0, 0, 0, 0, 0)
    _, s = _sorted_descending(round_significant(v))
    cumulative = np.cumsum(s)
    if cumulative[-1] <= 0:
        return ComputedLimits(0, 0, 0, 0, 0)
    return _computed_limits(s, cumulative)


def abc_codes(
    values: ArrayLike,
    *,
    thresholds: Sequence[float] | None = None,
    method: str = "cumulative",
    func: str = "abc",
) -> NDArray[np.int8]:
    r"""Classify customers A, B, C by their value; return the codes 0, 1, 2.

    Parameters
    ----------
    values : array_like of float
        One non-negative value per customer (revenue, margin, orders). Not modified.
    thresholds : pair of float, optional
        ``(t1, t2)``, ``0 <= t1 <= t2 <= 1``. For ``"cumulative"``, shares of the total value (default
        ``(0.8, 0.95)``); for ``"count"``, shares of the customers (default ``(0.2, 0.5)``). Must be None
        for ``"computed"``.
    method : {"cumulative", "count", "computed"}, default "cumulative"
        How the limits are drawn (see Notes).
    func : str, default "abc"
        The public function, named in error messages.

    Returns
    -------
    numpy.ndarray of int8
        Per customer, 0 (A), 1 (B) or 2 (C).

    Raises
    ------
    ColumnTypeError
        If ``values`` is not a one-dimensional array of numbers.
    InvalidValueError
        If a value is missing, infinite or negative.
    InvalidParameterError
        If ``method`` or ``thresholds`` is not accepted.

    Notes
    -----
    Let $S_{>}(x)$ be the total value of the customers whose value is strictly larger than $x$,
    $N_{>}(x)$ their number, $S$ the total value and $n$ the number of customers. A customer with value
    $x$ is

    - ``"cumulative"``: A if $S_{>}(x) < t_1 S$, else B if $S_{>}(x) < t_2 S$, else C;
    - ``"count"``: A if $N_{>}(x) < t_1 n$, else B if $N_{>}(x) < t_2 n$, else C;
    - ``"computed"``: A if $N_{>}(x) < a$, else B if $N_{>}(x) < ab$, else C, with $a$ and $ab$ from
      :func:`computed_abc_limits`.

    So, going down the ranking, the customer whose cumulative share (or count share) first reaches or
    crosses $t_1$ is still A: A is the smallest group of top customers that holds at least $t_1$. The
    rule reads only the customers with a strictly larger value, so equal values get the same class (a
    tie that straddles a limit takes the class of its first member) and the classes are monotone in
    value. Values equal to 40 significant bits (about 12 decimal digits) are equal here, and the shares
    are compared with the limits to 40 bits too, so that rounding noise does not split a tie or miss a
    limit that holds on paper. When all values are 0 every customer is C.

    Examples
    --------
    >>> abc_codes([40, 25, 15, 10, 5, 3, 2])
    array([0, 0, 0, 1, 1, 2, 2], dtype=int8)
    >>> abc_codes([40, 25, 15, 10, 5, 3, 2], method="count", thresholds=(0.2, 0.5))
    array([0, 0, 1, 1, 2, 2, 2], dtype=int8)
    """
    return abc_table(values, thresholds=thresholds, method=method, func=func)[0]


def abc_table(
    values: ArrayLike,
    *,
    thresholds: Sequence[float] | None = None,
    method: str = "cumulative",
    func: str = "abc",
) -> tuple[NDArray[np.int8], NDArray[np.float64], NDArray[np.float64]]:
    """ABC codes, shares and cumulative shares from one sort: :func:`abc_codes` and :func:`value_shares`.

    Parameters
    ----------
    values : array_like of float
        One non-negative value per customer.
    thresholds, method, func
        As for :func:`abc_codes`.

    Returns
    -------
    codes : numpy.ndarray of int8
        As :func:`abc_codes` returns them.
    share, cumulative_share : numpy.ndarray of float64
        As :func:`value_shares` returns them.

    Raises
    ------
    ColumnTypeError, InvalidValueError, InvalidParameterError
        As :func:`abc_codes` raises them.

    Examples
    --------
    >>> codes, share, cumulative = abc_table([10, 50, 20, 20])
    >>> codes.tolist(), cumulative.tolist()
    ([1, 0, 0, 0], [1.0, 0.5, 0.9, 0.9])
    """
    v = _check_values(values, func)
    limits = abc_thresholds(thresholds, method, func=func)
    n = len(v)
    if n == 0:
        return np.empty(0, dtype=np.int8), np.empty(0), np.empty(0)
    r = _Ranking.of(round_significant(v))
    share, cumulative = _shares(r, v)
    if r.cumulative[-1] <= 0:
        return np.full(n, 2, dtype=np.int8), share, cumulative
    return _ranked_codes(r, limits, method), share, cumulative


def value_shares(
    values: ArrayLike, *, func: str = "abc"
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    r"""Each customer's share of the total value, and the cumulative share down to them.

    Parameters
    ----------
    values, func
        As for :func:`abc_codes`.

    Returns
    -------
    share : numpy.ndarray of float64
        $x / S$.
    cumulative_share : numpy.ndarray of float64
        $S_{\ge}(x) / S$: the share held by all customers whose value is at least this customer's,
        ties included, so that equal values get equal cumulative shares. Both are NaN when the total
        $S$ is 0.

    Raises
    ------
    ColumnTypeError, InvalidValueError
        As :func:`abc_codes` raises them for ``values``.

    Examples
    --------
    >>> share, cumulative = value_shares([10, 50, 20, 20])
    >>> share.tolist(), cumulative.tolist()
    ([0.1, 0.5, 0.2, 0.2], [1.0, 0.5, 0.9, 0.9])
    """
    v = _check_values(values, func)
    if len(v) == 0:
        return np.empty(0), np.empty(0)
    return _shares(_Ranking.of(round_significant(v)), v)


def xyz_codes(
    cv: ArrayLike,
    *,
    thresholds: Sequence[float] = (0.1, 0.25),
    func: str = "xyz",
    name: str = "thresholds",
) -> NDArray[np.int8]:
    """Classify coefficients of variation X, Y, Z; return the codes 0, 1, 2.

    Parameters
    ----------
    cv : array_like of float
        Coefficients of variation; NaN where undefined.
    thresholds : pair of float, default (0.1, 0.25)
        ``(t1, t2)`` with ``0 <= t1 <= t2``.
    func, name : str, default "xyz" and "thresholds"
        As for :func:`abc_thresholds`.

    Returns
    -------
    numpy.ndarray of int8
        0 (X) where ``cv <= t1``, 1 (Y) where ``t1 < cv <= t2``, 2 (Z) otherwise, NaN included.

    Raises
    ------
    InvalidParameterError
        If ``thresholds`` is not a pair ``0 <= t1 <= t2``.

    Examples
    --------
    >>> xyz_codes([0.1, 0.2, 0.25, 3.0, float("nan")])
    array([0, 1, 1, 2, 2], dtype=int8)
    """
    t1, t2 = xyz_thresholds(thresholds, func=func, name=name)
    # Compared to 40 bits: a CV that is exactly a limit on paper is on that limit.
    c, low, high = (round_significant(x) for x in (cv, t1, t2))
    return np.where(c <= low, 0, np.where(c <= high, 1, 2)).astype(np.int8)


def _cv(
    squares: NDArray[np.float64],
    count: NDArray[np.int64],
    mean: NDArray[np.float64],
    min_periods: int,
) -> NDArray[np.float64]:
    """CV from the sum of squared deviations; NaN below ``min_periods`` periods or for a mean <= 0.

    A positive mean so small against the spread that the ratio exceeds the float range (purchases and
    refunds that cancel to almost nothing) gives ``inf``: the CV's limit, and class Z.
    """
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        cv = np.sqrt(squares / count) / mean
    defined = (count >= min_periods) & (mean > 0)
    return np.where(defined, cv, np.nan)


def check_min_periods(min_periods: object, func: str) -> int:
    """Check ``min_periods``: a whole number >= 1.

    Examples
    --------
    >>> check_min_periods(3, "xyz")
    3
    """
    if (
        isinstance(min_periods, bool)
        or not isinstance(min_periods, int | np.integer)
        or min_periods < 1
    ):
        shown = plain_value(min_periods)
        msg = f"The 'min_periods' parameter of {func} must be a whole number >= 1. Got {shown!r}."
        raise InvalidParameterError(msg)
    return int(min_periods)


def coefficient_of_variation(
    periodic_values: ArrayLike, *, min_periods: int = 2, func: str = "xyz"
) -> NDArray[np.float64]:
    r"""Coefficient of variation of each row of a customers x periods matrix, over its observed cells.

    Parameters
    ----------
    periodic_values : array_like of float, shape (customers, periods)
        Each customer's value per period: NaN where the period is not observed for the customer (before
        their first purchase), 0 for an observed period without purchases.
    min_periods : int, default 2
        Fewest observed periods for a defined CV.
    func : str, default "xyz"
        The public function, named in error messages.

    Returns
    -------
    numpy.ndarray of float64
        Per row, $\sigma / \mu$ (population standard deviation over mean of the observed cells); NaN
        with fewer than ``min_periods`` observed cells or a mean that is not positive.

    Raises
    ------
    ColumnTypeError
        If the matrix is not two-dimensional or holds no numbers.
    InvalidValueError
        If it holds an infinite value.
    InvalidParameterError
        If ``min_periods`` is not a whole number >= 1.

    Notes
    -----
    With $m$ observed cells $v_1, \dots, v_m$, $\mu = \frac1m \sum_j v_j$ and
    $\sigma^2 = \frac1m \sum_j (v_j - \mu)^2$, computed in two passes (the mean first, then the squared
    deviations from it), which avoids the cancellation of $\frac1m\sum_j v_j^2 - \mu^2$.

    Examples
    --------
    >>> coefficient_of_variation([[np.nan, 10, 10, 10], [4, 0, 4, 0], [np.nan, np.nan, np.nan, 5]])
    array([ 0.,  1., nan])
    """
    min_periods = check_min_periods(min_periods, func)
    m = _numbers(periodic_values, "periodic_values", func, 2)
    observed = ~np.isnan(m)
    count = observed.sum(axis=1).astype(np.int64)
    m = np.where(observed, m, 0.0)
    # The CV does not change with the scale of a row: bring each row's largest value into [0.5, 1) with
    # an exact power of two, so that squaring tiny or huge values neither underflows nor overflows.
    top = np.abs(m).max(axis=1, initial=0.0)
    m = np.ldexp(m, -np.frexp(top)[1][:, None])
    total = m.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / count
    deviation = np.where(observed, m - mean[:, None], 0.0)
    squares = (deviation * deviation).sum(axis=1)
    return _cv(squares, count, mean, min_periods)


def _pair_sums(
    customer: NDArray[np.int64],
    period: NDArray[np.int64],
    value: NDArray[np.float64] | None,
    n_customers: int,
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Per distinct (customer, period) pair, the exact sum of its values (or its number of rows).

    Returns the sums and each pair's customer, the pairs in ascending order of (customer, period), so that
    neither depends on the order of the rows.
    """
    row_key, _, span = pair_cells(customer, period)
    cells = n_customers * span
    if cells <= max(_DENSE_LIMIT, _DENSE_CELLS_PER_ROW * len(row_key)):
        # Mark the pairs on the customer x period grid and number them by a running count.
        marks = np.zeros(cells, dtype=np.bool_)
        marks[row_key] = True
        pair_key = np.flatnonzero(marks).astype(np.int64, copy=False)
        number = np.cumsum(marks, dtype=np.int64)
        number -= 1
        row_pair = number[row_key]
    else:
        # A grid too large to hold: sort the rows by pair and number the pairs along the sorted keys.
        # The order within a pair does not matter: group_sums adds in any order to the same bits.
        order = np.argsort(row_key)
        row_key = row_key[order]
        new = run_starts(row_key)
        pair_key = row_key[new]
        row_pair = np.cumsum(new, dtype=np.int64)
        row_pair -= 1
        value = value[order] if value is not None else None
    n_pairs = len(pair_key)
    if value is None:
        sums = np.bincount(row_pair, minlength=n_pairs).astype(np.float64)
    else:
        sums = group_sums(row_pair, value, n_pairs)
    return sums, pair_key // span


# Values whose squares (times any realistic count of periods) stay far from underflow and overflow.
_SAFE_MAGNITUDE: Final = 2.0**400


def period_cv(
    customer: NDArray[np.int64],
    period: NDArray[np.int64],
    value: NDArray[np.float64] | None,
    n_customers: int,
    *,
    last_period: int,
    min_periods: int = 2,
    first_period: NDArray[np.int64] | None = None,
    func: str = "abc_xyz",
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    r"""Coefficient of variation of each customer's value per period, from one row per purchase or return.

    Parameters
    ----------
    customer : numpy.ndarray of int64
        Per row, a customer code in ``0 .. n_customers - 1``.
    period : numpy.ndarray of int64
        Per row, a period code.
    value : numpy.ndarray of float64 or None
        Per row, the value (an amount, negative for a return); None counts rows (every row is worth 1).
    n_customers : int
        Number of customer codes.
    last_period : int
        The last period to use (the last complete one); rows after it are left out.
    min_periods : int, default 2
        Fewest observed periods for a defined CV.
    first_period : numpy.ndarray of int64, optional
        Per customer code, the period of the first purchase, where each customer's history starts. A row
        in an earlier period (a return of something bought before the data begin) counts in this first
        period. Defaults to each customer's earliest row; every code must then occur.
    func : str, default "abc_xyz"
        The public function, named in error messages.

    Returns
    -------
    cv : numpy.ndarray of float64
        Per customer, the CV of their value per period over the periods from their first purchase to
        ``last_period``; NaN with fewer than ``min_periods`` such periods or a mean that is not positive.
    periods : numpy.ndarray of int64
        Per customer, the number of those periods (0 if the first purchase is after ``last_period``).

    Raises
    ------
    InvalidParameterError
        If ``min_periods`` is not a whole number >= 1.

    Notes
    -----
    The periods of a customer are the $m$ periods from the one of their first purchase (which may be
    after ``last_period``: then there are none) to ``last_period``; a period without rows counts as 0.
    The values of each (customer, period) pair are added exactly (:func:`~retention.core.sums.group_sums`),
    so row order never changes a bit of the result, and so is each customer's total $T$. With $P$ the
    periods with a row, $\mu = T / m$ and
    $m\sigma^2 = \sum_{j \in P} (v_j - \mu)^2 + (m - |P|)\,\mu^2$, the periods without a row
    contributing $(0 - \mu)^2$ each; the squares are added over the pairs in their sorted order. Two
    passes, as in :func:`coefficient_of_variation`, without building the customers x periods matrix.

    Examples
    --------
    Customer 0 buys 2 + 2 in period 3 and 4 in period 5: values 4, 0, 4, 0 over periods 3 to 6. Customer 1
    buys 7 in period 4: 7, 0, 0. Customer 2 buys only in period 7, after the last period used:

    >>> cv, periods = period_cv(np.array([0, 0, 0, 1, 2]), np.array([3, 3, 5, 4, 7]),
    ...                         np.array([2.0, 2.0, 4.0, 7.0, 9.0]), 3, last_period=6)
    >>> cv.round(4).tolist(), periods.tolist()
    ([1.0, 1.4142, nan], [4, 3, 0])
    """
    min_periods = check_min_periods(min_periods, func)
    customer = np.asarray(customer, dtype=np.int64)
    period = np.asarray(period, dtype=np.int64)
    if len(customer) == 0:
        return np.full(n_customers, np.nan), np.zeros(n_customers, dtype=np.int64)
    first = (
        first_periods(customer, period, n_customers)
        if first_period is None
        else np.asarray(first_period, dtype=np.int64)
    )
    periods = np.maximum(last_period - first + 1, 0).astype(np.int64)
    # A row before the customer's first purchase counts in that first period.
    period = np.maximum(period, first[customer])
    keep = period <= last_period
    if not keep.all():
        customer, period = customer[keep], period[keep]
        value = value[keep] if value is not None else None
    if len(customer) == 0:
        return np.full(n_customers, np.nan), periods
    if value is not None:
        value = np.asarray(value, dtype=np.float64)
    sums, owner = _pair_sums(customer, period, value, n_customers)
    total = (
        bincount(customer, minlength=n_customers).astype(np.float64)
        if value is None
        else group_sums(customer, value, n_customers)
    )
    magnitude = np.abs(sums)
    if not (
        magnitude.max() < _SAFE_MAGNITUDE
        and magnitude.min(initial=np.inf, where=magnitude > 0) > 1 / _SAFE_MAGNITUDE
    ):
        # Tiny or huge values would underflow or overflow when squared. The CV does not change with the
        # scale of a customer's values: bring each customer's largest into [0.5, 1) by a power of two.
        top = np.zeros(n_customers, dtype=np.float64)
        np.maximum.at(top, owner, magnitude)
        exponent = np.frexp(top)[1]
        sums = np.ldexp(sums, -exponent[owner])
        total = np.ldexp(total, -exponent)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / periods
    deviation = sums - mean[owner]
    with_rows = np.bincount(owner, minlength=n_customers)
    # The pairs are in sorted order, so this sum does not depend on the order of the rows either.
    squares = np.bincount(owner, weights=deviation * deviation, minlength=n_customers).astype(
        np.float64, copy=False
    )
    with np.errstate(invalid="ignore"):
        squares += (periods - with_rows) * (mean * mean)
    return _cv(squares, periods, mean, min_periods), periods
