"""RFM scores and segments, customer features, and segmentation by ordered business rules.

A thin adapter: each function that reads a transaction table calls
:func:`~retention.frames.schema.read_transactions` once, hands arrays to :mod:`retention.core.segments` and
labels the result. The guide, with the segment map, the condition grammar and worked examples, is the
"Segments" page of the docs (``docs/segments.md``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from retention.core.segments import (
    Condition,
    customer_totals,
    cut_scores,
    evaluate_condition,
    first_match,
    fm_scores,
    parse_condition,
    quantile_scores,
    segment_grid,
)
from retention.errors import (
    ColumnNotFoundError,
    ColumnTypeError,
    InvalidParameterError,
    InvalidValueError,
    column_not_found,
    plain_value,
)
from retention.frames.breakdown import breakdown
from retention.frames.schema import (
    Transactions,
    parse_duration,
    read_transactions,
    transaction_options,
)
from retention.frames.summary_schema import check_frequency_recency_T, read_customers

__all__ = [
    "customer_features",
    "rfm_scores",
    "rfm_segment_map",
    "rfm_segments",
    "segment",
    "working_segment_rules",
    "working_segments",
]

_MEASURES: Final = ("recency", "frequency", "monetary")
_SCORES: Final = ("r_score", "f_score", "m_score")
_SUMMARY_COLUMNS: Final = ("frequency", "recency", "T")
_MAP_COLUMNS: Final = ("segment", "r_min", "r_max", "fm_min", "fm_max")
_FEATURES: Final = (
    "days_since_last_purchase",
    "tenure_days",
    "orders",
    "revenue",
    "average_order_value",
    "complaints",
    "open_complaints",
    "refused",
)

# The R x FM grid: (segment, r_min, r_max, fm_min, fm_max). See rfm_segment_map for the sources.
_SEGMENT_MAP: Final = (
    ("Champions", 5, 5, 4, 5),
    ("Loyal Customers", 3, 4, 4, 5),
    ("Potential Loyalists", 4, 5, 2, 3),
    ("New Customers", 5, 5, 1, 1),
    ("Promising", 4, 4, 1, 1),
    ("Need Attention", 3, 3, 3, 3),
    ("About To Sleep", 3, 3, 1, 2),
    ("At Risk", 1, 2, 3, 4),
    ("Can't Lose Them", 1, 2, 5, 5),
    ("Hibernating", 2, 2, 1, 2),
    ("Hibernating", 1, 1, 2, 2),
    ("Lost", 1, 1, 1, 1),
)

Rule = tuple[str, Any]


def _is_frame(value: object) -> bool:
    """Whether ``value`` is a DataFrame (a plain bool, so that type checkers keep the caller's branch)."""
    return isinstance(value, pd.DataFrame)


def _missing_column(
    column: object, role: str, available: Sequence[object], fix: str
) -> ColumnNotFoundError:
    """:func:`~retention.errors.column_not_found` with a closing sentence that fits ``role``."""
    text = str(column_not_found(str(column), role, available))
    return ColumnNotFoundError(f"{text.split(' Pass the right name with ', maxsplit=1)[0]} {fix}")


# --- RFM ----------------------------------------------------------------------------------------------------


def _check_bins(bins: object) -> int:
    if isinstance(bins, bool) or not isinstance(bins, int | np.integer) or not 2 <= bins <= 9:
        msg = f"The 'bins' parameter of rfm_scores must be a whole number from 2 to 9 (one digit per score in rfm_score). Got {plain_value(bins)!r}."
        raise InvalidParameterError(msg)
    return int(bins)


def _check_cut_points(cut_points: object, bins: int) -> dict[str, NDArray[np.float64]]:
    if cut_points is None:
        return {}
    if not isinstance(cut_points, Mapping):
        msg = f"The 'cut_points' parameter of rfm_scores must be a dict such as {{'recency': [30, 90, 180, 365]}}. Got {type(cut_points).__name__}."
        raise InvalidParameterError(msg)
    checked: dict[str, NDArray[np.float64]] = {}
    for key, points in cut_points.items():
        if key not in _MEASURES:
            msg = f"The 'cut_points' parameter of rfm_scores has the key {key!r}; the keys must be among 'recency', 'frequency', 'monetary'."
            raise InvalidParameterError(msg)
        try:
            values = np.asarray(points, dtype=np.float64)
        except (TypeError, ValueError) as e:
            msg = f"cut_points[{key!r}] of rfm_scores must be a list of numbers. Got {points!r}."
            raise InvalidParameterError(msg) from e
        if values.ndim != 1 or len(values) != bins - 1:
            msg = f"cut_points[{key!r}] of rfm_scores must hold bins - 1 = {bins - 1} numbers (they split the values into {bins} scores). Got {points!r}."
            raise InvalidParameterError(msg)
        if not np.all(np.isfinite(values)) or np.any(np.diff(values) <= 0):
            msg = f"cut_points[{key!r}] of rfm_scores must be finite and strictly increasing. Got {points!r}."
            raise InvalidParameterError(msg)
        checked[str(key)] = values
    return checked


def _is_summary(data: object) -> bool:
    return isinstance(data, pd.DataFrame) and all(c in data.columns for c in _SUMMARY_COLUMNS)


def _summary_measures(
    summary: pd.DataFrame,
) -> tuple[NDArray[Any], NDArray[Any], NDArray[np.float64], pd.Index]:
    func = "rfm_scores"
    if "monetary_value" not in summary.columns:
        raise _missing_column(
            "monetary_value",
            "monetary_value",
            list(summary.columns),
            "rfm_scores reads the monetary value of a summary: make it with rt.rfm_summary(tx, amount='amount').",
        )
    names: dict[str, object] = dict.fromkeys(_SUMMARY_COLUMNS)
    frequency, recency, age = check_frequency_recency_T(
        read_customers(summary, names, func=func), func=func
    ).columns
    (money,) = read_customers(summary, {"monetary_value": None}, func=func).columns
    bad = ~np.isfinite(money)
    if bad.any():
        first = summary.index[int(np.flatnonzero(bad)[0])]
        msg = f"The monetary_value passed to rfm_scores must be finite: {int(bad.sum())} customers, the first at index {plain_value(first)!r}. Drop or fill those customers."
        raise InvalidValueError(msg)
    return age - recency, frequency.astype(np.int64), money, summary.index


def _summary_options(
    observation_end: object, order_id: object, returns: object, by: object
) -> None:
    """Refuse the options of a transaction table that a summary has already settled."""
    func = "rfm_scores"
    if observation_end is not None:
        msg = f"The 'observation_end' parameter of {func} does not apply to a summary, which has its own observation end. Set it in rt.rfm_summary(..., observation_end=...)."
        raise InvalidParameterError(msg)
    for name, value, default in (("order_id", order_id, None), ("returns", returns, "net")):
        if not (value is default or (isinstance(value, str) and value == default)):
            msg = f"The {name!r} parameter of {func} does not apply to a summary, whose orders and returns were settled when it was made. Set it in rt.rfm_summary(..., {name}=...)."
            raise InvalidParameterError(msg)
    if by is not None:
        msg = f"The 'by' parameter of {func} does not apply to a summary. Score the transaction table with rt.rfm_scores(tx, by=...), or pass each group's rows of the summary on their own."
        raise InvalidParameterError(msg)


def _transaction_measures(
    t: Transactions,
) -> tuple[NDArray[Any], NDArray[Any], NDArray[np.float64], pd.Index]:
    """Recency, frequency (orders) and monetary value (revenue net of returns) of a table already read."""
    recency, frequency, monetary = t.per_customer("rfm measures", _customer_measures)
    return recency, frequency, monetary, t.customer_ids


def _customer_measures(t: Transactions) -> tuple[NDArray[Any], NDArray[Any], NDArray[np.float64]]:
    """Per customer, days since the last purchase, orders, and revenue net of returns (0 without amounts)."""
    totals = customer_totals(
        t.customer,
        t.day,
        t.amount,
        t.n_customers,
        first_day=False,
        return_customer=t.return_customer,
        return_amount=t.return_amount,
    )
    end = t.end_day if t.end_day is not None else 0
    monetary = totals.revenue if totals.revenue is not None else np.zeros(t.n_customers)
    return end - totals.last_day, totals.orders, monetary


def _score_frame(
    recency: NDArray[Any],
    frequency: NDArray[Any],
    monetary: NDArray[np.float64],
    index: pd.Index,
    *,
    bins: int,
    cuts: dict[str, NDArray[np.float64]],
) -> pd.DataFrame:
    """Score the three measures and label the result."""
    scores = []
    for name, values in zip(_MEASURES, (recency, frequency, monetary), strict=True):
        reverse = name == "recency"
        if name in cuts:
            scores.append(cut_scores(values, cuts[name], reverse=reverse))
        else:
            scores.append(quantile_scores(values, bins, reverse=reverse))
    r, f, m = scores
    digits = [str(k) for k in range(1, bins + 1)]
    codes = [a + b + c for a in digits for b in digits for c in digits]
    rfm = pd.Categorical.from_codes(
        ((r - 1) * bins + (f - 1)) * bins + (m - 1), categories=pd.Index(codes)
    )
    columns: dict[str, Any] = {
        "recency": recency,
        "frequency": frequency,
        "monetary": monetary,
        "r_score": r,
        "f_score": f,
        "m_score": m,
        "rfm_score": rfm,
    }
    return pd.DataFrame(columns, index=index)


@transaction_options
def rfm_scores(
    data: pd.DataFrame,
    *,
    bins: int = 5,
    cut_points: Mapping[str, Sequence[float]] | None = None,
    customer_id: Any = "customer_id",
    date: Any = "date",
    amount: Any = "amount",
    order_id: Any = None,
    observation_end: object = None,
    returns: str = "net",
    by: object = None,
) -> pd.DataFrame:
    r"""Score every customer's recency, frequency and monetary value from 1 to ``bins``.

    Parameters
    ----------
    data : pandas.DataFrame
        Either a transaction table (one row per purchase, or per order line with ``order_id``) or a
        summary from :func:`retention.rfm_summary` with an amount (a frame with the columns
        ``frequency``, ``recency``, ``T`` and ``monetary_value`` is read as a summary). A summary has
        settled its observation end, orders and returns when it was made, so ``observation_end``,
        ``order_id``, ``returns`` and ``by`` are refused with one, and the column options are not used.
        Not modified.
    bins : int, default 5
        The number of scores, from 2 to 9.
    cut_points : dict, optional
        Fixed cut points instead of quantiles, for any of ``"recency"``, ``"frequency"`` and
        ``"monetary"``: ``bins - 1`` strictly increasing numbers each, e.g.
        ``{"recency": [30, 90, 180, 365]}``. See Notes.
    <transaction options>

    Returns
    -------
    pandas.DataFrame
        One row per customer, indexed by customer id (sorted; a summary keeps its index), with columns

        - ``recency``: days from the last purchase to the observation end (int64); for a summary
          ``T - recency`` in the summary's time unit (float64);
        - ``frequency``: the number of orders (int64); for a summary its ``frequency``, the repeat
          transactions;
        - ``monetary``: the revenue net of returns (float64); for a summary its ``monetary_value``;
        - ``r_score``, ``f_score``, ``m_score``: int64 scores from 1 to ``bins``, higher is better (a
          recent purchase scores high);
        - ``rfm_score``: the three digits, e.g. ``"545"`` (categorical whose categories are all
          ``bins ** 3`` codes in order).

        With ``by``, the customers are scored within their group (quantiles of the group's customers)
        and the group comes first in the index. An empty table gives these columns and no rows.

    Raises
    ------
    InvalidParameterError
        If ``bins``, ``cut_points``, ``returns``, ``by`` or ``observation_end`` is not accepted,
        ``amount`` is None for a transaction table, or ``observation_end``, ``order_id``, ``returns`` or
        ``by`` is given with a summary.
    ColumnNotFoundError, ColumnTypeError, InvalidValueError
        If the table or the summary cannot be read (see
        :func:`~retention.frames.schema.read_transactions`).

    See Also
    --------
    retention.rfm_segments : Name the segments of the scores.
    retention.rfm_summary : The summary that the CLV models read.

    Notes
    -----
    **Measures.** From a transaction table, with $E$ the observation end: recency $= E - $ the day of
    the last purchase, in days; frequency = the number of orders (rows, or distinct order ids with
    ``order_id``); monetary = the revenue net of returns, the sum of the order amounts minus the
    returns, summed exactly. A return (an order of negative amount) is not a purchase: it is not an
    order, does not make a customer recent, and a customer who only returned goods is not scored; it
    lowers the monetary value. A summary stores recency as the time from the first to the last purchase,
    so the days since the last purchase are ``T - recency``; its frequency (repeat purchases on distinct
    days) ranks customers like the number of distinct purchase days, and its monetary value is the mean
    repeat purchase (a summary holds no totals).

    **Quantile scores.** With $n$ customers and $B_i$ of them with a value strictly below customer
    $i$'s,

    $$s_i = \left\lfloor \text{bins} \cdot \frac{B_i}{n} \right\rfloor + 1,$$

    computed in integers: score $k$ means that between $(k - 1)/\text{bins}$ and $k/\text{bins}$ of the
    customers are below. Recency is scored on the negated days, so the most recent customers score
    highest. Customers with equal values get equal scores, whatever the row order: a group of tied
    customers takes the score of its lowest member ($B_i + 1$ is the "min" rank of
    :meth:`pandas.Series.rank`). So the smallest value always scores 1 (if 60% of the customers bought
    once, they all get ``f_score`` 1 and the next ones 4), while a large group tied at the top may not
    reach ``bins``. If every customer has the same value, all score 1: nobody is ahead of anybody. With
    fewer distinct values than ``bins`` some scores are unused. Without ties and with $n$ a multiple of
    ``bins``, every score holds $n / \text{bins}$ customers. With ``by``, $n$ and $B_i$ count the
    customers of $i$'s group only.

    **Cut points** $c_1 < \dots < c_{k}$ ($k = \text{bins} - 1$) make the right-closed intervals of
    :func:`pandas.cut`: $(-\infty, c_1], (c_1, c_2], \dots, (c_k, \infty)$ score 1 to ``bins`` for
    frequency and monetary, and ``bins`` down to 1 for recency: with ``{"recency": [30, 90, 180, 365]}``,
    a last purchase 0 to 30 days ago scores 5 and more than 365 days ago scores 1.

    References
    ----------
    Hughes, A. M. (1994). *Strategic Database Marketing*. Probus. (RFM quintile scoring.)

    Examples
    --------
    >>> import retention as rt
    >>> tx = pd.DataFrame({
    ...     "customer_id": [1, 1, 1, 2, 3, 3, 4, 5, 5, 5, 5],
    ...     "date": pd.to_datetime(["2024-01-05", "2024-02-10", "2024-03-28", "2024-01-20",
    ...                             "2024-02-01", "2024-03-30", "2024-03-15", "2024-01-02",
    ...                             "2024-01-30", "2024-02-25", "2024-03-31"]),
    ...     "amount": [40.0, 25.0, 35.0, 300.0, 20.0, 20.0, 15.0, 60.0, 80.0, 70.0, 90.0],
    ... })
    >>> rt.rfm_scores(tx)
                 recency  frequency  monetary  r_score  f_score  m_score rfm_score
    customer_id
    1                  3          3     100.0        3        4        3       343
    2                 71          1     300.0        1        1        4       114
    3                  1          2      40.0        4        3        2       432
    4                 16          1      15.0        2        1        1       211
    5                  0          4     300.0        5        5        4       554

    Customers 2 and 5 spent the most, 300 each: three of the five customers are below them, so both
    score $\lfloor 5 \cdot 3/5 \rfloor + 1 = 4$ and nobody scores 5. Fixed cut points for recency
    (0-7 days scores 5, 8-14 days 4, ..., more than 60 days 1):

    >>> rt.rfm_scores(tx, cut_points={"recency": [7, 14, 30, 60]})["r_score"].tolist()
    [5, 1, 5, 3, 5]

    Order lines and a return: customer 1 ordered twice (order ``a`` has two lines) and customer 2 once,
    then returned 30 on 3 April. The return lowers customer 2's monetary value, not their frequency or
    recency:

    >>> lines = pd.DataFrame({
    ...     "customer_id": [1, 1, 1, 2, 2],
    ...     "order_id": ["a", "a", "b", "c", "r"],
    ...     "date": pd.to_datetime(["2024-03-01", "2024-03-01", "2024-03-20", "2024-03-10",
    ...                             "2024-04-03"]),
    ...     "amount": [20.0, 30.0, 40.0, 100.0, -30.0],
    ... })
    >>> rt.rfm_scores(lines, order_id="order_id", observation_end="2024-04-30", bins=2)
                 recency  frequency  monetary  r_score  f_score  m_score rfm_score
    customer_id
    1                 41          2      90.0        2        2        2       222
    2                 51          1      70.0        1        1        1       111
    """
    func = "rfm_scores"
    bins = _check_bins(bins)
    cuts = _check_cut_points(cut_points, bins)
    if _is_summary(data):
        _summary_options(observation_end, order_id, returns, by)
        return _score_frame(*_summary_measures(data), bins=bins, cuts=cuts)
    if amount is None:
        msg = f"The 'amount' parameter of {func} must name the amount column of the transaction table; the monetary score needs it. Got None."
        raise InvalidParameterError(msg)
    t = read_transactions(
        data,
        customer_id=customer_id,
        date=date,
        amount=amount,
        order_id=order_id,
        observation_end=observation_end,
        returns=returns,
        by=by,
        amount_required=True,
        func=func,
    )
    result = breakdown(
        t, lambda part: _score_frame(*_transaction_measures(part), bins=bins, cuts=cuts), name=func
    )
    assert isinstance(result, pd.DataFrame)  # a frame per group gives a frame
    return result


def rfm_segment_map() -> pd.DataFrame:
    """Return the standard RFM segment map: eleven named segments as ranges of the R and FM scores.

    The map is data: read it, change it, and pass your version to :func:`rfm_segments`. Each row is a
    rectangle of the 5 x 5 grid of the recency score (``r``) and the combined frequency-monetary score
    (``fm``, the mean of ``f_score`` and ``m_score`` with halves rounded up); a segment may take several
    rows. The rows tile the grid: every cell belongs to exactly one segment.

    Returns
    -------
    pandas.DataFrame
        A new frame (changing it changes nothing else) with columns ``segment`` (str) and ``r_min``,
        ``r_max``, ``fm_min``, ``fm_max`` (int64, inclusive).

    See Also
    --------
    retention.rfm_segments : Apply a map to RFM scores.

    Notes
    -----
    The layout is the R x F grid that circulates in many RFM tutorials (Champions R 5 and F 4-5, Loyal
    Customers R 3-4 and F 4-5, Potential Loyalists R 4-5 and F 2-3, New Customers R 5 and F 1, Promising
    R 4 and F 1, Need Attention R 3 and F 3, About To Sleep R 3 and F 1-2, At Risk R 1-2 and F 3-4,
    Can't Lose Them R 1-2 and F 5, Hibernating R 1-2 and F 1-2), on the combined FM score as in Putler's
    R versus F & M chart, with Putler's eleventh segment Lost (the lowest recency, frequency and
    monetary scores) as the corner cell R 1, FM 1.

    References
    ----------
    Putler. RFM segmentation (customer dashboard),
    https://putler.com/documentation/working-of-rfm-segmentation-within-putler.
    Churned. The RFM model (segment table on R and F & M scores),
    https://docs.churned.io/churned-docs/dashboard-and-features/rfv-model-segment-best-practices/rfm-model.

    Examples
    --------
    >>> import retention as rt
    >>> rt.rfm_segment_map()
                    segment  r_min  r_max  fm_min  fm_max
    0             Champions      5      5       4       5
    1       Loyal Customers      3      4       4       5
    2   Potential Loyalists      4      5       2       3
    3         New Customers      5      5       1       1
    4             Promising      4      4       1       1
    5        Need Attention      3      3       3       3
    6        About To Sleep      3      3       1       2
    7               At Risk      1      2       3       4
    8       Can't Lose Them      1      2       5       5
    9           Hibernating      2      2       1       2
    10          Hibernating      1      1       2       2
    11                 Lost      1      1       1       1
    """
    frame = pd.DataFrame(list(_SEGMENT_MAP), columns=list(_MAP_COLUMNS))
    return frame.astype(dict.fromkeys(_MAP_COLUMNS[1:], np.int64))


def _whole_numbers(column: Any, what: str, fix: str) -> NDArray[np.int64]:
    if isinstance(column, pd.DataFrame):  # a duplicated column label
        msg = f"{what} appears more than once. Rename the duplicates."
        raise InvalidValueError(msg)
    series: pd.Series = column
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype) or not pd.api.types.is_numeric_dtype(dtype):
        msg = f"{what} must hold whole numbers; it has dtype {dtype}. {fix}"
        raise ColumnTypeError(msg)
    values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isfinite(values) | (values != np.round(values)) | (values < 1)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        msg = f"{what} must hold whole numbers >= 1: {int(bad.sum())} rows are not, the first at index {plain_value(series.index[row])!r} (value {plain_value(series.iloc[row])!r}). {fix}"
        raise InvalidValueError(msg)
    return values.astype(np.int64)


def _read_segment_map(segment_map: object) -> tuple[NDArray[np.int64], list[str]]:
    fix = "Start from rt.rfm_segment_map() and change its rows."
    if not isinstance(segment_map, pd.DataFrame):
        msg = f"The 'segment_map' parameter of rfm_segments must be a DataFrame like rt.rfm_segment_map(); got {type(segment_map).__name__}. {fix}"
        raise ColumnTypeError(msg)
    for name in _MAP_COLUMNS:
        if name not in segment_map.columns:
            raise _missing_column(name, "segment map", list(segment_map.columns), fix)
    if len(segment_map) == 0:
        msg = f"The 'segment_map' parameter of rfm_segments has no rows. {fix}"
        raise InvalidValueError(msg)
    labels = segment_map["segment"].tolist()
    bad = [v for v in labels if not isinstance(v, str) or not v]
    if bad:
        msg = f"The 'segment' column of the segment map must hold non-empty strings; got {plain_value(bad[0])!r}. {fix}"
        raise ColumnTypeError(msg)
    bounds = [
        _whole_numbers(segment_map[name], f"The {name!r} column of the segment map", fix)
        for name in _MAP_COLUMNS[1:]
    ]
    r_min, r_max, fm_min, fm_max = bounds
    for low, high, axis in ((r_min, r_max, "r"), (fm_min, fm_max, "fm")):
        wrong = np.flatnonzero(low > high)
        if len(wrong):
            row = int(wrong[0])
            msg = f"Row {row} ({labels[row]!r}) of the segment map has {axis}_min {low[row]} above {axis}_max {high[row]}. {fix}"
            raise InvalidValueError(msg)
    return segment_grid(r_min, r_max, fm_min, fm_max, labels)


def rfm_segments(scores: pd.DataFrame, *, segment_map: pd.DataFrame | None = None) -> pd.Series:
    r"""Name each customer's RFM segment from their scores, by a segment map that is plain data.

    Parameters
    ----------
    scores : pandas.DataFrame
        Whole-number columns ``r_score``, ``f_score`` and ``m_score`` (>= 1), as made by
        :func:`rfm_scores`. Not modified.
    segment_map : pandas.DataFrame, optional
        Columns ``segment``, ``r_min``, ``r_max``, ``fm_min``, ``fm_max``: each row gives a segment to
        the cells of the R x FM grid in its inclusive ranges. The rows must tile the grid from 1 to the
        largest ``r_max`` and ``fm_max`` exactly, every cell in one row. Defaults to
        :func:`rfm_segment_map` (five scores).

    Returns
    -------
    pandas.Series
        Categorical, named ``"segment"``, indexed like ``scores``, one label per customer; the categories
        are the map's segments in order of first appearance.

    Raises
    ------
    ColumnNotFoundError
        If ``scores`` or the map lacks a column.
    ColumnTypeError
        If an argument is not a DataFrame or a column has the wrong type.
    InvalidValueError
        If a score is not a whole number >= 1 or lies outside the map's grid, or the map's rows overlap,
        leave a cell uncovered or have a minimum above a maximum.

    See Also
    --------
    retention.rfm_scores : The scores.
    retention.rfm_segment_map : The standard map, with its sources.

    Notes
    -----
    The combined score is $FM = \lceil (F + M) / 2 \rceil$, the mean of the frequency and monetary
    scores with halves rounded up, so it lies on the same 1 .. bins scale as R.

    Examples
    --------
    >>> import retention as rt
    >>> scores = pd.DataFrame({"r_score": [5, 5, 1, 3, 2], "f_score": [5, 1, 5, 3, 1],
    ...                        "m_score": [4, 1, 5, 2, 2]}, index=pd.Index(list("abcde"), name="customer_id"))
    >>> rt.rfm_segments(scores)
    customer_id
    a          Champions
    b      New Customers
    c    Can't Lose Them
    d     Need Attention
    e        Hibernating
    Name: segment, dtype: category
    Categories (11, str): ['Champions', 'Loyal Customers', 'Potential Loyalists', 'New Customers', ..., 'At Risk', 'Can't Lose Them', 'Hibernating', 'Lost']
    """
    func = "rfm_segments"
    if not _is_frame(scores):
        msg = f"{func} expects a DataFrame of scores such as rt.rfm_scores(tx) returns; got {type(scores).__name__}."
        raise ColumnTypeError(msg)
    fix = "Make the scores with rt.rfm_scores(...)."
    for name in _SCORES:
        if name not in scores.columns:
            raise _missing_column(name, "score", list(scores.columns), fix)
    r, f, m = (
        _whole_numbers(scores[name], f"The {name!r} column passed to {func}", fix)
        for name in _SCORES
    )
    table, categories = _read_segment_map(rfm_segment_map() if segment_map is None else segment_map)
    fm = fm_scores(f, m)
    outside = (r > table.shape[0]) | (fm > table.shape[1])
    if outside.any():
        row = int(np.flatnonzero(outside)[0])
        msg = (
            f"The scores passed to {func} go beyond the segment map's {table.shape[0]} x {table.shape[1]} "
            f"grid: {int(outside.sum())} customers, the first at index {plain_value(scores.index[row])!r} (r {r[row]}, "
            f"fm {fm[row]}). Score with as many bins as the map has (rt.rfm_scores(..., bins={table.shape[0]})) "
            "or pass a segment_map for your grid."
        )
        raise InvalidValueError(msg)
    codes = table[r - 1, fm - 1]
    labels = pd.Categorical.from_codes(codes, categories=pd.Index(categories))
    return pd.Series(labels, index=scores.index, name="segment")


# --- customer features --------------------------------------------------------------------------------------


def _numeric_ids(ids: pd.Index) -> bool:
    """Whether customer ids are numbers (looking through a categorical to its categories)."""
    dtype = ids.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        dtype = dtype.categories.dtype
    return bool(pd.api.types.is_numeric_dtype(dtype))


def _event_table(
    table: object,
    what: str,
    ids: pd.Index,
    end_day: int | None,
    *,
    customer_id: Any,
    date: Any,
    caller: str = "customer_features",
) -> tuple[NDArray[np.int64], NDArray[np.bool_], pd.DataFrame, NDArray[np.int64]]:
    """Read a complaints or refusals table (for ``customer_features``, or the public function ``caller``).

    Returns, per row in the table's order, the customer's code in ``ids`` (-1 if unknown) and whether the
    event falls on or before the observation end; the table itself (for ``resolved``); and the event's
    day (days since 1970-01-01).
    """
    func = f"{caller} (the {what} table)"
    try:
        t = read_transactions(table, customer_id=customer_id, date=date, func=func)
    except ColumnNotFoundError as e:
        msg = f"The {what} table passed to {caller} lacks a column. {e}"
        raise ColumnNotFoundError(msg) from e
    assert isinstance(table, pd.DataFrame)  # read_transactions refuses anything else
    if t.n_rows and len(ids) and _numeric_ids(t.customer_ids) != _numeric_ids(ids):
        msg = (
            f"The customer ids of the {what} table ({t.customer_ids.dtype}) and of the transaction table "
            f"({ids.dtype}) are of different kinds, so no {what} would match a customer. Make them one type, "
            f"e.g. {what}[{customer_id!r}].astype(str) and tx[{customer_id!r}].astype(str)."
        )
        raise ColumnTypeError(msg)
    position = ids.get_indexer(t.customer_ids) if t.n_rows else np.empty(0, dtype=np.int64)
    code = position[t.customer].astype(np.int64, copy=False)
    in_time = t.day <= end_day if end_day is not None else np.zeros(t.n_rows, dtype=np.bool_)
    return code, in_time, table, t.day


def _resolved_flags(
    table: pd.DataFrame, resolved: Any, caller: str = "customer_features"
) -> NDArray[np.bool_] | None:
    if resolved is None:
        return None
    if resolved not in table.columns:
        if resolved == "resolved":
            return None  # the default column is optional: without it every complaint is open
        raise _missing_column(
            resolved,
            "resolved",
            list(table.columns),
            "Pass the complaints table's column of resolved flags with resolved=..., or resolved=None to count every complaint as open.",
        )
    col: Any = table[resolved]
    if isinstance(col, pd.DataFrame):
        msg = f"The complaints table passed to {caller} has the column {resolved!r} more than once. Rename the duplicates."
        raise InvalidValueError(msg)
    if not pd.api.types.is_bool_dtype(col.dtype):
        msg = f"Column {resolved!r} (the resolved column) of the complaints table passed to {caller} must hold True/False; it has dtype {col.dtype}. Convert it, e.g. complaints[{resolved!r}].astype(bool)."
        raise ColumnTypeError(msg)
    missing = col.isna().to_numpy()
    if missing.any():
        first = col.index[int(np.flatnonzero(missing)[0])]
        msg = f"Column {resolved!r} (the resolved column) of the complaints table passed to {caller} has missing values: {int(missing.sum())} rows, the first at index {plain_value(first)!r}. Fill them with True or False."
        raise InvalidValueError(msg)
    flags: NDArray[np.bool_] = col.to_numpy(dtype=np.bool_)
    return flags


@transaction_options
def customer_features(
    tx: pd.DataFrame,
    *,
    complaints: pd.DataFrame | None = None,
    refusals: pd.DataFrame | None = None,
    resolved: Any = "resolved",
    customer_id: Any = "customer_id",
    date: Any = "date",
    amount: Any = "amount",
    order_id: Any = None,
    observation_end: object = None,
    returns: str = "net",
) -> pd.DataFrame:
    """Collect the facts that segmentation rules read: one row per customer, on one day.

    Parameters
    ----------
    tx : pandas.DataFrame
        One row per purchase, or per order line with ``order_id``. Not modified.
    complaints : pandas.DataFrame, optional
        One row per complaint, with the columns ``customer_id`` and ``date`` (named as in ``tx``) and
        optionally ``resolved`` (True/False). Not modified.
    refusals : pandas.DataFrame, optional
        One row per refusal of further business (an unsubscription, a closed account), with the columns
        ``customer_id`` and ``date``. Not modified.
    resolved : column label or None, default "resolved"
        The column of ``complaints`` that marks resolved complaints. If the table has no column of the
        default name, or with ``resolved=None``, every complaint counts as open; a column named otherwise
        must exist.
    <transaction options>

    Returns
    -------
    pandas.DataFrame
        Indexed by customer id (sorted), with columns

        - ``days_since_last_purchase``: days from the last purchase to the observation end (int64);
        - ``tenure_days``: days from the first purchase to the observation end (int64);
        - ``orders``: the number of orders (int64);
        - ``revenue``: the revenue net of returns (float64), and ``average_order_value``:
          revenue / orders (only when the table has amounts);
        - ``complaints`` and ``open_complaints``: the complaints on or before the observation end, all
          and not resolved (int64; 0 without a complaints table);
        - ``refused``: True if the customer refused further business on or before the observation end
          (bool; False without a refusals table).

        The observation end is the day the features describe: purchases, returns, complaints and
        refusals after it are ignored, and customers whose first purchase comes later are not listed.

    Raises
    ------
    InvalidParameterError
        If ``observation_end`` is not a date or ``returns`` is not accepted.
    ColumnNotFoundError, ColumnTypeError, InvalidValueError
        If a table cannot be read (see :func:`~retention.frames.schema.read_transactions`; messages name
        the complaints or refusals table), the ``resolved`` column holds anything but True/False, or the
        customer ids of an event table are of another kind (numbers against text) than those of ``tx``.

    See Also
    --------
    retention.working_segments : The working segments of these features.
    retention.segment : Segment by your own rules.

    Notes
    -----
    **Orders and returns.** ``orders`` counts orders: rows, or distinct order ids with ``order_id`` (the
    lines of one invoice are one order, dated by its earliest line). An order of negative amount is a
    return: it is not an order, not a purchase (it moves neither ``days_since_last_purchase`` nor
    ``tenure_days``), and a customer who only returned goods is not listed; it lowers ``revenue``, which
    is the sum of the order amounts minus the returns, summed exactly. So ``average_order_value`` is the
    revenue net of returns per order. ``returns="drop"`` ignores rows of negative amount instead.

    Complaints and refusals of people who never bought (up to the observation end) are left out: the
    features describe customers. The ``resolved`` flag is read as the table has it today; a complaint
    resolved after the observation end counts as resolved, so to look back in time keep one table per day
    or filter it first. Without the optional tables the counts are 0 and ``refused`` is False: no event
    recorded.

    Examples
    --------
    >>> import retention as rt
    >>> tx = pd.DataFrame({
    ...     "customer_id": ["ann", "ann", "bob", "cy", "cy", "cy"],
    ...     "date": pd.to_datetime(["2024-03-01", "2024-05-20", "2024-01-10",
    ...                             "2024-04-02", "2024-04-30", "2024-05-28"]),
    ...     "amount": [50.0, 70.0, 20.0, 10.0, 15.0, 20.0],
    ... })
    >>> complaints = pd.DataFrame({"customer_id": ["cy", "cy"],
    ...                            "date": pd.to_datetime(["2024-04-03", "2024-05-29"]),
    ...                            "resolved": [True, False]})
    >>> refusals = pd.DataFrame({"customer_id": ["bob"], "date": pd.to_datetime(["2024-02-01"])})
    >>> features = rt.customer_features(tx, observation_end="2024-05-31", complaints=complaints,
    ...                                 refusals=refusals)
    >>> features[["days_since_last_purchase", "tenure_days", "orders"]]
                 days_since_last_purchase  tenure_days  orders
    customer_id
    ann                                11           91       2
    bob                               142          142       1
    cy                                  3           59       3
    >>> features[["revenue", "average_order_value"]]
                 revenue  average_order_value
    customer_id
    ann            120.0                 60.0
    bob             20.0                 20.0
    cy              45.0                 15.0
    >>> features[["complaints", "open_complaints", "refused"]]
                 complaints  open_complaints  refused
    customer_id
    ann                   0                0    False
    bob                   0                0     True
    cy                    2                1    False

    Order lines and a return: ann's invoice ``i1`` has two lines, and she returns 25 a week later:

    >>> lines = pd.DataFrame({
    ...     "customer_id": ["ann", "ann", "ann", "ann"],
    ...     "invoice": ["i1", "i1", "i2", "r1"],
    ...     "date": pd.to_datetime(["2024-03-01", "2024-03-01", "2024-05-20", "2024-05-27"]),
    ...     "amount": [30.0, 20.0, 70.0, -25.0],
    ... })
    >>> lined = rt.customer_features(lines, order_id="invoice", observation_end="2024-05-31")
    >>> lined[["days_since_last_purchase", "tenure_days", "orders"]]
                 days_since_last_purchase  tenure_days  orders
    customer_id
    ann                                11           91       2
    >>> lined[["revenue", "average_order_value"]]
                 revenue  average_order_value
    customer_id
    ann             95.0                 47.5
    """
    func = "customer_features"
    t = read_transactions(
        tx,
        customer_id=customer_id,
        date=date,
        amount=amount,
        order_id=order_id,
        observation_end=observation_end,
        returns=returns,
        func=func,
    )
    n = t.n_customers
    totals = customer_totals(
        t.customer,
        t.day,
        t.amount,
        n,
        return_customer=t.return_customer,
        return_amount=t.return_amount,
    )
    end = t.end_day if t.end_day is not None else 0
    columns: dict[str, Any] = {
        "days_since_last_purchase": end - totals.last_day,
        "tenure_days": end - totals.first_day if totals.first_day is not None else 0,
        "orders": totals.orders,
    }
    if totals.revenue is not None:
        columns["revenue"] = totals.revenue
        with np.errstate(invalid="ignore", divide="ignore"):  # no customer has 0 orders; n may be 0
            columns["average_order_value"] = totals.revenue / totals.orders
    complaint_count = np.zeros(n, dtype=np.int64)
    open_count = np.zeros(n, dtype=np.int64)
    if complaints is not None:
        code, in_time, table, _ = _event_table(
            complaints, "complaints", t.customer_ids, t.end_day, customer_id=customer_id, date=date
        )
        keep = in_time & (code >= 0)
        complaint_count = np.bincount(code[keep], minlength=n).astype(np.int64, copy=False)
        flags = _resolved_flags(table, resolved)
        if flags is None:
            open_count = complaint_count.copy()
        else:
            still_open = keep & ~flags
            open_count = np.bincount(code[still_open], minlength=n).astype(np.int64, copy=False)
    refused = np.zeros(n, dtype=np.bool_)
    if refusals is not None:
        code, in_time, _, _ = _event_table(
            refusals, "refusals", t.customer_ids, t.end_day, customer_id=customer_id, date=date
        )
        refused[code[in_time & (code >= 0)]] = True
    columns["complaints"] = complaint_count
    columns["open_complaints"] = open_count
    columns["refused"] = refused
    return pd.DataFrame(columns, index=t.customer_ids)


# --- ordered rules ------------------------------------------------------------------------------------------


def _rule_items(rules: object) -> list[Rule]:
    hint = "Pass a list of (label, condition) pairs, e.g. [('loyal', 'orders >= 2'), ('new', 'orders == 1')]."
    items: list[Any]
    if isinstance(rules, Mapping):
        items = list(rules.items())
    elif isinstance(rules, str | bytes) or not isinstance(rules, Sequence):
        msg = f"The 'rules' parameter of segment must be an ordered list of (label, condition) pairs; got {type(rules).__name__}. {hint}"
        raise InvalidParameterError(msg)
    else:
        items = list(rules)
    checked: list[Rule] = []
    for k, item in enumerate(items):
        if not isinstance(item, tuple | list) or len(item) != 2:
            msg = (
                f"Rule {k} passed to segment is not a (label, condition) pair; got {item!r}. {hint}"
            )
            raise InvalidParameterError(msg)
        label, cond = item
        if not isinstance(label, str) or not label:
            msg = f"The label of rule {k} passed to segment must be a non-empty string; got {label!r}."
            raise InvalidParameterError(msg)
        checked.append((label, cond))
    return checked


def _as_mask(value: Any, features: pd.DataFrame, context: str) -> NDArray[np.bool_]:
    n = len(features)
    if isinstance(value, bool | np.bool_):
        return np.full(n, bool(value), dtype=np.bool_)
    if isinstance(value, pd.DataFrame):
        msg = f"{context} gives a DataFrame; a condition must give one True/False per customer (a Series or an array)."
        raise ColumnTypeError(msg)
    if isinstance(value, pd.Series):
        if not value.index.equals(features.index):
            same = (
                value.index.is_unique
                and features.index.is_unique
                and len(value) == n
                and value.index.isin(features.index).all()
            )
            if not same:
                msg = f"{context} gives a Series whose index does not match the features' index ({len(value)} rows against {n}). Build it from the features frame, or reindex it: cond.reindex(features.index)."
                raise InvalidValueError(msg)
            value = value.reindex(features.index)
        dtype = value.dtype
        if not pd.api.types.is_bool_dtype(dtype):
            msg = f"{context} gives values of dtype {dtype}; a condition must give True/False. Compare first, e.g. features['orders'] >= 2."
            raise ColumnTypeError(msg)
        if value.isna().any():
            msg = f"{context} gives missing values (NA) for {int(value.isna().sum())} customers; a condition must give True or False for everyone. Use .fillna(False)."
            raise InvalidValueError(msg)
        mask: NDArray[np.bool_] = value.to_numpy(dtype=np.bool_)
        return mask
    if isinstance(value, np.ndarray | list | tuple):
        array = np.asarray(value)
        if array.dtype != np.bool_:
            msg = (
                f"{context} gives values of dtype {array.dtype}; a condition must give True/False."
            )
            raise ColumnTypeError(msg)
        if array.shape != (n,):
            msg = f"{context} gives {array.shape} values; a condition must give one per customer ({n})."
            raise InvalidValueError(msg)
        return array
    msg = f"{context} gives {type(value).__name__}; a condition must give one True/False per customer (a boolean Series or array), or a single True/False."
    raise ColumnTypeError(msg)


def _refuse_missing(col: pd.Series, name: str, context: str) -> None:
    """Refuse missing values in a column a condition reads: the condition would be neither true nor false."""
    missing = col.isna().to_numpy()
    if missing.any():
        first = col.index[int(np.flatnonzero(missing)[0])]
        msg = (
            f"{context} reads the column {name!r}, which has missing values for {int(missing.sum())} "
            f"customer(s), the first {plain_value(first)!r}: the condition would be neither true nor "
            "false for them (and they would fall through to a later rule). Fill them or drop those rows."
        )
        raise InvalidValueError(msg)


def _lookup(features: pd.DataFrame, label: str) -> Callable[[str], Any]:
    def column(name: str) -> Any:
        col: Any = features[name]
        if isinstance(col, pd.DataFrame):
            msg = f"The condition of rule {label!r} reads the column {name!r}, which the features frame has more than once. Rename the duplicates."
            raise InvalidValueError(msg)
        return col

    return column


def segment(
    features: pd.DataFrame,
    rules: Sequence[tuple[str, Any]] | Mapping[str, Any],
    *,
    default: str = "other",
) -> pd.Series:
    """Give each customer the label of the first rule whose condition holds for them.

    Parameters
    ----------
    features : pandas.DataFrame
        One row per customer, e.g. from :func:`customer_features`. Not modified.
    rules : list of (label, condition) pairs, or dict
        Checked in order; the first condition that holds gives the label. A condition is

        - a string in the safe condition language over the column names, e.g.
          ``"days_since_last_purchase > 30 and orders >= 2"`` (see Notes);
        - a boolean Series with the index of ``features`` (or the same labels in another order), or a
          boolean array with one value per row;
        - a callable that takes the features frame and returns one of the above;
        - a single True or False (True catches everyone left).

        A label may appear in several rules (their conditions then act as "or").
    default : str, default "other"
        The label of customers whom no rule matches.

    Returns
    -------
    pandas.Series
        Categorical, named ``"segment"``, indexed like ``features``: exactly one label per customer. The
        categories are the rule labels in order of first appearance, then ``default``.

    Raises
    ------
    ColumnNotFoundError
        If a condition string names a column that ``features`` lacks (the message lists the columns).
    ColumnTypeError
        If ``features`` is not a DataFrame or a condition gives something other than True/False values.
    InvalidParameterError
        If ``rules`` is not a list of (label, non-empty string label, condition) pairs, or a condition
        string is outside the grammar or cannot be evaluated.
    InvalidValueError
        If a condition gives the wrong number of values, another index, or missing values.

    See Also
    --------
    retention.working_segments : The working segments, built with this function.
    retention.customer_features : The features the rules usually read.

    Notes
    -----
    The condition language is a safe subset of Python expressions, parsed with :mod:`ast` and checked node
    by node before anything runs: column names (Python identifiers), numbers, ``'strings'``, ``True`` and
    ``False``; comparisons ``== != < <= > >=`` (chains such as ``1 <= orders < 5`` mean "and"); ``and``,
    ``or``, ``not`` on true/false values; arithmetic ``+ - * / // % **`` and unary minus; parentheses.
    Everything else (attribute access, calls, indexing, lambda, ``&`` ``|`` ``~``, ``in``, ``is``,
    comprehensions, f-strings, ``None``) is refused with an error; nothing is passed to :func:`eval`. The
    operators act on the columns as pandas Series, so a condition gives what :meth:`pandas.DataFrame.eval`
    gives for the same text. For other column names, or any other logic, pass a callable.

    Examples
    --------
    >>> import retention as rt
    >>> features = pd.DataFrame({"orders": [1, 5, 2, 8], "revenue": [20.0, 900.0, 60.0, 120.0]},
    ...                         index=pd.Index(["a", "b", "c", "d"], name="customer_id"))
    >>> rt.segment(features, [
    ...     ("vip", "revenue >= 500"),
    ...     ("repeat", lambda f: f["orders"] >= 2),
    ... ], default="one-time")
    customer_id
    a    one-time
    b         vip
    c      repeat
    d      repeat
    Name: segment, dtype: category
    Categories (3, str): ['vip', 'repeat', 'one-time']
    """
    if not _is_frame(features):
        msg = f"segment expects a DataFrame of features, one row per customer, such as rt.customer_features(tx) returns; got {type(features).__name__}."
        raise ColumnTypeError(msg)
    if not isinstance(default, str) or not default:
        msg = f"The 'default' parameter of segment must be a non-empty string. Got {default!r}."
        raise InvalidParameterError(msg)
    items = _rule_items(rules)
    # Check every condition string (grammar and columns) before evaluating any.
    parsed: list[Condition | None] = []
    for label, cond in items:
        if isinstance(cond, str):
            context = f"The condition {cond!r} of rule {label!r}"
            checked = parse_condition(cond, context=context)
            for name in checked.columns:
                if name not in features.columns:
                    raise _missing_column(
                        name,
                        "condition",
                        list(features.columns),
                        f"Fix the condition {cond!r} of rule {label!r}.",
                    )
                _refuse_missing(_lookup(features, label)(name), name, context)
            parsed.append(checked)
        else:
            parsed.append(None)
    masks = []
    for (label, cond), condition in zip(items, parsed, strict=True):
        context = (
            f"The condition {cond!r} of rule {label!r}"
            if condition is not None
            else f"The condition of rule {label!r}"
        )
        if condition is not None:
            value = evaluate_condition(condition, _lookup(features, label), context=context)
        elif callable(cond):
            # A shallow copy: with copy-on-write a callable cannot change the caller's frame through it.
            value = cond(features.copy(deep=False))
        else:
            value = cond
        masks.append(_as_mask(value, features, context))
    categories = list(dict.fromkeys([label for label, _ in items] + [default]))
    code_of = {label: k for k, label in enumerate(categories)}
    rule_codes = np.array(
        [code_of[label] for label, _ in items] + [code_of[default]], dtype=np.int64
    )
    codes = rule_codes[first_match(masks, len(features))]
    labels = pd.Categorical.from_codes(codes, categories=pd.Index(categories))
    return pd.Series(labels, index=features.index, name="segment")


def working_segment_rules(
    *, inactive_after: object = "30D", new_within: object = None
) -> list[tuple[str, str]]:
    """Return the rules of the working segments, in order: a list you can read, change and pass to segment.

    Parameters
    ----------
    inactive_after : str, int or timedelta, default "30D"
        A customer whose last purchase is more than this long ago is inactive (``"30D"``, ``"8W"``, or a
        number of days).
    new_within : str, int or timedelta, optional
        A one-time buyer is new while their purchase is at most this long ago. Defaults to
        ``inactive_after``, so that every active one-time buyer is new; a shorter span leaves active
        one-time buyers past it to the default label ("other").

    Returns
    -------
    list of (str, str)
        (label, condition) pairs over the columns of :func:`customer_features`, in this order: refused,
        dissatisfied, inactive, new, loyal.

    Raises
    ------
    InvalidParameterError
        If a duration is not a positive whole number of days.

    See Also
    --------
    retention.working_segments : Apply these rules.

    Notes
    -----
    The order is the order of priority for the next contact. A customer who refused further business is
    never offered a sale, whatever else is true; an open complaint is fixed before anything else is
    offered, to loyal and inactive customers alike; a customer who stopped buying is won back before
    being treated as new or loyal. What remains is active: new with one order, loyal with two or more
    (``orders`` counts orders, not order lines or returns: see :func:`customer_features`).

    Examples
    --------
    >>> import retention as rt
    >>> rt.working_segment_rules(inactive_after="60D")
    [('refused', 'refused'), ('dissatisfied', 'open_complaints > 0'), ('inactive', 'days_since_last_purchase > 60'), ('new', 'orders == 1'), ('loyal', 'orders >= 2')]
    """
    return _working_rules(inactive_after, new_within, "working_segment_rules")


def _working_rules(inactive_after: object, new_within: object, func: str) -> list[tuple[str, str]]:
    inactive = parse_duration(inactive_after, "inactive_after", func)
    new_rule = "orders == 1"
    if new_within is not None:
        new_days = parse_duration(new_within, "new_within", func)
        if new_days < inactive:
            new_rule = f"orders == 1 and days_since_last_purchase <= {new_days}"
    return [
        ("refused", "refused"),
        ("dissatisfied", "open_complaints > 0"),
        ("inactive", f"days_since_last_purchase > {inactive}"),
        ("new", new_rule),
        ("loyal", "orders >= 2"),
    ]


def working_segments(
    features: pd.DataFrame, *, inactive_after: object = "30D", new_within: object = None
) -> pd.Series:
    """Sort customers into the working segments of retention work: refused, dissatisfied, inactive, new, loyal.

    Parameters
    ----------
    features : pandas.DataFrame
        From :func:`customer_features` (it needs the columns ``refused``, ``open_complaints``,
        ``days_since_last_purchase`` and ``orders``). Not modified. For a log of order lines, build it
        with ``customer_features(tx, order_id=...)`` so that ``orders`` counts orders, not lines.
    inactive_after : str, int or timedelta, default "30D"
        A customer whose last purchase is more than this long ago is inactive.
    new_within : str, int or timedelta, optional
        A one-time buyer is new while their purchase is at most this long ago; defaults to
        ``inactive_after``.

    Returns
    -------
    pandas.Series
        Categorical, named ``"segment"``, indexed like ``features``, with the categories ``refused``,
        ``dissatisfied``, ``inactive``, ``new``, ``loyal`` and ``other`` (one-time buyers older than
        ``new_within`` but not yet inactive; empty with the defaults).

    Raises
    ------
    ColumnNotFoundError
        If ``features`` lacks a column that a rule reads.
    InvalidParameterError
        If a duration is not a positive whole number of days.

    See Also
    --------
    retention.working_segment_rules : The rules, as data, and why they come in this order.
    retention.segment : Apply changed rules.
    retention.contact_plan : The contacts due to each segment (goals and cadence from
        :func:`retention.default_contact_cadence`).

    Notes
    -----
    This is ``rt.segment(features, rt.working_segment_rules(...))``: the first rule that holds wins.
    The segments, their rules and the goals of contacting them:

    - ``refused``: declined further business (``refused``). Goals: feedback, the cause of the complaint,
      a gift, a fix.
    - ``dissatisfied``: an open complaint (``open_complaints > 0``). Goals: feedback, the cause of the
      complaint, a gift, a fix.
    - ``inactive``: the last purchase more than ``inactive_after`` ago. Goals: feedback, a gift, an extra
      sale.
    - ``new``: one order, recent (``orders == 1``). Goals: feedback on the first purchase, service,
      the second sale.
    - ``loyal``: two or more orders, recent (``orders >= 2``). Goals: feedback, service, an extra sale,
      a referral request, news of offers.

    Examples
    --------
    >>> import retention as rt
    >>> tx = pd.DataFrame({
    ...     "customer_id": ["ann", "ann", "bob", "cy", "cy", "dee", "eve"],
    ...     "date": pd.to_datetime(["2024-03-01", "2024-05-20", "2024-01-10", "2024-04-02",
    ...                             "2024-05-28", "2024-05-25", "2024-02-14"]),
    ...     "amount": [50.0, 70.0, 20.0, 10.0, 15.0, 30.0, 25.0],
    ... })
    >>> complaints = pd.DataFrame({"customer_id": ["cy"], "date": pd.to_datetime(["2024-05-29"])})
    >>> refusals = pd.DataFrame({"customer_id": ["eve"], "date": pd.to_datetime(["2024-03-01"])})
    >>> features = rt.customer_features(tx, observation_end="2024-05-31", complaints=complaints,
    ...                                 refusals=refusals)
    >>> rt.working_segments(features)
    customer_id
    ann           loyal
    bob        inactive
    cy     dissatisfied
    dee             new
    eve         refused
    Name: segment, dtype: category
    Categories (6, str): ['refused', 'dissatisfied', 'inactive', 'new', 'loyal', 'other']

    The one-order rule counts orders: fay's one invoice of three lines makes her new when the features
    are built with ``order_id``, and loyal when every line is taken for an order:

    >>> lines = pd.DataFrame({"customer_id": ["fay"] * 3, "invoice": ["i9"] * 3,
    ...                       "date": pd.to_datetime(["2024-05-30"] * 3), "amount": [5.0, 7.0, 9.0]})
    >>> rt.working_segments(rt.customer_features(lines, order_id="invoice")).tolist()
    ['new']
    >>> rt.working_segments(rt.customer_features(lines)).tolist()
    ['loyal']
    """
    rules = _working_rules(inactive_after, new_within, "working_segments")
    return segment(features, rules, default="other")
