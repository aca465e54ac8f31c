"""Segment migration: who moved from which segment to which, between two dates or period by period.

A thin adapter over :mod:`retention.core.migration`. A *snapshot* is a pandas Series of segment labels
indexed by customer id, as made by ``rt.working_segments``, ``rt.rule_segments`` or ``rt.rfm_segments``.
:func:`~retention.frames.summary_schema.check_segments` is the one checker of such Series (used by the
contact plans too); the labels of
all snapshots are coded jointly so that a segment keeps its row and column everywhere. The guide is
``docs/migration-and-contacts.md``.

:func:`segment_history` is a tally (:func:`history_tally`: the moves by pair of segments and the
segments seen, per period), added over sets of customers (:class:`HistoryTally`) and finished
(:func:`history_of_tally`); a pandas table is one set, and a Dask or PySpark table is tallied partition
by partition on its workers (:mod:`retention.frames.distributed`).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Final, TypeAlias

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from retention.core.migration import migration_counts, shares_of_rows, shares_of_total
from retention.errors import ColumnTypeError, InvalidParameterError, InvalidValueError
from retention.frames.options import Flag, Frequency, Given, declare
from retention.frames.reading import read_with_options
from retention.frames.schema import (
    DateLike,
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
    per_customer=Flag(),
)

NEW: Final = "(new)"
"""Row label of the customers who are in the later snapshot only."""

GONE: Final = "(gone)"
"""Column label of the customers who are in the earlier snapshot only."""

_HISTORY_COLUMNS: Final = ("period", "before", "after", "customers")

Segmenter: TypeAlias = Callable[[pd.DataFrame, pd.Timestamp], pd.Series]
"""A function ``segmenter(tx_so_far, as_of)`` that returns segment labels indexed by customer id."""

Moves: TypeAlias = dict[tuple[Any, Any], int]
"""Customers by (segment before or ``NEW``, segment after or ``GONE``); pairs of no customer left out."""


@dataclass(frozen=True)
class SegmentLabels:
    """What the segment order needs of one snapshot: its categories, or its distinct labels.

    Attributes
    ----------
    labels : pandas.Index
        The categories in their order (unused ones too) for a categorical snapshot, else its distinct
        labels in no particular order.
    categorical : bool
        Whether the snapshot is categorical.
    """

    labels: pd.Index
    categorical: bool

    @classmethod
    def of(cls, s: pd.Series) -> SegmentLabels:
        """Return what the segment order needs of the snapshot ``s``."""
        if isinstance(s.dtype, pd.CategoricalDtype):
            return cls(s.cat.categories, True)
        return cls(pd.Index(s.to_numpy()).unique(), False)


def segment_order(snapshots: Sequence[pd.Series], func: str) -> list[Any]:
    """Return the segments of all snapshots in table order (see :func:`order_of_segments`)."""
    return order_of_segments([SegmentLabels.of(s) for s in snapshots], func)


def order_of_segments(seen: Sequence[SegmentLabels], func: str) -> list[Any]:
    """Return the segments of all snapshots in table order, from what each snapshot holds.

    Categories of categorical snapshots come first, in their own order (the first snapshot's, then
    categories that only later ones have); labels of other snapshots follow, sorted, so that the order
    never depends on the order of the rows. Unused categories are kept: a segment keeps its row even in
    a month when nobody is in it.
    """
    order: dict[Any, None] = {}
    plain: list[pd.Index] = []
    for s in seen:
        if s.categorical:
            order.update(dict.fromkeys(s.labels))
        else:
            plain.append(s.labels)
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
    segmenter: Segmenter,
    freq: str = "M",
    per_customer: bool = False,
    customer_id: Hashable = "customer_id",
    date: Hashable = "date",
    amount: Hashable | None = "amount",
    order_id: Hashable | None = None,
    observation_end: DateLike | None = None,
    returns: str = "net",
) -> pd.DataFrame:
    """Segment the customers at the end of every complete period and count the moves between periods.

    Parameters
    ----------
    <transaction table>
    segmenter : callable
        ``segmenter(tx_so_far, as_of)`` returns a Series of segment labels indexed by customer id (one
        row per customer). ``as_of`` is the last day of the period, the observation end of that
        snapshot, given as a Timestamp at midnight; ``tx_so_far`` holds the *rows* of ``tx`` dated up
        to and including that day (all columns, sorted by date): see Notes for what they include. For
        the working segments:
        ``lambda t, as_of: rt.working_segments(rt.customer_features(t, observation_end=as_of))``.
    freq : {"M", "D", "W", "Q", "Y"}, default "M"
        The period length (pandas aliases such as ``"ME"`` are accepted). Weeks run Monday to Sunday.
    per_customer : bool, default False
        Whether the segmenter labels each customer from that customer's rows alone, as the working
        segments do (RFM quantile scores, which rank customers against each other, do not). Needed only
        for a Dask or PySpark table, whose customers are segmented partition by partition on the workers:
        there False raises an error, and True promises that this gives the labels the whole table would
        (see Notes). Ignored for pandas, polars, pyarrow and DuckDB tables, which are segmented whole.
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
        If ``segmenter`` is not callable, or ``freq``, ``per_customer``, ``observation_end`` or
        ``returns`` is not accepted; or if ``per_customer`` is False for a Dask or PySpark table.
    <reading errors>
        Also if the segmenter returns something other than a Series of labels with one row per
        customer; on a cluster, also if its results for one period are categorical with different
        categories on different partitions, or categorical on some and not on others.

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

    **On a cluster** (a Dask or PySpark table, with ``per_customer=True``). The rows are moved so that
    every customer's rows are in one partition, with all the columns of the table (the segmenter may
    read any). On the workers, each partition's rows dated up to the end of each period are given to the
    segmenter, which labels that partition's customers; a partition without rows up to a period end is
    not segmented then. Only the counts of the moves by (before, after) pair and the segments seen come
    back, and are added. The periods are those of the whole table. The result equals that of the same
    table in pandas when each customer's label depends on that customer's rows only (not on other
    customers, nor on the order of rows within a day, which may differ on a cluster) and each call labels
    only the customers of the rows it is given. Categorical results must have the same categories in
    every call for one period (as ``rt.working_segments`` does: its categories are fixed).

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
    _SEGMENT_HISTORY.check("per_customer", per_customer)  # read for a cluster's table only
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
    first = int(t.days.min()) if t.n_rows else None
    periods = HistoryPeriods.of(first, t.end_day, freq)
    if len(periods.codes) < 2:
        return _history_frame([], periods.codes, [], freq)
    # A pandas table is one partition: the cluster's path, with one tally.
    tally = history_tally(
        tx, periods, segmenter=segmenter, date=date, amount=amount, returns=returns
    )
    return history_of_tally(tally)


@dataclass(frozen=True)
class HistoryPeriods:
    """The periods at whose ends segment_history segments the customers.

    Attributes
    ----------
    codes : numpy.ndarray of int64
        The period codes, from the period of the whole table's first purchase to the last complete one.
    freq : str
        The period length, checked (one of ``"D"``, ``"W"``, ``"M"``, ``"Q"``, ``"Y"``).
    """

    codes: NDArray[np.int64]
    freq: str

    @classmethod
    def of(cls, first_day: int | None, end_day: int | None, freq: str) -> HistoryPeriods:
        """Return the periods of a table whose first purchase and observation end are those days.

        Days count from 1970-01-01; without a purchase (``first_day`` None) there are none. ``freq`` is
        checked here.
        """
        freq = _SEGMENT_HISTORY.check("freq", freq)
        codes = np.empty(0, dtype=np.int64)
        if first_day is not None and end_day is not None:
            first = int(day_period_codes(np.array([first_day], dtype=np.int64), freq)[0])
            codes = np.arange(first, last_complete_period(end_day, freq) + 1, dtype=np.int64)
        return cls(codes, freq)


@dataclass(frozen=True)
class HistoryTally:
    """What segment_history needs of a set of customers: the tally that partitions add up.

    Attributes
    ----------
    periods : HistoryPeriods
        The periods of the whole table.
    segments : tuple of SegmentLabels or None
        Per period, what the segment order needs of the snapshot at its end; None where the segmenter
        was not called (no rows up to that day).
    moves : tuple of dict
        Per period from the second, the customers by (segment before or ``NEW``, segment after or
        ``GONE``), pairs of no customer left out.
    """

    periods: HistoryPeriods
    segments: tuple[SegmentLabels | None, ...]
    moves: tuple[Moves, ...]

    def __add__(self, other: HistoryTally) -> HistoryTally:
        """Add the tally of other customers of the same table: counts add, the segments seen join."""
        labels = period_index(self.periods.codes, self.periods.freq)
        segments = tuple(
            _join_segments(a, b, period)
            for a, b, period in zip(self.segments, other.segments, labels, strict=True)
        )
        moves = []
        for a, b in zip(self.moves, other.moves, strict=True):
            total = dict(a)
            for pair, n in b.items():  # a loop over pairs of segments, never over customers
                total[pair] = total.get(pair, 0) + n
            moves.append(total)
        return HistoryTally(self.periods, segments, tuple(moves))


def _join_segments(
    a: SegmentLabels | None, b: SegmentLabels | None, period: pd.Period
) -> SegmentLabels | None:
    """Join what two partitions' snapshots of one period hold: the same categories, or labels."""
    if a is None or b is None:
        return b if a is None else a
    func = "segment_history"
    if a.categorical and b.categorical:
        if not a.labels.equals(b.labels):
            msg = (
                f"The segmenter's results for {period} in {func} have different categories on "
                f"different partitions of the table ({list(a.labels)} and {list(b.labels)}). With "
                "per_customer=True the segmenter labels each partition's customers, and every call "
                "must return the same categories, as rt.working_segments does: give them explicitly, "
                "e.g. labels.astype(pd.CategoricalDtype([...])), or compute the table into pandas first."
            )
            raise InvalidValueError(msg)
        return a
    if a.categorical or b.categorical:
        msg = (
            f"The segmenter's results for {period} in {func} are categorical on some partitions of "
            "the table and not on others. Return the same type for every set of customers, e.g. "
            "always labels.astype(pd.CategoricalDtype([...])), or never categorical labels."
        )
        raise ColumnTypeError(msg)
    return SegmentLabels(a.labels.append(b.labels).unique(), False)


def history_tally(
    tx: pd.DataFrame,
    periods: HistoryPeriods,
    *,
    segmenter: Segmenter,
    date: Hashable = "date",
    amount: Hashable | None = "amount",
    returns: str = "net",
) -> HistoryTally:
    """Segment the customers of a checked table (or of a partition) at the end of every period.

    Parameters
    ----------
    tx : pandas.DataFrame
        The table, already checked by the reader with the same options; all its columns, every row of
        each of its customers. Not modified.
    periods : HistoryPeriods
        The periods of the whole table, which may start before this table's first purchase.
    segmenter : callable
        As for :func:`segment_history`. Called at the end of each period up to whose end the table has
        rows, with those rows (sorted by day).
    date, amount, returns
        The options the table was read with.

    Returns
    -------
    HistoryTally
        The segments seen and the moves between consecutive period ends.
    """
    func = "segment_history"
    # The segmenter gets raw rows, sliced by each row's own day: the table is sorted by day once, and
    # the rows up to each period end are then a prefix found by searchsorted.
    days, _ = read_days(tx[date], date, func)
    rows = np.arange(len(tx), dtype=np.int64)
    if returns == "drop" and amount is not None and amount in tx.columns:
        # The amount column the reader used (it has checked it): leave the return rows out.
        rows = np.flatnonzero(tx[amount].to_numpy(dtype=np.float64) >= 0)
        days = days[rows]
    by_day = np.argsort(days, kind="stable")
    ends = period_start_days(periods.codes + 1, periods.freq) - 1
    stops = np.searchsorted(days[by_day], ends, side="right")
    ordered = tx.take(rows[by_day])
    snapshots: list[pd.Series | None] = []
    # A loop over periods (tens), each calling the user's segmenter once; never over customers or rows.
    for period, end, stop in zip(
        period_index(periods.codes, periods.freq), ends, stops, strict=True
    ):
        if stop == 0:  # nobody to segment yet (this table's customers come later)
            snapshots.append(None)
            continue
        as_of = pd.Timestamp(np.datetime64(int(end), "D"))
        result = segmenter(ordered.iloc[: int(stop)], as_of)
        snapshots.append(check_segments(result, f"The segmenter's result for {period} in {func}"))
    segments = tuple(None if s is None else SegmentLabels.of(s) for s in snapshots)
    moves = tuple(
        _moves(snapshots[k - 1], segments[k - 1], snapshots[k], segments[k])
        for k in range(1, len(snapshots))
    )
    return HistoryTally(periods, segments, moves)


def _moves(
    before: pd.Series | None,
    before_labels: SegmentLabels | None,
    after: pd.Series | None,
    after_labels: SegmentLabels | None,
) -> Moves:
    """Count the customers of two snapshots (None: nobody) by pair of segments."""
    seen = [s.labels for s in (before_labels, after_labels) if s is not None]
    if not seen:
        return {}
    labels = seen[0].append(seen[1:]).unique()
    nobody = pd.Series([], dtype=object)
    before = nobody if before is None else before
    after = nobody if after is None else after
    counts = _pair_counts(
        before, _label_codes(before, labels), after, _label_codes(after, labels), len(labels)
    )
    rows, columns = np.nonzero(counts)
    row_labels, column_labels = [*labels, NEW], [*labels, GONE]
    # A loop over the pairs of segments that have customers.
    return {
        (row_labels[i], column_labels[j]): int(counts[i, j])
        for i, j in zip(rows.tolist(), columns.tolist(), strict=True)
    }


def history_of_tally(tally: HistoryTally) -> pd.DataFrame:
    """Finish segment_history: the segment order of all the snapshots, and the long table of moves."""
    order = order_of_segments([s for s in tally.segments if s is not None], "segment_history")
    size = len(order)
    position = {label: k for k, label in enumerate(order)}  # a loop over segments
    row_of, column_of = {**position, NEW: size}, {**position, GONE: size}
    counts = []
    for moves in tally.moves:
        cells = np.zeros((size + 1, size + 1), dtype=np.int64)
        for (before, after), n in moves.items():  # a loop over pairs of segments
            cells[row_of[before], column_of[after]] += n
        counts.append(cells)
    return _history_frame(order, tally.periods.codes[1:], counts, tally.periods.freq)


def check_per_customer(per_customer: object) -> None:
    """Refuse, on a cluster's table, a segmenter not said to label each customer from their own rows.

    Raises
    ------
    InvalidParameterError
        If ``per_customer`` is not True or False, or is False.
    """
    if _SEGMENT_HISTORY.check("per_customer", per_customer):
        return
    msg = (
        "segment_history on a Dask or PySpark table segments the customers partition by partition, on "
        "the workers, which gives the labels of the whole table only if the segmenter labels each "
        "customer from that customer's rows alone (as the working segments do; RFM quantile scores, "
        "which rank customers against each other, do not); the 'per_customer' parameter says so and is "
        "False. Pass per_customer=True if the segmenter is per customer; else compute the columns into "
        "pandas first, e.g. tx.compute() for Dask or tx.toPandas() for PySpark, if they fit in memory."
    )
    raise InvalidParameterError(msg)


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
