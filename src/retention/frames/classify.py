"""ABC / XYZ classification of customers: how much the business depends on each, and how regular they are.

Why one module of about 800 lines: the four functions are one classification (``abc_xyz`` is ``abc`` and
``xyz`` of values it reads from transactions, ``abc_xyz_matrix`` counts its result) and share the labelling
and the option checks; the typing overloads of ``abc`` and ``xyz`` and the docstrings are most of the length.

The adapter for :mod:`retention.core.classify`. :func:`abc` and :func:`xyz` classify values the caller has
already computed (a Series, an array or a customers x periods frame); :func:`abc_xyz` reads a transaction
table once with :func:`~retention.frames.schema.read_transactions`, reduces it to per-customer values
(revenue net of returns, or orders) and per-(customer, period) values with exact sums, and labels the result
(per group with ``by``); :func:`abc_xyz_matrix` counts the nine cells. The rules, with examples, are on the "Classification" page of the docs
(``docs/classification.md``).
"""

from __future__ import annotations

import inspect
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, overload

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from retention.core.activity import first_periods
from retention.core.caller import warn_at_caller
from retention.core.classify import (
    ABC_METHODS,
    abc_codes,
    abc_table,
    coefficient_of_variation,
    period_cv,
    xyz_codes,
)
from retention.core.classify import abc_thresholds as abc_limits
from retention.core.classify import xyz_thresholds as xyz_limits
from retention.core.parallel import bincount
from retention.core.sums import group_sums
from retention.errors import ColumnTypeError, InvalidParameterError, InvalidValueError, plain_value
from retention.frames.breakdown import breakdown, index_levels
from retention.frames.options import (
    BY,
    Frequency,
    Given,
    Interval,
    Options,
    check_keywords,
    declare,
)
from retention.frames.reading import read_with_options
from retention.frames.schema import (
    DateLike,
    Transactions,
    day_period_codes,
    last_complete_period,
    transaction_options,
)

__all__ = ["abc", "abc_xyz", "abc_xyz_matrix", "xyz"]

ABC_LABELS: Final = ("A", "B", "C")
XYZ_LABELS: Final = ("X", "Y", "Z")
ABC_XYZ_LABELS: Final = tuple(a + x for a in ABC_LABELS for x in XYZ_LABELS)

_METRICS: Final = ("revenue", "orders")
_ABC_THRESHOLDS: Final = Given(
    "a pair 0 <= t1 <= t2 <= 1 or None (the method's default), checked by core.classify.abc_thresholds"
)
_ABC_METHOD: Final = Given(f"one of {ABC_METHODS}, checked by core.classify.abc_thresholds")
_XYZ_THRESHOLDS: Final = Given("a pair 0 <= t1 <= t2, checked by core.classify.xyz_thresholds")
_MIN_PERIODS: Final = Interval("integer", 1, None)
declare("abc", thresholds=_ABC_THRESHOLDS, method=_ABC_METHOD)
declare("xyz", thresholds=_XYZ_THRESHOLDS, min_periods=_MIN_PERIODS)
_ABC_XYZ: Final = declare(
    "abc_xyz",
    freq=Frequency(),
    metric=Options(*_METRICS),
    abc_thresholds=_ABC_THRESHOLDS,
    xyz_thresholds=_XYZ_THRESHOLDS,
    abc_method=_ABC_METHOD,
    min_periods=_MIN_PERIODS,
    by=BY,
)
_RESULT_COLUMNS: Final = ("value", "abc", "xyz")
_MATRIX_MEASURES: Final = ("customers", "customer_share", "value", "value_share")


def _labels(codes: NDArray[np.int8], labels: tuple[str, ...]) -> pd.Categorical[str]:
    return pd.Categorical.from_codes(codes.astype(np.int64), categories=pd.Index(list(labels)))


def _categorical(
    codes: NDArray[np.int8], labels: tuple[str, ...], index: pd.Index, name: str
) -> pd.Series:
    return pd.Series(_labels(codes, labels), index=index, name=name)


def _numeric_series(values: pd.Series, func: str) -> NDArray[np.float64]:
    """Return the values of a Series as floats (NaN for missing); refuse text and booleans."""
    dtype = values.dtype
    if not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
        msg = (
            f"The 'values' argument of {func} must hold numbers; the Series {values.name!r} has dtype "
            f"{dtype}. Convert it with pd.to_numeric(...)."
        )
        raise ColumnTypeError(msg)
    return values.to_numpy(dtype=np.float64, na_value=np.nan)


@overload
def abc(
    values: pd.Series,
    *,
    thresholds: Sequence[float] | None = None,
    method: str = "cumulative",
) -> pd.Series: ...
@overload
def abc(
    values: ArrayLike,
    *,
    thresholds: Sequence[float] | None = None,
    method: str = "cumulative",
) -> NDArray[np.str_]: ...
def abc(
    values: pd.Series | ArrayLike,
    *,
    thresholds: Sequence[float] | None = None,
    method: str = "cumulative",
) -> pd.Series | NDArray[np.str_]:
    r"""Classify customers A, B or C by their value: how much the business depends on each one.

    Parameters
    ----------
    values : pandas.Series or array_like of float
        One non-negative value per customer: revenue, margin, number of orders. Not modified.
    thresholds : pair of float, optional
        ``(t1, t2)`` with ``0 <= t1 <= t2 <= 1``. With ``method="cumulative"``, shares of the total value
        (default ``(0.8, 0.95)``: A brings the first 80%, B the next 15%); with ``"count"``, shares of the
        customers (default ``(0.2, 0.5)``: the top 20% of customers are A, the next 30% B). Leave it None
        with ``"computed"``.
    method : {"cumulative", "count", "computed"}, default "cumulative"
        ``"cumulative"``: the Pareto rule on value shares. ``"count"``: fixed shares of customers, ranked
        by value. ``"computed"``: limits derived from the data's ABC curve (Ultsch & Lötsch 2015).

    Returns
    -------
    pandas.Series or numpy.ndarray
        For a Series, a categorical Series named ``"abc"`` with categories ``A``, ``B``, ``C`` on the same
        index; for anything else, a numpy array of the strings ``"A"``, ``"B"``, ``"C"``.

    Raises
    ------
    ColumnTypeError
        If ``values`` is not one-dimensional or holds no numbers.
    InvalidValueError
        If a value is missing, infinite or negative.
    InvalidParameterError
        If ``method`` or ``thresholds`` is not accepted.

    See Also
    --------
    abc_xyz : ABC and XYZ classes of the customers of a transaction table.
    xyz : Classify by the regularity of purchases.

    Notes
    -----
    Customers are ranked by value, largest first. With $S_{>}(x)$ the total value of the customers whose
    value is strictly larger than $x$, $N_{>}(x)$ their number, $S$ the total value and $n$ the
    number of customers, a customer with value $x$ is

    - ``"cumulative"``: A if $S_{>}(x) < t_1 S$, else B if $S_{>}(x) < t_2 S$, else C;
    - ``"count"``: A if $N_{>}(x) < t_1 n$, else B if $N_{>}(x) < t_2 n$, else C;
    - ``"computed"``: A if $N_{>}(x) < a$, else B if $N_{>}(x) < ab$, else C, where $a$ is the
      smaller of the Pareto point (closest to (0, 1)) and the break-even point (slope 1) of the ABC
      curve, and $ab$ the submarginal point (closest to (max of the two, 1)).

    **Boundary rule.** Going down the ranking, the customer whose cumulative share first reaches or
    crosses $t_1$ is still A: A is the smallest group of top customers that holds at least $t_1$ of the
    value (so A is never empty when some value is positive). Likewise for B and $t_2$.

    **Ties.** The class depends only on the customers with a strictly larger value, so equal values get
    the same class whatever their order; a tie that straddles a limit takes the class of its first member.
    Values that differ only by floating-point rounding (``0.1 + 0.2`` and ``0.3``) are ties: values and
    limits are compared to 40 significant bits, about 12 decimal digits.

    **Zeros.** A customer with value 0 is C. When all values are 0, every customer is C.

    References
    ----------
    .. [1] Ultsch, A., & Lötsch, J. (2015). Computed ABC Analysis for Rational Selection of Most
       Informative Variables in Multivariate Data. PLoS ONE, 10(6), e0129767.
       https://doi.org/10.1371/journal.pone.0129767

    Examples
    --------
    >>> import retention as rt
    >>> revenue = pd.Series([40.0, 25, 15, 10, 5, 3, 2], index=list("abcdefg"), name="revenue")
    >>> rt.abc(revenue).tolist()
    ['A', 'A', 'A', 'B', 'B', 'C', 'C']

    Customer ``c`` brings the cumulative share to exactly 80%, so it is A; ``f`` reaches 98% but the
    customers ahead of it already hold 95%, so it is C. By share of customers, and with limits taken from
    the data:

    >>> rt.abc(revenue, method="count", thresholds=(0.2, 0.5)).tolist()
    ['A', 'A', 'B', 'B', 'C', 'C', 'C']
    >>> rt.abc([50, 20, 10, 10, 5, 5], method="computed")
    array(['A', 'A', 'B', 'B', 'C', 'C'], dtype='<U1')
    """
    func = "abc"
    if isinstance(values, pd.DataFrame):
        msg = f"The 'values' argument of {func} must be one-dimensional (a Series or an array); got a DataFrame. Pick one column."
        raise ColumnTypeError(msg)
    if isinstance(values, pd.Series):
        codes = abc_codes(
            _numeric_series(values, func), thresholds=thresholds, method=method, func=func
        )
        return _categorical(codes, ABC_LABELS, values.index, "abc")
    codes = abc_codes(values, thresholds=thresholds, method=method, func=func)
    return np.array(ABC_LABELS)[codes]


@overload
def xyz(
    periodic_values: pd.DataFrame,
    *,
    thresholds: Sequence[float] = (0.1, 0.25),
    min_periods: int = 2,
) -> pd.Series: ...
@overload
def xyz(
    periodic_values: ArrayLike,
    *,
    thresholds: Sequence[float] = (0.1, 0.25),
    min_periods: int = 2,
) -> NDArray[np.str_]: ...
def xyz(
    periodic_values: pd.DataFrame | ArrayLike,
    *,
    thresholds: Sequence[float] = (0.1, 0.25),
    min_periods: int = 2,
) -> pd.Series | NDArray[np.str_]:
    r"""Classify customers X, Y or Z by how regularly they buy: the coefficient of variation per period.

    Parameters
    ----------
    periodic_values : pandas.DataFrame or array_like of float, shape (customers, periods)
        Each customer's value (amount, orders) per period, one row per customer. NaN marks a period that
        is not observed for the customer, such as those before their first purchase, and is left out; 0
        is a period without purchases. Not modified.
    thresholds : pair of float, default (0.1, 0.25)
        ``(t1, t2)`` with ``0 <= t1 <= t2``: X when the CV is at most ``t1``, Y when at most ``t2``, Z
        above. Other common pairs are ``(0.25, 0.5)`` and ``(0.5, 1.0)``; see Notes.
    min_periods : int, default 2
        Fewest observed periods for a CV; customers with fewer are Z.

    Returns
    -------
    pandas.Series or numpy.ndarray
        For a DataFrame, a categorical Series named ``"xyz"`` with categories ``X``, ``Y``, ``Z`` on the
        frame's index; for an array, a numpy array of the strings ``"X"``, ``"Y"``, ``"Z"``.

    Raises
    ------
    ColumnTypeError
        If the input is not two-dimensional or a column holds no numbers.
    InvalidValueError
        If a value is infinite.
    InvalidParameterError
        If ``thresholds`` or ``min_periods`` is not accepted.

    See Also
    --------
    abc_xyz : ABC and XYZ classes, with the CV, from a transaction table.
    abc : Classify by value.

    Notes
    -----
    Over a customer's $m$ observed periods with values $v_1, \dots, v_m$,
    $\mathrm{CV} = \sigma / \mu$ with $\mu = \frac1m \sum_j v_j$ and the population standard deviation
    $\sigma = \sqrt{\frac1m \sum_j (v_j - \mu)^2}$ (two passes: the mean first). The class is X if
    $\mathrm{CV} \le t_1$, Y if $t_1 < \mathrm{CV} \le t_2$, Z otherwise, comparing to 40 significant bits
    (a CV of 0.1 computed as 0.10000000000000003 is on the limit 0.1).

    The CV is undefined with fewer than ``min_periods`` observed periods (one period says nothing about
    regularity) or a mean that is not positive (no purchases, or refunds exceeding them). Such customers
    are **Z**: nothing shows that they buy regularly. :func:`abc_xyz` reports their ``cv`` as NaN.

    The limits come from inventory management, where XYZ analysis classifies items by the regularity of
    their demand: ``(0.1, 0.25)`` (X up to 10%, Y up to 25%) [1]_, ``(0.25, 0.5)`` [2]_ and
    ``(0.5, 1.0)`` [3]_. Customers buy far less regularly than a warehouse ships, so monthly CVs of
    customers are usually above 1; the wider limits, or longer periods, separate them better.

    References
    ----------
    .. [1] Priceva (2023). "XYZ analysis". https://priceva.com/blog/xyz-analysis
    .. [2] t2informatik. "What is XYZ Analysis?" Smartpedia.
       https://t2informatik.de/en/smartpedia/xyz-analysis/
    .. [3] MetricGate. "XYZ demand classification".
       https://metricgate.com/docs/xyz-demand-classification

    Examples
    --------
    >>> import retention as rt
    >>> monthly = pd.DataFrame(
    ...     {"2024-01": [10.0, 30, np.nan], "2024-02": [12.0, 0, np.nan], "2024-03": [11.0, 0, 20]},
    ...     index=pd.Index([101, 102, 103], name="customer_id"),
    ... )
    >>> rt.xyz(monthly)
    customer_id
    101    X
    102    Z
    103    Z
    Name: xyz, dtype: category
    Categories (3, str): ['X', 'Y', 'Z']

    Customer 101's CV is 0.074, 102's is 1.41 (one purchase in three months), 103 has one observed month.
    """
    func = "xyz"
    if isinstance(periodic_values, pd.DataFrame):
        text = [
            str(c)
            for c, dtype in periodic_values.dtypes.items()
            if not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)
        ]
        if text:
            msg = (
                f"The 'periodic_values' argument of {func} must hold numbers; column(s) {', '.join(repr(c) for c in text)} "
                "do not. Convert them with pd.to_numeric(...)."
            )
            raise ColumnTypeError(msg)
        matrix = periodic_values.to_numpy(dtype=np.float64, na_value=np.nan)
        cv = coefficient_of_variation(matrix, min_periods=min_periods, func=func)
        codes = xyz_codes(cv, thresholds=thresholds, func=func)
        return _categorical(codes, XYZ_LABELS, periodic_values.index, "xyz")
    cv = coefficient_of_variation(periodic_values, min_periods=min_periods, func=func)
    return np.array(XYZ_LABELS)[xyz_codes(cv, thresholds=thresholds, func=func)]


@transaction_options
def abc_xyz(
    tx: pd.DataFrame,
    *,
    freq: str = "M",
    metric: str = "revenue",
    abc_thresholds: Sequence[float] | None = None,
    xyz_thresholds: Sequence[float] = (0.1, 0.25),
    abc_method: str = "cumulative",
    min_periods: int = 2,
    customer_id: Hashable = "customer_id",
    date: Hashable = "date",
    amount: Hashable | None = "amount",
    order_id: Hashable | None = None,
    observation_end: DateLike | None = None,
    returns: str = "net",
    by: object = None,
    **deprecated: Any,
) -> pd.DataFrame:
    r"""Classify every customer of a transaction table by value (ABC) and regularity (XYZ).

    Parameters
    ----------
    <transaction table>
    freq : {"M", "D", "W", "Q", "Y"}, default "M"
        The period over which the regularity (XYZ) is measured (pandas aliases such as ``"ME"`` are
        accepted).
    metric : {"revenue", "orders"}, default "revenue"
        What a customer is worth: ``"revenue"``, their revenue net of returns (the amount column must
        exist); ``"orders"``, their number of orders (returns are not orders), which needs no amount
        column. The same word and values as ``metric`` of :func:`~retention.cohort_table`.
    abc_thresholds : pair of float, optional
        The ABC limits (``thresholds`` of :func:`abc`); the default depends on ``abc_method``.
    xyz_thresholds : pair of float, default (0.1, 0.25)
        The XYZ limits on the coefficient of variation (``thresholds`` of :func:`xyz`).
    abc_method : {"cumulative", "count", "computed"}, default "cumulative"
        How the ABC limits are drawn (``method`` of :func:`abc`).
    min_periods : int, default 2
        Fewest complete periods for a coefficient of variation; customers with fewer are Z.
    <transaction options>
    **deprecated
        The spellings up to version 0.1, accepted for one release with a :class:`DeprecationWarning`:
        ``value="amount"`` (now ``metric="revenue"``), ``value="orders"`` (``metric="orders"``),
        ``thresholds_abc`` (``abc_thresholds``) and ``thresholds_xyz`` (``xyz_thresholds``). An old
        spelling wins over the new one given in the same call. Any other keyword raises :class:`TypeError`.

    Returns
    -------
    pandas.DataFrame
        One row per customer, indexed by customer id (sorted), with the columns

        - ``value``: the customer's revenue net of returns (float) or number of orders (int);
        - ``share``: ``value`` over the total of all customers;
        - ``cumulative_share``: the share of all customers whose value is at least this customer's (ties
          included), i.e. the running share down the ranking;
        - ``abc``: categorical, ``A``, ``B``, ``C``;
        - ``periods``: the number of complete periods the CV is measured over;
        - ``cv``: the coefficient of variation of the value per period, NaN when undefined;
        - ``xyz``: categorical, ``X``, ``Y``, ``Z``;
        - ``abc_xyz``: categorical, the two letters, ``AX`` to ``CZ``.

        ``share`` and ``cumulative_share`` are NaN when the total is 0. An empty table gives a frame with
        these columns and no rows. With ``by``, the classes are drawn within each group (each manager's A
        customers) and the group comes first in the index.

    Raises
    ------
    InvalidParameterError
        If ``freq``, ``metric``, a threshold, ``abc_method``, ``min_periods``, ``returns``, ``by`` or
        ``observation_end`` is not accepted, or ``amount`` is None with ``metric="revenue"``.
    InvalidValueError
        If a customer's revenue net of returns is negative (returns exceeding purchases): ABC needs
        non-negative values.
    <reading errors>

    See Also
    --------
    abc_xyz_matrix : Customers and value in each of the nine cells.
    abc, xyz : The two classifications on values you computed yourself.

    Notes
    -----
    **Value.** With ``metric="revenue"`` a customer's value is their revenue net of returns up to the
    observation end: the amounts of their orders minus their returns (orders of negative amount). With
    ``metric="orders"`` it is their number of orders: rows, or distinct order ids with ``order_id``;
    returns are not orders. The sums are exact (:func:`~retention.core.sums.group_sums`), so a purchase
    and its refund cancel to exactly 0 and row order never changes a bit of the result. A customer whose
    returns exceed their purchases (goods bought before the data begin, returned after) has a negative
    value, which ABC cannot rank: pass ``returns="drop"`` to ignore returns, or ``metric="orders"``.

    **ABC** ranks the customers by ``value`` and applies :func:`abc` (by default A: the smallest group
    of top customers with 80% of the value, B: the next, up to 95%, C: the rest; the customer who reaches
    or crosses a limit is in the higher class; equal values get the same class).

    **XYZ** measures, per customer, the value in each period $p$ from the period of their first purchase
    to the last complete period, a period without purchases counting as 0, and takes
    $\mathrm{CV} = \sigma / \mu$ (population standard deviation over mean, computed in two passes). The
    value of a period is its orders, or its revenue net of returns: a return subtracts in the period
    where it happens (in the first purchase's period if it comes earlier). Periods before the first
    purchase are not part of the customer's history and are left out. The period that holds the
    observation end is complete only if the observation end is its last day; an incomplete last period
    would look like a drop in purchases, so it is left out of XYZ (its orders and returns still count for
    ABC). ``periods`` is the number of periods used. X: $\mathrm{CV} \le t_1$, Y: $\mathrm{CV} \le t_2$,
    Z otherwise; customers with fewer than ``min_periods`` periods (new customers, or customers whose
    first purchase is in the incomplete last period) or a mean that is not positive have ``cv`` NaN and
    are Z.

    Examples
    --------
    >>> import retention as rt
    >>> tx = pd.DataFrame({
    ...     "customer_id": [1, 1, 1, 1, 2, 2, 3, 4],
    ...     "date": pd.to_datetime(["2024-01-05", "2024-02-03", "2024-03-09", "2024-04-02",
    ...                             "2024-01-20", "2024-03-15", "2024-02-11", "2024-03-30"]),
    ...     "amount": [100.0, 110, 120, 50, 25, 25, 15, 5],
    ... })
    >>> result = rt.abc_xyz(tx, observation_end="2024-03-31", xyz_thresholds=(0.25, 0.5))
    >>> result[["value", "share", "cumulative_share", "abc"]]
                 value   share  cumulative_share abc
    customer_id
    1            330.0  0.8250            0.8250   A
    2             50.0  0.1250            0.9500   B
    3             15.0  0.0375            0.9875   C
    4              5.0  0.0125            1.0000   C

    The purchase of 2 April is after the observation end and is ignored. Customer 1 alone brings 82.5%
    and is A; customer 2 brings the cumulative share to exactly 95% and is B; the customers ahead of
    customer 3 hold 95%, so 3 is C.

    >>> result[["periods", "cv", "xyz", "abc_xyz"]]
                 periods        cv xyz abc_xyz
    customer_id
    1                  3  0.074227   X      AX
    2                  3  0.707107   Z      BZ
    3                  2  1.000000   Z      CZ
    4                  1       NaN   Z      CZ

    Customer 1 spent 100, 110 and 120 in January to March; customer 2 25, 0 and 25; customer 4 has one
    month of history, too little to call regular. Without ``observation_end`` the data end on 2 April:
    the April purchase counts in the value, but April is incomplete and left out of XYZ:

    >>> rt.abc_xyz(tx)[["value", "periods"]].T
    customer_id      1     2     3    4
    value        380.0  50.0  15.0  5.0
    periods        3.0   3.0   2.0  1.0

    Classes within each account manager's customers (``by``): customer 4 is C among all customers, but
    B among bob's, where customer 2 brings 91%:

    >>> managers = pd.Series({1: "ann", 2: "bob", 3: "ann", 4: "bob"}, name="manager")
    >>> rt.abc_xyz(tx, observation_end="2024-03-31", by=managers)[["value", "share", "abc"]]
                         value     share abc
    manager customer_id
    ann     1            330.0  0.956522   A
            3             15.0  0.043478   C
    bob     2             50.0  0.909091   A
            4              5.0  0.090909   B

    Order lines and a return: customer 1 orders twice (order ``o1`` has two lines) and customer 2 three
    times, then returns 50 in February. Their values per month are 100, 100 and 80, 70 - 50 = 20:

    >>> lines = pd.DataFrame({
    ...     "customer_id": [1, 1, 1, 2, 2, 2],
    ...     "order_id": ["o1", "o1", "o2", "o3", "o4", "r1"],
    ...     "date": pd.to_datetime(["2024-01-05", "2024-01-05", "2024-02-10", "2024-01-20",
    ...                             "2024-02-03", "2024-02-20"]),
    ...     "amount": [60.0, 40.0, 100.0, 80.0, 70.0, -50.0],
    ... })
    >>> rt.abc_xyz(lines, order_id="order_id", observation_end="2024-02-29")[["value", "cv"]]
                 value  cv
    customer_id
    1            200.0  0.0
    2            100.0  0.6
    >>> rt.abc_xyz(lines, order_id="order_id", observation_end="2024-02-29", metric="orders")[["value", "cv"]]
                 value   cv
    customer_id
    1                2  0.0
    2                2  0.0
    """
    if deprecated:
        unknown = sorted(set(deprecated) - set(_RENAMED))
        if unknown:
            msg = f"abc_xyz() got an unexpected keyword argument {unknown[0]!r}"
            raise TypeError(msg)
        renamed = _renamed(deprecated, "abc_xyz")
        metric = renamed.get("metric", metric)
        abc_thresholds = renamed.get("abc_thresholds", abc_thresholds)
        xyz_thresholds = renamed.get("xyz_thresholds", xyz_thresholds)
    return _classify(tx, locals(), func="abc_xyz")


# The option names of abc_xyz up to version 0.1, and the old values of `value` (see its **deprecated).
_RENAMED: Final = {
    "value": "metric",
    "thresholds_abc": "abc_thresholds",
    "thresholds_xyz": "xyz_thresholds",
}
_OLD_METRICS: Final = {"amount": "revenue", "orders": "orders"}


def _renamed(options: Mapping[str, Any], func: str) -> dict[str, Any]:
    """``options`` with the old spellings of :func:`abc_xyz`'s options replaced, each with a warning."""
    new = dict(options)
    for old, name in _RENAMED.items():
        if old in new:
            given = new.pop(old)
            if (
                old == "value"
            ):  # an unknown value is refused by the check of metric, in the new words
                given = _OLD_METRICS.get(given, given) if isinstance(given, str) else given
            msg = (
                f"The {old!r} option of {func} is deprecated and will be removed in the next release; "
                f"pass {name}={given!r} instead."
            )
            warn_at_caller(msg, DeprecationWarning)
            new[name] = given
    return new


def _classify(tx: pd.DataFrame, arguments: Mapping[str, Any], *, func: str) -> pd.DataFrame:
    """:func:`abc_xyz` on behalf of ``func`` (the public function named in messages).

    ``arguments`` are the options of :func:`abc_xyz` by name, in their new spellings, every one given.
    """
    options = abc_xyz_options(arguments, func=func)
    t = read_with_options(tx, arguments, func=func, amount_required=options.metric == "revenue")
    result = breakdown(t, lambda part: abc_xyz_of(part, options), name=func)
    assert isinstance(result, pd.DataFrame)  # a frame per group gives a frame
    return result


def abc_xyz_options(arguments: Mapping[str, Any], *, func: str = "abc_xyz") -> _Options:
    """Check the options of :func:`abc_xyz` among its arguments by name (new spellings)."""
    freq = _ABC_XYZ.check("freq", arguments.get("freq", "M"), func=func)
    metric = _ABC_XYZ.check("metric", arguments.get("metric", "revenue"), func=func)
    abc_method = arguments.get("abc_method", "cumulative")
    limits = abc_limits(
        arguments.get("abc_thresholds"), abc_method, func=func, name="abc_thresholds"
    )
    xyz_limit_pair = xyz_limits(
        arguments.get("xyz_thresholds", (0.1, 0.25)), func=func, name="xyz_thresholds"
    )
    min_periods = _ABC_XYZ.check("min_periods", arguments.get("min_periods", 2), func=func)
    if metric == "revenue" and arguments.get("amount", "amount") is None:
        msg = f"The 'amount' parameter of {func} must name the amount column when metric='revenue'. Got None. Pass metric='orders' to count orders instead."
        raise InvalidParameterError(msg)
    return _Options(freq, metric, limits, abc_method, xyz_limit_pair, min_periods, func)


@dataclass(frozen=True, slots=True)
class _Options:
    """The checked options of :func:`abc_xyz`."""

    freq: str
    metric: str
    limits: tuple[float, float] | None
    abc_method: str
    xyz_limits: tuple[float, float]
    min_periods: int
    func: str = "abc_xyz"  # the public function named in messages


def _customer_values(
    t: Transactions, options: _Options
) -> tuple[NDArray[Any], NDArray[np.float64], NDArray[np.int64]]:
    """Per customer the value, the coefficient of variation of its period values, and the periods counted.

    Each depends on the customer's own rows alone, so a breakdown's parts take slices of the whole table's.
    """
    func = options.func
    n = t.n_customers
    totals, customer, periods, amounts = _values(t, options)
    if t.end_day is not None and n > 0:
        cv, counted = period_cv(
            customer,
            periods,
            amounts,
            n,
            last_period=last_complete_period(t.end_day, options.freq),
            min_periods=options.min_periods,
            first_period=first_periods(t.customer, periods[: t.n_rows], n),
            func=func,
        )
    else:
        cv, counted = np.full(n, np.nan), np.zeros(n, dtype=np.int64)
    return totals, cv, counted


def _values(
    t: Transactions, options: _Options
) -> tuple[NDArray[Any], NDArray[np.int64], NDArray[np.int64], NDArray[np.float64] | None]:
    """Per customer the value; per order (and return) the customer, period and value for XYZ."""
    n = t.n_customers
    periods = t.periods(options.freq)
    if options.metric == "orders" or t.amount is None:
        # The read table's codes are read-only: parallel.bincount counts them without numpy's copy.
        return bincount(t.customer, minlength=n), t.customer, periods, None
    customer, _, amounts = t.net()
    if len(t.return_customer):
        periods = np.concatenate([periods, day_period_codes(t.return_day, options.freq)])
    # Exact sums: a purchase and its refund cancel to exactly 0, and row order changes no bit.
    totals = group_sums(customer, amounts, n)
    negative = totals < 0
    if negative.any():
        first = int(np.flatnonzero(negative)[0])
        count = int(negative.sum())
        msg = (
            f"{options.func} needs a non-negative value per customer, but {count} customer(s) have a negative "
            f"revenue net of returns (returns exceeding purchases), e.g. customer "
            f"{plain_value(t.customer_ids[first])!r} ({float(totals[first]):g}). Pass returns='drop' to "
            "ignore returns, or metric='orders' to count orders."
        )
        raise InvalidValueError(msg)
    return totals, customer, periods, amounts


def abc_xyz_of(t: Transactions, options: _Options) -> pd.DataFrame:
    """:func:`abc_xyz` of a table already read (options already checked)."""
    key = ("abc_xyz", options.freq, options.metric, options.min_periods)
    totals, cv, counted = t.per_customer(key, lambda whole: _customer_values(whole, options))
    return abc_xyz_of_values(totals, cv, counted, t.customer_ids, options)


def abc_xyz_values_of(t: Transactions, options: _Options) -> pd.DataFrame:
    """Per customer of a table already read: the value, the CV of its period values, the periods counted.

    Each depends on the customer's own rows alone: the rows of disjoint sets of customers (the partitions
    of a cluster), put together in customer order, classify as the whole table
    (:func:`abc_xyz_of_values`).
    """
    totals, cv, counted = _customer_values(t, options)
    return pd.DataFrame({"value": totals, "cv": cv, "periods": counted}, index=t.customer_ids)


def abc_xyz_of_values(
    totals: NDArray[Any],
    cv: NDArray[np.float64],
    counted: NDArray[np.int64],
    ids: pd.Index,
    options: _Options,
) -> pd.DataFrame:
    """:func:`abc_xyz` of the per-customer values, in customer order (options already checked)."""
    func = options.func
    abc, share, cumulative = abc_table(
        totals, thresholds=options.limits, method=options.abc_method, func=func
    )
    xyz = xyz_codes(cv, thresholds=options.xyz_limits, func=func)
    combined = (abc.astype(np.int8) * 3 + xyz).astype(np.int8)
    return pd.DataFrame(
        {
            "value": totals,
            "share": share,
            "cumulative_share": cumulative,
            "abc": _labels(abc, ABC_LABELS),
            "periods": counted,
            "cv": cv,
            "xyz": _labels(xyz, XYZ_LABELS),
            "abc_xyz": _labels(combined, ABC_XYZ_LABELS),
        },
        index=ids,
    )


def _result_codes(result: pd.DataFrame, column: str, labels: tuple[str, ...]) -> NDArray[np.int64]:
    values = np.asarray(result[column], dtype=object)
    codes = pd.Index(list(labels)).get_indexer(pd.Index(values)).astype(np.int64)
    if (codes < 0).any():
        bad = plain_value(values[codes < 0][0])
        msg = (
            f"Column {column!r} of the abc_xyz_matrix input must hold only {', '.join(labels)}; it holds "
            f"{bad!r}. Pass the result of rt.abc_xyz, or a transaction table."
        )
        raise InvalidValueError(msg)
    return codes


def _result_groups(result: pd.DataFrame) -> tuple[NDArray[np.int64], pd.Index | None]:
    """Per customer row its group, and the groups, for a result of ``abc_xyz(..., by=...)``.

    A result without ``by`` is indexed by customer id alone; with ``by`` the group level(s) come first.
    """
    index = result.index
    if not isinstance(index, pd.MultiIndex):
        return np.zeros(len(result), dtype=np.int64), None
    outer = index.droplevel(-1)
    # In order of first appearance: the order of the groups in the result.
    codes, uniques = outer.factorize(use_na_sentinel=False)
    groups = uniques if isinstance(uniques, pd.Index) else pd.Index(uniques)
    return np.asarray(codes, dtype=np.int64), groups.set_names(outer.names)


def _group_value_sums(
    group: NDArray[np.int64], cell: NDArray[np.int64], values: NDArray[np.float64], n_groups: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Each group's nine cell sums (rows of 3 x 3) and total.

    An exact sum depends on the values it adds alone (core.sums), so a group's matrix equals the matrix of
    its customers alone, to the last bit.
    """
    sums = group_sums(group * 9 + cell, values, n_groups * 9).reshape(n_groups * 3, 3)
    return sums, group_sums(group, values, n_groups)


def abc_xyz_matrix(data: pd.DataFrame, **options: Any) -> pd.DataFrame:
    r"""Count the customers and the value in each of the nine ABC / XYZ cells: a heatmap-ready table.

    Parameters
    ----------
    data : pandas.DataFrame
        Either the result of :func:`abc_xyz` (it has the columns ``value``, ``abc`` and ``xyz``), or a
        transaction table, which is classified with ``abc_xyz(data, **options)`` first. Not modified.
    **options
        Options of :func:`abc_xyz` (``freq``, ``metric``, ``abc_thresholds``, ``customer_id``,
        ``order_id``, ``returns``, ``by``, ...), only with a transaction table.

    Returns
    -------
    pandas.DataFrame
        Index ``abc`` (``A``, ``B``, ``C``); columns a MultiIndex (``measure``, ``xyz``) with the measures

        - ``customers``: the number of customers in the cell (int);
        - ``customer_share``: that number over all customers;
        - ``value``: the value of the customers in the cell (revenue net of returns, or orders, as in
          :func:`abc_xyz`);
        - ``value_share``: that value over the total value.

        ``matrix["value_share"]`` is a 3 x 3 frame ready for a heatmap. Shares are NaN when there are no
        customers or no value at all. For a breakdown (``by`` among the options, or a result of
        ``abc_xyz(..., by=...)``), one matrix per group: the group(s) come first in the index, before
        ``abc``, and the shares are within the group.

    Raises
    ------
    InvalidParameterError
        If options are given with a result of :func:`abc_xyz`, or an option is not accepted.
    InvalidValueError
        If the ``abc`` or ``xyz`` column of a result holds another label.
    ColumnNotFoundError, ColumnTypeError
        If a transaction table cannot be read.

    See Also
    --------
    abc_xyz : The classes of each customer.

    Notes
    -----
    Reading the nine cells: the letter A, B, C says how much the business depends on the customer (A:
    the few who bring most of the value), the letter X, Y, Z how regular their purchases are (X: steady
    every period, Z: sporadic). AX customers are the dependable core, AZ customers bring much value but
    unpredictably (the ones whose departure is noticed late), CZ customers are occasional small buyers.
    The value of each cell and of each group is summed exactly
    (:func:`~retention.core.sums.group_sums`).

    Examples
    --------
    >>> import retention as rt
    >>> tx = pd.DataFrame({
    ...     "customer_id": [1, 1, 1, 2, 2, 3, 4],
    ...     "date": pd.to_datetime(["2024-01-05", "2024-02-03", "2024-03-09", "2024-01-20",
    ...                             "2024-03-15", "2024-02-11", "2024-03-30"]),
    ...     "amount": [100.0, 110, 120, 25, 25, 15, 5],
    ... })
    >>> matrix = rt.abc_xyz_matrix(tx, observation_end="2024-03-31", xyz_thresholds=(0.25, 0.5))
    >>> matrix["customers"]
    xyz  X  Y  Z
    abc
    A    1  0  0
    B    0  0  1
    C    0  0  2
    >>> matrix["value_share"].round(3)
    xyz      X    Y      Z
    abc
    A    0.825  0.0  0.000
    B    0.000  0.0  0.125
    C    0.000  0.0  0.050

    One matrix per account manager:

    >>> managers = pd.Series({1: "ann", 2: "bob", 3: "ann", 4: "bob"}, name="manager")
    >>> rt.abc_xyz_matrix(tx, observation_end="2024-03-31", by=managers)["customers"]
    xyz          X  Y  Z
    manager abc
    ann     A    1  0  0
            B    0  0  0
            C    0  0  1
    bob     A    0  0  1
            B    0  0  1
            C    0  0  0
    """
    func = "abc_xyz_matrix"
    is_result = isinstance(data, pd.DataFrame) and all(c in data.columns for c in _RESULT_COLUMNS)
    if is_result:
        if options:
            names = ", ".join(repr(k) for k in sorted(options))
            msg = (
                f"{func} got options ({names}) together with a result of abc_xyz; options apply only to a "
                "transaction table. Pass them to rt.abc_xyz instead."
            )
            raise InvalidParameterError(msg)
        result = data
    else:
        options = _renamed(options, func)
        check_keywords(options, abc_xyz, func)
        defaults = {
            name: p.default
            for name, p in inspect.signature(abc_xyz).parameters.items()
            if p.default is not p.empty
        }
        result = _classify(data, defaults | options, func=func)
    abc = _result_codes(result, "abc", ABC_LABELS)
    xyz = _result_codes(result, "xyz", XYZ_LABELS)
    group, groups = _result_groups(result)
    n_groups = 1 if groups is None else len(groups)
    cell = group * 9 + abc * 3 + xyz
    values = result["value"].to_numpy(dtype=np.float64, na_value=np.nan)
    counts = np.bincount(cell, minlength=9 * n_groups).reshape(n_groups * 3, 3)
    sums, totals = _group_value_sums(group, abc * 3 + xyz, values, n_groups)
    per_group_count = np.repeat(np.bincount(group, minlength=n_groups), 3)[:, None]
    per_group_value = np.repeat(totals, 3)[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        columns = {
            "customers": counts,
            "customer_share": counts / per_group_count,
            "value": sums,
            "value_share": sums / per_group_value,
        }
    abc_index = pd.Index(list(ABC_LABELS), name="abc")
    if groups is None:
        index: pd.Index = abc_index
    else:
        index = pd.MultiIndex.from_arrays(
            [
                *(level.repeat(3) for level in index_levels(groups)),
                abc_index.take(np.tile(np.arange(3), n_groups)),
            ],
            names=[*groups.names, "abc"],
        )
    frame = pd.DataFrame(
        np.concatenate([columns[m] for m in _MATRIX_MEASURES], axis=1),
        index=index,
        columns=pd.MultiIndex.from_product(
            [list(_MATRIX_MEASURES), list(XYZ_LABELS)], names=["measure", "xyz"]
        ),
    )
    return frame.astype({("customers", x): np.int64 for x in XYZ_LABELS})
