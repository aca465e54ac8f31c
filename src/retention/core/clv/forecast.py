r"""Sales forecasts of a customer base: expected orders per future period, and their interval.

Pure numpy/scipy. The pandas side (reading summaries and transaction tables, the calendar, labels) is
:mod:`retention.frames.forecast`; here are the computations on arrays:

- :func:`cohort_expected`: $\sum_{f \le e} n_f\, E[X(e - f)]$, the expected repeat transactions of
  customers acquired $n_f$ at a time, for every day (or period) $e$. It is the one computation behind the
  tracking check (``rt.tracking_table``, through :func:`retention.core.clv.value.tracking_counts`) and
  the new customers of a forecast (``rt.forecast(..., new_customers=...)``).
- :class:`Existing` and :func:`existing_moments`: the expected repeat transactions (and revenue) of the
  customers already acquired in windows after the end of their observation, summed over customers, with the
  variance of those sums;
- :func:`new_moments`: the same for planned cohorts of new customers;
- :func:`draw_totals` and :func:`interval_bounds`: the interval from draws of the log-parameters and the
  count noise.

Every model of the library factors its conditional expectation as

$$
E[Y_i(t) \mid x_i, t_{x,i}, T_i] = P(\text{alive}_i)\, g(x_i, T_i, t),
$$

$P(\text{alive}_i)$ from the whole history and $g$ the expected transactions of a customer alive at
$T_i$, which depends on the recency only through $P(\text{alive})$ (BG/NBD: Fader, Hardie & Lee 2005,
eq. 10; MBG/NBD: Batislam et al. 2007; Pareto/NBD: Fader & Hardie 2005, eq. 41; BG/BB: Fader, Hardie &
Shang 2010, eq. 13). So the sum over customers is $\sum_{(x, T)} \big(\sum_{i \in (x, T)}
P(\text{alive}_i)\big)\, g(x, T, t)$: the model's expensive part runs once per distinct $(x, T)$ and
time, not per customer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import numpy as np
from scipy.special import betaln, ndtri

from retention.core.arrays import FloatArray, IntArray
from retention.core.clv import beta_geo, bgbb, pareto_nbd
from retention.core.clv.fitting import SEARCH_BOX, compress
from retention.core.sums import group_sums

__all__ = [
    "KINDS",
    "Existing",
    "Moments",
    "cohort_expected",
    "draw_totals",
    "existing_moments",
    "interval_bounds",
    "new_moments",
    "prepare_existing",
    "simulated_values",
]


KINDS: Final = ("bg_nbd", "mbg_nbd", "pareto_nbd", "bg_bb")
"""The models a forecast takes: BG/NBD, MBG/NBD, Pareto/NBD (continuous time) and BG/BB (opportunities)."""

DIRECT_MAX_DAYS: Final = (
    50_000  # cohort_expected: the direct convolution up to this many steps (~0.3 s)
)
_DIFF_STEP: Final = 1e-6  # forward differences in the log-parameters (linearised draws): ~sqrt(eps)
# Draws are evaluated exactly (the model at every drawn parameter vector) while draws times the model
# values of one evaluation stay below this; beyond it, by the first-order expansion (see draw_totals).
EXACT_DRAW_CELLS: Final = 2_000_000
# (window, step) cells of the variance of new customers made at a time
_WINDOW_CELLS: Final = 1 << 21
_NOISE_SAMPLES: Final = 4000  # simulated totals behind an interval's quantiles, at least


def cohort_expected(arrivals: FloatArray, expected_by_age: FloatArray) -> FloatArray:
    r"""Compute the expected cumulative repeat transactions of customers acquired over time, per step.

    Parameters
    ----------
    arrivals : numpy.ndarray
        ``arrivals[f]`` $= n_f$, the customers whose first purchase is at step $f$ (a day, or a period
        for the BG/BB); may be fractional (planned acquisitions spread over days) and longer than
        ``expected_by_age`` (later arrivals do not count).
    expected_by_age : numpy.ndarray
        ``expected_by_age[d]`` $= E[X(d)]$, the expected repeat transactions of a new customer within $d$
        steps of the first purchase (in the model's time unit), $d = 0, 1, \ldots, D$; $E[X(0)] = 0$.

    Returns
    -------
    numpy.ndarray
        Length $D + 1$: at each step $e$, $\sum_{f \le e} n_f\, E[X(e - f)]$.

    Notes
    -----
    The convolution of the acquisitions with $E[X(\cdot)]$, as a direct sum of products
    (``numpy.convolve``): its terms are all non-negative, so every step keeps its relative precision
    (an FFT convolution, which SciPy picks for long inputs, leaves errors of the size of the largest value
    everywhere: $5 \cdot 10^{-11}$ instead of 0 at day 0 of a 3000-day cohort); beyond
    ``DIRECT_MAX_DAYS`` steps, where the direct sum takes seconds, by FFT. No loop over customers or steps.
    The tracking check (Fader, Hardie & Lee 2005, Figures 2 and 3) and the new customers of a forecast
    both call it.

    Examples
    --------
    >>> cohort_expected(np.array([1.0, 1.0]), np.array([0.0, 0.5, 0.8, 1.0]))
    array([0. , 0.5, 1.3, 1.8])
    """
    n_steps = len(expected_by_age)
    if n_steps <= DIRECT_MAX_DAYS:
        # numpy's direct convolution: what scipy.signal.convolve(..., method="direct") calls for 1-D input
        values = np.convolve(arrivals, expected_by_age)[:n_steps]
    else:
        # Imported on first use: scipy.signal would take most of the package's import time.
        from scipy.signal import fftconvolve  # noqa: PLC0415

        values = fftconvolve(arrivals, expected_by_age)[:n_steps]
    return np.asarray(values, dtype=np.float64)


# --- the models -------------------------------------------------------------------------------------------


def _recency_at_end(x: FloatArray, T: FloatArray) -> FloatArray:
    """Return a recency every model accepts with ``x`` and ``T``: ``T`` for repeat buyers, else 0."""
    return np.where(x > 0, T, 0.0)


def alive(
    kind: str, params: dict[str, float], x: FloatArray, tx: FloatArray, T: FloatArray
) -> FloatArray:
    r"""Compute $P(\text{alive})$ of each customer: at $T$, or at opportunity $n + 1$ for the BG/BB.

    Examples
    --------
    >>> p = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    >>> alive("bg_nbd", p, np.array([2.0]), np.array([30.43]), np.array([38.86])).round(4)
    array([0.7266])
    """
    if kind == "pareto_nbd":
        return pareto_nbd.p_alive(x, tx, T, **params)
    if kind == "bg_bb":
        return bgbb.p_alive(x, tx, T, **params)
    return beta_geo.p_alive(x, tx, T, **params, dropout_at_start=kind == "mbg_nbd")


def _conditional(
    kind: str,
    params: dict[str, float],
    t: FloatArray,
    customers: tuple[FloatArray, FloatArray, FloatArray],
) -> FloatArray:
    """Conditional expected transactions, one row per time of ``t``, one column per customer."""
    x, tx, T = customers
    if kind == "bg_bb":
        rows = [bgbb.conditional_expected_purchases(float(n), x, tx, T, **params) for n in t]
        return np.asarray(np.stack(rows) if rows else np.empty((0, len(x))), dtype=np.float64)
    times = t[:, None]
    if kind == "pareto_nbd":
        return pareto_nbd.conditional_expected_purchases(
            times, x[None], tx[None], T[None], **params
        )
    return beta_geo.conditional_expected_purchases(
        times, x[None], tx[None], T[None], **params, dropout_at_start=kind == "mbg_nbd"
    )


def given_alive(
    kind: str, params: dict[str, float], x: FloatArray, T: FloatArray, t: FloatArray
) -> FloatArray:
    r"""$g(x, T, t)$: the expected transactions in $(T, T + t]$ of a customer alive, per time and row.

    The model's conditional expectation divided by its $P(\text{alive})$ at a recency of $T$ (of 0 for
    $x = 0$): every model of the library is that product (see the module's notes), so the quotient is
    the same at any recency.

    Examples
    --------
    >>> p = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    >>> g = given_alive("bg_nbd", p, np.array([2.0]), np.array([38.86]), np.array([39.0]))
    >>> (0.7266 * g).round(3)  # P(alive) times g: conditional_expected_purchases
    array([[1.226]])
    """
    tx = _recency_at_end(x, T)
    now = alive(kind, params, x, tx, T)[None]
    values = _conditional(kind, params, t, (x, tx, T))
    # P(alive) is 0 only where the model's own arithmetic gives 0 (degenerate fits, b below 1e-16 in the
    # BG/NBD): those customers' expectations are 0 at every recency, whatever g is there.
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(np.where(now > 0, values / now, 0.0), dtype=np.float64)


def still_alive(
    kind: str, params: dict[str, float], x: FloatArray, T: FloatArray, t: FloatArray
) -> FloatArray:
    r"""$P(\text{alive at } T + t \mid \text{alive at } T)$ per time and row (BG/BB: at opportunity $n + 1 + t$ given $n + 1$)."""
    if kind == "bg_bb":
        gamma, delta = params["gamma"], params["delta"]
        n = T[None] + 1.0
        return np.asarray(np.exp(betaln(gamma, delta + n + t[:, None]) - betaln(gamma, delta + n)))
    tx = _recency_at_end(x, T)
    times = t[:, None]
    if kind == "pareto_nbd":
        later = pareto_nbd.p_alive(x[None], tx[None], T[None], **params, t=times)
    else:
        later = beta_geo.p_alive(
            x[None], tx[None], T[None], **params, t=times, dropout_at_start=kind == "mbg_nbd"
        )
    now = alive(kind, params, x, tx, T)[None]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(np.where(now > 0, np.minimum(later / now, 1.0), 0.0), dtype=np.float64)


def rate_dispersion(
    kind: str, params: dict[str, float], x: FloatArray, T: FloatArray
) -> FloatArray:
    r"""$\kappa = \mathrm{Var}/\mathrm{mean}^2$ of the posterior purchase rate of a customer alive.

    $1 / (r + x)$ for the gamma rate of the BG/NBD, MBG/NBD and Pareto/NBD; for the BG/BB's
    $p \sim \mathrm{Beta}(\alpha + x, \beta + n - x)$, $(\beta + n - x) / ((\alpha + x)(\alpha + \beta + n + 1))$.
    """
    if kind == "bg_bb":
        a, b = params["alpha"] + x, params["beta"] + (T - x)
        return np.asarray(b / (a * (a + b + 1.0)), dtype=np.float64)
    return np.asarray(1.0 / (params["r"] + x), dtype=np.float64)


def new_customer_curves(
    kind: str, params: dict[str, float], ages: FloatArray, *, survival: bool = True
) -> tuple[FloatArray, FloatArray]:
    r"""$E[X(u)]$ and the chance to be alive at age $u$ of a new customer, at ``ages`` (model time unit).

    The chance to be alive is left as ones when ``survival`` is False (the means need only $E[X(u)]$).
    """
    alive_at = np.ones_like(ages)
    if kind == "bg_bb":
        expected = bgbb.expected_purchases(ages, **params)
        if survival:
            gamma, delta = params["gamma"], params["delta"]
            alive_at = np.exp(betaln(gamma, delta + ages + 1.0) - betaln(gamma, delta))
        return expected, np.asarray(alive_at, dtype=np.float64)
    zero = np.zeros(1)
    if kind == "pareto_nbd":
        expected = pareto_nbd.expected_purchases(ages, **params)
        if survival:
            alive_at = pareto_nbd.p_alive(zero, zero, zero, **params, t=ages)
    else:
        mbg = kind == "mbg_nbd"
        expected = beta_geo.expected_purchases(ages, **params, dropout_at_start=mbg)
        if survival:
            alive_at = beta_geo.p_alive(zero, zero, zero, **params, t=ages, dropout_at_start=mbg)
            if mbg:  # the MBG/NBD customer may drop out at the first purchase itself
                alive_at = alive_at * params["b"] / (params["a"] + params["b"])
    return np.asarray(expected, dtype=np.float64), np.asarray(alive_at, dtype=np.float64)


# --- existing customers -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Existing:
    """Customers already acquired, compressed once for every parameter vector.

    Attributes
    ----------
    x, tx, T : numpy.ndarray
        The distinct histories.
    row_group : numpy.ndarray of int64
        For each distinct history, its distinct ``(x, T)`` pair.
    group_x, group_T : numpy.ndarray
        The distinct ``(x, T)`` pairs.
    count, spend, spend2 : numpy.ndarray
        Per distinct history: the customers, the sum of their expected spends per transaction, and of
        its squares (exact sums; 1 per customer when there is no spend model).
    inverse : numpy.ndarray of int64
        For each customer, its distinct history.
    """

    x: FloatArray
    tx: FloatArray
    T: FloatArray
    row_group: IntArray
    group_x: FloatArray
    group_T: FloatArray
    count: FloatArray
    spend: FloatArray
    spend2: FloatArray
    inverse: IntArray


def prepare_existing(
    x: FloatArray, tx: FloatArray, T: FloatArray, spend: FloatArray | None = None
) -> Existing:
    """Compress customers to distinct histories and distinct ``(x, T)`` pairs (any row order: same result).

    Examples
    --------
    >>> e = prepare_existing(np.array([1.0, 1.0, 0.0]), np.array([3.0, 2.0, 0.0]), np.array([5.0, 5.0, 5.0]))
    >>> e.x, e.tx, e.row_group, e.group_x
    (array([0., 1., 1.]), array([0., 2., 3.]), array([0, 1, 1]), array([0., 1.]))
    """
    rows = compress([x, tx, T])
    rx, rtx, rT = rows.columns
    groups = compress([rx, rT])
    n_rows = len(rx)
    z = np.ones(len(x)) if spend is None else np.asarray(spend, dtype=np.float64)
    count = rows.weights
    total = group_sums(rows.inverse, z, n_rows)
    total2 = group_sums(rows.inverse, z * z, n_rows)
    gx, gT = groups.columns
    return Existing(rx, rtx, rT, groups.inverse, gx, gT, count, total, total2, rows.inverse)


@dataclass(frozen=True, slots=True)
class Moments:
    """Sums over customers per window: means and variances of orders and revenue.

    ``orders`` and ``revenue`` are per window $(t_{k-1}, t_k]$; the ``*_cumulative`` ones over
    $(t_0, t_k]$. The variances are those of the count noise (see :func:`existing_moments`).
    """

    orders: FloatArray
    orders_cumulative: FloatArray
    revenue: FloatArray
    revenue_cumulative: FloatArray
    orders_var: FloatArray
    orders_cumulative_var: FloatArray
    revenue_var: FloatArray
    revenue_cumulative_var: FloatArray

    def means(self) -> FloatArray:
        """Return the four means, concatenated."""
        return np.concatenate(
            [self.orders, self.orders_cumulative, self.revenue, self.revenue_cumulative]
        )

    def variances(self) -> FloatArray:
        """Return the four variances, concatenated in the order of :meth:`means`."""
        return np.concatenate(
            [
                self.orders_var,
                self.orders_cumulative_var,
                self.revenue_var,
                self.revenue_cumulative_var,
            ]
        )


def _sum_over(values: FloatArray) -> FloatArray:
    """Exact sums of ``values`` (times x groups) over the groups, one per time."""
    n_times = values.shape[0]
    if values.size == 0:
        return np.zeros(n_times)
    which = np.repeat(np.arange(n_times, dtype=np.int64), values.shape[1])
    return group_sums(which, np.ascontiguousarray(values, dtype=np.float64).ravel(), n_times)


def _noise(mean: FloatArray, dispersion: FloatArray, start_alive: FloatArray) -> FloatArray:
    r"""$E[M^2]$ over $P(\text{alive})$ per customer unit: $g^2 (1 + \kappa) / S$ (0 where $S = 0$)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(start_alive > 0, mean * mean * (1.0 + dispersion) / start_alive, 0.0)


def existing_moments(
    kind: str,
    params: dict[str, float],
    customers: Existing,
    times: FloatArray,
    *,
    variance: bool = True,
    money: bool = True,
) -> Moments:
    r"""Sum the expected repeat transactions (and revenue) of existing customers in windows.

    Parameters
    ----------
    kind : str
        One of :data:`KINDS`.
    params : dict
        The model's parameters.
    customers : Existing
        From :func:`prepare_existing`.
    times : numpy.ndarray
        The window bounds $t_0 < t_1 < \dots < t_K$ after the end of observation, in the model's time unit
        (opportunities for the BG/BB), $t_0 \ge 0$.
    variance : bool, default True
        Also compute the variances of the count noise (zeros otherwise).
    money : bool, default True
        Also compute the revenue (otherwise its fields repeat the orders').

    Returns
    -------
    Moments
        Per window $k$: $\sum_i E[Y_i(t_k)] - E[Y_i(t_{k-1})]$ (orders), and with the spends $z_i$,
        $\sum_i z_i (\ldots)$ (revenue); cumulative ones from $t_0$, the running sums of the windows'.

    Notes
    -----
    **Count noise.** The customers' counts are independent, so the variance of a sum is the sum of
    their variances. A customer's count $Z$ in a window with mean $m = A\,\Delta g$ is taken as Poisson
    given the state at the window's start (alive with probability $\pi = A\,S$, $S$ =
    :func:`still_alive`) and the purchase rate, whose posterior has $\mathrm{Var}/\mathrm{mean}^2 =
    \kappa$ (:func:`rate_dispersion`): $\mathrm{Var}(Z) = m + m^2\big((1 + \kappa)/\pi - 1\big)$. It
    leaves out dropping out inside the window (an approximation, documented on the "Forecasting sales"
    page). Revenue: $z_i^2\, \mathrm{Var}(Z_i)$, the expected spend per transaction taken as known.

    Examples
    --------
    >>> p = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    >>> c = prepare_existing(np.array([0.0, 2.0]), np.array([0.0, 30.43]), np.array([38.86, 38.86]))
    >>> existing_moments("bg_nbd", p, c, np.array([0.0, 39.0])).orders.round(3)  # 0.195 + 1.226
    array([1.421])
    """
    a = alive(kind, params, customers.x, customers.tx, customers.T)
    n_groups = len(customers.group_x)
    g_by = customers.row_group
    w1 = group_sums(g_by, a * customers.count, n_groups)
    wz = group_sums(g_by, a * customers.spend, n_groups)
    g = given_alive(kind, params, customers.group_x, customers.group_T, times)
    increments = np.diff(g, axis=0)
    cumulative = g[1:] - g[:1]
    orders = _sum_over(w1[None] * increments)
    revenue = _sum_over(wz[None] * increments) if money else orders
    k = len(times) - 1
    if not variance:
        zero = np.zeros(k)
        return Moments(orders, np.cumsum(orders), revenue, np.cumsum(revenue), *(zero,) * 4)
    w2 = group_sums(g_by, a * a * customers.count, n_groups)
    wz2 = group_sums(g_by, a * customers.spend2, n_groups)
    w2z2 = group_sums(g_by, a * a * customers.spend2, n_groups)
    kappa = rate_dispersion(kind, params, customers.group_x, customers.group_T)[None]
    s = still_alive(kind, params, customers.group_x, customers.group_T, times[:-1])
    s0 = np.broadcast_to(s[:1], cumulative.shape)
    second = _noise(increments, kappa, s)
    second_cum = _noise(cumulative, kappa, s0)

    def var(
        weight: FloatArray, weight2: FloatArray, mean: FloatArray, squares: FloatArray
    ) -> FloatArray:
        return np.maximum(
            _sum_over(weight[None] * (mean + squares) - weight2[None] * mean * mean), 0.0
        )

    orders_var = var(w1, w2, increments, second)
    orders_cum_var = var(w1, w2, cumulative, second_cum)
    return Moments(
        orders,
        np.cumsum(orders),
        revenue,
        np.cumsum(revenue),
        orders_var,
        orders_cum_var,
        var(wz2, w2z2, increments, second) if money else orders_var,
        var(wz2, w2z2, cumulative, second_cum) if money else orders_cum_var,
    )


def customer_totals(
    kind: str, params: dict[str, float], customers: Existing, start: float, end: float
) -> tuple[FloatArray, FloatArray]:
    r"""Return per customer $P(\text{alive})$ and the expected transactions in $(t_0, t_K]$."""
    a = alive(kind, params, customers.x, customers.tx, customers.T)
    g = given_alive(
        kind, params, customers.group_x, customers.group_T, np.array([start, end], dtype=np.float64)
    )
    per_row = a * (g[1] - g[0])[customers.row_group]
    return a[customers.inverse], per_row[customers.inverse]


# --- new customers ----------------------------------------------------------------------------------------


def new_moments(
    kind: str,
    params: dict[str, float],
    arrivals: FloatArray,
    bounds: IntArray,
    *,
    step: float,
    mean_spend: float,
    variance: bool = True,
) -> Moments:
    r"""Compute the expected repeat transactions of planned new customers, per window.

    Parameters
    ----------
    kind, params
        The model.
    arrivals : numpy.ndarray
        New customers per step (day, or period for the BG/BB), from step 0.
    bounds : numpy.ndarray of int64
        Window $k$ is the steps ``bounds[k - 1] .. bounds[k] - 1``.
    step : float
        The length of a step in the model's time unit (1/7 for days and weeks; 1 for the BG/BB).
    mean_spend : float
        The population mean spend per transaction (1 for orders only).
    variance : bool, default True
        Also compute the variances of the count noise.

    Returns
    -------
    Moments
        ``orders``: the repeat transactions of the new customers in each window (their first orders are
        the arrivals themselves); revenue: ``mean_spend`` times the repeat transactions.

    Notes
    -----
    A customer acquired at step $f$ has made $E[X(e - f)]$ repeat transactions by step $e$ (the
    expected value at its end), so the expected cumulative count is :func:`cohort_expected` of the
    arrivals, the computation of the tracking check. The variance is that of
    :func:`existing_moments` with $\pi$ the chance that a new customer is still alive at the window's
    start and $\kappa$ that of a customer without repeat purchases, summed over the steps of arrival.

    Examples
    --------
    >>> p = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    >>> m = new_moments("bg_nbd", p, np.full(14, 10.0), np.array([0, 7, 14]), step=1 / 7, mean_spend=1.0)
    >>> bool(m.orders_cumulative[-1] > m.orders[0] > 0)
    True
    """
    n_steps = int(bounds[-1])
    ages = np.arange(n_steps + 1, dtype=np.float64) * step
    expected, survival = new_customer_curves(kind, params, ages, survival=variance)
    total = cohort_expected(arrivals[:n_steps], expected[:n_steps])
    ends = bounds[1:] - 1
    at_end = total[ends]
    before = np.where(bounds[0] > 0, total[max(int(bounds[0]) - 1, 0)], 0.0)
    cumulative = at_end - before
    orders = np.diff(np.concatenate([[before], at_end]))
    zero = np.zeros(len(ends))
    if not variance:
        return Moments(
            orders, cumulative, mean_spend * orders, mean_spend * cumulative, zero, zero, zero, zero
        )
    kappa = float(rate_dispersion(kind, params, np.zeros(1), np.zeros(1))[0])
    days = np.arange(n_steps)

    def window_var(starts: IntArray) -> FloatArray:
        # Per window x step of arrival: the ages at the window's end and (0 for those acquired inside it)
        # at its start. Blocks of windows of at most _WINDOW_CELLS cells, each over the steps up to its
        # last window's end (later arrivals add nothing): memory stays bounded on a horizon of centuries.
        out = np.empty(len(ends))
        rows = max(1, _WINDOW_CELLS // max(n_steps, 1))
        for lo in range(0, len(ends), rows):  # blocks of windows, each vectorised over its cells
            hi = min(lo + rows, len(ends))
            upto = days[: int(ends[hi - 1]) + 1]
            end_age = ends[lo:hi, None] - upto[None]
            start_age = np.maximum(starts[lo:hi, None] - 1 - upto[None], -1)
            inside = end_age >= 0
            high = np.where(inside, expected[np.clip(end_age, 0, n_steps)], 0.0)
            low = np.where(start_age >= 0, expected[np.clip(start_age, 0, n_steps)], 0.0)
            pi = np.where(start_age >= 0, survival[np.clip(start_age, 0, n_steps)], survival[0])
            m = np.where(inside, high - low, 0.0)
            per = m + _noise(m, np.full_like(m, kappa), pi) - m * m
            out[lo:hi] = _sum_over(arrivals[None, : len(upto)] * per)
        return out

    orders_var = np.maximum(window_var(bounds[:-1]), 0.0)
    cumulative_var = np.maximum(window_var(np.full(len(ends), bounds[0])), 0.0)
    s2 = mean_spend * mean_spend
    return Moments(
        orders,
        cumulative,
        mean_spend * orders,
        mean_spend * cumulative,
        orders_var,
        cumulative_var,
        s2 * orders_var,
        s2 * cumulative_var,
    )


# --- the interval -----------------------------------------------------------------------------------------


def draw_totals(
    evaluate: Callable[[FloatArray], FloatArray],
    params: FloatArray,
    log_covariance: FloatArray,
    *,
    n_draws: int,
    rng: np.random.Generator,
    exact: bool,
    base: FloatArray | None = None,
) -> FloatArray:
    r"""Compute the expected totals at ``n_draws`` parameter vectors drawn around the estimate.

    Parameters
    ----------
    evaluate : callable
        ``evaluate(params) -> totals``: the expected totals (a 1-D array) at a parameter vector.
    params : numpy.ndarray
        The estimates $\hat\theta$ (natural scale).
    log_covariance : numpy.ndarray
        The covariance $\Sigma$ of $\log\hat\theta$ (the fit's inverse Hessian); NaN entries (a parameter
        on its bound) count as 0.
    n_draws : int
        The number of draws $D$.
    rng : numpy.random.Generator
        The seeded generator.
    exact : bool
        Evaluate the model at every draw; otherwise by its first-order expansion in $\log\theta$ around
        $\hat\theta$ (forward differences with a step of $10^{-6}$, $P$ evaluations).
    base : numpy.ndarray, optional
        ``evaluate(params)``, when the caller has it already.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_draws, len(totals))``.

    Notes
    -----
    $\log\theta_d \sim N(\log\hat\theta, \Sigma)$, the normal approximation of the likelihood on the
    log scale, where the fit computes $\Sigma$ (:mod:`retention.core.clv.fitting`). The linear expansion
    is the delta method; its error shrinks with the spread of the draws, which shrinks as
    $1/\sqrt{n}$ with the customers fitted.

    Examples
    --------
    >>> f = lambda p: np.array([p[0] * 2.0])
    >>> rng = np.random.default_rng(0)
    >>> d = draw_totals(f, np.array([1.0]), np.array([[0.0]]), n_draws=3, rng=rng, exact=True)
    >>> d.ravel().tolist()
    [2.0, 2.0, 2.0]
    """
    cov = np.where(np.isfinite(log_covariance), log_covariance, 0.0)
    center = np.log(params)
    # A symmetric square root that tolerates a semi-definite matrix (zero rows for fixed parameters).
    values, vectors = np.linalg.eigh((cov + cov.T) / 2.0)
    root = vectors * np.sqrt(np.clip(values, 0.0, None))
    shifts = rng.standard_normal((n_draws, len(params))) @ root.T
    if exact:
        # Draws stay in the box the fit searched: a parameter the data barely identify (a huge variance)
        # would otherwise be drawn at values that overflow and that no fit could have given.
        low, high = np.log(SEARCH_BOX[0]), np.log(SEARCH_BOX[1])
        return np.stack([evaluate(np.exp(np.clip(center + shift, low, high))) for shift in shifts])
    if base is None:
        base = evaluate(params)
    jacobian = np.zeros((len(base), len(params)))
    for j in np.flatnonzero(np.abs(root).sum(axis=1) > 0):  # parameters that move
        up = center.copy()
        up[j] += _DIFF_STEP
        jacobian[:, j] = (evaluate(np.exp(up)) - base) / _DIFF_STEP
    return np.asarray(base[None] + shifts @ jacobian.T, dtype=np.float64)


def interval_bounds(
    mean: FloatArray,
    variance: FloatArray,
    draws: FloatArray | None,
    *,
    level: float,
    rng: np.random.Generator,
) -> tuple[FloatArray, FloatArray]:
    r"""Lower and upper bounds at ``level``: parameter draws plus normal count noise, floored at 0.

    Each draw's expected total gets an independent normal noise of the count variance (the sum of many
    independent counts); the bounds are the $(1 \mp \text{level})/2$ quantiles of those simulated totals,
    at least 4,000 of them (the draws are reused in turn, each time with new noise). Without draws (a
    model built from known parameters, or ``n_draws=0``) the totals are normal about the mean, and the
    bounds are its exact quantiles, $\mu \pm z \sigma$; nothing is simulated and ``rng`` is not used.

    Examples
    --------
    >>> lo, hi = interval_bounds(np.array([100.0]), np.array([100.0]), None, level=0.9,
    ...                          rng=np.random.default_rng(1))
    >>> lo.round(2).tolist(), hi.round(2).tolist()  # 100 -/+ 1.645 * 10
    ([83.55], [116.45])
    """
    tail = (1.0 - level) / 2.0
    sd = np.sqrt(np.maximum(variance, 0.0))
    if draws is None:
        z = float(ndtri(1.0 - tail))
        return np.maximum(mean - z * sd, 0.0), np.maximum(mean + z * sd, 0.0)
    # At least _NOISE_SAMPLES simulated totals: the draws repeated, each time with new noise, so that the
    # quantiles do not move with the few draws' noise.
    n = max(_NOISE_SAMPLES, draws.shape[0])
    simulated = np.resize(draws, (n, len(mean))) + sd[None] * rng.standard_normal((n, len(mean)))
    lower, upper = np.quantile(simulated, [tail, 1.0 - tail], axis=0)
    return np.maximum(lower, 0.0), np.maximum(upper, 0.0)


def simulated_values(n_draws: int, n_totals: int) -> int:
    """Return how many values :func:`interval_bounds` simulates for ``n_draws`` draws of ``n_totals``."""
    return max(_NOISE_SAMPLES, n_draws) * n_totals
