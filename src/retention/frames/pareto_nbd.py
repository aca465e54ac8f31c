"""``rt.ParetoNBD``: the Pareto/NBD model as a value on a summary frame.

Declarations (the parameters, the core module :mod:`retention.core.clv.pareto_nbd`, the docstrings' own
parts) and the one prediction the other models of ``(frequency, recency, T)`` do not have, DERT with
continuous discounting. The other predictions, ``fit``, ``params``, ``summary()`` and the input checks come
from :class:`retention.frames.models.FrequencyRecencyModel`.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Final, overload

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from retention.core.clv import pareto_nbd as core
from retention.core.clv.fitting import Likelihood
from retention.frames.models import (
    REQUIRED,
    FrequencyRecencyModel,
    NotGiven,
    Prediction,
    model_doctests,
)
from retention.frames.options import CONTINUOUS_DISCOUNT_RATE, Given, declare

__all__ = ["ParetoNBD"]


_DERT: Final = declare(
    "ParetoNBD.discounted_expected_residual_transactions",
    continuous_discount_rate=CONTINUOUS_DISCOUNT_RATE,
    discount_rate=Given("the old name of continuous_discount_rate (deprecated)"),
)


_OLD_NAME: Final = NotGiven("<deprecated>")


def _renamed_rate(continuous: object, old: object, func: str) -> object:
    """Take ``continuous_discount_rate``, or ``discount_rate``, its name before, with a warning."""
    if old is _OLD_NAME:
        if continuous is REQUIRED:
            msg = f"{func}() missing 1 required keyword-only argument: 'continuous_discount_rate'"
            raise TypeError(msg)
        return continuous
    if continuous is not REQUIRED:
        msg = f"{func}() takes continuous_discount_rate, not both it and discount_rate (its old name)."
        raise TypeError(msg)
    msg = (
        f"{func}(discount_rate=...) is deprecated: the rate is continuously compounded, so it is now named "
        "continuous_discount_rate (discount_rate is a discrete rate per period everywhere else). Same "
        "meaning, same result; the old name will stop working in the next release."
    )
    warnings.warn(msg, DeprecationWarning, stacklevel=3)
    return old


@dataclass(frozen=True, kw_only=True)
class ParetoNBD(FrequencyRecencyModel):
    r"""The Pareto/NBD model of repeat buying (Schmittlein, Morrison & Colombo 1987).

    While alive, a customer buys at the times of a Poisson process with rate $\lambda$; they stay alive
    for an exponential time with rate $\mu$, which can end at any moment (not only after a purchase,
    as in the BG/NBD). Across customers $\lambda \sim \mathrm{Gamma}(r, \alpha)$ and
    $\mu \sim \mathrm{Gamma}(s, \beta)$ (shape, rate, in the unit of ``T``), independently. Build it from
    known parameters, or estimate them with `fit`.

    <model sections>

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
    >>> import pandas as pd
    >>> import retention as rt
    >>> patterns = [  # (frequency, recency, T) and how many customers show each
    ...     (0, 0.0, 38.0, 500), (0, 0.0, 20.0, 200), (1, 5.0, 38.0, 80), (1, 30.0, 38.0, 60),
    ...     (2, 20.0, 38.0, 40), (3, 33.0, 38.0, 30), (5, 36.0, 38.0, 20), (1, 2.0, 25.0, 30),
    ...     (0, 0.0, 30.0, 100), (2, 10.0, 30.0, 20),
    ... ]
    >>> summary = pd.DataFrame(patterns, columns=["frequency", "recency", "T", "customers"])
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
    _core: ClassVar[Any] = core
    _docs: ClassVar[Mapping[str, Any]] = {
        "p_alive": {
            "p_alive notes": r"""
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
        },
        "expected_purchases": {
            "expected_purchases notes": r"""
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
        },
        "conditional_expected_purchases": {
            "conditional_expected_purchases notes": r"""
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
        >>> m.conditional_expected_purchases(t=39.0, frequency=[0, 2], recency=[0.0, 30.43],
        ...                                    T=[38.86, 38.86]).round(3)
        array([0.107, 1.455])
        """
        },
        "probability_of_purchases": {
            "probability_of_purchases notes": r"""
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
        },
    }

    @overload
    def discounted_expected_residual_transactions(
        self, summary: pd.DataFrame, *, continuous_discount_rate: float
    ) -> pd.Series: ...
    @overload
    def discounted_expected_residual_transactions(
        self,
        summary: None = None,
        *,
        frequency: float,
        recency: float,
        T: float,
        continuous_discount_rate: float,
    ) -> float: ...
    @overload
    def discounted_expected_residual_transactions(
        self,
        summary: None = None,
        *,
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,
        continuous_discount_rate: float,
    ) -> NDArray[np.float64]: ...
    def discounted_expected_residual_transactions(
        self,
        summary: pd.DataFrame | None = None,
        *,
        frequency: ArrayLike | None = None,
        recency: ArrayLike | None = None,
        T: ArrayLike | None = None,
        continuous_discount_rate: float | NotGiven = REQUIRED,
        discount_rate: float | NotGiven = _OLD_NAME,
    ) -> Prediction:
        r"""Present value of each customer's expected future transactions (DERT), one unit per transaction.

        Parameters
        ----------
        <summary>
        <customer arrays>
        continuous_discount_rate : float
            The continuously compounded discount rate $\delta$ per unit of ``T``, >= 0 (a single number),
            as in the paper. From a discrete rate $d$ per period and $k$ units of time a period,
            $\delta = \log(1 + d) / k$: 15% a year with ``T`` in weeks is ``math.log(1.15) / 52`` = 0.00269
            (the value of Fader, Hardie & Lee 2005).
        discount_rate : float, optional
            Deprecated: the old name of ``continuous_discount_rate`` (same meaning, with a
            DeprecationWarning). Everywhere else ``discount_rate`` is a discrete rate per period.

        <prediction returns>
            Times the margin of a transaction, the expected residual lifetime value.

        <prediction raises>
        TypeError
            If no rate is given, or both names are.

        Warns
        -----
        DeprecationWarning
            If the rate is passed as ``discount_rate``.

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
        ...     continuous_discount_rate=math.log(1.15) / 52).round(3)
        array([0.478, 6.502])
        """
        method = "discounted_expected_residual_transactions"
        func = self._func(method)
        rate = _DERT.check(
            "continuous_discount_rate",
            _renamed_rate(continuous_discount_rate, discount_rate, func),
            func=func,
        )
        columns = {"frequency": frequency, "recency": recency, "T": T}
        return self._predict(
            method,
            summary,
            columns,
            lambda data: self._core_call(method, *data.columns, discount_rate=rate),
        )


__test__ = model_doctests(ParetoNBD)
