r"""Statistics for comparing groups of customers, on durations you bring yourself.

``rt.stats`` holds the tests and intervals that the comparison functions are built on, for users who have
their own durations (days from first purchase to lapse, say) and event flags:

- :func:`logrank_test`: do the survival curves of k groups differ? (log-rank and its weighted variants)
- :func:`kaplan_meier`: the Kaplan-Meier curve with its 95% interval, the numbers ``rt.survival_curve``
  gives;
- :func:`rmst` and :func:`rmst_difference`: the restricted mean survival time up to a horizon, how long a
  customer stays on average within it, and the difference between two groups with its interval;
- :func:`newcombe_interval`: the interval of a difference of two proportions (repurchase shares, say).

Every function checks its input here, once, and calls the numpy core (:mod:`retention.core.stats`). The
results are plain floats, small named tuples and frozen dataclasses.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, NamedTuple, TypeVar

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from retention.core import stats as _core
from retention.errors import (
    ColumnTypeError,
    InvalidParameterError,
    InvalidValueError,
    as_float,
    as_floats,
    plain_value,
    shown_value,
)
from retention.frames.cohorts import kaplan_meier_frame
from retention.frames.options import (
    ALPHA,
    check_one_dimensional,
    check_option,
    is_number,
    is_whole,
)
from retention.frames.schema import group_codes

__all__ = [
    "Interval",
    "LogrankResult",
    "RmstDifferenceResult",
    "RmstResult",
    "kaplan_meier",
    "logrank_test",
    "newcombe_interval",
    "rmst",
    "rmst_difference",
]

# The data arguments shared by the functions, documented once and written into each docstring (where the
# line "<survival data>" is) in signature order.
_DATA_DOCS: Final = {
    "durations": """durations : array-like of numbers
    One time per subject (customer): days from the first purchase to lapse, say. Finite and >= 0, real
    (not complex), and whole numbers at most 2**53 (beyond it a float does not hold them exactly); a list,
    numpy array or pandas Series. The arguments are matched by position (a Series' index plays no part);
    row order does not matter.""",
    "events": """events : array-like of bool or 0/1
    One flag per duration: True (1) when the end was observed (the customer lapsed), False (0) when the
    duration is right-censored (still active at the end of the data).""",
    "groups": """groups : array-like of labels
    One group label per duration, of any type that sorts (numbers, text, categories). A missing label
    (None, NaN) is a group of its own.""",
}
_DATA_MARKER: Final = "<survival data>"

F = TypeVar("F", bound=Callable[..., Any])


def _survival_data_docs(function: F) -> F:
    """Write the shared entries of :data:`_DATA_DOCS` into a docstring, at its ``<survival data>`` line."""
    if function.__doc__ is None:  # docstrings stripped (python -OO): nothing to write
        return function
    doc = function.__doc__
    lines = doc.splitlines()
    at = next(i for i, line in enumerate(lines) if line.strip() == _DATA_MARKER)
    indent = lines[at][: len(lines[at]) - len(lines[at].lstrip())]
    names = [n for n in inspect.signature(function).parameters if n in _DATA_DOCS]
    lines[at : at + 1] = [indent + row for n in names for row in _DATA_DOCS[n].splitlines()]
    function.__doc__ = "\n".join(lines) + ("\n" if doc.endswith("\n") else "")
    return function


# --- results ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogrankResult:
    """The result of :func:`logrank_test`.

    Attributes
    ----------
    statistic : float
        The chi-square statistic (0 or more).
    df : int
        Degrees of freedom: the number of groups minus one (a group that carries no information is not
        counted; see :func:`logrank_test`).
    p_value : float
        The probability of a statistic at least this large if all groups had the same survival curve.
    """

    statistic: float
    df: int
    p_value: float


class RmstResult(NamedTuple):
    """The result of :func:`rmst`: a tuple ``(estimate, standard_error)``."""

    estimate: float
    """The restricted mean survival time: the area under the Kaplan-Meier curve from 0 to ``tau``."""
    standard_error: float
    """Its standard error (the Greenwood-type variance of the integral)."""


@dataclass(frozen=True)
class RmstDifferenceResult:
    """The result of :func:`rmst_difference`: RMST of ``group`` minus RMST of ``reference``.

    Attributes
    ----------
    estimate : float
        RMST of ``group`` minus RMST of ``reference``, in the unit of the durations.
    standard_error : float
        Its standard error.
    ci_lower, ci_upper : float
        The confidence interval (95% by default).
    p_value : float
        Two-sided p-value of "no difference"; NaN when the standard error is 0.
    group : object
        The label whose RMST comes first in the difference: the second label in sorted order.
    reference : object
        The label subtracted: the first label in sorted order.
    tau : float
        The horizon.
    """

    estimate: float
    standard_error: float
    ci_lower: float
    ci_upper: float
    p_value: float
    group: object
    reference: object
    tau: float


class Interval(NamedTuple):
    """A confidence interval: a tuple ``(low, high)``."""

    low: float
    """The lower limit."""
    high: float
    """The upper limit."""


# --- input checks ----------------------------------------------------------------------------------------


def _series(values: object, name: str, func: str) -> pd.Series:
    """Read a one-dimensional sequence as a Series (zero-copy for numpy arrays and Series)."""
    if isinstance(values, pd.Series):
        return values
    fix = "Pass a list, a one-dimensional numpy array or a pandas Series."
    check_one_dimensional(values, name, func, what="a one-dimensional sequence", fix=fix)
    try:
        return pd.Series(values, copy=False)
    except (TypeError, ValueError) as e:
        msg = f"The {name!r} argument of {func} could not be read as a one-dimensional sequence ({e}). {fix}"
        raise ColumnTypeError(msg) from e


def _first_bad(mask: NDArray[np.bool_], values: pd.Series) -> str:
    """Describe the offending entries for a message: how many, and the first one's position and value."""
    bad = np.flatnonzero(mask)
    first = int(bad[0])
    n = len(bad)
    return f"{n} value{'s' if n != 1 else ''}, the first at position {first} ({shown_value(values.iloc[first])})"


_NUMBER_KINDS: Final = {"integer", "floating", "mixed-integer-float", "decimal", "empty"}

_EXACT: Final = 2**53
"""The largest whole number up to which every integer is exact as a float."""


def _durations(values: object, func: str) -> tuple[NDArray[np.float64], bool]:
    """Check the durations; return them as floats, and whether they were whole numbers (an int dtype)."""
    s = _series(values, "durations", func)
    head = f"The 'durations' argument of {func}"
    fix = "Pass times as finite numbers >= 0 (days, say)."
    dtype = s.dtype
    if pd.api.types.is_timedelta64_dtype(dtype):
        msg = f"{head} holds timedeltas. Convert them to numbers, e.g. durations.dt.days or durations / pd.Timedelta('1D')."
        raise ColumnTypeError(msg)
    if pd.api.types.is_complex_dtype(dtype):
        msg = f"{head} holds complex numbers. {fix}"
        raise ColumnTypeError(msg)
    if pd.api.types.is_bool_dtype(dtype) or not (
        pd.api.types.is_numeric_dtype(dtype)
        or pd.api.types.infer_dtype(s, skipna=True) in _NUMBER_KINDS
    ):
        msg = f"{head} must hold numbers; it has dtype {dtype}. {fix}"
        raise ColumnTypeError(msg)
    whole = pd.api.types.is_integer_dtype(dtype)
    try:
        duration = s.to_numpy(dtype=np.float64, na_value=np.nan)
    except OverflowError:  # Python ints too large for a float: infinite here, refused below
        duration = as_floats(s.to_numpy(dtype=object, na_value=np.nan))
    except (TypeError, ValueError) as e:  # pragma: no cover - numbers pandas cannot make floats of
        msg = f"{head} must hold numbers ({e}). {fix}"
        raise ColumnTypeError(msg) from e
    # Whole numbers above 2**53 are not exact as floats (2**53 + 1 would tie with 2**53): refuse them.
    if whole:
        integer = ~np.isnan(duration)  # not the missing values of a nullable Int64
    elif dtype == np.object_:
        # Only the values a float does not hold exactly (beyond 2**53, infinite, missing) are looked at one
        # by one: below 2**53 whether a value was an int changes nothing.
        integer = np.zeros(len(s), dtype=bool)
        wide = ~(np.abs(duration) < _EXACT)
        integer[wide] = np.frompyfunc(is_whole, 1, 1)(s.to_numpy()[wide]).astype(bool)
    else:
        integer = np.zeros(len(s), dtype=bool)
    big = integer & (duration >= _EXACT)
    if big.any():  # the ints themselves, exactly: 2**53 + 1 is 2**53 as a float
        big[big] = np.asarray(s.to_numpy()[big] > _EXACT, dtype=bool)
    bad = ~np.isfinite(duration) & ~integer
    if bad.any():
        msg = f"{head} holds {_first_bad(bad, s)} that are missing or infinite. {fix} Drop or fill missing durations first."
        raise InvalidValueError(msg)
    if big.any():
        msg = (
            f"{head} holds {_first_bad(big, s)} above 2**53 = {_EXACT:,}, the largest whole number a float "
            f"holds exactly. Measure the durations in a coarser unit (days rather than seconds, say)."
        )
        raise InvalidValueError(msg)
    bad = duration < 0
    if bad.any():
        msg = f"{head} holds {_first_bad(bad, s)} below 0. {fix}"
        raise InvalidValueError(msg)
    return duration, whole


def _events(values: object, n: int, func: str) -> NDArray[np.bool_]:
    """Check the event flags (True/False or 0/1, one per duration); return them as booleans."""
    s = _series(values, "events", func)
    head = f"The 'events' argument of {func}"
    fix = "Pass True (or 1) for an observed end and False (or 0) for a censored duration."
    if len(s) != n:
        msg = f"{head} has {len(s):,} values but 'durations' has {n:,}. Pass one event flag per duration."
        raise InvalidValueError(msg)
    dtype = s.dtype
    kind = pd.api.types.infer_dtype(s, skipna=True)
    if not (
        pd.api.types.is_bool_dtype(dtype)
        or pd.api.types.is_numeric_dtype(dtype)
        or kind in _NUMBER_KINDS | {"boolean"}
    ):
        msg = f"{head} must hold True/False or 0/1; it has dtype {dtype}. {fix}"
        raise ColumnTypeError(msg)
    try:
        flags = s.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError) as e:  # pragma: no cover - values pandas cannot make floats of
        msg = f"{head} must hold True/False or 0/1 ({e}). {fix}"
        raise ColumnTypeError(msg) from e
    bad = (flags != 0.0) & (flags != 1.0)  # NaN too
    if bad.any():
        msg = f"{head} holds {_first_bad(bad, s)} that are not True/False or 0/1. {fix}"
        raise InvalidValueError(msg)
    observed: NDArray[np.bool_] = flags == 1.0
    return observed


def _groups(values: object, n: int, func: str) -> tuple[NDArray[np.int64], pd.Index]:
    """Factorise the group labels in sorted order (a missing label last); return codes and labels."""
    s = _series(values, "groups", func)
    if len(s) != n:
        msg = f"The 'groups' argument of {func} has {len(s):,} values but 'durations' has {n:,}. Pass one group label per duration."
        raise InvalidValueError(msg)
    try:
        return group_codes([s.reset_index(drop=True)], ["group"], func)
    except ColumnTypeError as e:
        msg = f"The 'groups' argument of {func} holds values that cannot be grouped (lists or other unhashable values). Pass labels such as numbers or text."
        raise ColumnTypeError(msg) from e


def _survival_data(
    durations: object, events: object, func: str
) -> tuple[NDArray[np.float64], NDArray[np.bool_], bool]:
    duration, whole = _durations(durations, func)
    return duration, _events(events, len(duration), func), whole


def _real(value: object, name: str, func: str, rule: str) -> float:
    """Check a parameter that must be a finite real number (not a bool); return it as a float."""
    if not is_number(value):
        msg = (
            f"The {name!r} parameter of {func} must be a number {rule}. Got {plain_value(value)!r}."
        )
        raise InvalidParameterError(msg)
    number = as_float(value)  # an int too large for a float is infinite: refused as such
    if not math.isfinite(number):
        msg = f"The {name!r} parameter of {func} must be a finite number {rule}. Got {shown_value(value)}."
        raise InvalidParameterError(msg)
    return number


def _alpha(alpha: object, func: str) -> float:
    level: float = ALPHA.check(alpha, "alpha", func)
    return level


def _reach(duration: NDArray[np.float64], observed: NDArray[np.bool_]) -> float:
    """Return how far the Kaplan-Meier curve is known: the largest duration, or forever when it reaches 0.

    The curve reaches 0 when every duration at the largest time is an observed end.
    """
    last = float(duration.max())
    return math.inf if bool(observed[duration == last].all()) else last


def _tau(tau: object, limit: float, what: str, func: str) -> float:
    """Check the horizon: 0 < tau <= limit, the largest time the curve(s) are known at."""
    rule = "> 0" if math.isinf(limit) else f"with 0 < tau <= {limit:.15g} ({what})"
    value = _real(tau, "tau", func, rule)
    if not 0.0 < value <= limit:
        fix = (
            " The Kaplan-Meier curve is not known past its last time when that time is censored, so"
            " neither is its area. Pass a smaller tau."
        )
        msg = f"The 'tau' parameter of {func} must be a number {rule}. Got {shown_value(tau)}.{fix if value > limit else ''}"
        raise InvalidParameterError(msg)
    return value


# --- the public functions ---------------------------------------------------------------------------------


@_survival_data_docs
def logrank_test(
    durations: object,
    events: object,
    groups: object,
    *,
    weightings: str | None = None,
    p: float = 0.0,
    q: float = 0.0,
) -> LogrankResult:
    r"""Test whether the survival curves of two or more groups differ (the log-rank test and its variants).

    Parameters
    ----------
    <survival data>
    weightings : {None, "wilcoxon", "tarone-ware", "peto", "fleming-harrington"}, default None
        How much each event time counts. None, the log-rank test, weighs all event times alike and is the
        most powerful test when one group's hazard is a constant multiple of the other's; "wilcoxon"
        (Gehan-Breslow) and "tarone-ware" weigh early times, where more customers are at risk, more;
        "peto" (Peto-Peto) weighs by a survival estimate; "fleming-harrington" weighs by
        $\hat S(t-)^p (1 - \hat S(t-))^q$: ``p > 0`` stresses early differences, ``q > 0`` late ones.
    p, q : float, default 0.0
        The Fleming-Harrington exponents (>= 0); only with ``weightings="fleming-harrington"``
        (``p = q = 0`` is the log-rank test).

    Returns
    -------
    LogrankResult
        ``statistic``, ``df`` (number of groups minus 1, see Notes) and ``p_value``.

    Raises
    ------
    ColumnTypeError, InvalidValueError
        If the durations, events or groups are not usable, or there are fewer than two groups.
    InvalidParameterError
        If ``weightings``, ``p`` or ``q`` is not accepted.

    See Also
    --------
    rmst_difference : A difference in how long customers stay, with an interval; still valid when the
        curves cross.
    kaplan_meier : The curves being compared.

    Notes
    -----
    At each distinct event time $t_j$, with $n_{jg}$ customers at risk and $d_{jg}$ events in group $g$
    ($n_j$, $d_j$ over all groups) and weight $w_j$,

    $$
    Z_g = \sum_j w_j \Bigl(d_{jg} - d_j \frac{n_{jg}}{n_j}\Bigr), \qquad
    V_{gh} = \sum_j w_j^2 \frac{d_j (n_j - d_j)}{n_j - 1} \frac{n_{jg}}{n_j}
        \Bigl(\delta_{gh} - \frac{n_{jh}}{n_j}\Bigr),
    $$

    and the statistic $Z^\top V^{-1} Z$ over $k - 1$ of the $k$ groups is compared with the chi-square
    distribution with $k - 1$ degrees of freedom. Weights: 1 (log-rank); $n_j$ (Wilcoxon); $\sqrt{n_j}$
    (Tarone-Ware); $\prod_{t_i \le t_j} (1 - d_i / (n_i + 1))$ (Peto); $\hat S(t_j-)^p (1 - \hat
    S(t_j-))^q$ with $\hat S$ the Kaplan-Meier curve of all groups together (Fleming-Harrington). The
    numbers are those of lifelines' ``multivariate_logrank_test``.

    A group of which nobody is at risk at an event time that informs the test (every customer of it
    censored before the first such event, say) has $Z_g = 0$ and no variance: it adds nothing, and is not
    counted in ``df``. With no informative event at all the statistic is 0, ``df`` 0 and the p-value 1.

    **When curves cross** (one group loses customers early, the other late) the differences cancel in $Z$
    and the log-rank test has little power: compare restricted mean survival times instead
    (:func:`rmst_difference`), or test with weights that stress the part of the curve you care about.

    References
    ----------
    .. [1] Klein, J. P. and Moeschberger, M. L. (2003). Survival Analysis: Techniques for Censored and
       Truncated Data, 2nd ed., Springer, section 7.3 (tests for two or more samples, with these weights).
    .. [2] Fleming, T. R. and Harrington, D. P. (1991). Counting Processes and Survival Analysis. Wiley.

    Examples
    --------
    >>> import retention as rt
    >>> durations = [5, 8, 12, 20, 30, 3, 4, 6, 9, 10]
    >>> events = [1, 1, 0, 1, 0, 1, 1, 1, 1, 0]
    >>> groups = ["web"] * 5 + ["store"] * 5
    >>> rt.stats.logrank_test(durations, events, groups)
    LogrankResult(statistic=1.6033..., df=1, p_value=0.2054...)
    >>> rt.stats.logrank_test(durations, events, groups, weightings="wilcoxon").p_value
    0.1956...
    """
    func = "logrank_test"
    check_option("weightings", weightings, _core.WEIGHTINGS, func)
    exponents = []
    for name, value in (("p", p), ("q", q)):
        number = _real(value, name, func, ">= 0")
        if number < 0:
            msg = f"The {name!r} parameter of {func} must be a finite number >= 0. Got {shown_value(value)}."
            raise InvalidParameterError(msg)
        if number != 0 and weightings != "fleming-harrington":
            msg = f"The {name!r} parameter of {func} applies only to weightings='fleming-harrington'; got {name}={shown_value(value)} with weightings={weightings!r}. Pass weightings='fleming-harrington', or leave {name} at 0."
            raise InvalidParameterError(msg)
        exponents.append(number)
    duration, observed, _ = _survival_data(durations, events, func)
    group, labels = _groups(groups, len(duration), func)
    if len(labels) < 2:
        held = f"only {plain_value(labels[0])!r}" if len(labels) else "no values"
        msg = f"{func} compares two or more groups; 'groups' holds {held}. Pass durations of at least two groups."
        raise InvalidValueError(msg)
    result = _core.logrank(
        duration,
        observed,
        group,
        len(labels),
        weightings=weightings,
        p=exponents[0],
        q=exponents[1],
    )
    return LogrankResult(result.statistic, result.df, result.p_value)


@_survival_data_docs
def kaplan_meier(durations: object, events: object) -> pd.DataFrame:
    r"""Estimate the Kaplan-Meier survival curve of your own durations, with its 95% pointwise interval.

    Parameters
    ----------
    <survival data>

    Returns
    -------
    pandas.DataFrame
        The layout of ``rt.survival_curve``: index ``time`` (the distinct durations, ascending; int64 when
        the durations are integers, else float64); columns ``at_risk`` (durations at least ``time``),
        ``events`` (observed ends at ``time``), ``censored`` (censored at ``time``), all int64;
        ``survival``, the estimate of $S(t) = P(T > t)$; ``ci_lower`` and ``ci_upper``, the 95%
        interval (NaN where ``survival`` is 1 or 0). No durations give an empty frame.

    Raises
    ------
    ColumnTypeError, InvalidValueError
        If the durations or events are not usable.

    See Also
    --------
    retention.survival_curve : The same curve, from a transaction table.
    rmst : The area under this curve up to a horizon.

    Notes
    -----
    This is the library's one Kaplan-Meier implementation (the one ``rt.survival_curve`` uses), so the
    numbers are the same: with $n_i$ at risk and $d_i$ events at $t_i$,
    $\hat S(t) = \prod_{t_i \le t} (1 - d_i / n_i)$, Greenwood's
    $\sigma^2(t) = \sum_{t_i \le t} d_i / (n_i (n_i - d_i))$, and the interval
    $\hat S^{\exp(\pm 1.96\,\sigma / \log \hat S)}$ (symmetric on $\log(-\log \hat S)$, lifelines'
    default).

    References
    ----------
    .. [1] Kaplan, E. L. and Meier, P. (1958). Nonparametric estimation from incomplete observations.
       Journal of the American Statistical Association, 53(282), 457-481.

    Examples
    --------
    >>> import retention as rt
    >>> rt.stats.kaplan_meier([0, 10, 0, 20], [True, True, False, True])
          at_risk  events  censored  survival  ci_lower  ci_upper
    time
    0           4       1         1     0.750  0.127947  0.960549
    10          2       1         0     0.375  0.010971  0.808001
    20          1       1         0     0.000       NaN       NaN
    """
    func = "kaplan_meier"
    duration, observed, whole = _survival_data(durations, events, func)
    times, km = _core.km_on_times(duration, observed)
    time = times[km.time]
    index = pd.Index(time.astype(np.int64) if whole else time, name="time")
    return kaplan_meier_frame(km, index)


@_survival_data_docs
def rmst(durations: object, events: object, tau: float) -> RmstResult:
    r"""Estimate the restricted mean survival time up to ``tau``, with its standard error.

    The RMST is how long a customer stays, on average, within the first ``tau`` time units: the area under
    the Kaplan-Meier curve from 0 to ``tau``. Unlike the mean lifetime it is known under censoring, and
    unlike survival at one time it sums up the whole curve.

    Parameters
    ----------
    <survival data>
    tau : float
        The horizon, in the unit of the durations: ``0 < tau <= max(durations)``, because the curve is not
        known past its last time when that time is censored. When every duration at the last time is an
        observed end the curve reaches 0 there, and any ``tau > 0`` is accepted.

    Returns
    -------
    RmstResult
        A named tuple ``(estimate, standard_error)``.

    Raises
    ------
    ColumnTypeError, InvalidValueError
        If the durations or events are not usable, or there are none.
    InvalidParameterError
        If ``tau`` is not a number in ``(0, max(durations)]`` (or > 0 when the curve reaches 0).

    See Also
    --------
    rmst_difference : The difference between two groups, with interval and p-value.
    kaplan_meier : The curve whose area this is.

    Notes
    -----
    $\hat\mu_\tau = \int_0^\tau \hat S(t)\,dt$, a sum of rectangles under the step curve. Its standard
    error comes from the Greenwood-type variance of the integral (Klein and Moeschberger 2003, section
    4.5),

    $$
    \widehat{\operatorname{Var}}(\hat\mu_\tau) = \sum_{t_j < \tau} A_j^2 \frac{d_j}{n_j (n_j - d_j)},
    \qquad A_j = \int_{t_j}^{\tau} \hat S(t)\,dt,
    $$

    over the event times $t_j$ (a term is 0 where everybody at risk has the event; then $A_j = 0$). This
    is the variance of the *estimate*, the one to use for intervals and tests. It is not the variance of
    the truncated lifetime $\min(T, \tau)$ that lifelines' ``restricted_mean_survival_time(...,
    return_variance=True)`` reports (lifelines issue #1682); the estimate itself equals lifelines'.

    References
    ----------
    .. [1] Klein, J. P. and Moeschberger, M. L. (2003). Survival Analysis: Techniques for Censored and
       Truncated Data, 2nd ed., Springer, section 4.5.
    .. [2] Royston, P. and Parmar, M. K. B. (2013). Restricted mean survival time: an alternative to the
       hazard ratio for the design and analysis of randomized trials with a time-to-event outcome. BMC
       Medical Research Methodology, 13, 152.

    Examples
    --------
    >>> import retention as rt
    >>> rt.stats.rmst([1, 2, 3, 4], [1, 1, 0, 1], tau=4)
    RmstResult(estimate=2.75, standard_error=0.6495...)
    >>> estimate, standard_error = rt.stats.rmst([1, 2, 3, 4], [1, 1, 0, 1], tau=2.5)
    >>> estimate
    2.0
    """
    func = "rmst"
    duration, observed, _ = _survival_data(durations, events, func)
    if len(duration) == 0:
        msg = f"{func} needs at least one duration; 'durations' is empty."
        raise InvalidValueError(msg)
    horizon = _tau(tau, _reach(duration, observed), "the largest duration, censored", func)
    estimate, standard_error = _core.rmst(duration, observed, horizon)
    return RmstResult(estimate, standard_error)


@_survival_data_docs
def rmst_difference(
    durations: object, events: object, groups: object, tau: float, *, alpha: float = 0.05
) -> RmstDifferenceResult:
    r"""Compare the restricted mean survival time of two groups: difference, interval and p-value.

    Parameters
    ----------
    <survival data>
    tau : float
        The horizon, in the unit of the durations. Both curves must be known up to ``tau``: it is at most
        the largest duration of each group, except for a group whose curve reaches 0 (every duration at
        its last time an observed end), which sets no limit.
    alpha : float, default 0.05
        1 minus the coverage of the interval (0.05 gives a 95% interval).

    Returns
    -------
    RmstDifferenceResult
        ``estimate`` = RMST of ``group`` minus RMST of ``reference``, where ``reference`` is the first and
        ``group`` the second label in sorted order (False then True, 0 then 1, "control" then
        "treated"); its ``standard_error``, ``ci_lower``, ``ci_upper`` and two-sided ``p_value``.

    Raises
    ------
    ColumnTypeError, InvalidValueError
        If the data are not usable, or ``groups`` does not hold exactly two labels.
    InvalidParameterError
        If ``tau`` or ``alpha`` is not accepted.

    See Also
    --------
    rmst : One group's RMST.
    logrank_test : Whether the curves differ at all.

    Notes
    -----
    The groups are independent, so
    $\operatorname{se} = \sqrt{\operatorname{se}_{\text{group}}^2 + \operatorname{se}_{\text{reference}}^2}$
    with each from :func:`rmst`; the interval is $\text{estimate} \pm z_{1 - \alpha/2}\,\text{se}$ and
    the p-value $2\,\Phi(-\lvert\text{estimate}\rvert / \text{se})$ (NaN when se is 0: no event
    before ``tau`` that leaves survivors). The RMST difference stays meaningful when the survival curves
    cross, where the log-rank test loses its power.

    References
    ----------
    .. [1] Royston, P. and Parmar, M. K. B. (2013). Restricted mean survival time: an alternative to the
       hazard ratio for the design and analysis of randomized trials with a time-to-event outcome. BMC
       Medical Research Methodology, 13, 152.

    Examples
    --------
    >>> import retention as rt
    >>> r = rt.stats.rmst_difference([1, 2, 3, 4], [1, 1, 1, 1], ["store", "store", "web", "web"], tau=4)
    >>> r.group, r.reference, r.estimate, r.standard_error
    ('web', 'store', 2.0, 0.5)
    >>> round(r.ci_lower, 4), round(r.ci_upper, 4), round(r.p_value, 6)
    (1.02, 2.98, 6.3e-05)
    """
    func = "rmst_difference"
    level = _alpha(alpha, func)
    duration, observed, _ = _survival_data(durations, events, func)
    group, labels = _groups(groups, len(duration), func)
    if len(labels) != 2:
        shown = ", ".join(repr(plain_value(v)) for v in labels[:5]) + (
            ", ..." if len(labels) > 5 else ""
        )
        msg = f"{func} compares exactly two groups; 'groups' holds {len(labels)} ({shown or 'none'}). Pass the durations of two groups, or use logrank_test for more."
        raise InvalidValueError(msg)
    reach = [_reach(duration[group == g], observed[group == g]) for g in (0, 1)]
    first_end = int(np.argmin(reach))
    what = (
        f"the curve of group {plain_value(labels[first_end])!r} ends with a censored duration there"
    )
    horizon = _tau(tau, reach[first_end], what, func)
    r = _core.rmst_difference(duration, observed, group, horizon, alpha=level)
    return RmstDifferenceResult(
        r.estimate,
        r.standard_error,
        r.ci_lower,
        r.ci_upper,
        r.p_value,
        group=plain_value(labels[1]),
        reference=plain_value(labels[0]),
        tau=horizon,
    )


def _count(value: object, name: str, func: str, *, minimum: int) -> float:
    rule = f"a whole number >= {minimum}"
    if not is_number(value):
        msg = f"The {name!r} parameter of {func} must be {rule}. Got {plain_value(value)!r}."
        raise InvalidParameterError(msg)
    number = as_float(value)  # an int too large for a float is infinite: refused as such
    if not (math.isfinite(number) and number.is_integer() and number >= minimum):
        msg = f"The {name!r} parameter of {func} must be {rule}. Got {shown_value(value)}."
        raise InvalidParameterError(msg)
    return number


def newcombe_interval(
    successes_1: int, n_1: int, successes_2: int, n_2: int, *, alpha: float = 0.05
) -> Interval:
    r"""Newcombe's hybrid score interval for the difference of two proportions, $p_1 - p_2$.

    Use it for differences in shares, such as the share of customers who bought again within 90 days in a
    contacted group minus that in a hold-out group. It keeps close to its nominal coverage for small
    groups and for shares near 0 or 1, where the textbook (Wald) interval fails.

    Parameters
    ----------
    successes_1, n_1 : int
        Successes and trials in the first group: ``0 <= successes_1 <= n_1``, ``n_1 >= 1``.
    successes_2, n_2 : int
        The same for the second group.
    alpha : float, default 0.05
        1 minus the coverage (0.05 gives a 95% interval).

    Returns
    -------
    Interval
        A named tuple ``(low, high)`` for $p_1 - p_2$, within $[-1, 1]$.

    Raises
    ------
    InvalidParameterError
        If a count is not a whole number in range, or ``alpha`` is not in (0, 1).

    Notes
    -----
    With $\hat p_i = x_i / n_i$ and $(l_i, u_i)$ the Wilson score interval of each proportion,
    $\bigl(2 n_i \hat p_i + z^2 \pm z \sqrt{z^2 + 4 n_i \hat p_i (1 - \hat p_i)}\bigr) / (2 (n_i + z^2))$,
    $z = z_{1 - \alpha/2}$, the interval is (Newcombe 1998, method 10)

    $$
    \Bigl(\hat p_1 - \hat p_2 - \sqrt{(\hat p_1 - l_1)^2 + (u_2 - \hat p_2)^2},\;
          \hat p_1 - \hat p_2 + \sqrt{(u_1 - \hat p_1)^2 + (\hat p_2 - l_2)^2}\Bigr).
    $$

    It equals statsmodels' ``confint_proportions_2indep(..., method="newcomb")``.

    References
    ----------
    .. [1] Newcombe, R. G. (1998). Interval estimation for the difference between independent
       proportions: comparison of eleven methods. Statistics in Medicine, 17(8), 873-890.
    .. [2] Wilson, E. B. (1927). Probable inference, the law of succession, and statistical inference.
       Journal of the American Statistical Association, 22(158), 209-212.

    Examples
    --------
    Newcombe's first example, 56/70 against 48/80 (his Table II gives 0.0524 to 0.3339):

    >>> import retention as rt
    >>> low, high = rt.stats.newcombe_interval(56, 70, 48, 80)
    >>> round(low, 4), round(high, 4)
    (0.0524, 0.3339)
    """
    func = "newcombe_interval"
    level = _alpha(alpha, func)
    x_1 = _count(successes_1, "successes_1", func, minimum=0)
    m_1 = _count(n_1, "n_1", func, minimum=1)
    x_2 = _count(successes_2, "successes_2", func, minimum=0)
    m_2 = _count(n_2, "n_2", func, minimum=1)
    for x, m, i in ((x_1, m_1, 1), (x_2, m_2, 2)):
        if x > m:
            msg = f"The 'successes_{i}' parameter of {func} must be at most n_{i} ({m:.0f}). Got {x:.0f}."
            raise InvalidParameterError(msg)
    low, high = _core.newcombe_interval(
        np.array([x_1]), np.array([m_1]), np.array([x_2]), np.array([m_2]), alpha=level
    )
    return Interval(float(low[0]), float(high[0]))
