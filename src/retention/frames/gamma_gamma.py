"""``rt.GammaGamma``: the Gamma-Gamma model of spend per transaction as a model value.

A short class over :mod:`retention.core.clv.gamma_gamma`, which holds the likelihood and the prediction:
it declares the columns it reads and fits only the customers with repeat purchases; ``fit``, the reading
and labelling, ``params`` and ``summary()`` come from :class:`retention.frames.models.SummaryModel`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Self, overload

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from retention.core.arrays import FloatArray as Array
from retention.core.clv import gamma_gamma as core
from retention.core.clv.fitting import Likelihood
from retention.errors import InvalidValueError, RetentionWarning
from retention.frames.models import Prediction, SummaryModel, model_doctests
from retention.frames.schema import MAX_AMOUNT
from retention.frames.summary_schema import Customers, check_frequency_spend, check_rule

__all__ = ["GammaGamma", "check_monetary_value"]


def check_monetary_value(customers: Customers, *, func: str) -> Customers:
    r"""Refuse ``monetary_value`` beyond ``MAX_AMOUNT`` in absolute value, as transaction tables are.

    A helper for the readers of ``(frequency, monetary_value)`` columns (``rt.GammaGamma`` and
    ``rt.customer_lifetime_value``), after
    :func:`~retention.frames.summary_schema.check_frequency_spend`: every function that reads amounts
    from transactions refuses those beyond :data:`~retention.frames.schema.MAX_AMOUNT`, which are not
    money and whose sums and products (the Gamma-Gamma posterior $\gamma + x\bar z$, a lifetime value)
    overflow to infinity.

    Raises
    ------
    InvalidValueError
        If a monetary value exceeds the bound; the message names the first such customer.

    Examples
    --------
    >>> from retention.frames.summary_schema import read_customers
    >>> c = read_customers(None, {"frequency": [2, 3], "monetary_value": [10.0, 1e308]}, func="f")
    >>> check_monetary_value(c, func="GammaGamma.fit")
    Traceback (most recent call last):
    ...
    retention.errors.InvalidValueError: The monetary_value passed to GammaGamma.fit must be at most ... in absolute value, ...: 1 customer, the first at position 1 (frequency 3.0, monetary_value 1e+308). ...
    """
    frequency, spend = customers.columns
    check_rule(
        ~(np.abs(spend) <= MAX_AMOUNT),
        customers,
        {"frequency": frequency, "monetary_value": spend},
        column="monetary_value",
        rule=f"be at most {MAX_AMOUNT:.0e} in absolute value, the bound on amounts of every function "
        "that reads transactions",
        func=func,
        fix="Larger values are not money, and the model's sums and products of them overflow to "
        "infinity. Check the units of the amounts the summary was made from, or drop those customers.",
    )
    return customers


@dataclass(frozen=True, kw_only=True)
class GammaGamma(SummaryModel):
    r"""The Gamma-Gamma model of spend per transaction (Fader & Hardie 2013).

    Each transaction of a customer has an amount $z \sim \mathrm{Gamma}(p, \nu)$ (shape $p$, rate $\nu$),
    so the customer's mean amount is $p / \nu$; across customers $\nu \sim \mathrm{Gamma}(q, \gamma)$.
    The population mean amount is $p\gamma / (q - 1)$. Build it from known parameters, or estimate them
    with `fit` from the customers' number of repeat transactions and their mean amount.

    <model sections>

    See Also
    --------
    retention.customer_lifetime_value : Combines this model with a model of the number of transactions.
    retention.rfm_summary : Makes ``frequency`` and ``monetary_value`` (pass ``amount=``).

    Notes
    -----
    The mean $\bar z$ of a customer's $x$ repeat transactions is, given $\nu$, $\mathrm{Gamma}(p x, \nu x)$;
    integrating $\nu$ out gives the likelihood (Fader & Hardie 2013, eq. 3)

    $$
    f(\bar z \mid p, q, \gamma; x) = \frac{\Gamma(p x + q)}{\Gamma(p x)\, \Gamma(q)}
    \frac{\gamma^q\, \bar z^{\,p x - 1}\, x^{p x}}{(\gamma + x \bar z)^{p x + q}} .
    $$

    The model assumes that how much a customer spends per transaction does not depend on how often they
    buy. `fit` checks it the way Fader & Hardie do, with the Pearson correlation of ``frequency`` and
    ``monetary_value`` among the customers fitted, and warns when it exceeds 0.3 in absolute value
    (on CDNOW it is 0.11).

    References
    ----------
    Fader, P. S. and Hardie, B. G. S. (2013). The Gamma-Gamma model of monetary value.
    http://www.brucehardie.com/notes/025/

    Examples
    --------
    The model reads ``frequency`` and ``monetary_value``, which ``rt.rfm_summary`` makes from the
    amounts; it fits the customers with repeat purchases:

    >>> import retention as rt
    >>> tx = rt.example_transactions()
    >>> summary = rt.rfm_summary(tx, time_unit="W", amount="amount")
    >>> model = rt.GammaGamma.fit(summary)
    >>> model.summary().round(2)
               estimate  standard_error  lower_95  upper_95
    parameter
    p              7.46            1.30      5.31     10.50
    q              3.55            0.20      3.18      3.96
    gamma         12.02            2.70      7.74     18.68
    >>> round(model.mean_spend, 2), model.n_customers
    (35.22, 1361.0)
    >>> model.conditional_expected_spend(summary).head(3).round(2)
    customer_id
    1    35.22
    2    42.02
    3    26.75
    Name: conditional_expected_spend, dtype: float64
    """

    p: float
    q: float
    gamma: float
    _likelihood: ClassVar[Likelihood[Any]] = core.GAMMA_GAMMA

    @property
    def mean_spend(self) -> float:
        r"""The population mean amount per transaction, $p\gamma / (q - 1)$; NaN when $q \le 1$ (infinite)."""
        return core.mean_spend(p=self.p, q=self.q, gamma=self.gamma)

    _columns: ClassVar[tuple[str, ...]] = ("frequency", "monetary_value")
    _learns: ClassVar[str] = (
        "what customers spend per transaction (it reads repeat transactions only)"
    )
    _n_customers_doc: ClassVar[str] = "The number of customers fitted: those with repeat purchases."
    _docs: ClassVar[Mapping[str, Any]] = {
        "parameters": "``gamma`` is in the currency of the amounts.",
        "extra attributes": r"""
        mean_spend : float
            The population mean amount per transaction, $p\gamma / (q - 1)$.
        """,
        "fit": {
            "columns": "``frequency`` (repeat transactions) and ``monetary_value`` (their mean amount)",
            "summary note": " with ``amount=``",
            "rules": (
                "a frequency is a whole number >= 0; a monetary value is finite, within "
                "``retention.frames.schema.MAX_AMOUNT`` in absolute value (the bound on amounts of every "
                "function that reads transactions) and, for a customer with repeat purchases, positive"
            ),
            "not identified": (
                ", or there are no more customers with repeat purchases than parameters (3)"
            ),
            "read errors": "",
            "warns": (
                ", or ``frequency`` and ``monetary_value`` of the customers fitted have a Pearson "
                "correlation above 0.3 in absolute value (the model assumes they are independent)"
            ),
            "fit notes": r"""
        Notes
        -----
        **Customers without repeat purchases are left out** (filtered here, not refused): they have no
        repeat transactions whose amounts the model describes, and ``rt.rfm_summary`` gives them a monetary
        value of 0. So a whole summary can be passed, and ``n_customers`` counts the customers fitted.
        As in Fader & Hardie (2013), the spend is the mean of the *repeat* transactions: the first
        purchase, often different in size, is not used.

        **The independence check.** The weighted Pearson correlation $\rho$ of $x$ and $\bar z$ over the
        customers fitted; the warning fires when $|\rho| > 0.3$. A threshold on the size of the
        correlation rather than a significance test, because with thousands of customers a correlation
        that is too small to matter (0.11 on CDNOW, which Fader & Hardie accept) is "significant".
        Silence it with ``warnings.filterwarnings("ignore", "GammaGamma.fit: frequency", RetentionWarning)``.

        The log-likelihood is maximised with the shared routine
        (:func:`retention.core.clv.fitting.fit_likelihood`): log parameters, L-BFGS-B with the analytic
        gradient, Newton polish, standard errors from the Hessian.
        """,
        },
    }

    @classmethod
    def _check_customers(cls, customers: Customers, func: str, names: tuple[str, ...]) -> Customers:
        return check_monetary_value(check_frequency_spend(customers, func=func), func=func)

    @classmethod
    def _fit_checked(cls, data: Customers, weights: Array | None, func: str) -> Self:
        """Fit the customers with repeat purchases, after checking the independence of spend and count."""
        x, spend = data.columns
        n_params = len(cls._likelihood.params)
        counts = np.ones(len(x)) if weights is None else weights
        repeat = (x > 0) & (counts > 0)
        n_repeat = float(counts[repeat].sum())
        if n_repeat <= n_params:
            msg = (
                f"{func} needs more customers with repeat purchases (frequency > 0) than the model has "
                f"parameters ({n_params}); got {n_repeat:g}. Customers with frequency 0 are left out of the "
                "fit: they have no repeat transactions whose amounts the model describes."
            )
            raise InvalidValueError(msg)
        columns = (x[repeat], spend[repeat])
        rho = core.spend_correlation(*columns, counts[repeat])
        if math.isfinite(rho) and abs(rho) > core.CORRELATION_THRESHOLD:
            msg = (
                f"{func}: frequency and monetary_value are correlated among the customers with repeat "
                f"purchases (Pearson r = {rho:.2f}, beyond +-{core.CORRELATION_THRESHOLD}). The Gamma-Gamma "
                "model assumes that spend per transaction does not depend on how often a customer buys, so "
                "its spend predictions may be biased. Check summary[summary['frequency'] > 0][['frequency', "
                "'monetary_value']].corr(), and consider fitting segments separately."
            )
            # stacklevel 3: this routine, then the shared fit, then the caller's line.
            warnings.warn(msg, RetentionWarning, stacklevel=3)
        return cls._fit_columns(columns, None if weights is None else weights[repeat])

    @overload
    def conditional_expected_spend(self, summary: pd.DataFrame) -> pd.Series: ...
    @overload
    def conditional_expected_spend(
        self, summary: None = None, *, frequency: float, monetary_value: float
    ) -> float: ...
    @overload
    def conditional_expected_spend(
        self, summary: None = None, *, frequency: ArrayLike, monetary_value: ArrayLike
    ) -> NDArray[np.float64]: ...
    def conditional_expected_spend(
        self,
        summary: pd.DataFrame | None = None,
        *,
        frequency: ArrayLike | None = None,
        monetary_value: ArrayLike | None = None,
    ) -> Prediction:
        r"""Predict each customer's mean spend per future transaction, given their past spend.

        Parameters
        ----------
        <summary>
        <customer arrays>

        <prediction returns>

        Raises
        ------
        InvalidValueError, ColumnNotFoundError, ColumnTypeError, InvalidParameterError
            If the customers cannot be used (the rules of `fit`), or the arrays do not broadcast together.

        Warns
        -----
        RetentionWarning
            If some predictions are NaN because the mean is infinite ($q \le 1$ for customers without
            repeat purchases, $p x + q \le 1$ for the others).

        Notes
        -----
        Fader & Hardie (2013, eq. 5): the posterior of $\nu$ is $\mathrm{Gamma}(q + p x, \gamma + x\bar z)$,
        so

        $$
        E[Z \mid x, \bar z] = \frac{p (\gamma + x \bar z)}{p x + q - 1}
        = \frac{q - 1}{p x + q - 1}\, \frac{p \gamma}{q - 1} + \frac{p x}{p x + q - 1}\, \bar z,
        $$

        a weighted mean of the population mean and the customer's own mean, which gets more weight the
        more transactions it rests on. **A customer without repeat purchases** ($x = 0$) gets the
        population mean $p\gamma / (q - 1)$, whatever their monetary value; it is infinite (NaN here)
        when $q \le 1$.

        Examples
        --------
        >>> import retention as rt
        >>> m = rt.GammaGamma(p=6.25, q=3.74, gamma=15.44)
        >>> m.conditional_expected_spend(frequency=[0, 1, 2, 10], monetary_value=[0.0, 30.0, 30.0, 30.0]).round(2)
        array([35.22, 31.59, 30.94, 30.22])
        >>> round(m.conditional_expected_spend(frequency=2, monetary_value=30.0), 2)
        30.94
        """
        method = "conditional_expected_spend"
        columns = {"frequency": frequency, "monetary_value": monetary_value}
        result = self._predict(
            method,
            summary,
            columns,
            lambda data: core.conditional_expected_spend(*data.columns, **self.params),
        )
        missing = int(np.isnan(np.asarray(result, dtype=np.float64)).sum())
        if missing:
            msg = (
                f"{self._func(method)}: the expected spend is infinite (NaN here) for {missing} "
                f"customers: with q = {self.q:.4g}, customers without repeat purchases need q > 1, and "
                "those with x repeat purchases need p x + q > 1, for the mean spend to be finite."
            )
            warnings.warn(msg, RetentionWarning, stacklevel=2)
        return result


__test__ = model_doctests(GammaGamma)
