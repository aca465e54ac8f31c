"""``rt.BetaGeoBetaBinom`` (BG/BB): repeat buying at discrete opportunities, on a summary frame.

A thin class over :mod:`retention.core.clv.bgbb`, which holds the likelihood and the prediction formulas;
the shared behaviour (``params``, ``summary()``, standard errors) comes from :mod:`retention.frames.models`
and the input checks from :mod:`retention.frames.summary_schema`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Final, Self, overload

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from retention.core.clv import bgbb as core
from retention.core.clv.fitting import Likelihood
from retention.errors import check_size
from retention.frames.models import CustomerModel
from retention.frames.summary_schema import (
    Customers,
    check_count,
    check_discount_rate,
    check_fittable,
    check_frequency_recency_n_periods,
    check_weights,
    read_customers,
    shaped,
)

__all__ = ["BetaGeoBetaBinom"]

Array = NDArray[np.float64]

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
class BetaGeoBetaBinom(CustomerModel):
    r"""The BG/BB model of repeat buying at discrete opportunities (Fader, Hardie & Shang 2010).

    A non-contractual, discrete-time setting: customers can buy once per opportunity (a yearly fund drive,
    a weekly issue, a season) and you never see them leave. After the first purchase, at each
    opportunity a living customer dies for good with probability $\theta$ (at its start) and, if alive,
    buys with probability $p$. Across customers $p \sim \mathrm{Beta}(\alpha, \beta)$ and
    $\theta \sim \mathrm{Beta}(\gamma, \delta)$.

    Parameters
    ----------
    alpha, beta, gamma, delta : float
        The parameters, positive and finite (keyword-only).

    Attributes
    ----------
    params : dict
        The parameters by name.
    loglik : float
        The log-likelihood of the fit (NaN for known parameters).
    standard_errors : dict
        Standard errors of the estimates (NaN for known parameters).
    n_customers : float
        The number of customers fitted (the sum of the weights).

    Raises
    ------
    InvalidParameterError
        If a parameter is not a positive finite number.

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
    >>> import retention as rt
    >>> m = rt.BetaGeoBetaBinom(alpha=1.204, beta=0.750, gamma=0.657, delta=2.783)
    >>> m.p_alive(frequency=[0, 6, 3], recency=[0, 6, 3], n_periods=[6, 6, 6]).round(3)
    array([0.108, 0.93 , 0.095])
    """

    alpha: float
    beta: float
    gamma: float
    delta: float
    _likelihood: ClassVar[Likelihood[Any]] = core.BETA_GEO_BETA_BINOM

    @classmethod
    def _read(
        cls,
        summary: object,
        frequency: object,
        recency: object,
        n_periods: object,
        func: str,
        *,
        predict: bool = False,
        horizons: Mapping[str, Array] | None = None,
    ) -> Customers:
        periods = "n_periods"
        if (
            isinstance(summary, pd.DataFrame)
            and "n_periods" not in summary.columns
            and "T" in summary.columns
        ):
            periods = "T"  # rt.rfm_summary(tx, freq=period) measures n in whole periods as T
        arrays = {"frequency": frequency, "recency": recency, periods: n_periods}
        customers = read_customers(summary, arrays, func=func, predict=predict, horizons=horizons)
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

    @classmethod
    def fit(
        cls,
        summary: pd.DataFrame | None = None,
        *,
        frequency: ArrayLike | None = None,
        recency: ArrayLike | None = None,
        n_periods: ArrayLike | None = None,
        weights: ArrayLike | None = None,
    ) -> Self:
        r"""Estimate the parameters by maximum likelihood.

        Parameters
        ----------
        summary : pandas.DataFrame, optional
            One row per customer (or per pattern, with ``weights``) with the columns ``frequency``,
            ``recency`` and ``n_periods`` (or ``T`` instead of ``n_periods``, as ``rt.rfm_summary`` makes
            it), all whole numbers. Other columns are ignored.
        frequency, recency, n_periods : array-like, optional
            The same columns as arrays, instead of ``summary``: transactions at opportunities
            $1, \dots, n$, the opportunity of the last one (0 without any), and $n$.
        weights : array-like, optional
            How many customers each row stands for (pattern counts); one per row.

        Returns
        -------
        Self
            A new model value with the estimates and the fit statistics.

        Raises
        ------
        InvalidValueError
            If the data break the rules of :func:`retention.frames.summary_schema.check_frequency_recency_n_periods`
            (whole numbers with ``frequency <= recency <= n_periods``), there are too few customers, or no
            customer has a repeat transaction (the model is not identified).
        ColumnNotFoundError, ColumnTypeError, InvalidParameterError
            If the summary or the arrays cannot be read, or the likelihood's tables (one row per
            distinct frequency, one entry per opportunity up to the longest history) would not fit in
            this machine's memory (checked before they are allocated).
        ConvergenceError
            If the optimiser does not converge; the message says what was tried.

        Warns
        -----
        RetentionWarning
            If a parameter ends on the bound of its search range (not identified by the data).

        Notes
        -----
        The shared routine (:func:`retention.core.clv.fitting.fit_likelihood`) groups identical rows,
        maximises the log-likelihood over the log parameters with L-BFGS-B and the analytic gradient,
        polishes with Newton steps and takes standard errors from the Hessian.

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
        """
        func = f"{cls.__name__}.fit"
        data = cls._read(summary, frequency, recency, n_periods, func)
        w = check_weights(weights, len(data), func=func)
        check_fittable(data.columns[0], w, n_params=len(cls._likelihood.params), func=func)
        return cls._fit_columns(data.columns, w)

    def _customers(
        self,
        summary: object,
        frequency: object,
        recency: object,
        n_periods: object,
        method: str,
        **horizons: Array,
    ) -> Customers:
        """Read and check the customers of a prediction, broadcast with the (checked) ``horizons``."""
        func = f"{type(self).__name__}.{method}"
        return self._read(
            summary, frequency, recency, n_periods, func, predict=True, horizons=horizons
        )

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
    ) -> pd.Series | Array | float:
        r"""Probability that each customer is alive at the next opportunity, $n + 1$.

        Parameters
        ----------
        summary : pandas.DataFrame, optional
            One row per customer with ``frequency``, ``recency`` and ``n_periods`` (or ``T``).
        frequency, recency, n_periods : int or array-like, optional
            The same as numbers or arrays, instead of ``summary``. They broadcast together like the
            arguments of a numpy ufunc: any shapes that broadcast.

        Returns
        -------
        pandas.Series, numpy.ndarray or float
            A Series named ``p_alive`` on the summary's index; for arrays, an array of their broadcast
            shape; a float when every argument is a number.

        Raises
        ------
        InvalidValueError, ColumnNotFoundError, ColumnTypeError, InvalidParameterError
            If the customers cannot be used, or the arrays do not broadcast together; histories too long
            for this machine's memory are refused as in `fit`.

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
        data = self._customers(summary, frequency, recency, n_periods, "p_alive")
        return data.label(core.p_alive(*data.columns, **self.params), "p_alive")

    @overload
    def expected_purchases(self, n: int) -> float: ...
    @overload
    def expected_purchases(self, n: ArrayLike) -> Array: ...
    def expected_purchases(self, n: ArrayLike) -> float | Array:
        r"""Predict the transactions of a new customer in the $n$ opportunities after the first purchase, $E[X(n)]$.

        Parameters
        ----------
        n : int or array-like of int
            Numbers of opportunities, >= 0; any shape.

        Returns
        -------
        float or numpy.ndarray
            One value per ``n``, in the shape of ``n``; a float for a number.

        Raises
        ------
        InvalidParameterError
            If ``n`` is not whole and >= 0.

        Notes
        -----
        FHS 2010, eq. 7: $E[X(n)] = \frac{\alpha}{\alpha + \beta} \frac{\delta}{\gamma - 1}
        \left[1 - \frac{\Gamma(\gamma + \delta)\, \Gamma(1 + \delta + n)}
        {\Gamma(\gamma + \delta + n)\, \Gamma(1 + \delta)}\right]$, continuous at $\gamma = 1$.

        Examples
        --------
        >>> import retention as rt
        >>> m = rt.BetaGeoBetaBinom(alpha=1.204, beta=0.750, gamma=0.657, delta=2.783)
        >>> m.expected_purchases([1, 6, 11]).round(3)
        array([0.498, 2.22 , 3.388])
        """
        counts = check_count(n, "n", f"{type(self).__name__}.expected_purchases")
        shape, (flat,) = self._broadcast("expected_purchases", n=counts)
        return shaped(core.expected_purchases(flat, **self.params), shape)

    @overload
    def conditional_expected_purchases(self, n_future: int, summary: pd.DataFrame) -> pd.Series: ...
    @overload
    def conditional_expected_purchases(
        self,
        n_future: int,
        summary: None = None,
        *,
        frequency: float,
        recency: float,
        n_periods: float,
    ) -> float: ...
    @overload
    def conditional_expected_purchases(
        self,
        n_future: ArrayLike,
        summary: None = None,
        *,
        frequency: ArrayLike,
        recency: ArrayLike,
        n_periods: ArrayLike,
    ) -> Array: ...
    def conditional_expected_purchases(
        self,
        n_future: ArrayLike,
        summary: pd.DataFrame | None = None,
        *,
        frequency: ArrayLike | None = None,
        recency: ArrayLike | None = None,
        n_periods: ArrayLike | None = None,
    ) -> pd.Series | Array | float:
        r"""Predict the transactions of each customer in the next $n^*$ opportunities, given their history.

        Parameters
        ----------
        n_future : int or array-like of int
            $n^*$: the opportunities $n + 1, \dots, n + n^*$. Broadcasts with the customers' arrays; a
            single number with ``summary``.
        summary : pandas.DataFrame, optional
            One row per customer with ``frequency``, ``recency`` and ``n_periods`` (or ``T``).
        frequency, recency, n_periods : int or array-like, optional
            The same as numbers or arrays, instead of ``summary``. They broadcast together (and with
            ``n_future``) like the arguments of a numpy ufunc: any shapes that broadcast.

        Returns
        -------
        pandas.Series, numpy.ndarray or float
            A Series named ``conditional_expected_purchases`` on the summary's index; for arrays, an array
            of their broadcast shape; a float when every argument is a number.

        Raises
        ------
        InvalidValueError, ColumnNotFoundError, ColumnTypeError, InvalidParameterError
            If the customers or ``n_future`` cannot be used, or the arrays do not broadcast together;
            histories too long for this machine's memory are refused as in `fit`.

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
        >>> m.conditional_expected_purchases(5, frequency=[0, 6, 3], recency=[0, 6, 3],
        ...                                  n_periods=[6, 6, 6]).round(3)
        array([0.073, 3.752, 0.224])
        >>> m.conditional_expected_purchases([[1], [5]], frequency=[0, 6, 3], recency=[0, 6, 3],
        ...                                  n_periods=6).round(3)
        array([[0.016, 0.843, 0.05 ],
               [0.073, 3.752, 0.224]])
        """
        method = "conditional_expected_purchases"
        horizon = check_count(n_future, "n_future", f"{type(self).__name__}.{method}")
        data = self._customers(summary, frequency, recency, n_periods, method, n_future=horizon)
        (later,) = data.horizons
        columns = data.columns
        if later.ndim == 0:  # one horizon for every customer (always so with a frame)
            values = core.conditional_expected_purchases(float(later), *columns, **self.params)
        else:
            values = _by_distinct(
                later,
                lambda h, rows: core.conditional_expected_purchases(
                    h, *(c[rows] for c in columns), **self.params
                ),
            )
        return data.label(values, method)

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
    ) -> pd.Series | Array | float:
        r"""Present value of each customer's expected future transactions (DERT), one unit per transaction.

        Parameters
        ----------
        summary : pandas.DataFrame, optional
            One row per customer with ``frequency``, ``recency`` and ``n_periods`` (or ``T``).
        frequency, recency, n_periods : int or array-like, optional
            The same as numbers or arrays, instead of ``summary``. They broadcast together like the
            arguments of a numpy ufunc: any shapes that broadcast.
        discount_rate : float
            The discount rate per opportunity, >= 0 (0.1 for 10%); a single number.

        Returns
        -------
        pandas.Series, numpy.ndarray or float
            A Series named ``discounted_expected_residual_transactions`` on the summary's index; for
            arrays, an array of their broadcast shape; a float when every argument is a number. Times the
            value of a transaction, the expected residual lifetime value.

        Raises
        ------
        InvalidValueError, ColumnNotFoundError, ColumnTypeError, InvalidParameterError
            If the customers or the rate cannot be used, or the arrays do not broadcast together;
            histories too long for this machine's memory are refused as in `fit`.

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
        rate = check_discount_rate(discount_rate, f"{type(self).__name__}.{method}")
        data = self._customers(summary, frequency, recency, n_periods, method)
        values = core.discounted_expected_residual_transactions(
            *data.columns, discount_rate=rate, **self.params
        )
        return data.label(values, method)

    @overload
    def probability_of_purchases(self, x: int, n: int) -> float: ...
    @overload
    def probability_of_purchases(self, x: ArrayLike, n: ArrayLike) -> Array: ...
    def probability_of_purchases(self, x: ArrayLike, n: ArrayLike) -> float | Array:
        r"""Probability that a new customer makes exactly $x$ transactions in the next $n$ opportunities.

        Parameters
        ----------
        x : int or array-like of int
            Numbers of transactions, >= 0 (0 for $x > n$).
        n : int or array-like of int
            Numbers of opportunities, >= 0. ``x`` and ``n`` broadcast together like the arguments of a
            numpy ufunc.

        Returns
        -------
        float or numpy.ndarray
            One probability per entry of the broadcast ``x`` and ``n`` (a float for numbers); over
            $x = 0, \dots, n$ they add up to 1.

        Raises
        ------
        InvalidParameterError
            If ``x`` or ``n`` is not whole and >= 0, or the $n - x$ terms of the sums would not fit in
            this machine's memory (checked before they are allocated).
        InvalidValueError
            If ``x`` and ``n`` do not broadcast together.

        Notes
        -----
        FHS 2010, eq. 6:

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
        >>> m.probability_of_purchases([0, 1, 6], 6).round(3)
        array([0.311, 0.17 , 0.113])
        """
        method = "probability_of_purchases"
        name = f"{type(self).__name__}.{method}"
        counts = check_count(x, "x", name)
        horizon = check_count(n, "n", name)
        shape, (flat_x, flat_n) = self._broadcast(method, x=counts, n=horizon)
        # The sum of eq. 6 has n - x terms for each x, laid out flat (core.probability_of_purchases).
        check_size(
            int(np.maximum(flat_n - flat_x, 0.0).sum()),
            itemsize=_BYTES_PER_CELL,
            what="the terms of the sums (n - x for each x)",
            fix="Pass a smaller n (fewer opportunities).",
            func=name,
        )
        values = _by_distinct(
            flat_n,
            lambda h, rows: core.probability_of_purchases(flat_x[rows], int(h), **self.params),
        )
        return shaped(values, shape)
