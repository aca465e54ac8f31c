"""RFM scores and segments: recency, frequency and money scored 1 to ``bins``, and the R x FM segment map.

A thin adapter: :func:`rfm_scores` reads a transaction table once with
:func:`~retention.frames.schema.read_transactions` (or a per-customer summary with
:func:`~retention.frames.summary_schema.read_customers`), hands arrays to :mod:`retention.core.segments`
and labels the result; :func:`rfm_segments` names the cells of the score grid. The guide, with the segment
map and worked examples, is the "Segments" page of the docs (``docs/segments.md``).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any, Final

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from retention.core.segments import (
    customer_totals,
    cut_scores,
    fm_scores,
    quantile_scores,
    segment_grid,
)
from retention.errors import (
    ColumnTypeError,
    InvalidParameterError,
    InvalidValueError,
    plain_value,
)
from retention.frames.breakdown import breakdown, customer_index, group_ranges
from retention.frames.events import missing_column
from retention.frames.options import BY, Given, Interval, check_cut_points, declare
from retention.frames.reading import read_with_options
from retention.frames.schema import (
    DateLike,
    Transactions,
    transaction_options,
)
from retention.frames.summary_schema import check_frequency_recency_T, read_customers

__all__ = ["rfm_scores", "rfm_segment_map", "rfm_segments"]

_MEASURES: Final = ("recency", "frequency", "monetary")
_RFM_SCORES: Final = declare(
    "rfm_scores",
    bins=Interval(
        "integer", 2, 9, what="a whole number from 2 to 9 (one digit per score in rfm_score)"
    ),
    cut_points=Given("a dict of increasing cut points per measure, read by check_cut_points"),
    by=BY,
)
_RFM_SEGMENTS: Final = declare(
    "rfm_segments", segment_map=Given("a segment map as rt.rfm_segment_map makes, read here")
)
_SCORES: Final = ("r_score", "f_score", "m_score")
_SUMMARY_COLUMNS: Final = ("frequency", "recency", "T")
_MAP_COLUMNS: Final = ("segment", "r_min", "r_max", "fm_min", "fm_max")

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


def _is_frame(value: object) -> bool:
    """Whether ``value`` is a DataFrame (a plain bool, so that type checkers keep the caller's branch)."""
    return isinstance(value, pd.DataFrame)


def _is_summary(data: object) -> bool:
    return isinstance(data, pd.DataFrame) and all(c in data.columns for c in _SUMMARY_COLUMNS)


def _summary_measures(
    summary: pd.DataFrame,
) -> tuple[NDArray[Any], NDArray[Any], NDArray[np.float64], pd.Index]:
    func = "rfm_scores"
    if "monetary_value" not in summary.columns:
        raise missing_column(
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
    groups: list[tuple[int, int]] | None = None,
) -> pd.DataFrame:
    """Score the three measures and label the result.

    ``groups`` (a breakdown's ranges of customers, :func:`~retention.frames.breakdown.group_ranges`):
    the quantile scores are taken within each range, as each group's table alone would score them.
    """
    scores = []
    for name, values in zip(_MEASURES, (recency, frequency, monetary), strict=True):
        reverse = name == "recency"
        if name in cuts:  # fixed cut points score each value on its own
            scores.append(cut_scores(values, cuts[name], reverse=reverse))
        elif groups is not None:
            ranked = [quantile_scores(values[a:b], bins, reverse=reverse) for a, b in groups]
            scores.append(np.concatenate(ranked))
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
    customer_id: Hashable = "customer_id",
    date: Hashable = "date",
    amount: Hashable | None = "amount",
    order_id: Hashable | None = None,
    observation_end: DateLike | None = None,
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
        Not modified. Tables of the other engines are read too (see the "Where your data lives" page of
        the docs, ``docs/engines.md``).
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

        ``recency`` and ``frequency`` here are the RFM measures, not the columns of the same names of
        :func:`~retention.rfm_summary`, which follow the customer-base models (Fader, Hardie & Lee
        2005): there ``recency`` is the time from the first purchase to the last (here: from the last
        purchase to the observation end, so a small value is good) and ``frequency`` counts repeat
        purchases (here: all orders). Read from a summary, the columns are converted as listed above.

    Raises
    ------
    InvalidParameterError
        If ``bins``, ``cut_points``, ``returns``, ``by`` or ``observation_end`` is not accepted,
        ``amount`` is None for a transaction table, or ``observation_end``, ``order_id``, ``returns`` or
        ``by`` is given with a summary.
    <reading errors>
        The same errors if ``data`` is a summary that cannot be read.

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
    bins = _RFM_SCORES.check("bins", bins)
    cuts = check_cut_points(cut_points, bins, _MEASURES, func)
    if _is_summary(data):
        _summary_options(observation_end, order_id, returns, by)
        return _score_frame(*_summary_measures(data), bins=bins, cuts=cuts)
    if amount is None:
        msg = f"The 'amount' parameter of {func} must name the amount column of the transaction table; the monetary score needs it. Got None."
        raise InvalidParameterError(msg)
    t = read_with_options(data, locals(), func=func, amount_required=True)
    if t.groups is not None and t.n_customers:
        # The measures of the whole table once, scored within each group, labelled in one frame.
        recency, frequency, monetary, _ = _transaction_measures(t)
        return _score_frame(
            recency,
            frequency,
            monetary,
            customer_index(t),
            bins=bins,
            cuts=cuts,
            groups=group_ranges(t),
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
            raise missing_column(name, "segment map", list(segment_map.columns), fix)
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
        If a score is not a whole number >= 1 or lies outside the map's grid, the scores were made by
        :func:`rfm_scores` with other bins than the map has, or the map's rows overlap, leave a cell
        uncovered or have a minimum above a maximum.

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
            raise missing_column(name, "score", list(scores.columns), fix)
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
    bins = _bins_of(scores)
    if bins is not None and (bins, bins) != table.shape:
        msg = (
            f"The scores passed to {func} were made with bins={bins} (their rfm_score categories run from "
            f"{'1' * 3} to {str(bins) * 3}), but the segment map has {table.shape[0]} x {table.shape[1]} "
            f"cells: their scores would be read on the map's scale (a top score of {bins} as a low one). Score with as many bins as the map has "
            f"(rt.rfm_scores(..., bins={table.shape[0]})) or pass a segment_map for a {bins} x {bins} grid."
        )
        raise InvalidValueError(msg)
    codes = table[r - 1, fm - 1]
    labels = pd.Categorical.from_codes(codes, categories=pd.Index(categories))
    return pd.Series(labels, index=scores.index, name="segment")


def _bins_of(scores: pd.DataFrame) -> int | None:
    """Return the bins the scores were made with, from an ``rfm_score`` column as :func:`rfm_scores` makes it.

    Its categories are every code of three digits from 1 to the bins; None for scores made otherwise.
    """
    column = scores.get("rfm_score")
    if not isinstance(column, pd.Series) or not isinstance(column.dtype, pd.CategoricalDtype):
        return None
    codes = [str(c) for c in column.cat.categories]
    if not codes or not all(len(c) == 3 and c.isdigit() for c in codes):
        return None
    bins = max(int(d) for d in codes[-1])
    return bins if len(codes) == bins**3 else None


def rfm_measures_of(t: Transactions) -> pd.DataFrame:
    """Per customer of a table already read, the three measures :func:`rfm_scores` scores, labelled."""
    recency, frequency, monetary, ids = _transaction_measures(t)
    return pd.DataFrame(
        dict(zip(_MEASURES, (recency, frequency, monetary), strict=True)), index=ids
    )


def rfm_scores_of_measures(
    measures: pd.DataFrame, *, bins: int, cut_points: object
) -> pd.DataFrame:
    """:func:`rfm_scores` of the measures :func:`rfm_measures_of` gives, in customer order (options checked).

    The measures of a customer depend on that customer's rows alone, so those of disjoint sets of customers
    (the partitions of a cluster), put together in customer order, score as the whole table.
    """
    cuts = check_cut_points(cut_points, bins, _MEASURES, "rfm_scores")
    recency, frequency, monetary = (measures[m].to_numpy() for m in _MEASURES)
    return _score_frame(recency, frequency, monetary, measures.index, bins=bins, cuts=cuts)
