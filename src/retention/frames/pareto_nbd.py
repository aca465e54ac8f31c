"""``rt.ParetoNBD``: the Pareto/NBD model as a value on a summary frame.

A thin class over :mod:`retention.core.clv.pareto_nbd`, which holds the likelihood (in log space) and the
prediction formulas; the shared behaviour (``fit``, ``params``, ``summary()``, input checks) comes from
:mod:`retention.frames.models`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar, overload

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from retention.core.clv import pareto_nbd as core
from retention.core.clv.fitting import Likelihood
from retention.errors import InvalidParameterError, plain_value
from retention.frames.models import FrequencyRecencyModel
from retention.frames.summary_schema import check_count, check_times, shaped

__all__ = ["ParetoNBD"]


def _check_rate(rate: object, func: str) -> float:
    """Check a continuously compounded discount rate per unit of time: a finite number >= 0."""
    hint = "a continuously compounded rate per unit of T, e.g. log(1 + 0.15) / 52 for 15% a year with T in weeks"
    if isinstance(rate, bool) or not isinstance(rate, int | float | np.integer | np.floating):
        msg = f"The 'discount_rate' parameter of {func} must be a number: {hint}. Got {plain_value(rate)!r}."
        raise InvalidParameterError(msg)
    value = float(rate)
    if not (math.isfinite(value) and value >= 0):
        msg = f"The 'discount_rate' parameter of {func} must be a finite number >= 0: {hint}. Got {plain_value(rate)!r}."
        raise InvalidParameterError(msg)
    return value


@dataclass(frozen=True, kw_only=True)
class ParetoNBD(FrequencyRecencyModel):
    r"""The Pareto/NBD model of repeat buying (Schmittlein, Morrison & Colombo 1987).

    While alive, a customer buys at the times of a Poisson process with rate $\lambda$; they stay alive
    for an exponential time with rate $\mu$, which can end at any moment (not only after a purchase,
    as in the BG/NBD). Across customers $\lambda \sim \mathrm{Gamma}(r, \alpha)$ and
    $\mu \sim \mathrm{Gamma}(s, \beta)$ (shape, rate, in the unit of ``T``), independently. Build it from
    known parameters, or estimate them with `fit`.

    Parameters
    ----------
    r, alpha, s, beta : float
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
        The number of customers fitted.

    Raises
    ------
    InvalidParameterError
        If a parameter is not a positive finite number.

    See Also
    --------
    BetaGeo : The BG/NBD, where customers can drop out only right after a purchase.
    retention.rfm_summary : The summary frame the model reads.

    Notes
    -----
    The likelihood of a customer with $x$ repeat purchases, the last at $t_x$, observed for $T$
    (Fader & Hardie 2005, eq. 18-20), written as two positive terms:

    $$
    L = \frac{\Gamma(r + x)\, \alpha^r \beta^s}{\Gamma(r)}
    \left[\frac{m_\mu(t_x)}{(\alpha + t_x)^{r + x} (\beta + t_x)^s}
    + \frac{m_\lambda(T)}{(\alpha + T)^{r + x} (\beta + T)^s}\right],
    $$

    where $m_\mu(t) = 1 - m_\lambda(t)$ is the mean of $\mu / (\lambda + \mu)$ with
    $\lambda \sim \mathrm{Gamma}(r + x, \alpha + t)$, $\mu \sim \mathrm{Gamma}(s, \beta + t)$: for
    $\alpha \ge \beta$, $m_\mu(t) = \frac{s}{r + s + x}\, {}_2F_1(1, r + x; r + s + x + 1;
    \frac{\alpha - \beta}{\alpha + t})$ (the case $\alpha < \beta$ is on the "Pareto/NBD" page of the
    docs). The first term is a customer who died after the last purchase, the second one still alive at
    $T$. Everything is evaluated in log space, so the likelihood stays finite and accurate for customers
    with thousands of purchases (where the hypergeometric terms of other implementations overflow).

    References
    ----------
    Schmittlein, D. C., Morrison, D. G. and Colombo, R. (1987). Counting your customers: who are they and
    what will they do next? *Management Science* 33(1), 1-24.

    Fader, P. S. and Hardie, B. G. S. (2005). A note on deriving the Pareto/NBD model and related
    expressions. http://brucehardie.com/notes/009/

    Examples
    --------
    >>> import retention as rt
    >>> summary = pd.DataFrame({  # ten purchase patterns and how many customers show each
    ...     "frequency": [0, 0, 1, 1, 2, 3, 5, 1, 0, 2],
    ...     "recency": [0.0, 0.0, 5.0, 30.0, 20.0, 33.0, 36.0, 2.0, 0.0, 10.0],
    ...     "T": [38.0, 20.0, 38.0, 38.0, 38.0, 38.0, 38.0, 25.0, 30.0, 30.0],
    ...     "customers": [500, 200, 80, 60, 40, 30, 20, 30, 100, 20],
    ... })
    >>> model = rt.ParetoNBD.fit(summary, weights=summary["customers"])
    >>> model.summary().round(3)
               estimate  standard_error  lower_95  upper_95
    parameter
    r             1.090           0.343     0.589     2.019
    alpha        47.771          11.420    29.900    76.322
    s             0.371           0.103     0.216     0.638
    beta          3.482           2.473     0.866    14.005
    >>> round(model.loglik, 2), model.n_customers
    (-2437.18, 1080.0)
    >>> model.p_alive(summary).round(3).tolist()
    [0.293, 0.427, 0.386, 0.916, 0.737, 0.947, 0.98, 0.409, 0.341, 0.586]
    """

    r: float
    alpha: float
    s: float
    beta: float
    _likelihood: ClassVar[Likelihood[Any]] = core.PARETO_NBD

    @overload
    def p_alive(self, summary: pd.DataFrame, *, t: float = 0.0) -> pd.Series: ...
    @overload
    def p_alive(
        self,
        summary: None = None,
        *,
        frequency: float,
        recency: float,
        T: float,
        t: float = 0.0,
    ) -> float: ...
    @overload
    def p_alive(
        self,
        summary: None = None,
        *,
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,
        t: ArrayLike = 0.0,
    ) -> NDArray[np.float64]: ...
    def p_alive(
        self,
        summary: pd.DataFrame | None = None,
        *,
        frequency: ArrayLike | None = None,
        recency: ArrayLike | None = None,
        T: ArrayLike | None = None,
        t: ArrayLike = 0.0,
    ) -> pd.Series | NDArray[np.float64] | float:
        r"""Probability that each customer is still alive at $T$, or $t$ time units later.

        Parameters
        ----------
        summary : pandas.DataFrame, optional
            One row per customer with ``frequency``, ``recency`` and ``T`` (from
            :func:`~retention.rfm_summary`).
        frequency, recency, T : float or array-like, optional
            The same as numbers or arrays, instead of ``summary``. They broadcast together (and with
            ``t``) like the arguments of a numpy ufunc: any shapes that broadcast.
        t : float or array-like, default 0
            How far after $T$ (in the unit of ``T``): 0 gives $P(\text{alive at } T)$, the usual "P(alive)";
            $t > 0$ gives the probability of being alive at $T + t$ given the history up to $T$.
            Broadcasts with the customers' arrays; a single number with ``summary``.

        Returns
        -------
        pandas.Series, numpy.ndarray or float
            A Series named ``p_alive`` on the summary's index; for arrays, an array of their broadcast
            shape; a float when every argument is a number.

        Raises
        ------
        InvalidValueError, ColumnNotFoundError, ColumnTypeError, InvalidParameterError
            If the customers or ``t`` cannot be used, or the arrays do not broadcast together.

        Notes
        -----
        The alive term of the likelihood over the whole (Fader & Hardie 2005, eq. 36-37):

        $$
        P(\text{alive at } T) = \left[\left(\frac{\alpha + T}{\alpha + t_x}\right)^{r + x}
        \left(\frac{\beta + T}{\beta + t_x}\right)^{s} m_\mu(t_x) + m_\lambda(T)\right]^{-1},
        $$

        with $m_\mu$, $m_\lambda$ as in the class notes. Unlike the BG/NBD, a customer without repeat
        purchases can be dead. Alive at $T$, the dropout rate is $\mathrm{Gamma}(s, \beta + T)$, so
        $P(\text{alive at } T + t) = P(\text{alive at } T) \left(\frac{\beta + T}{\beta + T + t}\right)^s$.

        Examples
        --------
        >>> import retention as rt
        >>> m = rt.ParetoNBD(r=0.553, alpha=10.578, s=0.606, beta=11.669)
        >>> m.p_alive(frequency=[0, 2, 2], recency=[0.0, 30.43, 10.0], T=[38.86, 38.86, 38.86]).round(3)
        array([0.295, 0.869, 0.269])
        >>> m.p_alive(frequency=[2], recency=[30.43], T=[38.86], t=52.0).round(3)
        array([0.566])
        >>> round(m.p_alive(frequency=2, recency=30.43, T=38.86), 3)
        0.869
        """
        later = check_times(t, "t", f"{type(self).__name__}.p_alive")
        data = self._customers(summary, frequency, recency, T, "p_alive", t=later)
        values = core.p_alive(*data.columns, **self.params, t=data.horizons[0])
        return data.label(values, "p_alive")

    @overload
    def expected_purchases(self, t: float) -> float: ...
    @overload
    def expected_purchases(self, t: ArrayLike) -> NDArray[np.float64]: ...
    def expected_purchases(self, t: ArrayLike) -> float | NDArray[np.float64]:
        r"""Predict the repeat purchases of a new customer within $t$ of the first purchase, $E[X(t)]$.

        Parameters
        ----------
        t : float or array-like
            Times since the first purchase, in the unit of ``T`` in the fitted data; any shape.

        Returns
        -------
        float or numpy.ndarray
            One value per time, in the shape of ``t``; a float for a number.

        Raises
        ------
        InvalidParameterError
            If a time is negative or not finite.

        Notes
        -----
        Schmittlein, Morrison & Colombo (1987); Fader & Hardie (2005, eq. 27):
        $E[X(t)] = \frac{r\beta}{\alpha(s - 1)}\left[1 - \left(\frac{\beta}{\beta + t}\right)^{s - 1}\right]$,
        and $\frac{r\beta}{\alpha}\log(1 + t/\beta)$ at $s = 1$.

        Examples
        --------
        >>> import retention as rt
        >>> m = rt.ParetoNBD(r=0.553, alpha=10.578, s=0.606, beta=11.669)
        >>> round(m.expected_purchases(52.0), 3)
        1.473
        """
        times = check_times(t, "t", f"{type(self).__name__}.expected_purchases")
        shape, (flat,) = self._broadcast("expected_purchases", t=times)
        return shaped(core.expected_purchases(flat, **self.params), shape)

    @overload
    def conditional_expected_purchases(self, t: float, summary: pd.DataFrame) -> pd.Series: ...
    @overload
    def conditional_expected_purchases(
        self,
        t: float,
        summary: None = None,
        *,
        frequency: float,
        recency: float,
        T: float,
    ) -> float: ...
    @overload
    def conditional_expected_purchases(
        self,
        t: ArrayLike,
        summary: None = None,
        *,
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,
    ) -> NDArray[np.float64]: ...
    def conditional_expected_purchases(
        self,
        t: ArrayLike,
        summary: pd.DataFrame | None = None,
        *,
        frequency: ArrayLike | None = None,
        recency: ArrayLike | None = None,
        T: ArrayLike | None = None,
    ) -> pd.Series | NDArray[np.float64] | float:
        r"""Predict the purchases of each customer in the next $t$ time units, given their history.

        Parameters
        ----------
        t : float or array-like
            The horizon after $T$, in the unit of ``T``. Broadcasts with the customers' arrays; a single
            number with ``summary``.
        summary : pandas.DataFrame, optional
            One row per customer with ``frequency``, ``recency`` and ``T``.
        frequency, recency, T : float or array-like, optional
            The same as numbers or arrays, instead of ``summary``. They broadcast together (and with
            ``t``) like the arguments of a numpy ufunc: any shapes that broadcast.

        Returns
        -------
        pandas.Series, numpy.ndarray or float
            A Series named ``conditional_expected_purchases`` on the summary's index; for arrays, an array
            of their broadcast shape; a float when every argument is a number.

        Raises
        ------
        InvalidValueError, ColumnNotFoundError, ColumnTypeError, InvalidParameterError
            If the customers or ``t`` cannot be used, or the arrays do not broadcast together.

        Notes
        -----
        Fader & Hardie (2005, eq. 41):

        $$
        E[Y(t) \mid x, t_x, T] = P(\text{alive at } T)\, \frac{(r + x)(\beta + T)}{(\alpha + T)(s - 1)}
        \left[1 - \left(\frac{\beta + T}{\beta + T + t}\right)^{s - 1}\right].
        $$

        Examples
        --------
        >>> import retention as rt
        >>> m = rt.ParetoNBD(r=0.553, alpha=10.578, s=0.606, beta=11.669)
        >>> m.conditional_expected_purchases(39.0, frequency=[0, 2], recency=[0.0, 30.43],
        ...                                  T=[38.86, 38.86]).round(3)
        array([0.107, 1.455])
        """
        method = "conditional_expected_purchases"
        horizon = check_times(t, "t", f"{type(self).__name__}.{method}")
        data = self._customers(summary, frequency, recency, T, method, t=horizon)
        values = core.conditional_expected_purchases(data.horizons[0], *data.columns, **self.params)
        return data.label(values, method)

    @overload
    def probability_of_purchases(self, n: int, t: float) -> float: ...
    @overload
    def probability_of_purchases(self, n: ArrayLike, t: ArrayLike) -> NDArray[np.float64]: ...
    def probability_of_purchases(self, n: ArrayLike, t: ArrayLike) -> float | NDArray[np.float64]:
        r"""Probability that a new customer makes exactly $n$ repeat purchases within $t$, $P(X(t) = n)$.

        Parameters
        ----------
        n : int or array-like of int
            Numbers of repeat purchases, >= 0.
        t : float or array-like
            Time since the first purchase, in the unit of ``T``. ``n`` and ``t`` broadcast together like
            the arguments of a numpy ufunc.

        Returns
        -------
        float or numpy.ndarray
            One probability per entry of the broadcast ``n`` and ``t`` (a float for numbers); over
            ``n = 0, 1, 2, ...`` they add up to 1.

        Raises
        ------
        InvalidParameterError
            If ``n`` is not whole and >= 0, or ``t`` is negative or not finite.
        InvalidValueError
            If ``n`` and ``t`` do not broadcast together.

        Notes
        -----
        Alive at $t$ after $n$ purchases, or dead at some $\tau < t$ after $n$ purchases (Fader & Hardie
        2005; 2020):

        $$
        P(X(t) = n) = \frac{\Gamma(r + n)}{\Gamma(r)\, n!} \left(\frac{\alpha}{\alpha + t}\right)^r
        \left(\frac{t}{\alpha + t}\right)^n \left(\frac{\beta}{\beta + t}\right)^s
        + \frac{s\, \alpha^r \beta^s\, \Gamma(r + n)}{\Gamma(r)\, n!}
        \int_0^t \frac{\tau^n\, d\tau}{(\alpha + \tau)^{r + n} (\beta + \tau)^{s + 1}},
        $$

        the integral summed as a series of positive incomplete beta functions (see
        :func:`retention.core.clv.pareto_nbd.probability_of_purchases`), which keeps every digit where
        Fader and Hardie's difference of hypergeometric terms cancels.

        Examples
        --------
        >>> import retention as rt
        >>> m = rt.ParetoNBD(r=0.553, alpha=10.578, s=0.606, beta=11.669)
        >>> m.probability_of_purchases([0, 1, 2], 39.0).round(3)
        array([0.594, 0.166, 0.082])
        """
        method = "probability_of_purchases"
        name = f"{type(self).__name__}.{method}"
        counts = check_count(n, "n", name)
        times = check_times(t, "t", name)
        shape, (flat_n, flat_t) = self._broadcast(method, n=counts, t=times)
        return shaped(core.probability_of_purchases(flat_n, flat_t, **self.params), shape)

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
        T: float,
        discount_rate: float,
    ) -> float: ...
    @overload
    def discounted_expected_residual_transactions(
        self,
        summary: None = None,
        *,
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,
        discount_rate: float,
    ) -> NDArray[np.float64]: ...
    def discounted_expected_residual_transactions(
        self,
        summary: pd.DataFrame | None = None,
        *,
        frequency: ArrayLike | None = None,
        recency: ArrayLike | None = None,
        T: ArrayLike | None = None,
        discount_rate: float,
    ) -> pd.Series | NDArray[np.float64] | float:
        r"""Present value of each customer's expected future transactions (DERT), one unit per transaction.

        Parameters
        ----------
        summary : pandas.DataFrame, optional
            One row per customer with ``frequency``, ``recency`` and ``T``.
        frequency, recency, T : float or array-like, optional
            The same as numbers or arrays, instead of ``summary``. They broadcast together like the
            arguments of a numpy ufunc: any shapes that broadcast.
        discount_rate : float
            The continuously compounded discount rate $\delta$ per unit of ``T``, >= 0 (a single number). From
            an annual rate $d$ and $k$ units of time a year, $\delta = \log(1 + d) / k$: 15% a year with ``T``
            in weeks is ``math.log(1.15) / 52`` = 0.00269 (the value of Fader, Hardie & Lee 2005).

        Returns
        -------
        pandas.Series, numpy.ndarray or float
            A Series named ``discounted_expected_residual_transactions`` on the summary's index; for
            arrays, an array of their broadcast shape; a float when every argument is a number. Times the
            margin of a transaction, the expected residual lifetime value.

        Raises
        ------
        InvalidValueError, ColumnNotFoundError, ColumnTypeError, InvalidParameterError
            If the customers or the rate cannot be used, or the arrays do not broadcast together.

        Notes
        -----
        A transaction at time $T + u$ counts $e^{-\delta u}$ (Fader, Hardie & Lee 2005, "RFM and CLV"):

        $$
        \mathrm{DERT} = \frac{\alpha^r \beta^s \delta^{s - 1}\, \Gamma(r + x + 1)\,
        U(s, s; \delta(\beta + T))}{\Gamma(r)\, (\alpha + T)^{r + x + 1}\, L(r, \alpha, s, \beta \mid x, t_x, T)}
        = P(\text{alive at } T)\, \frac{r + x}{\alpha + T}\, E\!\left[\frac{1}{\delta + \mu}\right],
        $$

        with $U$ the confluent hypergeometric function of the second kind and
        $\mu \sim \mathrm{Gamma}(s, \beta + T)$. At $\delta = 0$ it is the expected number of all future
        transactions, infinite for $s \le 1$.

        Examples
        --------
        >>> import math
        >>> import retention as rt
        >>> m = rt.ParetoNBD(r=0.553, alpha=10.578, s=0.606, beta=11.669)
        >>> m.discounted_expected_residual_transactions(
        ...     frequency=[0, 2], recency=[0.0, 30.43], T=[38.86, 38.86],
        ...     discount_rate=math.log(1.15) / 52).round(3)
        array([0.478, 6.502])
        """
        method = "discounted_expected_residual_transactions"
        rate = _check_rate(discount_rate, f"{type(self).__name__}.{method}")
        data = self._customers(summary, frequency, recency, T, method)
        values = core.discounted_expected_residual_transactions(
            *data.columns, **self.params, discount_rate=rate
        )
        return data.label(values, method)
