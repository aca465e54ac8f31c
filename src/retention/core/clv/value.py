r"""Customer value: the CLV sums, the simple retention formula, historical value and the model checks.

Pure numpy/scipy. The pandas side (reading summaries and transaction tables, calling the models, labels)
is :mod:`retention.frames.value`; here are the computations on arrays:

- :func:`discounted_transactions`: the discounted sum of the expected transactions per period, the core
  of ``rt.customer_lifetime_value``;
- :func:`clv_formula`: $m r / (1 + d - r)$ (Gupta & Lehmann 2003);
- :func:`historical_value`: revenue per customer to date, net of returns, summed exactly;
- :func:`frequency_bins` and :func:`binned_means`: the calibration/holdout check by calibration frequency
  (Fader, Hardie & Lee 2005, Figure 4);
- :func:`tracking_counts`: actual and expected cumulative repeat transactions of a cohort over calendar
  time (Fader, Hardie & Lee 2005, Figures 2 and 3), as one convolution.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import Final, overload

import numpy as np
from numpy.typing import ArrayLike

from retention.core.arrays import BoolArray, FloatArray, IntArray
from retention.core.clv.forecast import cohort_expected
from retention.core.sums import group_sums
from retention.errors import ColumnTypeError, InvalidParameterError

__all__ = [
    "Tracking",
    "binned_means",
    "clv_formula",
    "discounted_transactions",
    "frequency_bins",
    "historical_value",
    "tracking_counts",
]


def _gregory_weights(order: int) -> FloatArray:
    r"""Weights $w_i$ with $\sum_i w_i h_i = \sum_{j=1}^{q} c_j \Delta^{j-1} h_0$, $q$ = ``order``.

    $c_j$ are Gregory's coefficients, those of $\Delta / \log(1 + \Delta) = \sum_j c_j \Delta^j$ (1, 1/2,
    -1/12, 1/24, -19/720, ...), made exactly with fractions from $\sum_{k=0}^{m} c_k (-1)^{m-k} / (m - k + 1)
    = 0$ for $m \ge 1$; $\Delta^{j-1} h_0 = \sum_i (-1)^{j-1-i} \binom{j-1}{i} h_i$.

    Examples
    --------
    >>> _gregory_weights(3)  # 1/2 h0 - 1/12 (h1 - h0) + 1/24 (h2 - 2 h1 + h0)
    array([ 0.625     , -0.16666667,  0.04166667])
    """
    gregory = [Fraction(1)]
    for m in range(1, order + 1):
        terms = (gregory[k] * Fraction((-1) ** (m - k), m - k + 1) for k in range(m))
        gregory.append(-sum(terms, Fraction(0)))
    weights = [
        sum(
            (
                gregory[j] * (-1) ** (j - 1 - i) * math.comb(j - 1, i)
                for j in range(i + 1, order + 1)
            ),
            Fraction(0),
        )
        for i in range(order)
    ]
    return np.array([float(w) for w in weights])


# Horizons up to _EXACT_PERIODS: the explicit sum, period by period. Longer ones: periods 1 .. 63
# explicitly, the rest from period _HEAD_PERIODS on in bulk, with Gregory's end corrections of order
# _GREGORY_ORDER (differences up to the 13th); periods whose discount factor is below exp(-_TAIL_DECAY)
# (4e-18) of period 64's are left out. The bulk integral: Gauss-Legendre on panels [u, 4u] over which the
# discount factor falls by at most exp(-_PANEL_DISCOUNT). At most _CELLS model values (times x customers)
# are asked for per call of ``cumulative``.
_EXACT_PERIODS: Final = 512
_HEAD_PERIODS: Final = 64
_GREGORY_ORDER: Final = 14
_GREGORY_WEIGHTS: Final = _gregory_weights(_GREGORY_ORDER)
_TAIL_DECAY: Final = 40.0
_PANEL_NODES, _PANEL_WEIGHTS = np.polynomial.legendre.leggauss(16)
_PANEL_GROWTH: Final = 4.0
_PANEL_DISCOUNT: Final = 8.0
_CELLS: Final = 1 << 20


class _Periods:
    """Evaluate ``cumulative`` at times ``u * step`` (``u`` in periods), at most ``_CELLS`` values a call.

    The first call asks for one time, which tells the number of customers; later calls ask for as many
    times as fit in ``_CELLS`` values, so memory stays bounded however many customers there are.
    """

    def __init__(self, cumulative: Callable[[FloatArray], FloatArray], step: float) -> None:
        self._cumulative = cumulative
        self._step = step
        self._rows = 1

    def chunks(self, periods: FloatArray) -> Iterator[tuple[int, FloatArray]]:
        """Yield ``(start, values)``: the values at ``periods[start:start + len(values)]``, in order."""
        start = 0
        while start < len(periods):
            stop = min(len(periods), start + self._rows)
            values = np.asarray(
                self._cumulative(periods[start:stop] * self._step), dtype=np.float64
            )
            if values.ndim != 2 or values.shape[0] != stop - start:  # pragma: no cover - misuse
                msg = "cumulative(t) must return one row of customers per time"
                raise AssertionError(msg)
            self._rows = max(1, _CELLS // max(values.shape[1], 1))
            yield start, values
            start = stop

    def at(self, periods: FloatArray) -> FloatArray:
        """Return the values at a few ``periods``, one row each."""
        return np.concatenate([values for _, values in self.chunks(periods)])

    def weighted_sum(self, periods: FloatArray, weights: FloatArray) -> FloatArray:
        r"""Return $\sum_i w_i\, E[Y(u_i \Delta)]$ per customer, without keeping every row."""
        total: FloatArray | None = None
        for start, values in self.chunks(periods):
            part = weights[start : start + len(values)] @ values
            total = part if total is None else total + part
        if total is None:  # pragma: no cover - always at least one panel
            msg = "no periods to add up"
            raise AssertionError(msg)
        return total


def _period_sum(periods: _Periods, count: int, log_rate: float) -> tuple[FloatArray, FloatArray]:
    r"""$\sum_{k=1}^{K} (1 + d)^{-k} \big(E[Y(k\Delta)] - E[Y((k-1)\Delta)]\big)$ and $E[Y(K\Delta)]$, $K$ = ``count``."""
    total: FloatArray | None = None
    previous: FloatArray | None = None
    for start, values in periods.chunks(np.arange(1, count + 1, dtype=np.float64)):
        for i, current in enumerate(values):
            increment = current if previous is None else current - previous
            term = increment * math.exp(-(start + i + 1) * log_rate)
            total = term if total is None else total + term
            previous = current
    if total is None or previous is None:  # pragma: no cover - the callers check count >= 1
        msg = "horizon must be at least 1"
        raise AssertionError(msg)
    return total, previous


def _panel_edges(start: float, end: float, log_rate: float) -> FloatArray:
    """Panels from ``start`` to ``end``, each at most 4 times as far out and ``8 / log_rate`` wide."""
    edges = [start]
    widest = _PANEL_DISCOUNT / log_rate
    while edges[-1] < end:
        low = edges[-1]
        edges.append(min(end, low * _PANEL_GROWTH, low + widest))
    return np.array(edges)


def discounted_transactions(
    cumulative: Callable[[FloatArray], FloatArray],
    *,
    horizon: int,
    step: float,
    discount_rate: float,
) -> FloatArray:
    r"""Discounted expected transactions per customer over ``horizon`` periods of length ``step``.

    Parameters
    ----------
    cumulative : callable
        ``cumulative(t)`` -> the expected transactions of each customer in $(T, T + t]$ at each of the
        times ``t`` (a 1-D array): an array of shape ``(len(t), customers)``. $E[Y(0)]$ must be 0.
    horizon : int
        The number of periods $H$, >= 1.
    step : float
        The length $\Delta$ of one period, in the unit of ``t``.
    discount_rate : float
        The discount rate $d$ per period, >= 0.

    Returns
    -------
    numpy.ndarray
        $S_H = \sum_{k=1}^{H} \frac{E[Y(k\Delta)] - E[Y((k-1)\Delta)]}{(1 + d)^k}$ per customer: the
        transactions of period $k$ are discounted to the present from the end of that period.

    Notes
    -----
    The time does not grow with the horizon: fewer than 530 times are asked of ``cumulative`` (in calls
    of at most $2^{20}$ values), whatever $H$ and $d$.

    - $d = 0$: the sum telescopes to $E[Y(H\Delta)]$, one time.
    - $H \le 512$: the sum period by period, $H$ times.
    - $H > 512$: with $v = 1/(1 + d)$, $G_k = E[Y(k\Delta)]$ and $A = 64$, periods $1, \dots, A - 1$
      are added one by one and the rest, by parts, is
      $\sum_{k=A}^{B} v^k (G_k - G_{k-1}) = v^B G_B - v^A G_{A-1} + (1 - v) \sum_{k=A}^{B-1} v^k G_k$;
      by Gregory's formula the last sum is
      $\int_A^B h(u)\, du - \sum_{j=1}^{14} c_j \big(\Delta^{j-1} h(B) - \Delta^{j-1} h(A)\big)$, with
      $h(u) = v^u E[Y(u\Delta)]$, $c_j$ Gregory's coefficients (1/2, -1/12, 1/24, ...) and the
      forward differences taken over whole periods. The integral is Gauss-Legendre quadrature (16 nodes)
      over panels $[u, 4u]$ at most $8 / \log(1 + d)$ periods wide. $B = H$, or
      $64 + \lceil 40 / \log(1 + d) \rceil$ if that is smaller: the periods after it are discounted by
      less than $e^{-40} = 4 \cdot 10^{-18}$ of period 64's factor, and with non-increasing expected
      transactions per period (every model of the library) they add less than that share of the value.

    **Accuracy.** For $H > 512$ the relative error is below $10^{-12}$ for expected transactions that
    are smooth in $t$ with non-increasing increments (the library's models). Against the explicit sum
    for BG/NBD, MBG/NBD and Pareto/NBD customers, from daily to yearly periods, $d$ from $10^{-6}$ to 2
    and $H$ from 513 to 20,000, it is within $2 \cdot 10^{-14}$. For $H \le 512$ the result is the
    explicit sum, as before. The factors $v^k = e^{-k \log(1 + d)}$ underflow to 0 for long horizons
    and high rates (where $(1 + d)^k$ would overflow).

    Examples
    --------
    >>> linear = lambda t: np.outer(t, [0.5, 1.0])  # 0.5 and 1 transactions per unit of time
    >>> discounted_transactions(linear, horizon=2, step=1.0, discount_rate=0.1).round(4)
    array([0.8678, 1.7355])
    >>> discounted_transactions(linear, horizon=10**9, step=1.0, discount_rate=0.1).round(10)  # 1 / d
    array([ 5., 10.])
    """
    periods = _Periods(cumulative, step)
    if discount_rate == 0:
        return np.asarray(periods.at(np.array([float(horizon)]))[0], dtype=np.float64)
    log_rate = math.log1p(discount_rate)
    if horizon <= _EXACT_PERIODS:
        return _period_sum(periods, horizon, log_rate)[0]
    first, order = _HEAD_PERIODS, _GREGORY_ORDER
    head, before = _period_sum(periods, first - 1, log_rate)
    left = first + np.arange(order, dtype=np.float64)
    # Beyond B the discount factor has fallen by exp(-40): the tail is cut there.
    last = float(horizon)
    if log_rate * (horizon - first) > _TAIL_DECAY:
        last = float(first + math.ceil(_TAIL_DECAY / log_rate))
    right = last + np.arange(order, dtype=np.float64)
    ends = periods.at(np.concatenate([left, right]))
    h_left = np.exp(-log_rate * left)[:, None] * ends[:order]
    h_right = np.exp(-log_rate * right)[:, None] * ends[order:]
    edges = _panel_edges(float(first), last, log_rate)
    middle, half = (edges[1:] + edges[:-1]) / 2.0, (edges[1:] - edges[:-1]) / 2.0
    nodes = (middle[:, None] + half[:, None] * _PANEL_NODES).ravel()
    weights = (half[:, None] * _PANEL_WEIGHTS).ravel() * np.exp(-log_rate * nodes)
    integral = periods.weighted_sum(nodes, weights)
    inside = integral - (_GREGORY_WEIGHTS @ h_right - _GREGORY_WEIGHTS @ h_left)
    tail = (
        math.exp(-log_rate * last) * ends[order]
        - math.exp(-log_rate * first) * before
        - math.expm1(-log_rate) * inside
    )
    return np.asarray(head + tail, dtype=np.float64)


def _as_array(value: ArrayLike, name: str) -> FloatArray:
    raw = np.asarray(value)
    if raw.dtype == np.bool_ or raw.dtype.kind not in "iuf":
        msg = f"The {name!r} argument of clv_formula must be numbers; got {raw.dtype} ({value!r})."
        raise ColumnTypeError(msg)
    return raw.astype(np.float64)


def _first_at(bad: BoolArray) -> tuple[tuple[int, ...], str]:
    """Return the index of the first True in ``bad`` and how messages count them ("" for a scalar)."""
    where = tuple(int(i) for i in np.argwhere(bad)[0])
    if bad.ndim == 0:
        return where, ""
    position = where[0] if len(where) == 1 else where
    return where, f"{int(bad.sum())} value(s), the first at position {position}"


def _first_bad(bad: BoolArray, values: FloatArray) -> str:
    where, counted = _first_at(bad)
    if not counted:
        return f"Got {values.item()!r}"
    return f"{counted} ({values[where].item()!r})"


@overload
def clv_formula(margin: float, retention: float, discount_rate: float) -> float: ...
@overload
def clv_formula(
    margin: ArrayLike, retention: ArrayLike, discount_rate: ArrayLike
) -> FloatArray | float: ...
def clv_formula(
    margin: ArrayLike, retention: ArrayLike, discount_rate: ArrayLike
) -> FloatArray | float:
    r"""Compute the simple customer lifetime value $m r / (1 + d - r)$.

    The value of a customer who brings a margin $m$ per period for as long as they stay, stays each period
    with probability $r$, and whose future margins are discounted at the rate $d$ per period.

    Parameters
    ----------
    margin : float or array-like
        $m$, the margin per period (any finite number; the value is linear in it).
    retention : float or array-like
        $r$, the retention rate per period, in $[0, 1)$; 1 is allowed when ``discount_rate`` > 0 (the
        customer never leaves and the value is the perpetuity $m / d$).
    discount_rate : float or array-like
        $d$, the discount rate per period, finite and >= 0.

    Returns
    -------
    float or numpy.ndarray
        A float when all arguments are scalars, otherwise an array of their broadcast shape.

    Raises
    ------
    ColumnTypeError
        If an argument is not numeric.
    InvalidParameterError
        If a margin is not finite, a retention is outside $[0, 1]$ or not finite, a discount rate is
        negative or not finite, a retention of 1 meets a discount rate of 0 (infinite value), the
        shapes do not broadcast, or a value exceeds the largest float (about 1.8e308: a margin far beyond
        money, or a retention of 1 with a discount rate near 0).

    See Also
    --------
    retention.customer_lifetime_value : Lifetime value from fitted models, customer by customer.
    retention.retention_rate : The retention rate $r$ from customer counts.

    Notes
    -----
    Gupta & Lehmann (2003, eq. 4): with the margin received at the end of each period the customer is
    retained, the first one after one period,

    $$
    \mathrm{CLV} = \sum_{t=1}^{\infty} \frac{m\, r^t}{(1 + d)^t} = \frac{m\, r}{1 + d - r},
    $$

    with the denominator taken as $(1 - r) + d$, exact when $r$ is close to 1 and $d$ small (where
    $1 + d$ would round off the digits of $d$).

    It assumes a constant margin and retention rate over an infinite horizon; the margin of the current
    period (time 0) is not included (add $m$ for it). The "margin multiple" $r / (1 + d - r)$ is about
    1 to 4.5 for the usual $r$ of 60 to 90% and $d$ of 10 to 16% a year (Gupta & Lehmann 2005).

    References
    ----------
    Gupta, S. and Lehmann, D. R. (2003). Customers as assets. *Journal of Interactive Marketing* 17(1),
    9-24. Gupta, S. and Lehmann, D. R. (2005). *Managing Customers as Investments*. Wharton School
    Publishing.

    Examples
    --------
    >>> clv_formula(100.0, 0.8, 0.1)
    266.6666666666667
    >>> clv_formula(100.0, [0.6, 0.8, 0.9], 0.1).round(2)
    array([120.  , 266.67, 450.  ])
    """
    m = _as_array(margin, "margin")
    r = _as_array(retention, "retention")
    d = _as_array(discount_rate, "discount_rate")
    checks = (
        (m, "margin", ~np.isfinite(m), "must be finite"),
        (r, "retention", ~np.isfinite(r) | (r < 0) | (r > 1), "must be a rate in [0, 1]"),
        (d, "discount_rate", ~np.isfinite(d) | (d < 0), "must be finite and >= 0"),
    )
    for values, name, bad, what in checks:
        if bad.any():
            msg = f"The {name!r} argument of clv_formula {what}: {_first_bad(bad, values)}."
            raise InvalidParameterError(msg)
    try:
        m, r, d = np.broadcast_arrays(m, r, d)
    except ValueError as e:
        msg = f"The arguments of clv_formula must have shapes that broadcast together. Got margin {m.shape}, retention {r.shape}, discount_rate {d.shape}."
        raise InvalidParameterError(msg) from e
    infinite = (r == 1) & (d == 0)
    if infinite.any():
        msg = (
            "The 'retention' argument of clv_formula must be below 1 where the discount rate is 0: a customer "
            f"who never leaves and is not discounted is worth an infinite sum ({_first_bad(infinite, r)}). "
            "Pass a positive discount_rate or a retention below 1."
        )
        raise InvalidParameterError(msg)
    with np.errstate(over="ignore"):  # a value beyond floats is refused just below
        value = m * r / ((1.0 - r) + d)
    too_large = np.isinf(value)
    if too_large.any():
        where, counted = _first_at(too_large)
        msg = (
            "The arguments of clv_formula give a lifetime value beyond the largest float (about 1.8e308): "
            f"{counted + ': ' if counted else ''}margin {m[where].item()!r}, retention {r[where].item()!r}, "
            f"discount_rate {d[where].item()!r}. Pass the margin in a larger unit (thousands, say), or a "
            "retention below 1 or a larger discount rate."
        )
        raise InvalidParameterError(msg)
    return float(value) if value.ndim == 0 else value


def historical_value(
    customer: IntArray, amount: FloatArray, n_customers: int, *, margin: float = 1.0
) -> FloatArray:
    """Margin times the total amount per customer code, returns (negative amounts) netted out.

    The totals are exact sums (:func:`retention.core.sums.group_sums`), so that the order of the
    purchases and returns never changes a bit of the result.

    Parameters
    ----------
    customer : numpy.ndarray of int64
        Per purchase or return, a customer code in ``0 .. n_customers - 1``.
    amount : numpy.ndarray of float64
        Per purchase or return, the amount (below 0 for a return).
    n_customers : int
        Number of customer codes.
    margin : float, default 1.0
        The factor applied to each customer's total.

    Returns
    -------
    numpy.ndarray of float64
        Per customer code, ``margin`` times the total (0 without any amount).

    Examples
    --------
    >>> historical_value(np.array([0, 1, 0]), np.array([10.0, 5.0, 2.5]), 2, margin=0.5)
    array([6.25, 2.5 ])
    >>> historical_value(np.array([0, 0, 0, 0]), np.array([1e16, 1.0, -1e16, 5.0]), 1)  # exact
    array([6.])
    """
    totals = group_sums(customer, np.asarray(amount, dtype=np.float64), n_customers)
    return margin * totals


def frequency_bins(frequency: FloatArray, max_frequency: int) -> IntArray:
    """Bin ``0, 1, ..., max_frequency - 1`` for those frequencies, ``max_frequency`` for the rest.

    Examples
    --------
    >>> frequency_bins(np.array([0.0, 3.0, 7.0, 12.0]), 7)
    array([0, 3, 7, 7])
    """
    return np.minimum(frequency, max_frequency).astype(np.int64)


def binned_means(bins: IntArray, values: FloatArray, n_bins: int) -> tuple[FloatArray, FloatArray]:
    """Count and mean of ``values`` per bin; the mean is NaN in an empty bin.

    The sums are exact (:func:`retention.core.sums.group_sums`): the order of the values never changes a
    mean.

    Examples
    --------
    >>> binned_means(np.array([0, 0, 2]), np.array([1.0, 2.0, 5.0]), 3)
    (array([2., 0., 1.]), array([1.5, nan, 5. ]))
    """
    counts = np.bincount(bins, minlength=n_bins).astype(np.float64)
    sums = group_sums(bins, np.asarray(values, dtype=np.float64), n_bins)
    means = np.full(n_bins, np.nan)
    np.divide(sums, counts, out=means, where=counts > 0)
    return counts, means


@dataclass(frozen=True, slots=True)
class Tracking:
    """Cumulative actual and expected repeat transactions at the chosen days.

    Attributes
    ----------
    actual, expected : numpy.ndarray
        Per day asked for, the cumulative number of repeat transactions up to and including that day:
        observed, and expected by the model.
    """

    actual: FloatArray
    expected: FloatArray


def tracking_counts(
    first_day: IntArray,
    repeat_day: IntArray,
    at_days: IntArray,
    expected_by_age: FloatArray,
) -> Tracking:
    r"""Cumulative actual and expected repeat transactions of a cohort, at the days ``at_days``.

    Parameters
    ----------
    first_day : numpy.ndarray of int64
        Per customer, the day of the first purchase, counted from 0 (the cohort's first day).
    repeat_day : numpy.ndarray of int64
        Per repeat transaction, its day on the same scale.
    at_days : numpy.ndarray of int64
        The days at which to report the cumulative counts, in ``[0, len(expected_by_age))``.
    expected_by_age : numpy.ndarray
        ``expected_by_age[d]`` $= E[X(d)]$: the expected repeat transactions of a customer within $d$
        days of the first purchase (in the model's time unit), for $d = 0, 1, \ldots, D$.

    Returns
    -------
    Tracking
        The cumulative counts at ``at_days``.

    Notes
    -----
    With $n_f$ the number of customers whose first purchase is on day $f$, the expected cumulative
    repeat transactions by day $e$ are

    $$
    \sum_i E[X(e - f_i)]\,[f_i \le e] = \sum_{f \le e} n_f\, E[X(e - f)],
    $$

    the convolution of the acquisitions per day with $E[X(\cdot)]$, computed for every day at once as a
    direct sum of products (:func:`retention.core.clv.forecast.cohort_expected`, the computation that
    ``rt.forecast`` uses for new customers; it says why direct, and when FFT). No loop over customers or
    periods: the customers enter only through the counts per day.

    Examples
    --------
    >>> g = np.array([0.0, 0.5, 0.8, 1.0])  # E[X(0)], E[X(1)], ... by days since the first purchase
    >>> t = tracking_counts(np.array([0, 1]), np.array([2]), np.array([1, 3]), g)
    >>> t.actual, t.expected.round(6)
    (array([0., 1.]), array([0.5, 1.8]))
    """
    n_days = len(expected_by_age)
    arrivals = np.bincount(first_day, minlength=n_days).astype(np.float64)
    # The one computation of expected cohort transactions, shared with rt.forecast's new customers.
    expected = cohort_expected(arrivals, expected_by_age)
    actual = np.cumsum(np.bincount(repeat_day, minlength=n_days)).astype(np.float64)
    return Tracking(
        actual=actual[at_days], expected=np.asarray(expected[at_days], dtype=np.float64)
    )
