"""Segment migration: who moved from which segment to which, between two dates or period by period.

A thin adapter over :mod:`retention.core.migration`. A *snapshot* is a pandas Series of segment labels
indexed by customer id, as made by ``rt.working_segments``, ``rt.rule_segments`` or ``rt.rfm_segments``.
:func:`~retention.frames.summary_schema.check_segments` is the one checker of such Series (used by the
contact plans too); the labels of
all snapshots are coded jointly so that a segment keeps its row and column everywhere. The guide is
``docs/migration-and-contacts.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from retention.core.migration import migration_counts, shares_of_rows, shares_of_total
from retention.errors import ColumnTypeError, InvalidParameterError, InvalidValueError
from retention.frames.options import Frequency, Given, declare
from retention.frames.reading import read_with_options
from retention.frames.schema import (
    day_period_codes,
    last_complete_period,
    period_index,
    period_start_days,
    read_days,
    transaction_options,
)
from retention.frames.summary_schema import check_segments

__all__ = ["GONE", "NEW", "migration_matrix", "segment_history"]

declare(
    "migration_matrix",
    normalize=Given("False, True (as 'all', like pandas.crosstab), 'index' or 'all', checked here"),
)
_SEGMENT_HISTORY: Final = declare(
    "segment_history",
    segmenter=Given("a function (tx_so_far, as_of) -> Series of labels, checked here"),
    freq=Frequency(),
)

NEW: Final = "(new)"
"""Row label of the customers who are in the later snapshot only."""

GONE: Final = "(gone)"
"""Column label of the customers who are in the earlier snapshot only."""

_HISTORY_COLUMNS: Final = ("period", "before", "after", "customers")


def segment_order(snapshots: Sequence[pd.Series], func: str) -> list[Any]:
    """Return the segments of all snapshots in table order.

    Categories of categorical snapshots come first, in their own order (the first snapshot's, then
    categories that only later ones have); labels of other snapshots follow, sorted, so that the order
    never depends on the order of the rows. Unused categories are kept: a segment keeps its row even in
    a month when nobody is in it.
    """
    order: dict[Any, None] = {}
    plain: list[pd.Index] = []
    for s in snapshots:
        if isinstance(s.dtype, pd.CategoricalDtype):
            order.update(dict.fromkeys(s.cat.categories))
        else:
            plain.append(pd.Index(s.to_numpy()).unique())
    if plain:
        values = plain[0].append(plain[1:]).unique() if len(plain) > 1 else plain[0]
        extra = values[~values.isin(list(order))]
        try:
            extra = extra.sort_values()
        except TypeError as e:
            kinds = sorted({type(v).__name__ for v in extra})
            msg = (
                f"The segment labels passed to {func} mix types that cannot be sorted "
                f"({', '.join(kinds)}). Make them one type, e.g. labels.astype(str), or pass "
                "categorical Series to fix the order."
            )
            raise ColumnTypeError(msg) from e
        order.update(dict.fromkeys(extra))
    for reserved in (NEW, GONE):
        if reserved in order:
            msg = (
                f"The segment labels passed to {func} include {reserved!r}, which {func} uses for "
                f"customers seen on one side only. Rename that segment."
            )
            raise InvalidValueError(msg)
    return list(order)


def _label_codes(s: pd.Series, order: pd.Index) -> NDArray[np.int64]:
    """Per customer of ``s``, the position of their label in ``order``."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        # Map the few categories, then index by the category codes: no hashing of a million labels.
        return order.get_indexer(s.cat.categories).astype(np.int64)[s.cat.codes.to_numpy()]
    return order.get_indexer(pd.Index(s.to_numpy())).astype(np.int64)


def _pair_counts(
    before: pd.Series,
    before_codes: NDArray[np.int64],
    after: pd.Series,
    after_codes: NDArray[np.int64],
    n_labels: int,
) -> NDArray[np.int64]:
    """Migration counts with the extra "(new)" row and "(gone)" column (both code ``n_labels``)."""
    customer, ids = pd.factorize(before.index.append(after.index))
    n_customers = len(ids)
    split = len(before)
    row = np.full(n_customers, n_labels, dtype=np.int64)  # "(new)" unless seen before
    row[customer[:split]] = before_codes
    column = np.full(n_customers, n_labels, dtype=np.int64)  # "(gone)" unless seen after
    column[customer[split:]] = after_codes
    return migration_counts(row, column, n_labels + 1, n_labels + 1)


def migration_matrix(
    before: pd.Series, after: pd.Series, *, normalize: bool | str | None = False
) -> pd.DataFrame:
    r"""Count the customers who moved from each segment at one date to each segment at a later date.

    Parameters
    ----------
    before : pandas.Series
        Segment labels at the earlier date, indexed by customer id (one row per customer), e.g.
        ``rt.working_segments(rt.customer_features(tx, observation_end="2024-03-31"))``. Not modified.
    after : pandas.Series
        Segment labels at the later date, in the same form. Not modified.
    normalize : bool or {"index", "all"}, default False
        False gives counts. ``"index"`` divides each row by its total: the share of the customers of a
        segment who moved to each segment (each row sums to 1; a row with no customers, such as an empty
        category, is NaN). ``"all"`` (or True) divides by the number of customers: the whole table sums
        to 1. As ``normalize`` of :func:`pandas.crosstab`, and of :func:`~retention.cohort_table`, where
        True is the only share (of the cohort) so no string is needed. None, the default up to version
        0.1, is False.

    Returns
    -------
    pandas.DataFrame
        Rows (index named ``"before"``): the segments, then ``"(new)"``, the customers in ``after``
        only. Columns (named ``"after"``): the same segments, then ``"(gone)"``, the customers in
        ``before`` only. Values: int64 counts, or float64 shares with ``normalize``. The table is square
        on the segments, so the diagonal holds the customers who stayed; it is ready for a heatmap.
        The ``("(new)", "(gone)")`` cell is always 0.

    Raises
    ------
    ColumnTypeError
        If ``before`` or ``after`` is not a Series, or their labels mix types that cannot be sorted.
    InvalidValueError
        If a customer id is missing or repeated, a label is missing, or a label is ``"(new)"`` or
        ``"(gone)"``.
    InvalidParameterError
        If ``normalize`` is not one of False, True, ``"index"``, ``"all"`` (or None).

    See Also
    --------
    retention.segment_history : The moves between the ends of consecutive periods.

    Notes
    -----
    Customers are matched by id. With $B$ the customers of ``before`` and $A$ those of ``after``, the
    cell $(i, j)$ counts the customers in $B \cap A$ with segment $i$ before and $j$ after; the
    ``"(new)"`` row counts $A \setminus B$ by segment after, the ``"(gone)"`` column $B \setminus A$
    by segment before. So the table sums to $|B \cup A| = |B \cap A| + |A \setminus B| +
    |B \setminus A|$, the rows other than ``"(new)"`` sum to $|B|$ and the columns other than
    ``"(gone)"`` to $|A|$.

    Segment order: when the Series are categorical (as ``rt.rule_segments`` returns them), their categories
    in order, unused ones included, so that the layout stays the same from month to month; labels of
    non-categorical Series sorted. ``"(new)"`` and ``"(gone)"`` come last.

    Examples
    --------
    >>> import retention as rt
    >>> order = ["loyal", "inactive"]
    >>> march = pd.Series(pd.Categorical(["loyal", "loyal", "inactive", "loyal"], order),
    ...                   index=["a", "b", "c", "d"])
    >>> april = pd.Series(pd.Categorical(["loyal", "inactive", "inactive", "loyal"], order),
    ...                   index=["a", "b", "c", "e"])
    >>> rt.migration_matrix(march, april)
    after     loyal  inactive  (gone)
    before
    loyal         1         1       1
    inactive      0         1       0
    (new)         1         0       0
    >>> rt.migration_matrix(march, april, normalize="index").round(3)
    after     loyal  inactive  (gone)
    before
    loyal     0.333     0.333   0.333
    inactive  0.000     1.000   0.000
    (new)     1.000     0.000   0.000
    """
    func = "migration_matrix"
    before = check_segments(before, f"The 'before' argument of {func}")
    after = check_segments(after, f"The 'after' argument of {func}")
    if normalize is None or isinstance(normalize, bool | np.bool_):
        normalize = "all" if normalize else None  # True as in pandas.crosstab
    elif not isinstance(normalize, str) or normalize not in ("index", "all"):
        msg = f"The 'normalize' parameter of {func} must be one of False, True, 'index', 'all'. Got {normalize!r}."
        raise InvalidParameterError(msg)
    order = segment_order([before, after], func)
    labels = pd.Index(order)
    counts = _pair_counts(
        before, _label_codes(before, labels), after, _label_codes(after, labels), len(order)
    )
    values: NDArray[Any] = counts
    if normalize == "index":
        values = shares_of_rows(counts)
    elif normalize == "all":
        values = shares_of_total(counts)
    return pd.DataFrame(
        values,
        index=pd.Index([*order, NEW], name="before"),
        columns=pd.Index([*order, GONE], name="after"),
    )


@transaction_options
def segment_history(
    tx: pd.DataFrame,
    *,
    segmenter: Callable[[pd.DataFrame, pd.Timestamp], pd.Series],
    freq: str = "M",
    customer_id: Any = "customer_id",
    date: Any = "date",
    amount: Any = "amount",
    order_id: Any = None,
    observation_end: object = None,
    returns: str = "net",
) -> pd.DataFrame:
    """Segment the customers at the end of every complete period and count the moves between periods.

    Parameters
    ----------
    tx : pandas.DataFrame
        One row per purchase, or per order line with ``order_id``. Not modified.
    segmenter : callable
        ``segmenter(tx_so_far, as_of)`` returns a Series of segment labels indexed by customer id (one
        row per customer). ``as_of`` is the last day of the period, the observation end of that
        snapshot, given as a Timestamp at midnight; ``tx_so_far`` holds the *rows* of ``tx`` dated up
        to and including that day (all columns, sorted by date): see Notes for what they include. For
        the working segments:
        ``lambda t, as_of: rt.working_segments(rt.customer_features(t, observation_end=as_of))``.
    freq : {"M", "D", "W", "Q", "Y"}, default "M"
        The period length (pandas aliases such as ``"ME"`` are accepted). Weeks run Monday to Sunday.
    <transaction options>

    Returns
    -------
    pandas.DataFrame
        One row per period and (before, after) pair of segments, zeros included, with columns
        ``period`` (the period of the move, a pandas Period), ``before`` (the segment at the end of the
        previous period, categorical, ``"(new)"`` last), ``after`` (the segment at the end of
        ``period``, categorical, ``"(gone)"`` last) and ``customers`` (int64). Sorted by period, then
        ``before``, then ``after``, in the segment order of :func:`migration_matrix`. The rows of one
        period are that period's migration matrix in long form. With fewer than two complete periods the
        frame has these columns and no rows.

    Raises
    ------
    InvalidParameterError
        If ``segmenter`` is not callable, or ``freq``, ``observation_end`` or ``returns`` is not
        accepted.
    ColumnNotFoundError, ColumnTypeError, InvalidValueError
        If the table cannot be read (see :func:`~retention.frames.schema.read_transactions`), or the
        segmenter returns something other than a Series of labels with one row per customer.

    See Also
    --------
    retention.migration_matrix : The moves between two snapshots, as a table.

    Notes
    -----
    The periods run from the one of the first purchase to the last complete one: the period that
    contains the observation end is complete only when the observation end is its last day. The
    segmenter runs once at the end of each of these periods, and each period from the second on gives
    the moves from the end of the period before to its own end. The segmenter runs on the data up to the
    end of the period only, so a result never depends on later purchases.

    **Orders and returns.** The periods come from purchases only: a return (an order of negative
    amount) never starts the first period, and the default observation end is the last *purchase* day,
    so neither a customer with returns only nor a return after the last purchase adds a period. The
    segmenter, though, receives raw rows, sliced by their own date: every order line (one order may
    have several rows) and, with ``returns="net"``, the return rows too, including those of people who
    never bought; with ``returns="drop"`` the rows of negative amount are left out. Rows after the
    observation end never reach it. So a segmenter that counts orders or revenue must read the rows
    with the same rules, for instance by passing the options on:
    ``lambda t, as_of: rt.working_segments(rt.customer_features(t, observation_end=as_of,
    order_id="invoice"))``; one that counts rows counts order lines and returns.

    A customer whose first purchase falls in a period is in the ``"(new)"`` row of that period (unless
    the segmenter leaves them out); ``"(gone)"`` counts customers the segmenter leaves out after having
    listed them before, which the working segments never do (an inactive customer stays inactive).

    Examples
    --------
    A segmenter that needs no other function: "repeat" for customers with two or more purchases so
    far, "one-time" for the others.

    >>> import retention as rt
    >>> tx = pd.DataFrame({
    ...     "customer_id": ["a", "a", "b", "c", "b", "c", "d"],
    ...     "date": pd.to_datetime(["2024-01-05", "2024-01-20", "2024-01-31", "2024-02-03",
    ...                             "2024-02-14", "2024-03-01", "2024-03-09"]),
    ... })
    >>> def repeat_or_not(t, as_of):
    ...     orders = t.groupby("customer_id").size()
    ...     return orders.map(lambda n: "repeat" if n > 1 else "one-time")
    >>> history = rt.segment_history(tx, segmenter=repeat_or_not, observation_end="2024-03-31")
    >>> history[history["customers"] > 0]  # b became a repeat customer in February, c in March
         period    before     after  customers
    1   2024-02  one-time    repeat          1
    4   2024-02    repeat    repeat          1
    6   2024-02     (new)  one-time          1
    10  2024-03  one-time    repeat          1
    13  2024-03    repeat    repeat          2
    15  2024-03     (new)  one-time          1

    The rows of one period, pivoted, are its migration matrix:

    >>> march = history[history["period"] == pd.Period("2024-03", "M")]
    >>> march.pivot(index="before", columns="after", values="customers")
    after     one-time  repeat  (gone)
    before
    one-time         0       1       0
    repeat           0       2       0
    (new)            1       0       0
    """
    func = "segment_history"
    freq = _SEGMENT_HISTORY.check("freq", freq)
    given: object = segmenter  # checked although typed: callers need not run a type checker
    if not callable(given):
        msg = (
            f"The 'segmenter' parameter of {func} must be a function (tx_so_far, as_of) -> Series of "
            f"labels; got {type(segmenter).__name__}. Pass e.g. "
            "lambda t, as_of: rt.working_segments(rt.customer_features(t, observation_end=as_of))."
        )
        raise InvalidParameterError(msg)
    # Checks the whole table and settles purchases, returns and the observation end by the shared rules.
    t = read_with_options(tx, locals(), func=func)
    codes = np.empty(0, dtype=np.int64)
    if t.end_day is not None and t.n_rows:
        first = int(day_period_codes(np.array([t.days.min()]), freq)[0])
        codes = np.arange(first, last_complete_period(t.end_day, freq) + 1, dtype=np.int64)
    if len(codes) < 2:
        return _history_frame([], codes, [], freq)

    # The segmenter gets raw rows, sliced by each row's own day: the table is sorted by day once, and
    # the rows up to each period end are then a prefix found by searchsorted.
    days, _ = read_days(tx[date], date, func)
    rows = np.arange(len(tx), dtype=np.int64)
    if returns == "drop" and amount is not None and amount in tx.columns:
        # The amount column read_transactions used (it has checked it): leave the return rows out.
        rows = np.flatnonzero(tx[amount].to_numpy(dtype=np.float64) >= 0)
        days = days[rows]
    by_day = np.argsort(days, kind="stable")
    ends = period_start_days(codes + 1, freq) - 1
    stops = np.searchsorted(days[by_day], ends, side="right")
    ordered = tx.take(rows[by_day])
    labels = period_index(codes, freq)
    snapshots = []
    # A loop over periods (tens), each calling the user's segmenter once; never over customers or rows.
    for period, end, stop in zip(labels, ends, stops, strict=True):
        as_of = pd.Timestamp(np.datetime64(int(end), "D"))
        result = segmenter(ordered.iloc[: int(stop)], as_of)
        snapshots.append(check_segments(result, f"The segmenter's result for {period} in {func}"))

    order = segment_order(snapshots, func)
    index = pd.Index(order)
    label_codes = [_label_codes(s, index) for s in snapshots]
    counts = [
        _pair_counts(snapshots[k - 1], label_codes[k - 1], snapshots[k], label_codes[k], len(order))
        for k in range(1, len(snapshots))
    ]
    return _history_frame(order, codes[1:], counts, freq)


def _history_frame(
    order: list[Any], codes: NDArray[np.int64], counts: list[NDArray[np.int64]], freq: str
) -> pd.DataFrame:
    """Lay the per-period migration tables out long: one row per period and cell."""
    size = len(order) + 1
    n_periods = len(counts)
    cells = size * size
    rows = np.tile(np.repeat(np.arange(size), size), n_periods)
    columns = np.tile(np.arange(size), size * n_periods)
    values = np.concatenate([c.ravel() for c in counts]) if counts else np.empty(0, dtype=np.int64)
    return pd.DataFrame(
        {
            "period": period_index(np.repeat(codes[:n_periods], cells), freq),
            "before": pd.Categorical.from_codes(rows, dtype=pd.CategoricalDtype([*order, NEW])),
            "after": pd.Categorical.from_codes(columns, dtype=pd.CategoricalDtype([*order, GONE])),
            "customers": values.astype(np.int64, copy=False),
        },
        columns=list(_HISTORY_COLUMNS),
    )
