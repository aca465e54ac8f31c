"""``rt.BetaGeo`` (BG/NBD) and ``rt.ModifiedBetaGeo`` (MBG/NBD): model values on a summary frame.

Declarations only: the parameters, the core module (:mod:`retention.core.clv.beta_geo`, which holds the
likelihood and the prediction formulas) and the parts of the docstrings that are this model's own. The
predictions, ``fit``, ``params``, ``summary()`` and the input checks come from
:class:`retention.frames.models.FrequencyRecencyModel`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from retention.core.clv import beta_geo as core
from retention.core.clv.fitting import Likelihood
from retention.frames.models import FrequencyRecencyModel, model_doctests

__all__ = ["BetaGeo", "ModifiedBetaGeo"]


@dataclass(frozen=True, kw_only=True)
class _BetaGeoFamily(FrequencyRecencyModel):
    """What BG/NBD and MBG/NBD share: the parameters, the core and the predictions' notes."""

    r: float
    alpha: float
    a: float
    b: float
    _core: ClassVar[Any] = core
    _core_options: ClassVar[Mapping[str, Any]] = {"dropout_at_start": False}
    _docs: ClassVar[Mapping[str, Any]] = {
        "p_alive": {
            "p_alive notes": r"""
        Notes
        -----
        BG/NBD (Fader, Hardie & Lee 2005, eq. 12):
        $P(\text{alive at } T) = 1 / \big[1 + [x > 0]\, \frac{a}{b + x - 1}
        \big(\frac{\alpha + T}{\alpha + t_x}\big)^{r + x}\big]$, so a customer without repeat purchases is
        certainly alive. MBG/NBD (Batislam et al. 2007): $1 / \big[1 + \frac{a}{b + x}
        \big(\frac{\alpha + T}{\alpha + t_x}\big)^{r + x}\big]$. For $t > 0$ it is multiplied by
        $(1 - z)^a\, {}_2F_1(a + b + s - r, a; a + b + x + s; z)$ with $z = t / (\alpha + T + t)$ and
        $s$ = 0 (BG/NBD) or 1 (MBG/NBD): the posterior mean of $e^{-\lambda p t}$, the chance of no
        dropout in the next $t$ (derived in :func:`retention.core.clv.beta_geo.p_alive`).

        Examples
        --------
        >>> import retention as rt
        >>> m = rt.BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> m.p_alive(frequency=[0, 2, 2], recency=[0.0, 30.43, 10.0], T=[38.86, 38.86, 38.86]).round(3)
        array([1.   , 0.727, 0.268])
        >>> m.p_alive(frequency=2, recency=30.43, T=38.86, t=[0.0, 52.0]).round(3)
        array([0.727, 0.532])
        """
        },
        "expected_purchases": {
            "expected_purchases notes": r"""
        Notes
        -----
        BG/NBD (Fader, Hardie & Lee 2005, eq. 9):
        $E[X(t)] = \frac{a + b - 1}{a - 1}\left[1 - \left(\frac{\alpha}{\alpha + t}\right)^r
        {}_2F_1\!\left(r, b; a + b - 1; \frac{t}{\alpha + t}\right)\right]$.
        MBG/NBD (Batislam et al. 2007):
        $\frac{b}{a - 1}\left[1 - \left(\frac{\alpha}{\alpha + t}\right)^r
        {}_2F_1\!\left(r, b + 1; a + b; \frac{t}{\alpha + t}\right)\right]$.

        Examples
        --------
        >>> import retention as rt
        >>> m = rt.BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> round(m.expected_purchases(52.0), 4)
        1.4461
        """
        },
        "conditional_expected_purchases": {
            "conditional_expected_purchases notes": r"""
        Notes
        -----
        BG/NBD (Fader, Hardie & Lee 2005, eq. 10), with MBG/NBD the same with $s = 1$ (Batislam et al.
        2007) and $y = x + s$:

        $$
        E[Y(t) \mid x, t_x, T] = P(\text{alive at } T)\, \frac{a + b + y - 1}{a - 1}
        \left[1 - \left(\frac{\alpha + T}{\alpha + T + t}\right)^{r + x}
        {}_2F_1\!\left(r + x, b + y; a + b + y - 1; \frac{t}{\alpha + T + t}\right)\right].
        $$

        Examples
        --------
        >>> import retention as rt
        >>> m = rt.BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> m.conditional_expected_purchases(t=39.0, frequency=[0, 2], recency=[0.0, 30.43],
        ...                                    T=[38.86, 38.86]).round(3)
        array([0.195, 1.226])

        Numbers give a float, and arrays broadcast: one row per customer, one column per horizon.

        >>> round(m.conditional_expected_purchases(t=52, frequency=26, recency=30.86, T=31), 3)
        25.758
        >>> m.conditional_expected_purchases(t=[13, 52], frequency=[[0], [2]], recency=[[0.0], [30.43]],
        ...                                    T=38.86).round(3)
        array([[0.07 , 0.252],
               [0.457, 1.559]])
        """
        },
        "probability_of_purchases": {
            "probability_of_purchases notes": r"""
        Notes
        -----
        BG/NBD (Fader, Hardie & Lee 2005, eq. 8), MBG/NBD with $s = 1$, $y = n + s$:
        $P(X(t) = n) = \frac{B(a, b + y)}{B(a, b)} \frac{\Gamma(r + n)}{\Gamma(r)\, n!}
        \left(\frac{\alpha}{\alpha + t}\right)^r \left(\frac{t}{\alpha + t}\right)^n
        + [y > 0]\, \frac{B(a + 1, b + y - 1)}{B(a, b)}\, I_{t/(\alpha + t)}(n, r)$, where the
        regularised incomplete beta function $I$ is the probability of at least $n$ purchases without
        dropout (1 for $n = 0$).

        Examples
        --------
        >>> import retention as rt
        >>> m = rt.BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> m.probability_of_purchases([0, 1, 2], 39.0).round(3)
        array([0.574, 0.199, 0.085])
        """
        },
    }


@dataclass(frozen=True, kw_only=True)
class BetaGeo(_BetaGeoFamily):
    r"""The BG/NBD model of repeat buying (Fader, Hardie & Lee 2005).

    While alive, a customer buys at the times of a Poisson process with rate $\lambda$; right after each
    purchase they drop out for good with probability $p$. Across customers
    $\lambda \sim \mathrm{Gamma}(r, \alpha)$ (shape $r$, rate $\alpha$, in the unit of ``T``) and
    $p \sim \mathrm{Beta}(a, b)$. Build it from known parameters, or estimate them with
    `fit`.

    <model sections>

    See Also
    --------
    ModifiedBetaGeo : The MBG/NBD, where customers can also drop out right after the first purchase.
    retention.rfm_summary : The summary frame the model reads.

    Notes
    -----
    The likelihood of a customer with $x$ repeat purchases, the last at $t_x$, observed for $T$
    (Fader, Hardie & Lee 2005, eq. 6):

    $$
    L = \frac{B(a, b + x)}{B(a, b)} \frac{\Gamma(r + x)\, \alpha^r}{\Gamma(r)\, (\alpha + T)^{r + x}}
    + [x > 0]\, \frac{B(a + 1, b + x - 1)}{B(a, b)} \frac{\Gamma(r + x)\, \alpha^r}{\Gamma(r)\, (\alpha + t_x)^{r + x}}.
    $$

    The first term is a customer still alive at $T$, the second one who dropped out right after the last
    purchase. The predictions' formulas are in each method's notes and on the "Lifetime value" page of
    the docs.

    References
    ----------
    Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005). "Counting your customers" the easy way: an
    alternative to the Pareto/NBD model. *Marketing Science* 24(2), 275-284.

    Examples
    --------
    >>> import pandas as pd
    >>> import retention as rt
    >>> summary = pd.DataFrame({  # ten purchase patterns and how many customers show each
    ...     "frequency": [0, 0, 1, 1, 2, 3, 5, 1, 0, 2],
    ...     "recency": [0.0, 0.0, 5.0, 30.0, 20.0, 33.0, 36.0, 2.0, 0.0, 10.0],
    ...     "T": [38.0, 20.0, 38.0, 38.0, 38.0, 38.0, 38.0, 25.0, 30.0, 30.0],
    ...     "customers": [500, 200, 80, 60, 40, 30, 20, 30, 100, 20],
    ... })
    >>> model = rt.BetaGeo.fit(summary, weights=summary["customers"])
    >>> model.summary().round(3)
               estimate  standard_error  lower_95  upper_95
    parameter
    r             0.289           0.047     0.210     0.397
    alpha        17.160           4.055    10.799    27.268
    a             0.325           0.246     0.074     1.431
    b             0.749           0.562     0.172     3.256
    >>> round(model.loglik, 2), model.n_customers
    (-2447.25, 1080.0)
    >>> model.p_alive(summary).round(3).tolist()
    [1.0, 1.0, 0.416, 0.653, 0.685, 0.861, 0.923, 0.455, 1.0, 0.603]
    """

    _likelihood: ClassVar[Likelihood[Any]] = core.BETA_GEO


@dataclass(frozen=True, kw_only=True)
class ModifiedBetaGeo(_BetaGeoFamily):
    r"""The MBG/NBD model of repeat buying (Batislam, Denizel & Filiztekin 2007).

    The BG/NBD (:class:`BetaGeo`) with one more chance to drop out: right after the first purchase too.
    So a customer without repeat purchases is not certainly alive, which the BG/NBD assumes and which
    overstates P(alive) for one-time buyers observed for a long time.

    <model sections>

    See Also
    --------
    BetaGeo : The BG/NBD.

    Notes
    -----
    The likelihood (Batislam, Denizel & Filiztekin 2007):

    $$
    L = \frac{B(a, b + x + 1)}{B(a, b)} \frac{\Gamma(r + x)\, \alpha^r}{\Gamma(r)\, (\alpha + T)^{r + x}}
    + \frac{B(a + 1, b + x)}{B(a, b)} \frac{\Gamma(r + x)\, \alpha^r}{\Gamma(r)\, (\alpha + t_x)^{r + x}}.
    $$

    References
    ----------
    Batislam, E. P., Denizel, M. and Filiztekin, A. (2007). Empirical validation and comparison of models
    for customer base analysis. *International Journal of Research in Marketing* 24(3), 201-209.

    Examples
    --------
    >>> import retention as rt
    >>> m = rt.ModifiedBetaGeo(r=0.525, alpha=6.183, a=0.891, b=1.614)
    >>> m.p_alive(frequency=[0, 2], recency=[0.0, 30.43], T=[38.86, 38.86]).round(3)
    array([0.39 , 0.706])
    """

    _likelihood: ClassVar[Likelihood[Any]] = core.MODIFIED_BETA_GEO
    _docs: ClassVar[Mapping[str, Any]] = {
        "parameters": r"$\lambda \sim \mathrm{Gamma}(r, \alpha)$, $p \sim \mathrm{Beta}(a, b)$ as in the BG/NBD."
    }
    _core_options: ClassVar[Mapping[str, Any]] = {"dropout_at_start": True}


__test__ = model_doctests(_BetaGeoFamily)
