"""``rt.ShiftedBetaGeometric`` (sBG): contractual retention from the survivors of cohorts.

A thin class over :mod:`retention.core.clv.sbg`. Unlike the other models it does not read one row per
customer but survival counts: the number of customers of each cohort still active at periods 0, 1, 2, ...
They are checked by :func:`~retention.frames.summary_schema.read_active`, next to the other readers, and
it has its own ``fit``; the rest (``params``, ``summary()``, standard errors, broadcasting, the shared docstring sections)
comes from :class:`retention.frames.models.CustomerModel`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Final, Self, overload

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from retention.core.arrays import FloatArray as Array
from retention.core.clv import sbg as core
from retention.core.clv.fitting import Likelihood
from retention.errors import InvalidParameterError, InvalidValueError, RetentionWarning, plain_value
from retention.frames.models import CustomerModel
from retention.frames.options import DISCOUNT_RATE, declare
from retention.frames.summary_schema import check_count, read_active

__all__ = ["ShiftedBetaGeometric"]

_DEL: Final = declare(
    "ShiftedBetaGeometric.discounted_expected_lifetime", discount_rate=DISCOUNT_RATE
)
_DERL: Final = declare(
    "ShiftedBetaGeometric.discounted_expected_residual_lifetime", discount_rate=DISCOUNT_RATE
)


# The sBG nests constant churn as a limit; a gain in log-likelihood below this (a likelihood-ratio
# statistic below 1) means the data show no heterogeneity to estimate.
_NO_GAIN: Final = 0.5


def _check_identified(counts: Array, func: str) -> None:
    """Refuse survival counts that cannot identify both parameters."""
    total = float(counts[:, 0].sum())
    if total <= 2:
        msg = f"{func} needs more customers than the model has parameters (2) to estimate them; got {total:g}."
        raise InvalidValueError(msg)
    last = np.isfinite(counts).sum(axis=1) - 1
    final = counts[np.arange(len(counts)), last]
    if np.all(final == counts[:, 0]):
        msg = (
            f"{func}: the model is not identified: no customer churned, so the data say only that churn is "
            "rare, not how rare. Fit on a longer history or more cohorts."
        )
        raise InvalidValueError(msg)
    at_risk_twice = (last >= 2) & (counts[:, 1] > 0) if counts.shape[1] > 2 else np.zeros(1, bool)
    if not at_risk_twice.any():
        msg = (
            f"{func}: the model is not identified: it needs a cohort observed at periods 0, 1 and 2 with "
            "customers left at period 1. One period of churn tells the mean churn probability, not how it "
            "varies across customers, which is what alpha and beta describe."
        )
        raise InvalidValueError(msg)


@dataclass(frozen=True, kw_only=True)
class ShiftedBetaGeometric(CustomerModel):
    r"""The shifted-beta-geometric (sBG) model of contract renewal (Fader & Hardie 2007).

    A contractual, discrete-time setting: customers pay per period (a subscription, an annual
    membership) and you see them leave. Each customer renews at the end of every period with a constant
    probability $1 - \theta$ until they cancel, for good; across customers
    $\theta \sim \mathrm{Beta}(\alpha, \beta)$. The heterogeneity explains why cohort retention rates rise
    over time: the customers likely to cancel leave first. Build it from known parameters, or estimate
    them from the survivors of one or several cohorts with `fit`.

    <model sections>

    See Also
    --------
    retention.cohort_table : With ``kind="rolling"``, the survival counts of acquisition cohorts.
    BetaGeoBetaBinom : The non-contractual discrete-time model (you do not see customers leave).

    Notes
    -----
    A customer acquired at period 0 is active at periods $0, \dots, T - 1$ and churns at $T$, with
    (Fader & Hardie 2007, eqs. 5 to 8)

    $$
    P(T = t) = \frac{B(\alpha + 1, \beta + t - 1)}{B(\alpha, \beta)}, \quad
    S(t) = P(T > t) = \frac{B(\alpha, \beta + t)}{B(\alpha, \beta)}, \quad
    r(t) = \frac{S(t)}{S(t - 1)} = \frac{\beta + t - 1}{\alpha + \beta + t - 1}.
    $$

    The value formulas (discounted expected lifetime and residual lifetime, Fader & Hardie 2010) are in the
    methods' notes and on the "Contractual and discrete-time models" page of the docs.

    References
    ----------
    Fader, P. S. and Hardie, B. G. S. (2007). How to project customer retention. *Journal of Interactive
    Marketing* 21(1), 76-90.

    Fader, P. S. and Hardie, B. G. S. (2010). Customer-base valuation in a contractual setting: the perils
    of ignoring heterogeneity. *Marketing Science* 29(1), 85-93.

    Examples
    --------
    >>> import retention as rt
    >>> regular = [1000, 631, 468, 382, 326, 289, 262, 241]  # Fader & Hardie (2007), years 0-7
    >>> model = rt.ShiftedBetaGeometric.fit(regular)
    >>> model.summary().round(3)
               estimate  standard_error  lower_95  upper_95
    parameter
    alpha         0.704           0.066     0.587     0.845
    beta          1.182           0.152     0.918     1.522
    >>> round(model.loglik, 1)
    -1680.3
    >>> (1000 * model.survival([8, 12])).round(1)  # the actual survivors were 223 and 173
    array([220.1, 170. ])
    """

    alpha: float
    beta: float
    _likelihood: ClassVar[Likelihood[Any]] = core.SHIFTED_BETA_GEOMETRIC
    _n_customers_doc: ClassVar[str] = "The number of customers fitted: the cohort sizes added up."
    _docs: ClassVar[Mapping[str, Any]] = {
        "parameters": r"""
        The mean churn probability is $\alpha / (\alpha + \beta)$; smaller $\alpha + \beta$ means more
        heterogeneity.
        """
    }

    @classmethod
    def fit(cls, active: ArrayLike | pd.DataFrame | pd.Series) -> Self:
        r"""Estimate the parameters by maximum likelihood from the survivors of one or several cohorts.

        Parameters
        ----------
        active : array-like, pandas.DataFrame or pandas.Series
            The number of customers still active at periods 0, 1, 2, ... (period 0: acquisition, the
            cohort size). A 1-D array or a Series is one cohort. A 2-D array or a frame holds one cohort
            per row and one period per column; a cohort that has not reached a period yet has NaN there
            (only after its last observed period). A frame's columns are taken in order; if they are
            integers they must be ``0, 1, 2, ...``. ``rt.cohort_table(tx, freq=..., kind="rolling")``
            gives this frame from a table of payments (see Notes).

        Returns
        -------
        Self
            A new model value with the estimates and the fit statistics.

        Raises
        ------
        InvalidValueError
            If the counts are not whole numbers >= 0, increase from one period to the next, start with 0,
            have a gap, or cannot identify the model: no customer churned, or no cohort was observed at
            periods 0, 1 and 2 with customers left at period 1.
        ColumnTypeError
            If the counts are not numbers.
        ConvergenceError
            If the optimiser does not converge; the message says what was tried.

        Warns
        -----
        RetentionWarning
            If retention does not rise over time in the data: the fit is then no better (by less than 0.5
            in log-likelihood) than one churn probability for all customers, the limit
            $\alpha, \beta \to \infty$, and only $\alpha / (\alpha + \beta)$ is identified. Also if a
            parameter ends on its bound or the Hessian is not positive definite.

        Notes
        -----
        With $n_{c,t}$ the customers of cohort $c$ active at period $t$ and $k_c$ its last observed
        period, $n_{c,t-1} - n_{c,t}$ churned at $t$ and $n_{c,k_c}$ are still active (right-censored):

        $$
        \log L = \sum_c \Big[\sum_{t=1}^{k_c} (n_{c,t-1} - n_{c,t}) \log P(T = t)
        + n_{c,k_c} \log S(k_c)\Big].
        $$

        **From transactions.** If customers pay once per period (``freq``) while subscribed, a customer
        is active at period $t$ of their cohort when they paid in period $t$ or later, which is what
        ``rt.cohort_table(tx, freq=freq, kind="rolling")`` counts: its rows are cohorts, its columns
        periods since acquisition and its cells NaN where not yet observed, so it can be passed as is.
        Use the billing period as ``freq`` and an ``observation_end`` at the end of a period.

        Examples
        --------
        >>> import retention as rt
        >>> cohorts = [[1000, 869, 743, 653, 593], [800, 700, 610, np.nan, np.nan]]
        >>> model = rt.ShiftedBetaGeometric.fit(cohorts)
        >>> {name: round(value, 3) for name, value in model.params.items()}, model.n_customers
        ({'alpha': 1.597, 'beta': 10.181}, 1800.0)
        """
        func = f"{cls.__name__}.fit"
        counts, _ = read_active(active, func=func)
        _check_identified(counts, func)
        t, still, weights = core.survival_rows(counts)
        model = cls._fit_columns((t, still), weights)
        theta, constant = core.constant_churn_loglik(t, still, weights)
        if model.loglik - constant < _NO_GAIN:
            msg = (
                f"{func}: retention does not rise over time in these data: the sBG fits them no better than "
                f"one churn probability for every customer ({theta:.4g} per period), which it approaches "
                "as alpha and beta grow with alpha / (alpha + beta) fixed. So alpha and beta are not "
                "identified separately; their ratio and the predictions are. Check that the counts are "
                "survivors of a cohort (kind='rolling'), or fit a longer history."
            )
            warnings.warn(msg, RetentionWarning, stacklevel=2)
        return model

    def _periods(
        self, t: ArrayLike, method: str, compute: Callable[..., Array], *, least: int
    ) -> float | Array:
        """Check periods ``t`` (any shape, whole numbers >= ``least``) and run ``compute`` on them."""
        func = self._func(method)
        values = check_count(t, "t", func)
        low = values < least
        if np.any(low):
            got = plain_value(np.asarray(t).flat[int(np.flatnonzero(low)[0])])
            msg = (
                f"The 't' parameter of {func} must be whole numbers >= {least}: period t's rate compares it "
                f"with period t - 1. Got {got!r}."
            )
            raise InvalidParameterError(msg)
        return self._shaped(method, lambda flat: compute(flat, **self.params), t=values)

    @overload
    def survival(self, t: int) -> float: ...
    @overload
    def survival(self, t: ArrayLike) -> Array: ...
    def survival(self, t: ArrayLike) -> float | Array:
        r"""Probability that a new customer is still active at period $t$, $S(t)$.

        Parameters
        ----------
        t : int or array-like of int
            Periods since acquisition, >= 0 (0 gives 1); any shape.

        Returns
        -------
        float or numpy.ndarray
            One probability per period, in the shape of ``t`` (a float for a number); times a cohort's
            size, its expected survivors.

        Raises
        ------
        InvalidParameterError
            If a period is not a whole number >= 0.

        Notes
        -----
        $S(t) = B(\alpha, \beta + t) / B(\alpha, \beta)$ (Fader & Hardie 2007, eq. 6).

        Examples
        --------
        >>> import retention as rt
        >>> m = rt.ShiftedBetaGeometric(alpha=0.704, beta=1.182)
        >>> m.survival([0, 1, 7]).round(4)
        array([1.    , 0.6267, 0.2391])
        >>> round(1000 * m.survival(7), 1)  # the expected survivors of a cohort of 1,000 at period 7
        239.1
        """
        return self._periods(t, "survival", core.survival, least=0)

    @overload
    def retention_rate(self, t: int) -> float: ...
    @overload
    def retention_rate(self, t: ArrayLike) -> Array: ...
    def retention_rate(self, t: ArrayLike) -> float | Array:
        r"""Share of the customers active at period $t - 1$ who are still active at period $t$.

        Parameters
        ----------
        t : int or array-like of int
            Periods, >= 1; any shape.

        Returns
        -------
        float or numpy.ndarray
            One rate per period, in the shape of ``t`` (a float for a number); increasing in $t$.

        Raises
        ------
        InvalidParameterError
            If a period is not a whole number >= 1.

        Notes
        -----
        $r(t) = (\beta + t - 1) / (\alpha + \beta + t - 1)$ (Fader & Hardie 2007, eq. 8). It rises with
        $t$ towards 1 although no customer's own churn probability changes: the ones who churn easily
        leave first.

        Examples
        --------
        >>> import retention as rt
        >>> rt.ShiftedBetaGeometric(alpha=0.704, beta=1.182).retention_rate([1, 2, 12]).round(3)
        array([0.627, 0.756, 0.945])
        """
        return self._periods(t, "retention_rate", core.retention_rate, least=1)

    @overload
    def churn_probability(self, t: int) -> float: ...
    @overload
    def churn_probability(self, t: ArrayLike) -> Array: ...
    def churn_probability(self, t: ArrayLike) -> float | Array:
        r"""Probability that a new customer churns at period $t$: active at $t - 1$, not at $t$.

        Parameters
        ----------
        t : int or array-like of int
            Periods, >= 1; any shape.

        Returns
        -------
        float or numpy.ndarray
            One probability per period, in the shape of ``t`` (a float for a number); over
            $t = 1, 2, \dots$ they add up to 1. (The churn rate among the customers still active at
            $t - 1$ is ``1 - retention_rate(t)``.)

        Raises
        ------
        InvalidParameterError
            If a period is not a whole number >= 1.

        Notes
        -----
        $P(T = t) = B(\alpha + 1, \beta + t - 1) / B(\alpha, \beta) = S(t - 1) - S(t)$ (Fader & Hardie
        2007, eq. 5).

        Examples
        --------
        >>> import retention as rt
        >>> m = rt.ShiftedBetaGeometric(alpha=0.704, beta=1.182)
        >>> m.churn_probability([1, 2]).round(4)
        array([0.3733, 0.1529])
        >>> round(m.survival(1) - m.survival(2), 4)  # active at period 1, not at period 2
        0.1529
        """
        return self._periods(t, "churn_probability", core.churn_probability, least=1)

    def expected_lifetime(self) -> float:
        r"""Compute the expected number of periods a new customer pays for, $E[T]$ (period 0 included).

        Returns
        -------
        float
            $(\alpha + \beta - 1) / (\alpha - 1)$ for $\alpha > 1$; infinite for $\alpha \le 1$, where
            enough customers almost never churn that the mean diverges (the median stays finite; use
            `survival`, or the discounted lifetime).

        Examples
        --------
        >>> import retention as rt
        >>> rt.ShiftedBetaGeometric(alpha=3.0, beta=4.0).expected_lifetime()
        3.0
        """
        return core.expected_lifetime(**self.params)

    def discounted_expected_lifetime(self, *, discount_rate: float) -> float:
        r"""Present value at acquisition of one unit paid at the start of each period a new customer is active.

        Parameters
        ----------
        discount_rate : float
            The discount rate per period, >= 0 (0.1 for 10% a period).

        Returns
        -------
        float
            $\mathrm{DEL}(d) = \sum_{t \ge 0} S(t) / (1 + d)^t$; times the margin per period, the expected
            lifetime value of a new customer. Infinite at $d = 0$ for $\alpha \le 1$.

        Raises
        ------
        InvalidParameterError
            If the rate is not a finite number >= 0.

        Notes
        -----
        Fader & Hardie 2010, eq. 5:
        $\mathrm{DEL}(d) = {}_2F_1\!\left(1, \beta; \alpha + \beta; \tfrac{1}{1 + d}\right)$, evaluated by
        Gauss's continued fraction, accurate where SciPy's ``hyp2f1`` fails (large $\beta$, small $d$).

        Examples
        --------
        >>> import retention as rt
        >>> m = rt.ShiftedBetaGeometric(alpha=0.704, beta=1.182)
        >>> round(m.discounted_expected_lifetime(discount_rate=0.1), 4)
        3.6951
        """
        rate = _DEL.check(
            "discount_rate", discount_rate, func=self._func("discounted_expected_lifetime")
        )
        return float(core.discounted_expected_lifetime(rate, alpha=self.alpha, beta=self.beta))

    @overload
    def discounted_expected_residual_lifetime(
        self, renewals: int, *, discount_rate: float
    ) -> float: ...
    @overload
    def discounted_expected_residual_lifetime(
        self, renewals: ArrayLike, *, discount_rate: float
    ) -> Array: ...
    def discounted_expected_residual_lifetime(
        self, renewals: ArrayLike, *, discount_rate: float
    ) -> float | Array:
        r"""Present value of one unit per future renewal of a customer who has renewed $n$ times so far.

        Parameters
        ----------
        renewals : int or array-like of int
            $n$, the renewals made: the customer has been active at periods $0, \dots, n$, and we stand
            at the end of period $n$. Any shape.
        discount_rate : float
            The discount rate per period, >= 0; a single number.

        Returns
        -------
        float or numpy.ndarray
            $\mathrm{DERL}(d \mid n)$, in the shape of ``renewals`` (a float for a number); times the
            margin per period, the expected residual lifetime value. It grows with $n$: a customer who
            has renewed many times is likely one who rarely churns.

        Raises
        ------
        InvalidParameterError
            If ``renewals`` is not whole and >= 0, or the rate is not a finite number >= 0.

        Notes
        -----
        Fader & Hardie 2010, eq. 6 (their "$n - 1$ renewals" counts the acquisition period as period 1).
        The next renewal, for period $n + 1$, is paid now (undiscounted), the one after one period later:

        $$
        \mathrm{DERL}(d \mid n) = \sum_{k \ge 1} \frac{S(n + k)}{S(n)\,(1 + d)^{k - 1}}
        = \frac{\beta + n}{\alpha + \beta + n}\,
        {}_2F_1\!\left(1, \beta + n + 1; \alpha + \beta + n + 1; \tfrac{1}{1 + d}\right).
        $$

        So $\mathrm{DEL}(d) = 1 + \mathrm{DERL}(d \mid 0) / (1 + d)$.

        Examples
        --------
        >>> import retention as rt
        >>> m = rt.ShiftedBetaGeometric(alpha=0.704, beta=1.182)
        >>> m.discounted_expected_residual_lifetime([0, 4], discount_rate=0.1).round(4)
        array([2.9647, 5.8944])
        """
        method = "discounted_expected_residual_lifetime"
        n = check_count(renewals, "renewals", self._func(method))
        rate = _DERL.check("discount_rate", discount_rate, func=self._func(method))
        compute = lambda flat: core.discounted_expected_residual_lifetime(flat, rate, **self.params)  # noqa: E731
        return self._shaped(method, compute, renewals=n)
