"""``rt.BetaGeoBetaBinom`` (BG/BB): repeat buying at discrete opportunities, on a summary frame.

A short class over :mod:`retention.core.clv.bgbb`, which holds the likelihood and the prediction formulas:
it declares the parameters and the columns it reads (``frequency``, ``recency``, ``n_periods``, or ``T``
from ``rt.rfm_summary``), and its predictions call the core through the plumbing of
:class:`retention.frames.models.SummaryModel` (``fit``, reading and labelling, ``params``, ``summary()``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Final, overload

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from retention.core.arrays import FloatArray as Array
from retention.core.clv import bgbb as core
from retention.core.clv.fitting import Likelihood
from retention.errors import check_size
from retention.frames.models import (
    REQUIRED,
    NotGiven,
    Prediction,
    SummaryModel,
    customers_first,
    model_doctests,
)
from retention.frames.options import DISCOUNT_RATE, declare
from retention.frames.summary_schema import (
    Customers,
    check_count,
    check_frequency_recency_n_periods,
    shaped,
)

__all__ = ["BetaGeoBetaBinom"]

_DERT: Final = declare(
    "BetaGeoBetaBinom.discounted_expected_residual_transactions", discount_rate=DISCOUNT_RATE
)


# Bytes per cell of the tables over opportunities that the likelihood (with its gradient, to fit) and
# probability_of_purchases hold at once: 64 and 56 measured with tracemalloc.
_BYTES_PER_CELL: Final = 80


def _by_distinct(horizon: Array, compute: Callable[[float, NDArray[np.bool_]], Array]) -> Array:
    """Evaluate ``compute(h, rows)`` once per distinct value ``h`` of a flat horizon, on the rows holding it.

    The core of the BG/BB takes one number of opportunities at a time; a broadcast horizon is put together
    from one call per distinct value (a handful in practice), each on exactly the rows it would see alone.
    """
    out = np.empty(horizon.shape)
    for value in np.unique(horizon):
        rows = horizon == value
        out[rows] = compute(float(value), rows)
    return out


@dataclass(frozen=True, kw_only=True)
class BetaGeoBetaBinom(SummaryModel):
    r"""The BG/BB model of repeat buying at discrete opportunities (Fader, Hardie & Shang 2010).

    A non-contractual, discrete-time setting: customers can buy once per opportunity (a yearly fund drive,
    a weekly issue, a season) and you never see them leave. After the first purchase, at each
    opportunity a living customer dies for good with probability $\theta$ (at its start) and, if alive,
    buys with probability $p$. Across customers $p \sim \mathrm{Beta}(\alpha, \beta)$ and
    $\theta \sim \mathrm{Beta}(\gamma, \delta)$.

    <model sections>

    See Also
    --------
    BetaGeo : The continuous-time analogue (BG/NBD).
    ShiftedBetaGeometric : The contractual discrete-time model (you see customers leave).
    retention.rfm_summary : With ``freq`` the opportunity's period, the summary the model reads.

    Notes
    -----
    A customer's data are $x$ transactions at opportunities $1, \dots, n$, the last at $t_x$ (0 when
    $x = 0$). The likelihood (FHS 2010, eq. 5) adds the case "alive at all $n$ opportunities" to the cases
    "died at the start of opportunity $t_x + i + 1$":

    $$
    L = \frac{B(\alpha + x, \beta + n - x)}{B(\alpha, \beta)} \frac{B(\gamma, \delta + n)}{B(\gamma, \delta)}
    + \sum_{i=0}^{n - t_x - 1} \frac{B(\alpha + x, \beta + t_x - x + i)}{B(\alpha, \beta)}
    \frac{B(\gamma + 1, \delta + t_x + i)}{B(\gamma, \delta)}.
    $$

    **Inputs from transactions.** ``rt.rfm_summary(tx, freq=period)`` counts ``frequency`` as the
    periods with a purchase after the first one, ``recency`` as the periods from the first to the last,
    and ``T`` as the periods from the first to the observation end: with a purchase at most once per
    period, these are $x$, $t_x$ and $n$, so the model reads that summary as it is (``T`` stands in for
    ``n_periods``). End the observation on the last day of a period.

    References
    ----------
    Fader, P. S., Hardie, B. G. S. and Shang, J. (2010). Customer-base analysis in a discrete-time
    noncontractual setting. *Marketing Science* 29(6), 1086-1108.

    Examples
    --------
    Yearly opportunities: the summary by year, with ``T`` for ``n_periods``, as the model reads it.

    >>> import pandas as pd
    >>> import retention as rt
    >>> tx = pd.DataFrame({"customer_id": [1, 1, 1, 2, 3], "date": pd.to_datetime(
    ...     ["2019-03-01", "2020-05-01", "2022-02-01", "2019-07-01", "2021-09-01"])})
    >>> summary = rt.rfm_summary(tx, freq="Y", observation_end="2024-12-31")
    >>> summary
                 frequency  recency    T
    customer_id
    1                    2      3.0  5.0
    2                    0      0.0  5.0
    3                    0      0.0  3.0
    >>> m = rt.BetaGeoBetaBinom(alpha=1.204, beta=0.750, gamma=0.657, delta=2.783)
    >>> m.p_alive(summary).round(3)
    customer_id
    1    0.467
    2    0.137
    3    0.245
    Name: p_alive, dtype: float64
    """

    alpha: float
    beta: float
    gamma: float
    delta: float
    _likelihood: ClassVar[Likelihood[Any]] = core.BETA_GEO_BETA_BINOM
    _columns: ClassVar[tuple[str, ...]] = ("frequency", "recency", "n_periods")
    _column_type: ClassVar[str] = "int"
    _columns_note: ClassVar[str] = " (or ``T``)"
    _refused_note: ClassVar[str] = (
        "; histories too long for this machine's memory are refused as in `fit`"
    )
    _docs: ClassVar[Mapping[str, Any]] = {
        "fit": {
            "columns": "``frequency``, ``recency`` and ``n_periods`` (or ``T`` instead of ``n_periods``)",
            "summary note": " with ``freq`` the opportunity's period; all whole numbers",
            "rules": (
                "whole numbers with ``frequency <= recency <= n_periods``, "
                ":func:`~retention.frames.summary_schema.check_frequency_recency_n_periods`"
            ),
            "not identified": (
                ", or no customer has a repeat transaction (the model is not identified)"
            ),
            "read errors": (
                ", or the likelihood's tables (one row per distinct frequency, one entry per "
                "opportunity up to the longest history) would not fit in this machine's memory "
                "(checked before they are allocated)"
            ),
            "warns": "",
            "fit notes": r"""
        Notes
        -----
        The shared routine (:func:`retention.core.clv.fitting.fit_likelihood`) groups identical rows,
        maximises the log-likelihood over the log parameters with L-BFGS-B and the analytic gradient,
        polishes with Newton steps and takes standard errors from the Hessian. The arrays are
        ``frequency``, ``recency`` and ``n_periods``: transactions at opportunities $1, \dots, n$, the
        opportunity of the last one (0 without any), and $n$.

        Examples
        --------
        >>> import retention as rt
        >>> patterns = pd.DataFrame({  # 4 opportunities: every (x, t_x) and how many donors show it
        ...     "frequency": [0, 1, 1, 2, 1, 2, 3, 1, 2, 3, 4],
        ...     "recency": [0, 1, 2, 2, 3, 3, 3, 4, 4, 4, 4],
        ...     "n_periods": 4,
        ...     "donors": [3308, 1120, 382, 604, 252, 443, 537, 209, 503, 921, 1720],
        ... })
        >>> model = rt.BetaGeoBetaBinom.fit(patterns, weights=patterns["donors"])
        >>> model.summary().round(3)
                   estimate  standard_error  lower_95  upper_95
        parameter
        alpha         1.206           0.108     1.012     1.437
        beta          0.751           0.043     0.672     0.839
        gamma         0.655           0.098     0.489     0.878
        delta         2.772           0.588     1.829     4.201

        The counts are the expected numbers (rounded) of 10,000 donors under the estimates of Fader,
        Hardie and Shang (2010) on their data ($\alpha = 1.204$, $\beta = 0.750$, $\gamma = 0.657$,
        $\delta = 2.783$), which the fit recovers.
        """,
        },
    }

    @classmethod
    def _names(cls, summary: object) -> tuple[str, ...]:
        if (
            isinstance(summary, pd.DataFrame)
            and "n_periods" not in summary.columns
            and "T" in summary.columns
        ):
            return ("frequency", "recency", "T")  # rt.rfm_summary(tx, freq=period) measures n as T
        return cls._columns

    @classmethod
    def _check_customers(cls, customers: Customers, func: str, names: tuple[str, ...]) -> Customers:
        periods = names[2]
        checked = check_frequency_recency_n_periods(customers, func=func, periods=periods)
        x, _, n = checked.columns
        if len(n):
            # The likelihood tabulates every opportunity up to the longest history, per distinct
            # frequency (core.bgbb._terms): that table, not the customers, sets the memory it takes.
            rows, size = len(np.unique(x)) + 1, int(n.max()) + 1
            check_size(
                rows * size,
                itemsize=_BYTES_PER_CELL,
                what=f"the likelihood's tables ({rows} rows of {size:,} opportunities)",
                fix=f"Pass fewer opportunities per customer ({periods}): make the summary with longer "
                "periods, rt.rfm_summary(tx, freq=...) with a coarser freq, so that each opportunity is a "
                "longer period.",
                func=func,
            )
        return checked

    @overload
    def p_alive(self, summary: pd.DataFrame) -> pd.Series: ...
    @overload
    def p_alive(
        self,
        summary: None = None,
        *,
        frequency: float,
        recency: float,
        n_periods: float,
    ) -> float: ...
    @overload
    def p_alive(
        self,
        summary: None = None,
        *,
        frequency: ArrayLike,
        recency: ArrayLike,
        n_periods: ArrayLike,
    ) -> Array: ...
    def p_alive(
        self,
        summary: pd.DataFrame | None = None,
        *,
        frequency: ArrayLike | None = None,
        recency: ArrayLike | None = None,
        n_periods: ArrayLike | None = None,
    ) -> Prediction:
        r"""Probability that each customer is alive at the next opportunity, $n + 1$.

        Parameters
        ----------
        <summary>
        <customer arrays>

        <prediction returns>

        <prediction raises>

        Notes
        -----
        FHS 2010, eq. 11:
        $P(\text{alive at } n + 1 \mid x, t_x, n) = \frac{B(\alpha + x, \beta + n - x)}{B(\alpha, \beta)}
        \frac{B(\gamma, \delta + n + 1)}{B(\gamma, \delta)} \Big/ L$.

        Examples
        --------
        >>> import retention as rt
        >>> m = rt.BetaGeoBetaBinom(alpha=1.204, beta=0.750, gamma=0.657, delta=2.783)
        >>> m.p_alive(frequency=[0, 6, 3, 3], recency=[0, 6, 6, 3], n_periods=[6, 6, 6, 6]).round(3)
        array([0.108, 0.93 , 0.93 , 0.095])
        >>> round(m.p_alive(frequency=3, recency=3, n_periods=6), 3)
        0.095
        """
        columns = {"frequency": frequency, "recency": recency, "n_periods": n_periods}
        return self._predict(
            "p_alive", summary, columns, lambda data: core.p_alive(*data.columns, **self.params)
        )

    @overload
    def expected_purchases(self, t: int) -> float: ...
    @overload
    def expected_purchases(self, t: ArrayLike) -> Array: ...
    def expected_purchases(self, t: ArrayLike) -> float | Array:
        r"""Predict the transactions of a new customer in the $t$ opportunities after the first purchase, $E[X(t)]$.

        Parameters
        ----------
        t : int or array-like of int
            Numbers of opportunities, >= 0; any shape.

        Returns
        -------
        float or numpy.ndarray
            One value per ``t``, in the shape of ``t``; a float for a number.

        Raises
        ------
        InvalidParameterError
            If ``t`` is not whole and >= 0.

        Notes
        -----
        FHS 2010, eq. 7, with $n = t$: $E[X(n)] = \frac{\alpha}{\alpha + \beta} \frac{\delta}{\gamma - 1}
        \left[1 - \frac{\Gamma(\gamma + \delta)\, \Gamma(1 + \delta + n)}
        {\Gamma(\gamma + \delta + n)\, \Gamma(1 + \delta)}\right]$, continuous at $\gamma = 1$.

        Examples
        --------
        >>> import retention as rt
        >>> m = rt.BetaGeoBetaBinom(alpha=1.204, beta=0.750, gamma=0.657, delta=2.783)
        >>> m.expected_purchases([1, 6, 11]).round(3)
        array([0.498, 2.22 , 3.388])
        """
        counts = check_count(t, "t", self._func("expected_purchases"))
        compute = lambda flat: core.expected_purchases(flat, **self.params)  # noqa: E731
        return self._shaped("expected_purchases", compute, t=counts)

    @overload
    def conditional_expected_purchases(self, summary: pd.DataFrame, t: int) -> pd.Series: ...
    @overload
    def conditional_expected_purchases(
        self,
        summary: None = None,
        *,
        t: int,
        frequency: float,
        recency: float,
        n_periods: float,
    ) -> float: ...
    @overload
    def conditional_expected_purchases(
        self,
        summary: None = None,
        *,
        t: ArrayLike,
        frequency: ArrayLike,
        recency: ArrayLike,
        n_periods: ArrayLike,
    ) -> Array: ...
    def conditional_expected_purchases(
        self,
        summary: pd.DataFrame | None = None,
        t: ArrayLike | NotGiven = REQUIRED,
        *,
        frequency: ArrayLike | None = None,
        recency: ArrayLike | None = None,
        n_periods: ArrayLike | None = None,
    ) -> Prediction:
        r"""Predict the transactions of each customer in the next $t$ opportunities, given their history.

        Parameters
        ----------
        <summary>
        t : int or array-like of int
            $n^* = t$: the opportunities $n + 1, \dots, n + t$ (required). Broadcasts with the customers'
            arrays; a single number with ``summary``.
        <customer arrays>

        <prediction returns>

        <prediction raises>
        <horizon first>

        Notes
        -----
        FHS 2010, eq. 13:

        $$
        E[X(n, n + n^*) \mid x, t_x, n] = \frac{1}{L}
        \frac{B(\alpha + x + 1, \beta + n - x)}{B(\alpha, \beta)}
        \frac{\delta}{\gamma - 1} \frac{\Gamma(\gamma + \delta)}{\Gamma(1 + \delta)}
        \left[\frac{\Gamma(1 + \delta + n)}{\Gamma(\gamma + \delta + n)}
        - \frac{\Gamma(1 + \delta + n + n^*)}{\Gamma(\gamma + \delta + n + n^*)}\right].
        $$

        Examples
        --------
        >>> import retention as rt
        >>> m = rt.BetaGeoBetaBinom(alpha=1.204, beta=0.750, gamma=0.657, delta=2.783)
        >>> m.conditional_expected_purchases(t=5, frequency=[0, 6, 3], recency=[0, 6, 3],
        ...                                    n_periods=[6, 6, 6]).round(3)
        array([0.073, 3.752, 0.224])
        >>> m.conditional_expected_purchases(t=[[1], [5]], frequency=[0, 6, 3], recency=[0, 6, 3],
        ...                                    n_periods=6).round(3)
        array([[0.016, 0.843, 0.05 ],
               [0.073, 3.752, 0.224]])
        """
        method = "conditional_expected_purchases"
        customers, given = customers_first(summary, t, self._func(method))
        horizon = check_count(given, "t", self._func(method))
        columns = {"frequency": frequency, "recency": recency, "n_periods": n_periods}

        def compute(data: Customers) -> Array:
            (later,) = data.horizons
            if later.ndim == 0:  # one horizon for every customer (always so with a frame)
                return core.conditional_expected_purchases(
                    float(later), *data.columns, **self.params
                )
            return _by_distinct(
                later,
                lambda h, rows: core.conditional_expected_purchases(
                    h, *(c[rows] for c in data.columns), **self.params
                ),
            )

        return self._predict(method, customers, columns, compute, t=horizon)

    @overload
    def discounted_expected_residual_transactions(
        self, summary: pd.DataFrame, *, discount_rate: float
    ) -> pd.Series: ...
    @overload
    def discounted_expected_residual_transactions(
        self,
        summary: None = None,
        *,
        frequency: float,
        recency: float,
        n_periods: float,
        discount_rate: float,
    ) -> float: ...
    @overload
    def discounted_expected_residual_transactions(
        self,
        summary: None = None,
        *,
        frequency: ArrayLike,
        recency: ArrayLike,
        n_periods: ArrayLike,
        discount_rate: float,
    ) -> Array: ...
    def discounted_expected_residual_transactions(
        self,
        summary: pd.DataFrame | None = None,
        *,
        frequency: ArrayLike | None = None,
        recency: ArrayLike | None = None,
        n_periods: ArrayLike | None = None,
        discount_rate: float,
    ) -> Prediction:
        r"""Present value of each customer's expected future transactions (DERT), one unit per transaction.

        Parameters
        ----------
        <summary>
        <customer arrays>
        discount_rate : float
            The discount rate per opportunity, >= 0 (0.1 for 10%); a single number.

        <prediction returns>
            Times the value of a transaction, the expected residual lifetime value.

        <prediction raises>

        Notes
        -----
        A transaction at opportunity $n + k$ counts $(1 + d)^{-k}$ (FHS 2010, eq. 14):

        $$
        \mathrm{DERT}(d \mid x, t_x, n) = \frac{1}{L}
        \frac{B(\alpha + x + 1, \beta + n - x)}{B(\alpha, \beta)}
        \frac{B(\gamma, \delta + n + 1)}{B(\gamma, \delta)\,(1 + d)}\,
        {}_2F_1\!\left(1, \delta + n + 1; \gamma + \delta + n + 1; \tfrac{1}{1 + d}\right),
        $$

        the hypergeometric function evaluated by Gauss's continued fraction (accurate where SciPy's
        ``hyp2f1`` fails, for large $n$ and small $d$). At $d = 0$ it is the expected number of all future
        transactions, infinite for $\gamma \le 1$.

        Examples
        --------
        >>> import retention as rt
        >>> m = rt.BetaGeoBetaBinom(alpha=1.204, beta=0.750, gamma=0.657, delta=2.783)
        >>> m.discounted_expected_residual_transactions(
        ...     frequency=[0, 6, 3], recency=[0, 6, 3], n_periods=[6, 6, 6], discount_rate=0.1).round(3)
        array([0.115, 5.909, 0.352])
        """
        method = "discounted_expected_residual_transactions"
        rate = _DERT.check("discount_rate", discount_rate, func=self._func(method))
        columns = {"frequency": frequency, "recency": recency, "n_periods": n_periods}
        return self._predict(
            method,
            summary,
            columns,
            lambda data: core.discounted_expected_residual_transactions(
                *data.columns, discount_rate=rate, **self.params
            ),
        )

    @overload
    def probability_of_purchases(self, n: int, t: int) -> float: ...
    @overload
    def probability_of_purchases(self, n: ArrayLike, t: ArrayLike) -> Array: ...
    def probability_of_purchases(self, n: ArrayLike, t: ArrayLike) -> float | Array:
        r"""Probability that a new customer makes exactly $n$ transactions in its first $t$ opportunities, $P(X(t) = n)$.

        Parameters
        ----------
        n : int or array-like of int
            Numbers of transactions, >= 0 (0 for $n > t$).
        t : int or array-like of int
            Numbers of opportunities, >= 0. ``n`` and ``t`` broadcast together like the arguments of a
            numpy ufunc.

        Returns
        -------
        float or numpy.ndarray
            One probability per entry of the broadcast ``n`` and ``t`` (a float for numbers); over
            $n = 0, \dots, t$ they add up to 1.

        Raises
        ------
        InvalidParameterError
            If ``n`` or ``t`` is not whole and >= 0, or the $t - n$ terms of the sums would not fit in
            this machine's memory (checked before they are allocated).
        InvalidValueError
            If ``n`` and ``t`` do not broadcast together.

        Notes
        -----
        FHS 2010, eq. 6, in the paper's letters ($x$ transactions in $n$ opportunities; here ``n`` and ``t``):

        $$
        P(X(n) = x) = \binom{n}{x} \frac{B(\alpha + x, \beta + n - x)}{B(\alpha, \beta)}
        \frac{B(\gamma, \delta + n)}{B(\gamma, \delta)}
        + \sum_{i=x}^{n-1} \binom{i}{x} \frac{B(\alpha + x, \beta + i - x)}{B(\alpha, \beta)}
        \frac{B(\gamma + 1, \delta + i)}{B(\gamma, \delta)}.
        $$

        Examples
        --------
        >>> import retention as rt
        >>> m = rt.BetaGeoBetaBinom(alpha=1.204, beta=0.750, gamma=0.657, delta=2.783)
        >>> probabilities = m.probability_of_purchases(range(8), 6)  # 0 to 7 in 6 opportunities
        >>> probabilities.round(3), round(float(probabilities.sum()), 9)
        (array([0.311, 0.17 , 0.121, 0.1  , 0.092, 0.092, 0.113, 0.   ]), 1.0)
        """
        method = "probability_of_purchases"
        name = self._func(method)
        counts = check_count(n, "n", name)
        horizon = check_count(t, "t", name)
        shape, (flat_n, flat_t) = self._broadcast(method, n=counts, t=horizon)
        # The sum of eq. 6 has t - n terms for each n, laid out flat (core.probability_of_purchases).
        check_size(
            int(np.maximum(flat_t - flat_n, 0.0).sum()),
            itemsize=_BYTES_PER_CELL,
            what="the terms of the sums (t - n for each n)",
            fix="Pass a smaller t (fewer opportunities).",
            func=name,
        )
        values = _by_distinct(
            flat_t,
            lambda h, rows: core.probability_of_purchases(flat_n[rows], int(h), **self.params),
        )
        return shaped(values, shape)


__test__ = model_doctests(BetaGeoBetaBinom)
