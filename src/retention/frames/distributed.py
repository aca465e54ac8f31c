"""Transaction tables on a cluster: Dask and PySpark DataFrames, reduced where the data is.

Why one module of about 1,700 lines: it holds one concept, the reduce step of DESIGN.md, whose parts
(the plans of the functions that run on a cluster, the workers' job, the two engines' passes and the
driver's finishing) change together; each plan is a few lines that call the finishing code of the
function's own module.

A function that reads transactions and is given a Dask or PySpark DataFrame never brings the raw log to this
process (the *driver*). The work is split as DESIGN.md ("Customer-decomposable metrics") describes:

1. The options are checked here, by running the function on an empty pandas table with the columns and types
   of the cluster's table (so every option error is the one the pandas table would raise).
2. Where the function needs the observation end and none is given, the day of the last purchase is found
   first: by one ``min``/``max`` aggregate in the engine when the dates are held as dates or times and
   each row is an order, else by a pre-pass in which each partition reads its rows as the pandas path does
   and returns two numbers (its first and last purchase days). A calibration end that splits the table in two is checked here against the whole table's
   first purchase day, found with the last one (:attr:`Plan.split`), and not again on the partitions.
3. The engine partitions the rows by customer (Dask ``shuffle(on=customer)``, Spark ``groupBy`` of a hash
   bucket of the customer id), so that every customer's rows are in one partition. On the workers, each
   partition is read with :func:`~retention.frames.schema.read_transactions` (the observation end fixed to
   the global one) and reduced by the function's *tally*: counts per period, per cohort, per day of
   lifetime, or one row per customer for the per-customer functions. (``segment_history`` gets every
   column, and hands the partition's raw rows to its segmenter.)
4. Only the tallies come back. They are added (*combine*) and *finished* here (rates, shares, labels) by the
   same code that finishes a pandas table, so the results are those of the same table in pandas, to the
   last bit. The rows of a per-customer function wait on the cluster while their ids come back and are
   put in order; then each partition's rows come back in turn and are written into their places in the
   result (:func:`_placed`), so that the driver holds about one row per customer.

Errors and warnings raised on the workers come back with the tallies: an error is raised here, as it
would be for a pandas table; warnings are repeated once each. Dask and PySpark are imported only when such a
table arrives; neither is a dependency of the library.
"""

from __future__ import annotations

import functools
import importlib
import os
import pickle
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any, Final, TypeAlias

import numpy as np
import pandas as pd

from retention.core.caller import warn_at_caller
from retention.core.cohorts import (
    CohortSums,
    KaplanMeier,
    cohort_counts_sum,
    cohort_sums_sum,
    cohort_table_of_sums,
    kaplan_meier_of_counts,
    lifetimes,
)
from retention.core.rates import PeriodCounts, gap_summary, ratio, second_purchase_days
from retention.core.sums import Partials, add_partials, partial_sums, sums_of_partials
from retention.core.tally import Histogram
from retention.errors import ColumnTypeError, MissingDependencyError, RetentionError
from retention.frames.breakdown import by_group, by_group_rows, is_missing_label
from retention.frames.campaign import (
    CampaignEffect,
    CampaignPart,
    campaign_effect_from_part,
    campaign_part_of,
)
from retention.frames.classify import (
    _renamed,
    abc_xyz_of_values,
    abc_xyz_options,
    abc_xyz_values_of,
)
from retention.frames.cohorts import (
    cohort_counts_of,
    cohort_revenue_sums_of,
    cohort_table_from_counts,
    kaplan_meier_frame,
    retention_curve_from_counts,
)
from retention.frames.compare import _Lifetimes, _lifetimes, compare_lifetimes, compare_options
from retention.frames.complaints import as_complaint_outcomes, complaint_table
from retention.frames.engines import engine_of
from retention.frames.forecast import (
    Backtest,
    HoldoutTally,
    backtest_of,
    backtest_options,
    holdout_periods,
    holdout_tally,
)
from retention.frames.kpis import kpis_from_parts
from retention.frames.migration import (
    HistoryPeriods,
    HistoryTally,
    check_per_customer,
    history_of_tally,
    history_tally,
)
from retention.frames.rates import (
    period_counts_of,
    period_retention_from_counts,
    second_purchase_series,
)
from retention.frames.reading import shared_options
from retention.frames.rfm import rfm_measures_of, rfm_scores_of_measures
from retention.frames.schema import (
    Cutoff,
    Transactions,
    check_cutoff,
    parse_duration,
    read_date,
    read_transactions,
)
from retention.frames.scorecard import (
    Scorecard,
    ScorecardCounts,
    scorecard_counts_of,
    scorecard_counts_sum,
    scorecard_from_counts,
)
from retention.frames.value import _TRACKING, tracking_days, tracking_of

__all__ = ["DISTRIBUTED", "PLANS", "Plan", "rows_and_dates", "run"]

# The engines that hold data on a cluster, with the extra that installs what they need.
DISTRIBUTED: Final = {"dask": "dask", "pyspark": "spark"}

_BUCKET: Final = "__retention_bucket"
# The most bytes of per-customer rows Spark handles as one value (a row of its own): below the size at
# which the JVM's G1 collector needs contiguous regions for an array (half a region: 512 KiB at the
# smallest heap Spark runs on).
_PIECE_BYTES: Final = 1 << 18
# The most bytes of pieces the driver asks Spark for in one job: a job's result is one task result, held
# whole by the driver's JVM (1 GiB by default). A larger partition is fetched in several jobs.
_FETCH_BYTES: Final = 1 << 24

# A plan's split: (options, first purchase day, observation end) -> the options the partitions read.
_Split: TypeAlias = Callable[[Mapping[str, Any], int | None, int | None], dict[str, Any] | None]


@dataclass(frozen=True)
class Plan:
    """How a public function runs on a cluster: tally on the workers, combine and finish here.

    Attributes
    ----------
    tally : callable
        ``tally(t, options)`` reduces one partition's table (one group's part of it, with ``by``) to a
        small picklable value.
    combine : callable
        ``combine(a, b)`` adds two tallies.
    finish : callable
        ``finish(tally, options)`` turns the combined tally into the function's result for one table (one
        group), as the pandas path computes it.
    table_finish : callable
        Instead of ``finish``, for a function whose finishing runs other public functions on the table:
        ``table_finish(tx, tally, options)`` gets the cluster's table ``tx`` too (on which they run where
        the data is in turn, sending back only their own results).
    amount_required : bool or callable
        Whether the amount column must exist (a function of the options where that depends on them).
    per_customer : bool
        Run the public function itself on each partition and put its rows together in customer order.
    needs_end : bool
        Fix the observation end to the whole table's before the partitions are read.
    passthrough : bool
        Run the function here on the cluster's table: every function it calls runs on the cluster.
    warn_line_items : bool
        Read as the function does, warning for a table that looks like order lines.
    compares : bool
        ``by`` names the groups compared, not a breakdown: one tally per partition, groups inside.
    refuse : callable
        ``refuse(options)`` names an option that does not run on a cluster yet, or None; or raises the
        error of an option whose value the cluster needs otherwise.
    checked_later : tuple of str
        Options checked against the data (a date within it): left out of the check on an empty table,
        checked by ``finish`` or ``split`` against the whole table.
    split : callable
        With a ``calibration_end`` (a date that splits the table in two): ``split(options, first_day,
        end_day)`` checks it against the whole table's first purchase day and observation end (found
        first, as the observation end is; None without purchases) and returns the options the partitions
        are read with (what the cut decides: the cut itself as a :class:`~retention.frames.schema.Cutoff`,
        which no partition checks again, or the holdout periods); or None for the result of a table
        without purchases.
    needs_span : bool
        Call ``split`` with or without a calibration end: the partitions need what the whole table's
        span decides (the periods of ``segment_history``).
    raw_tally : callable
        Instead of ``tally``, for a function that hands rows to user code: ``raw_tally(part, options)``
        reduces the partition's raw rows, a pandas DataFrame with every column of the table (all are
        shipped to the workers), to a small picklable value; it checks them itself.
    rows : callable
        For a function that needs one row per customer before a global step (ranks, quantiles):
        ``rows(t, options)`` gives the partition's rows (one per customer), which are put in customer
        order as they arrive, as a per-customer function's are, and finished by ``rows_finish(rows,
        options)``. With ``by``, each group's rows (indexed by the group's labels and the customer) are
        placed the same way and each group is finished on its own (:func:`_finish_groups`).
    rows_finish : callable
        See ``rows``.
    with_rows : callable
        Besides the tally, for a function whose finishing needs one row per customer too (``backtest``:
        its calibration summary; ``compare_retention``: each customer's lifetime): ``with_rows(part,
        tally, options)`` returns the tally to send back and the partition's rows, made from its raw rows
        or taken out of its tally, in the same pass. The rows are put in order as they arrive (by their
        index: customer ids, or group and customer) and finished with the combined tally,
        ``finish((tally, rows), options)`` (or ``table_finish``; ``rows`` None without any).
    """

    tally: Callable[[Transactions, Mapping[str, Any]], Any] | None = None
    combine: Callable[[Any, Any], Any] | None = None
    finish: Callable[[Any, Mapping[str, Any]], Any] | None = None
    table_finish: Callable[[Any, Any, Mapping[str, Any]], Any] | None = None
    amount_required: bool | Callable[[Mapping[str, Any]], bool] = False
    per_customer: bool = False
    needs_end: bool = True
    passthrough: bool = False
    warn_line_items: bool = False
    compares: bool = False
    checked_later: tuple[str, ...] = ()
    split: _Split | None = None
    refuse: Callable[[Mapping[str, Any]], str | None] | None = None
    needs_span: bool = False
    raw_tally: Callable[[pd.DataFrame, Mapping[str, Any]], Any] | None = None
    rows: Callable[[Transactions, Mapping[str, Any]], pd.DataFrame] | None = None
    rows_finish: Callable[[Any, Mapping[str, Any]], Any] | None = None
    with_rows: Callable[[pd.DataFrame, Any, Mapping[str, Any]], tuple[Any, pd.DataFrame]] | None = (
        None
    )


# ---------------------------------------------------------------------------------------------------- tallies
NDArrays = tuple[np.ndarray[Any, Any], ...]


def _add_ranges(a: tuple[int, NDArrays], b: tuple[int, NDArrays]) -> tuple[int, NDArrays]:
    """Add two sets of count arrays that start at period ``a[0]`` and ``b[0]`` (ending anywhere)."""
    first = min(a[0], b[0])
    length = max(a[0] + _length(a[1]), b[0] + _length(b[1])) - first
    out = []
    for x, y in zip(a[1], b[1], strict=True):
        total = np.zeros(length, dtype=x.dtype)
        total[a[0] - first : a[0] - first + len(x)] += x
        total[b[0] - first : b[0] - first + len(y)] += y
        out.append(total)
    return first, tuple(out)


def _length(arrays: NDArrays) -> int:
    return len(arrays[0]) if arrays else 0


def _period_tally(t: Transactions, options: Mapping[str, Any]) -> tuple[int, NDArrays] | None:
    """Count one partition's customers per period, from its first active period to the last complete one."""
    first, counts = period_counts_of(t, options["freq"])
    if not len(counts.new):
        return None
    return first, tuple(getattr(counts, f.name) for f in fields(counts))


def _period_finish(tally: tuple[int, NDArrays] | None, options: Mapping[str, Any]) -> pd.DataFrame:
    if tally is None:
        first, counts = (
            0,
            PeriodCounts(*(np.zeros(0, dtype=np.int64) for _ in fields(PeriodCounts))),
        )
    else:
        first, counts = tally[0], PeriodCounts(*tally[1])
    return period_retention_from_counts(counts, first, options["freq"])


def _repeat_tally(t: Transactions, options: Mapping[str, Any]) -> tuple[int, int]:
    return int(np.count_nonzero(t.repeat_buyers())), t.n_customers


def _repeat_finish(tally: tuple[int, int], options: Mapping[str, Any]) -> float:
    repeaters, customers = tally
    return ratio(repeaters, customers)


def _frequency_tally(t: Transactions, options: Mapping[str, Any]) -> tuple[int, int]:
    return t.n_rows, t.n_customers


def _frequency_finish(tally: tuple[int, int], options: Mapping[str, Any]) -> float:
    return ratio(tally[0], tally[1])


def _add_pairs(a: tuple[Any, Any], b: tuple[Any, Any]) -> tuple[Any, Any]:
    """Add two tallies of two parts each (numbers, histograms) part by part."""
    return a[0] + b[0], a[1] + b[1]


def _gap_tally(t: Transactions, options: Mapping[str, Any]) -> tuple[int, Histogram]:
    """Count the customers, and the returning ones by days from first to second purchase day."""
    act = t.activity("D")
    return act.n_customers, Histogram.of(second_purchase_days(act))


def _gap_finish(tally: tuple[int, Histogram], options: Mapping[str, Any]) -> pd.Series:
    customers, gaps = tally
    return second_purchase_series(gap_summary(customers, gaps.values()))


def _survival_tally(t: Transactions, options: Mapping[str, Any]) -> tuple[int, NDArrays]:
    """Count the lifetimes by days from day 0: all, and those ending in an observed churn."""
    inactive = parse_duration(options["inactive_after"], "inactive_after", "survival_curve")
    if t.end_day is None or t.n_rows == 0:
        return 0, (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
    duration, observed = lifetimes(t.activity("D"), t.end_day, inactive)
    total = np.bincount(duration).astype(np.int64)
    return 0, (total, np.bincount(duration[observed], minlength=len(total)).astype(np.int64))


def _survival_finish(tally: tuple[int, NDArrays], options: Mapping[str, Any]) -> pd.DataFrame:
    total, events = tally[1]
    km: KaplanMeier = kaplan_meier_of_counts(total, events)
    return kaplan_meier_frame(km, pd.Index(km.time, name="time"))


def _cohort_tally(t: Transactions, options: Mapping[str, Any]) -> Any:
    if options.get("metric") == "revenue":
        return cohort_revenue_sums_of(t, options["freq"])
    metric = options.get("metric", "customers")
    return cohort_counts_of(t, options["freq"], metric, options.get("kind", "classic"))


def _add_cohorts(a: Any, b: Any) -> Any:
    """Add cohort counts, or the exact partial sums of revenue cohorts."""
    return cohort_sums_sum(a, b) if isinstance(a, CohortSums) else cohort_counts_sum(a, b)


def _cohort_table_finish(counts: Any, options: Mapping[str, Any]) -> pd.DataFrame:
    if isinstance(counts, CohortSums):
        counts = cohort_table_of_sums(counts, rolling=options.get("kind") == "rolling")
    return cohort_table_from_counts(counts, options["freq"], bool(options.get("normalize", False)))


def _curve_finish(counts: Any, options: Mapping[str, Any]) -> pd.DataFrame:
    return retention_curve_from_counts(counts)


def _revenue_tally(t: Transactions) -> Partials | None:
    """Return the exact partial sums of the revenue net of returns (None without amounts)."""
    if not t.has_amounts or t.amount is None:
        return None
    return partial_sums([(None, t.amount), (None, t.return_amount)], 1)


def _revenue(partials: Partials | None) -> float | None:
    return None if partials is None else float(sums_of_partials(partials)[0])


def _aov_tally(t: Transactions, options: Mapping[str, Any]) -> tuple[Partials | None, int]:
    return _revenue_tally(t), t.n_rows


def _add_revenue(
    a: tuple[Partials | None, int], b: tuple[Partials | None, int]
) -> tuple[Partials | None, int]:
    return _add_optional(add_partials)(a[0], b[0]), a[1] + b[1]


def _aov_finish(tally: tuple[Partials | None, int], options: Mapping[str, Any]) -> float:
    revenue = _revenue(tally[0])
    return np.nan if revenue is None else ratio(revenue, tally[1])


@dataclass(frozen=True)
class _KpiTally:
    periods: Any
    cohorts: Any
    repeat: tuple[int, int]
    orders: int
    customers: int
    revenue: Partials | None
    end_day: int | None


def _kpis_tally(t: Transactions, options: Mapping[str, Any]) -> _KpiTally:
    return _KpiTally(
        _period_tally(t, options),
        _cohort_tally(t, {"freq": options["freq"]}),
        _repeat_tally(t, options),
        t.n_rows,
        t.n_customers,
        _revenue_tally(t),
        t.end_day,
    )


def _add_kpis(a: _KpiTally, b: _KpiTally) -> _KpiTally:
    return _KpiTally(
        _add_optional(_add_ranges)(a.periods, b.periods),
        _add_optional(cohort_counts_sum)(a.cohorts, b.cohorts),
        _add_pairs(a.repeat, b.repeat),
        a.orders + b.orders,
        a.customers + b.customers,
        _add_optional(add_partials)(a.revenue, b.revenue),
        a.end_day if a.end_day is not None else b.end_day,
    )


def _kpis_finish(tally: _KpiTally, options: Mapping[str, Any]) -> pd.Series:
    end = None if tally.end_day is None else pd.Timestamp(np.datetime64(tally.end_day, "D"))
    return kpis_from_parts(
        _period_finish(tally.periods, options),
        _curve_finish(tally.cohorts, options),
        _repeat_finish(tally.repeat, options),
        n_orders=tally.orders,
        n_customers=tally.customers,
        revenue=_revenue(tally.revenue),
        observation_end=end,
        freq=options["freq"],
    )


@dataclass
class _Columns:
    """Per-customer rows as one array per column, so that the driver can release each column on its own.

    pandas keeps the columns of one type in one two-dimensional block, which could only be freed whole:
    a partition's rows travel as separate arrays instead (numpy arrays, or pandas' own arrays for the
    other types), with what makes them a table again. A *head* (:meth:`head`) is the same rows without
    their values: the ids and the columns' types, which the driver orders before any values arrive.
    """

    index: pd.Index | None  # None once read by the driver
    arrays: list[Any]  # per column (empty in a head); None once put in the result
    columns: pd.Index | None  # the column labels; None for a Series
    name: Any  # the Series' name
    attrs: dict[Any, Any]
    n_rows: int
    dtypes: list[Any]  # per column

    @classmethod
    def of(cls, rows: pd.DataFrame | pd.Series) -> _Columns:
        """Split a table (or a Series) of per-customer rows into its columns' arrays."""
        if isinstance(rows, pd.Series):
            arrays = [_array(rows)]
            return cls(
                rows.index, arrays, None, rows.name, dict(rows.attrs), len(rows), [rows.dtype]
            )
        arrays = [_array(rows.iloc[:, k]) for k in range(rows.shape[1])]
        dtypes = [a.dtype for a in arrays]
        return cls(rows.index, arrays, rows.columns, None, dict(rows.attrs), len(rows), dtypes)

    def head(self) -> _Columns:
        """Return the same rows without their values (ids, labels and types only)."""
        return _Columns(
            self.index, [], self.columns, self.name, self.attrs, self.n_rows, self.dtypes
        )

    def __len__(self) -> int:
        return self.n_rows

    def pieces(self, size: int) -> list[_Columns]:
        """Split the rows into consecutive pieces of about ``size`` bytes of values each (one at least)."""
        assert self.index is not None
        total = self.index.nbytes + sum(a.nbytes for a in self.arrays)
        step = max(1, self.n_rows * size // max(total, 1))
        if step >= self.n_rows:
            return [self]
        pieces = []
        for lo in range(0, self.n_rows, step):
            hi = min(lo + step, self.n_rows)
            index = self.index[lo:hi]
            if isinstance(index, pd.MultiIndex):  # a slice keeps every level's values: only its own
                index = index.remove_unused_levels()
            arrays = [a[lo:hi] for a in self.arrays]
            pieces.append(replace(self, index=index, arrays=arrays, n_rows=hi - lo))
        return pieces


def _array(column: pd.Series) -> Any:
    """Return the column's values: numpy's for numpy types (its own buffer once pickled), else pandas'."""
    return column.to_numpy() if isinstance(column.dtype, np.dtype) else column.array


def _placed(heads: list[_Columns | None], parts: Iterable[tuple[int, _Columns]]) -> Any:
    """Put per-customer rows together in customer order, writing each partition's as it arrives.

    ``heads[k]`` is partition ``k``'s head (its ids and its columns' types; None or empty for a partition
    without rows); ``parts`` then yields each partition's rows, ``(k, rows)``, one at a time in any order.
    The ids are put in order first (:class:`_Order`, from the heads, which are released); a numpy column
    of one type in every partition is allocated whole and each partition's values written into their
    places, after which they are released. So the driver holds the ordered ids, the result's columns and
    one partition at a time: one row per customer (plus the place of each row, for ids that are not
    distinct numbers). Columns of other types, or of differing types, are kept until the last partition
    and put together as pandas does.
    """
    live = [k for k, h in enumerate(heads) if h is not None and h.n_rows]
    first = _head(heads, live[0])
    attrs = first.attrs if all(_head(heads, k).attrs == first.attrs for k in live) else {}
    in_place = [
        isinstance(d, np.dtype) and all(_head(heads, k).dtypes[j] == d for k in live)
        for j, d in enumerate(first.dtypes)
    ]
    order = _Order.of(heads, live)
    n = len(order.index)
    data = {j: np.empty(n, dtype=d) for j, d in enumerate(first.dtypes) if in_place[j]}
    others: dict[int, tuple[np.ndarray[Any, Any], list[Any]]] = {}  # per partition, the rest
    for k, part in parts:
        positions = order.positions(k, part) if part.n_rows else None
        part.index = None
        if positions is not None:
            for j, column in data.items():
                column[positions] = part.arrays[j]
                part.arrays[j] = None
            if not all(in_place):
                others[k] = (positions, [a for j, a in enumerate(part.arrays) if not in_place[j]])
        part.arrays = []
    if others:  # each of the other columns put together, then in the order of the rows' places
        at_rows = np.argsort(np.concatenate([others[k][0] for k in live]))
        rest = [j for j in range(len(in_place)) if not in_place[j]]
        for i, j in enumerate(rest):
            values = [pd.Series(others[k][1][i], copy=False) for k in live]
            data[j] = pd.concat(values, ignore_index=True).array.take(at_rows)
        others.clear()
    if first.columns is None:  # a per-customer Series (historical_value)
        series = pd.Series(data[0], index=order.index, name=first.name, copy=False)
        series.attrs = attrs
        return series
    result = pd.DataFrame({j: data[j] for j in range(len(in_place))}, index=order.index, copy=False)
    result.columns = first.columns
    result.attrs = attrs
    return result


@dataclass
class _Order:
    """The partitions' ids in order, and how to find the place of each partition's rows among them.

    Distinct numbers (one customer per row) are sorted by numpy, and a partition's rows found among them
    by their ids (pandas' sort of an index holds five times its size, and its checks of order and
    uniqueness a table of every id). Other ids (text, several levels with ``by``, a customer in several
    groups) are ordered by their argsort (``sort_values`` with an indexer holds six times ids of text),
    whose inverse gives each row of the heads its place.
    """

    index: pd.Index
    # Per row of the heads (in order), its row here; None for distinct numbers.
    place: np.ndarray[Any, np.dtype[np.int64]] | None
    starts: dict[int, int]  # per partition with rows, its first row among the heads'

    @classmethod
    def of(cls, heads: list[_Columns | None], live: list[int]) -> _Order:
        """Order the ids of the heads (``live``: the partitions with rows), and release them."""
        pieces: list[pd.Index] = []
        for k in live:
            ids_k = _head(heads, k).index
            assert ids_k is not None
            pieces.append(ids_k)
        starts = np.cumsum([0, *(len(p) for p in pieces)]).tolist()
        for h in heads:
            if h is not None:
                h.index = None  # the ids are held once, in order
        ids = _appended(pieces)
        pieces.clear()
        if isinstance(ids.dtype, np.dtype) and ids.dtype.kind in "iuf":
            values = np.sort(ids.to_numpy())
            if np.all(values[1:] != values[:-1]):
                index = pd.Index(values, dtype=ids.dtype, name=ids.name, copy=False)
                return cls(index, None, dict(zip(live, starts, strict=False)))
            del values
        order = ids.argsort()
        index = ids.take(order)
        place = np.empty(len(order), dtype=np.int64)
        place[order] = np.arange(len(order), dtype=np.int64)
        return cls(index, place, dict(zip(live, starts, strict=False)))

    def positions(self, k: int, part: _Columns) -> np.ndarray[Any, Any]:
        """Return the rows of the result that partition ``k``'s rows go to."""
        if self.place is not None:
            start = self.starts[k]
            return self.place[start : start + part.n_rows]
        assert part.index is not None
        return np.asarray(self.index.searchsorted(part.index))


def _appended(pieces: list[pd.Index]) -> pd.Index:
    """Put indexes together, one after the other.

    Indexes of several levels are made again from their values: ``MultiIndex.append`` holds about three
    times the index it makes.
    """
    if len(pieces) == 1:
        return pieces[0]
    if not isinstance(pieces[0], pd.MultiIndex):
        return pieces[0].append(pieces[1:])
    levels = range(pieces[0].nlevels)
    values = [
        pieces[0].get_level_values(j).append([p.get_level_values(j) for p in pieces[1:]])
        for j in levels
    ]
    return pd.MultiIndex.from_arrays(values, names=pieces[0].names)


def _head(heads: list[_Columns | None], k: int) -> _Columns:
    head = heads[k]
    assert head is not None
    return head


def _add_rows(a: list[pd.DataFrame], b: list[pd.DataFrame]) -> list[pd.DataFrame]:
    return a + b


def _rfm_measures(t: Transactions, options: Mapping[str, Any]) -> pd.DataFrame:
    return rfm_measures_of(t)


def _rfm_scores_finish(measures: pd.DataFrame, options: Mapping[str, Any]) -> pd.DataFrame:
    return rfm_scores_of_measures(measures, bins=options["bins"], cut_points=options["cut_points"])


def _abc_xyz_options(options: Mapping[str, Any]) -> Any:
    """Check the options of abc_xyz (its old spellings read quietly: the call warned once)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return abc_xyz_options(_renamed(options, "abc_xyz"))


def _abc_xyz_values(t: Transactions, options: Mapping[str, Any]) -> pd.DataFrame:
    return abc_xyz_values_of(t, _abc_xyz_options(options))


def _abc_xyz_finish(values: pd.DataFrame, options: Mapping[str, Any]) -> pd.DataFrame:
    return abc_xyz_of_values(
        values["value"].to_numpy(),
        values["cv"].to_numpy(),
        values["periods"].to_numpy(),
        values.index,
        _abc_xyz_options(options),
    )


@dataclass(frozen=True)
class _Lives:
    """One partition's customers: lifetimes and first purchases, group labels, the observation end.

    The rows (one per customer of each group) are indexed by group label and customer id, the order of
    the pandas path (group by group, each in id order); they travel apart from the rest
    (:attr:`Plan.with_rows`).
    """

    rows: pd.DataFrame | None
    labels: pd.Index
    end_day: int


def _lives_tally(t: Transactions, options: Mapping[str, Any]) -> list[_Lives]:
    assert t.groups is not None  # compare_retention reads with by
    checked = compare_options(options)
    labels = t.groups.labels
    life = _lifetimes(t.groups.codes, len(labels), t, checked.inactive)
    columns = {
        "duration": life.duration,
        "observed": life.observed,
        "first_day": life.first_day,
        "gap": life.gap,
    }
    index = pd.MultiIndex.from_arrays([labels.take(life.group), t.customer_ids])
    return [_Lives(pd.DataFrame(columns, index=index), labels, life.end_day)]


def _lives_rows(
    part: pd.DataFrame, parts: list[_Lives], options: Mapping[str, Any]
) -> tuple[list[_Lives], pd.DataFrame]:
    """Take the rows out of a partition's lifetimes: they come back apart, placed as they arrive."""
    (lives,) = parts
    assert lives.rows is not None
    return [replace(lives, rows=None)], lives.rows


def _compare_finish(
    parts_and_rows: tuple[list[_Lives], pd.DataFrame | None], options: Mapping[str, Any]
) -> Any:
    parts, rows = parts_and_rows
    assert rows is not None  # every partition with customers has their rows
    labels = parts[0].labels.append([p.labels for p in parts[1:]]).unique().sort_values()
    index = rows.index
    assert isinstance(index, pd.MultiIndex)
    group = labels.get_indexer(index.levels[0])[index.codes[0]].astype(np.int64)
    # Group by group already, unless pandas' index sorts the labels another way than sort_values.
    if len(group) and np.any(group[1:] < group[:-1]):
        rows = rows.iloc[np.argsort(group, kind="stable")]
        group = np.sort(group, kind="stable")
    sizes = np.bincount(group, minlength=len(labels)).astype(np.int64)
    bounds = np.concatenate(([0], np.cumsum(sizes))).astype(np.int64)
    life = _Lifetimes(
        rows["duration"].to_numpy(),
        rows["observed"].to_numpy(),
        rows["first_day"].to_numpy(),
        rows["gap"].to_numpy(),
        parts[0].end_day,
        group,
        sizes,
        [slice(int(bounds[g]), int(bounds[g + 1])) for g in range(len(labels))],
    )
    return compare_lifetimes(labels, life, compare_options(options))


_COMPARED: Final = ("horizons", "inactive_after", "control", "tau", "weightings", "alpha", "adjust")


def _complaint_lives(t: Transactions, options: Mapping[str, Any]) -> list[_Lives]:
    """Each customer's lifetime on the complaint clock: the partition's table of complaint_outcomes."""
    func = "complaint_outcomes"
    derived = complaint_table(
        t,
        options["complaints"],
        resolved=options.get("resolved", "resolved"),
        customer_id=options.get("customer_id", "customer_id"),
        date=options.get("date", "date"),
        func=func,
    )
    end = None if t.end_day is None else np.datetime64(t.end_day, "D")
    clock = read_transactions(
        derived, by="complaint", amount=None, observation_end=end, func="compare_retention"
    )
    return _lives_tally(clock, {k: options[k] for k in _COMPARED if k in options})


def _complaints_finish(
    parts_and_rows: tuple[list[_Lives], pd.DataFrame | None], options: Mapping[str, Any]
) -> Any:
    compared = {k: options[k] for k in _COMPARED if k in options}
    return as_complaint_outcomes(
        lambda: _compare_finish(parts_and_rows, compared), "complaint_outcomes"
    )


@dataclass(frozen=True)
class _TrackingTally:
    first_purchase: int | None  # the partition's first purchase day (for the check of the cut)
    end_day: int | None
    first_days: Histogram
    repeat_days: Histogram


def _tracking_tally(t: Transactions, options: Mapping[str, Any]) -> _TrackingTally:
    given = options.get("calibration_end")
    cut = read_date(given, "calibration_end", "tracking_table") if given is not None else None
    first, repeat = tracking_days(t, cut)
    start = int(t.days.min()) if t.n_rows else None
    return _TrackingTally(start, t.end_day, Histogram.of(first), Histogram.of(repeat))


def _add_tracking(a: _TrackingTally, b: _TrackingTally) -> _TrackingTally:
    starts = [s for s in (a.first_purchase, b.first_purchase) if s is not None]
    return _TrackingTally(
        min(starts) if starts else None,
        a.end_day if a.end_day is not None else b.end_day,
        a.first_days + b.first_days,
        a.repeat_days + b.repeat_days,
    )


def _tracking_finish(tally: _TrackingTally, options: Mapping[str, Any]) -> pd.DataFrame:
    func = "tracking_table"
    given = options.get("calibration_end")
    if given is not None:  # checked against the whole table's first purchase and end
        day = read_date(given, "calibration_end", func)
        check_cutoff(
            day, given, tally.first_purchase, tally.end_day, name="calibration_end", func=func
        )
    unit = _TRACKING.check("time_unit", options["time_unit"])
    freq = _TRACKING.check("freq", options.get("freq", "W"))
    if tally.end_day is None:
        return tracking_of(
            np.empty(0, np.int64), np.empty(0, np.int64), 0, options["model"], unit=unit, freq=freq
        )
    return tracking_of(
        tally.first_days.values(),
        tally.repeat_days.values(),
        tally.end_day,
        options["model"],
        unit=unit,
        freq=freq,
    )


def _summary_split(
    options: Mapping[str, Any], first_day: int | None, end_day: int | None
) -> dict[str, Any]:
    """Check rfm_summary's calibration end against the whole table, as ``read_cutoff`` checks a table."""
    func = "rfm_summary"
    given = options["calibration_end"]
    day = read_date(given, "calibration_end", func)
    check_cutoff(day, given, first_day, end_day, name="calibration_end", func=func)
    return {**options, "calibration_end": Cutoff(day)}


# The options' key of backtest's holdout periods (no parameter can have this name).
_HOLDOUT: Final = "holdout periods"


def _backtest_split(
    options: Mapping[str, Any], first_day: int | None, end_day: int | None
) -> dict[str, Any] | None:
    """Check backtest's calibration end against the whole table and find the holdout periods."""
    if first_day is None or end_day is None:  # no purchases: the empty backtest, as pandas gives it
        return None
    period = backtest_options(options).period
    periods = holdout_periods(first_day, end_day, options["calibration_end"], period, "backtest")
    return {**options, _HOLDOUT: periods}


def _holdout_tally(t: Transactions, options: Mapping[str, Any]) -> HoldoutTally:
    cut, codes, _ = options[_HOLDOUT]
    checked = backtest_options(options)
    return holdout_tally(t, cut, checked.period, codes, money=checked.money)


def _calibration_summary(
    part: pd.DataFrame, tally: HoldoutTally, options: Mapping[str, Any]
) -> tuple[HoldoutTally, pd.DataFrame]:
    """Add the partition's calibration summary, as backtest makes it (the cut found on the whole table)."""
    cut = options[_HOLDOUT][0]
    unit = backtest_options(options).unit
    summary: pd.DataFrame = _public("rfm_summary")(
        part, time_unit=unit, calibration_end=Cutoff(cut), **shared_options(options)
    )
    return tally, summary


def _backtest_finish(
    tx: Any, tally_and_summary: tuple[HoldoutTally, pd.DataFrame | None], options: Mapping[str, Any]
) -> Backtest:
    """Fit and forecast on the driver, on the calibration summary made in the same pass as the tally."""
    tally, summary = tally_and_summary
    checked = backtest_options(options)
    shared = shared_options(options)
    return backtest_of(tx, tally, options[_HOLDOUT], checked, shared, summary=summary)


def _scorecard_tally(t: Transactions, options: Mapping[str, Any]) -> list[ScorecardCounts]:
    """Count one partition's customers by group (the groups are the partition's own)."""
    return [scorecard_counts_of(t, options)]


def _scorecard_finish(parts: list[ScorecardCounts], options: Mapping[str, Any]) -> Scorecard:
    return scorecard_from_counts(scorecard_counts_sum(parts), options)


def _campaign_tally(t: Transactions, options: Mapping[str, Any]) -> list[CampaignPart]:
    """One row per customer of the partition in either group, and the counts that add up."""
    return [campaign_part_of(t, options)]


def _campaign_rows(
    part: pd.DataFrame, parts: list[CampaignPart], options: Mapping[str, Any]
) -> tuple[list[CampaignPart], pd.DataFrame]:
    """Take the rows out of a partition's part (an empty table of their columns stays, for no rows)."""
    (counts,) = parts
    return [replace(counts, rows=counts.rows.iloc[:0])], counts.rows


def _campaign_finish(
    parts_and_rows: tuple[list[CampaignPart], pd.DataFrame | None], options: Mapping[str, Any]
) -> CampaignEffect:
    """Add the partitions' counts to their customers' rows (placed in customer order), and finish."""
    parts, rows = parts_and_rows
    firsts = [p.first_id for p in parts if p.first_id is not None]
    whole = CampaignPart(
        rows=parts[0].rows if rows is None else rows,
        found=np.sum([p.found for p in parts], axis=0, dtype=np.int64),
        not_yet=np.sum([p.not_yet for p in parts], axis=0, dtype=np.int64),
        n_customers=sum(p.n_customers for p in parts),
        first_id=pd.Index(firsts).sort_values()[0] if firsts else None,
        end_day=parts[0].end_day,
    )
    return campaign_effect_from_part(whole, options)


def _campaign_refused(options: Mapping[str, Any]) -> str | None:
    """Name a group given as a cluster's table: its ids and contact dates are read whole, from pandas."""
    for name in ("treated", "control"):
        engine = engine_of(options.get(name))
        if engine in DISTRIBUTED:
            fix = f"{name}.compute()" if engine == "dask" else f"{name}.toPandas()"
            return f"{name!r} as a cluster's DataFrame (pass it as pandas, e.g. {fix}; it is read whole)"
    return None


# The options' key of segment_history's periods (no parameter can have this name).
_PERIODS: Final = "history periods"


def _history_refused(options: Mapping[str, Any]) -> str | None:
    """Refuse a segmenter not said to be per customer: each partition's customers are segmented alone."""
    check_per_customer(options.get("per_customer", False))
    return None


def _history_split(
    options: Mapping[str, Any], first_day: int | None, end_day: int | None
) -> dict[str, Any] | None:
    """Find the periods of segment_history from the whole table (None: fewer than two, no moves)."""
    periods = HistoryPeriods.of(first_day, end_day, options["freq"])
    return {**options, _PERIODS: periods} if len(periods.codes) > 1 else None


def _history_tally(part: pd.DataFrame, options: Mapping[str, Any]) -> HistoryTally:
    """Check the partition's rows as pandas reads them, then segment its customers at each period end."""
    read_transactions(part, **shared_options(options), func="segment_history")
    return history_tally(
        part,
        options[_PERIODS],
        segmenter=options["segmenter"],
        date=options.get("date", "date"),
        amount=options.get("amount", "amount"),
        returns=options.get("returns", "net"),
    )


def _history_finish(tally: HistoryTally, options: Mapping[str, Any]) -> pd.DataFrame:
    return history_of_tally(tally)


def _add_optional(add: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """Combine tallies where a partition without purchases has the tally None."""

    def combine(a: Any, b: Any) -> Any:
        if a is None:
            return b
        if b is None:
            return a
        return add(a, b)

    return combine


PLANS: Final[dict[str, Plan]] = {
    "period_retention": Plan(_period_tally, _add_optional(_add_ranges), _period_finish),
    "repeat_purchase_rate": Plan(_repeat_tally, _add_pairs, _repeat_finish),
    "purchase_frequency": Plan(_frequency_tally, _add_pairs, _frequency_finish, needs_end=False),
    "time_to_second_purchase": Plan(_gap_tally, _add_pairs, _gap_finish),
    "survival_curve": Plan(_survival_tally, _add_ranges, _survival_finish),
    "cohort_table": Plan(
        _cohort_tally,
        _add_optional(_add_cohorts),
        _cohort_table_finish,
        amount_required=lambda o: o.get("metric") == "revenue",
    ),
    "retention_curve": Plan(_cohort_tally, _add_optional(cohort_counts_sum), _curve_finish),
    "average_order_value": Plan(_aov_tally, _add_revenue, _aov_finish, amount_required=True),
    "kpis": Plan(_kpis_tally, _add_kpis, _kpis_finish, warn_line_items=True),
    "rfm_summary": Plan(
        per_customer=True, checked_later=("calibration_end",), split=_summary_split
    ),
    "backtest": Plan(
        _holdout_tally,
        HoldoutTally.__add__,
        table_finish=_backtest_finish,
        with_rows=_calibration_summary,
        amount_required=lambda o: backtest_options(o).money,
        split=_backtest_split,
    ),
    "tracking_table": Plan(
        _tracking_tally, _add_tracking, _tracking_finish, checked_later=("calibration_end",)
    ),
    "report": Plan(passthrough=True),
    "compare_retention": Plan(
        _lives_tally, _add_rows, _compare_finish, compares=True, with_rows=_lives_rows
    ),
    "complaint_outcomes": Plan(
        _complaint_lives, _add_rows, _complaints_finish, compares=True, with_rows=_lives_rows
    ),
    "segment_history": Plan(
        raw_tally=_history_tally,
        combine=HistoryTally.__add__,
        finish=_history_finish,
        split=_history_split,
        needs_span=True,
        refuse=_history_refused,
    ),
    "rfm_scores": Plan(rows=_rfm_measures, rows_finish=_rfm_scores_finish, amount_required=True),
    "abc_xyz": Plan(
        rows=_abc_xyz_values,
        rows_finish=_abc_xyz_finish,
        amount_required=lambda o: _abc_xyz_options(o).metric == "revenue",
    ),
    "historical_value": Plan(per_customer=True),
    "scorecard": Plan(_scorecard_tally, _add_rows, _scorecard_finish, compares=True),
    "campaign_effect": Plan(
        _campaign_tally,
        _add_rows,
        _campaign_finish,
        refuse=_campaign_refused,
        with_rows=_campaign_rows,
    ),
    "customer_features": Plan(per_customer=True),
}
"""The public functions that run on Dask and PySpark, by name."""


# ---------------------------------------------------------------------------------------------------- workers
@dataclass
class _Result:
    """What a partition sends back: its tallies by group label (or rows), warnings, an error, its process.

    The pre-pass sends back the partition's first purchase day and observation end instead.
    """

    tallies: dict[Any, Any] = field(default_factory=dict)
    rows: _Columns | None = None
    end_day: int | None = None
    first_day: int | None = None
    warnings: list[tuple[type[Warning], str]] = field(default_factory=list)
    error: BaseException | None = None
    labels: pd.Index | None = None
    pid: int = 0
    n_rows: int = 0


def _read_options(options: Mapping[str, Any], plan: Plan, func: str) -> dict[str, Any]:
    return {
        **shared_options(options),
        "amount_required": (
            plan.amount_required(options)
            if callable(plan.amount_required)
            else plan.amount_required
        ),
        "warn_line_items": plan.warn_line_items,
        "func": func,
    }


def _work(part: pd.DataFrame, func: str, options: dict[str, Any], task: str) -> _Result:
    """Reduce one partition (all the rows of its customers) on a worker."""
    result = _Result(pid=os.getpid(), n_rows=len(part))
    plan = PLANS[func]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            if task == "end":
                read = {
                    **_read_options({**options, "by": None}, plan, func),
                    "warn_line_items": False,
                }
                t = read_transactions(part, **read)
                result.end_day = t.end_day
                result.first_day = int(t.days.min()) if t.n_rows else None
            elif plan.raw_tally is not None:  # every column, for the user code it runs
                if len(part):
                    result.tallies[None] = plan.raw_tally(part, options)
            elif plan.per_customer:
                function = _public(func)
                result.rows = _Columns.of(function(part, **options))
            else:
                _tally(
                    part,
                    read_transactions(part, **_read_options(options, plan, func)),
                    plan,
                    options,
                    result,
                )
        except RetentionError as e:
            result.error = e
    result.warnings = [(w.category, str(w.message)) for w in caught]
    return result


def _tally(
    part: pd.DataFrame, t: Transactions, plan: Plan, options: dict[str, Any], result: _Result
) -> None:
    """Reduce a partition read as ``t`` to its tallies (by group) and rows, into ``result``."""
    if plan.rows is not None:
        if t.groups is None:
            if t.n_customers:
                result.rows = _Columns.of(plan.rows(t, options))
            return
        # Each group's rows, indexed by the group's labels and the customer id.
        result.labels = t.groups.labels
        frames = [plan.rows(piece, options) for _, piece in t.split()]
        if frames:
            rows = pd.concat(frames) if len(frames) > 1 else frames[0]
            sizes = [len(f) for f in frames]
            result.rows = _Columns.of(by_group_rows(rows, t.groups.labels, sizes))
        return
    assert plan.tally is not None
    if t.groups is None or plan.compares:
        if t.n_customers:
            tally = plan.tally(t, options)
            if plan.with_rows is not None:
                tally, rows = plan.with_rows(part, tally, options)
                result.rows = _Columns.of(rows)
            result.tallies[None] = tally
        return
    result.labels = t.groups.labels
    for label, piece in t.split():
        result.tallies[label] = plan.tally(piece, options)


def _public(func: str) -> Callable[..., Any]:
    """Return the public function of that name, unwrapped (it reads pandas tables)."""
    function: Callable[..., Any] = getattr(importlib.import_module("retention"), func)
    unwrapped: Callable[..., Any] = getattr(function, "__wrapped__", function)
    return unwrapped


# ---------------------------------------------------------------------------------------------------- engines
@dataclass(frozen=True)
class _Pass:
    """One pass over a cluster's table: the columns read and the job run on each partition.

    With ``shuffle`` the rows are first moved so that each customer's are in one partition (by the
    ``customer`` column).
    """

    columns: list[object]
    customer: object
    job: Callable[[pd.DataFrame], _Result]
    shuffle: bool


@dataclass
class _Rows:
    """The per-customer rows of a pass, left where they were made until the driver has ordered the ids.

    ``heads[k]`` is partition ``k``'s result with the head of its rows (ids and types, no values: see
    :meth:`_Columns.head`), its warnings and error; ``parts`` then fetches each partition's rows, ``(k,
    rows)``, one at a time; ``release`` lets go of what the cluster still holds.
    """

    heads: list[_Result]
    parts: Iterator[tuple[int, _Columns]]
    release: Callable[[], None]


def _head_of(result: _Result) -> _Result:
    """Return the result with the head of its rows in place of its rows."""
    return replace(result, rows=None if result.rows is None else result.rows.head())


def _rows_here(results: list[_Result]) -> _Rows:
    """Per-customer rows that are in this process already (Dask's local scheduler)."""

    def parts() -> Iterator[tuple[int, _Columns]]:
        for k, r in enumerate(results):
            rows, r.rows = r.rows, None
            if rows is not None:
                yield k, rows

    return _Rows([_head_of(r) for r in results], parts(), lambda: None)


def _dask_jobs(tx: Any, work: _Pass, client: Any) -> list[Any]:
    """Return the pass's job on each partition, as Dask delayed calls.

    On a cluster (``client``, else None) the job (the function's options: lists of ids, event tables) is sent to the cluster
    once, and fetched once by each worker, rather than with every partition's task.
    """
    dask = importlib.import_module("dask")
    frame = tx[work.columns]
    if work.shuffle:
        frame = frame.shuffle(on=work.customer, npartitions=frame.npartitions)
    if client is None:
        return [dask.delayed(work.job)(p) for p in frame.to_delayed()]
    job = client.scatter(work.job, hash=False)
    return [dask.delayed(_call_job)(job, p) for p in frame.to_delayed()]


def _call_job(job: Callable[[pd.DataFrame], _Result], part: pd.DataFrame) -> _Result:
    return job(part)


def _dask_run(tx: Any, work: _Pass) -> list[_Result]:
    client = _dask_client()
    jobs = _dask_jobs(tx, work, client)
    if client is None:  # Dask's local scheduler: the results are in this process anyway
        return list(importlib.import_module("dask").compute(*jobs))
    return _dask_gather(client.compute(jobs))


def _dask_gather(futures: list[Any]) -> list[_Result]:
    """Fetch the futures' results in order, one at a time, each released on the cluster once here.

    The driver never holds a serialised copy of every result at once.
    """
    results: list[_Result | None] = [None] * len(futures)
    for k, result in _dask_each(futures):
        results[k] = result
    return [r for r in results if r is not None]


def _dask_each(futures: list[Any]) -> Iterator[tuple[int, _Result]]:
    """Yield each future's place in the list and its result as it is done, and release it."""
    distributed = importlib.import_module("distributed")
    position = {f.key: k for k, f in enumerate(futures)}
    for future in distributed.as_completed(futures):
        result = future.result()
        future.release()
        yield position[future.key], result


def _dask_rows(tx: Any, work: _Pass) -> _Rows:
    """Run a per-customer pass: the heads come back first, the rows stay on the workers until asked for."""
    client = _dask_client()
    jobs = _dask_jobs(tx, work, client)
    if client is None:
        return _rows_here(list(importlib.import_module("dask").compute(*jobs)))
    futures = client.compute(jobs)
    heads = _dask_gather([client.submit(_head_of, f) for f in futures])

    def parts() -> Iterator[tuple[int, _Columns]]:
        for k, result in _dask_each(futures):
            if result.rows is not None:
                yield k, result.rows

    def release() -> None:
        for future in futures:
            future.release()

    return _Rows(heads, parts(), release)


def _dask_client() -> Any:
    """Return the Dask distributed client in use, or None (no cluster: Dask's local scheduler)."""
    try:
        distributed = importlib.import_module("distributed")
    except ImportError:
        return None
    try:
        return distributed.default_client()
    except ValueError:  # no client started
        return None


def _spark_columns(tx: Any, columns: list[object]) -> list[Any]:
    """Select the columns, times with a zone as the session's wall-clock time, decimals as floats."""
    F = importlib.import_module("pyspark.sql.functions")
    T = importlib.import_module("pyspark.sql.types")
    fields = {f.name: f.dataType for f in tx.schema.fields}
    selected = []
    for c in columns:
        kind = fields[c]
        col = F.col(f"`{c}`")
        if isinstance(kind, T.TimestampType):
            col = col.cast(T.TimestampNTZType())
        elif isinstance(kind, T.DecimalType):
            col = col.cast(T.DoubleType())
        selected.append(col.alias(str(c)))
    return selected


def _arrow_to_pandas(table: Any) -> pd.DataFrame:
    frame = table.to_pandas(date_as_object=False, split_blocks=True, self_destruct=True)
    assert isinstance(frame, pd.DataFrame)
    return frame


def _spark_buckets(tx: Any, work: _Pass) -> tuple[Any, Any]:
    """Return the columns the pass reads and, with ``shuffle``, the grouping by customer bucket."""
    F = importlib.import_module("pyspark.sql.functions")
    frame = tx.select(*_spark_columns(tx, work.columns))
    if not work.shuffle:
        return frame, None
    buckets = int(tx.sparkSession.conf.get("spark.sql.shuffle.partitions", "200"))
    bucket = F.pmod(F.xxhash64(F.col(str(work.customer))), F.lit(buckets)).alias(_BUCKET)
    return frame, frame.groupBy(bucket)


def _spark_part(table: Any, work: _Pass) -> _Result:
    """Run the pass's job on one partition (or one bucket) of Arrow rows."""
    names = [str(c) for c in work.columns]
    keep = table.select(names) if table.num_columns != len(names) else table
    return work.job(_arrow_to_pandas(keep))


def _spark_run(tx: Any, work: _Pass) -> list[_Result]:
    pa = importlib.import_module("pyarrow")

    def reduce(table: Any) -> Any:
        return pa.table({"tally": [pickle.dumps(_spark_part(table, work))]})

    def reduce_batches(batches: Any) -> Any:
        table = pa.Table.from_batches(list(batches))
        if table.num_rows:
            yield from reduce(table).to_batches()

    frame, grouped = _spark_buckets(tx, work)
    if grouped is not None:
        out = grouped.applyInArrow(reduce, "tally binary")
    else:
        out = frame.mapInArrow(reduce_batches, "tally binary")
    # One partition's result at a time: the driver never holds all the pickled tallies at once.
    return [pickle.loads(row["tally"]) for row in out.toLocalIterator()]


def _spark_rows(tx: Any, work: _Pass) -> _Rows:
    """Run a per-customer pass: the heads come back first, the rows stay in Spark until asked for.

    Each bucket's result is stored by Spark on disk (off the JVM heap) in pieces of at most
    :data:`_PIECE_BYTES` of rows, each with its head (the first piece's also carries the bucket's tallies,
    warnings and error); the driver reads the heads (a partition's at once when they are at most
    :data:`_FETCH_BYTES` together, else a group of at most that at a time: :func:`_heads_within`), then
    the pieces' rows, a group of at most :data:`_FETCH_BYTES` at a time (:func:`_fetch_groups`). Small
    pieces keep the JVM from handling any large value: a bucket's rows as one value (tens of MB at tens of
    millions of rows) ran its heap out, and Spark's cache of a DataFrame would put a bucket's pieces
    together again in one columnar batch, so the rows are kept as an RDD of pickled rows. Bounded groups keep any one job's result small: a
    partition (several buckets may share one) fetched whole, 80 MB with a 600 MiB heap, was lost
    (``TaskResultLost``).
    """
    pa = importlib.import_module("pyarrow")
    storage = importlib.import_module("pyspark").StorageLevel.DISK_ONLY

    def reduce(key: Any, table: Any) -> Any:
        result = _spark_part(table, work)
        pieces: list[_Columns | None] = (
            [None] if result.rows is None else list(result.rows.pieces(_PIECE_BYTES))
        )
        heads = [_head_of(replace(result, rows=pieces[0]))]
        heads += [_Result(rows=p.head()) for p in pieces[1:] if p is not None]
        data = [pickle.dumps(p) for p in pieces]
        return pa.table(
            {
                "part": [int(key[0].as_py())] * len(pieces),
                "piece": list(range(len(pieces))),
                "head": [pickle.dumps(h) for h in heads],
                "rows": data,
                "size": [len(d) for d in data],
            }
        )

    _, grouped = _spark_buckets(tx, work)
    schema = "part long, piece long, head binary, rows binary, size long"
    stored = grouped.applyInArrow(reduce, schema).rdd.persist(storage)
    limit = _FETCH_BYTES  # a local: the executors' copy of the function carries it
    try:
        found = list(stored.mapPartitionsWithIndex(_heads_within(limit)).toLocalIterator())
        # The heads of partitions of more than ``limit`` bytes of them, fetched a group at a time.
        late = [
            (index, (part, piece), width)
            for index, part, piece, head, _, width in found
            if head is None
        ]
        context = stored.context
        fetched = {
            (part, piece): head
            for index, keys in _fetch_groups(late, limit)
            for part, piece, head in context.runJob(stored, _pieces_of(keys, heads=True), [index])
        }
        heads = [
            pickle.loads(head if head is not None else fetched[part, piece])
            for _, part, piece, head, _, _ in found
        ]
    except BaseException:
        stored.unpersist()
        raise
    sizes = [(index, (part, piece), size) for index, part, piece, _, size, _ in found]
    number = {key: k for k, (_, key, _) in enumerate(sizes)}
    groups = _fetch_groups(sizes, limit)

    def parts() -> Iterator[tuple[int, _Columns]]:
        for index, keys in groups:
            for part, piece, data in context.runJob(stored, _pieces_of(keys), [index]):
                rows = pickle.loads(data)
                if rows is not None:
                    yield number[part, piece], rows

    return _Rows(heads, parts(), stored.unpersist)


_Key: TypeAlias = tuple[int, int]  # (bucket, piece)


def _fetch_groups(
    pieces: Sequence[tuple[int, _Key, int]], limit: int
) -> list[tuple[int, frozenset[_Key] | None]]:
    """Cut the stored pieces into the groups the driver fetches one job each.

    ``pieces`` holds, per piece, the Spark partition it is stored in, its key and its size in bytes. Each
    group is ``(partition, keys)``: the pieces of one partition, ``keys`` None for all of them (a
    partition of at most ``limit`` bytes), else a run of its pieces of at most ``limit`` bytes together
    (a larger piece alone). Partitions without pieces make no group.

    Examples
    --------
    >>> _fetch_groups([(0, (3, 0), 5), (2, (1, 0), 4), (2, (1, 1), 4), (2, (6, 0), 3)], 8)
    [(0, None), (2, frozenset({(1, 0), (1, 1)})), (2, frozenset({(6, 0)}))]
    """
    stored: dict[int, list[tuple[_Key, int]]] = {}
    for index, key, size in pieces:
        stored.setdefault(index, []).append((key, size))
    groups: list[tuple[int, frozenset[_Key] | None]] = []
    for index in sorted(stored):
        if sum(size for _, size in stored[index]) <= limit:
            groups.append((index, None))
            continue
        run: list[_Key] = []
        total = 0
        for key, size in stored[index]:
            if run and total + size > limit:
                groups.append((index, frozenset(run)))
                run, total = [], 0
            run.append(key)
            total += size
        groups.append((index, frozenset(run)))
    return groups


def _heads_within(
    limit: int,
) -> Callable[[int, Iterable[Any]], Iterator[tuple[int, int, int, bytes | None, int, int]]]:
    """Return what reads a partition's heads: ``(partition, bucket, piece, head, size, head size)`` each.

    A head (the ids of a piece's customers, and the first piece's tallies) is ``None`` when the partition's
    heads together are more than ``limit`` bytes: the driver then fetches them in groups (see
    :func:`_pieces_of`), so that no job's result is larger than about ``limit`` bytes. The heads read so far
    are held until the limit is passed, then dropped.
    """

    def heads(
        index: int, rows: Iterable[Any]
    ) -> Iterator[tuple[int, int, int, bytes | None, int, int]]:
        found: list[tuple[int, int, int, bytes | None, int, int]] = []
        total = 0
        for r in rows:
            total += len(r[2])
            if total > limit and found and found[-1][3] is not None:  # the limit just passed
                found = [(*f[:3], None, *f[4:]) for f in found]
            head = r[2] if total <= limit else None
            found.append((index, r[0], r[1], head, r[4], len(r[2])))
        return iter(found)

    return heads


def _pieces_of(
    keys: frozenset[_Key] | None, *, heads: bool = False
) -> Callable[[Iterable[Any]], Iterator[Any]]:
    """Return what a job runs on a partition: the (bucket, piece, rows) of its pieces in ``keys``.

    With ``heads``, the (bucket, piece, head) of those pieces instead.
    """
    column = 2 if heads else 3

    def select(rows: Iterable[Any]) -> Iterator[Any]:
        return ((r[0], r[1], r[column]) for r in rows if keys is None or (r[0], r[1]) in keys)

    return select


def _empty_frame(tx: Any, engine: str, columns: list[object]) -> pd.DataFrame:
    """Return a pandas table without rows, with the columns (and types) the workers will read."""
    if engine == "dask":
        meta = tx[columns]._meta
        assert isinstance(meta, pd.DataFrame)
        return meta.iloc[:0]
    table = tx.select(*_spark_columns(tx, columns)).limit(0).toArrow()
    return _arrow_to_pandas(table)


# ---------------------------------------------------------------------------------------------------- driver
def _raise_and_warn(results: Sequence[_Result]) -> None:
    seen: set[tuple[type[Warning], str]] = set()
    for r in results:
        for w in r.warnings:
            if w not in seen and not issubclass(w[0], DeprecationWarning):  # said once already
                seen.add(w)
                warn_at_caller(w[1], w[0])
    for r in results:
        if r.error is not None:
            raise r.error


def _plan_for(func: str, engine: str, options: Mapping[str, Any]) -> Plan:
    """Return the function's plan, or raise the error that says it does not run on a cluster yet."""
    plan = PLANS.get(func)
    name = {"dask": "Dask", "pyspark": "PySpark"}[engine]
    fix = (
        "compute the columns it needs first, e.g. tx[[...]].compute() for Dask or "
        "tx.select(...).toPandas() for PySpark, if they fit in memory"
    )
    if plan is None:
        supported = ", ".join(sorted(PLANS))
        msg = (
            f"{func} does not run on {name} DataFrames yet (that would collect the raw log to this "
            f"process); these do: {supported}. Otherwise {fix}."
        )
        raise ColumnTypeError(msg)
    refused = plan.refuse(options) if plan.refuse is not None else None
    if refused is not None:
        msg = (
            f"{func} with {refused} does not run on {name} DataFrames yet (a partition of the table is "
            f"not the table): {fix}."
        )
        raise ColumnTypeError(msg)
    if engine == "pyspark":
        try:
            importlib.import_module("pyarrow")
        except ImportError as e:  # pragma: no cover - pyspark's Arrow support needs it
            msg = f"{func} reads PySpark DataFrames through Arrow: pip install 'retention-metrics[spark]'."
            raise MissingDependencyError(msg) from e
    return plan


def _finish(
    plan: Plan,
    results: list[_Result],
    options: Mapping[str, Any],
    nothing: Any,
    func: str,
    *,
    tx: Any,
    rows: Any = None,
) -> Any:
    """Combine the partitions' tallies (or rows) and finish them into the function's result.

    ``tx`` is the cluster's table, for a plan whose finishing runs functions on it; ``rows`` those of
    :attr:`Plan.with_rows`, in order.
    """
    assert plan.combine is not None
    finish = plan.finish
    if plan.table_finish is not None:
        finish = functools.partial(plan.table_finish, tx)
    assert finish is not None
    totals: dict[Any, Any] = {}
    for r in results:
        for label, tally in r.tallies.items():
            totals[label] = plan.combine(totals[label], tally) if label in totals else tally
    if not totals:
        return nothing
    if plan.with_rows is not None:
        return finish((totals[None], rows), options)
    if options.get("by") is None or plan.compares:
        return finish(totals[None], options)
    labels = _sorted_labels(results)
    results_by_group = [finish(totals[label], options) for label in labels]
    return by_group(results_by_group, labels, name=func, empty=nothing)


def rows_and_dates(tx: Any, engine: str, date: object) -> tuple[int, object, object]:
    """Count the rows of a cluster's table and find its earliest and latest date, in one job.

    Parameters
    ----------
    tx : dask.dataframe.DataFrame or pyspark.sql.DataFrame
    engine : {"dask", "pyspark"}
    date : column label

    Returns
    -------
    tuple
        The number of rows, the earliest and the latest value of the date column (None without rows; a
        Spark ``timestamp`` as the session's wall-clock time).
    """
    if engine == "dask":
        dask = importlib.import_module("dask")
        column = tx[date]
        n_rows, first, last = dask.compute(column.size, column.min(), column.max())
        return int(n_rows), first, last
    F = importlib.import_module("pyspark.sql.functions")
    T = importlib.import_module("pyspark.sql.types")
    when = F.col(f"`{date}`")
    if isinstance(tx.schema[str(date)].dataType, T.TimestampType):
        when = when.cast(T.TimestampNTZType())
    row = tx.agg(F.count(F.lit(1)), F.min(when), F.max(when)).collect()[0]
    return int(row[0]), row[1], row[2]


_UNKNOWN: Final = object()


def _whole_span(
    tx: Any, engine: str, options: Mapping[str, Any], columns: list[object], func: str
) -> tuple[int | None, int | None]:
    """Find the whole table's first purchase day and observation end (days since 1970-01-01).

    By one aggregate in the engine where that is exact, else by a pre-pass on the workers in which each
    partition reads its rows as pandas reads them and sends back its two days. Either is None for a
    table without purchases (the observation end only when none is given).
    """
    given = options.get("observation_end")
    end = read_date(given, "observation_end", func) if given is not None else None
    span = _purchase_days(tx, engine, options, columns)
    if isinstance(span, tuple):
        first, last = span
        if end is None:
            return first, last
        return (first if first is not None and first <= end else None), end
    # Rows are orders unless order_id groups them, so only then must a customer's rows be in one
    # partition.
    by_order = options.get("order_id") is not None
    customer = options.get("customer_id", "customer_id")
    engine_run = _dask_run if engine == "dask" else _spark_run
    found = engine_run(tx, _Pass(columns, customer, _Job(func, dict(options), "end"), by_order))
    _raise_and_warn([e for e in found if e.error is not None])
    firsts = [e.first_day for e in found if e.first_day is not None]
    ends = [e.end_day for e in found if e.end_day is not None]
    return (min(firsts) if firsts else None), (max(ends) if ends else end)


def _purchase_days(
    tx: Any, engine: str, options: Mapping[str, Any], columns: list[object]
) -> tuple[int | None, int | None] | object:
    """Find the days of the first and the last purchase with one aggregate in the engine, where exact.

    That is when the dates are held as dates or times and each row is an order (no ``order_id``): the
    purchases are then the rows whose amount, if amounts are read, is not negative. Returns the two days
    (days since 1970-01-01; None without purchases), or ``_UNKNOWN`` when the workers must find them.
    """
    if options.get("order_id") is not None:
        return _UNKNOWN
    date = options.get("date", "date")
    amount = options.get("amount")
    amount = amount if amount is not None and amount in columns else None
    span = (_dask_span if engine == "dask" else _spark_span)(tx, date, amount)
    if not isinstance(span, tuple):
        return span
    return _day_of(span[0]), _day_of(span[1])


def _day_of(when: object) -> int | None:
    """Return the day of a date or time from the engine (of a time with a zone: its wall-clock day)."""
    if when is None:
        return None
    stamp = pd.Timestamp(when)  # type: ignore[arg-type]
    if stamp.tzinfo is not None:  # the wall-clock time of its zone, as the reader reads it
        stamp = stamp.tz_localize(None)
    return int(np.datetime64(stamp.normalize(), "D").astype(np.int64))


def _dask_span(tx: Any, date: object, amount: object) -> tuple[object, object] | object:
    """Find the earliest and latest dates of rows with a non-negative amount (None: none), or ``_UNKNOWN``."""
    meta = tx._meta
    kind = meta[date].dtype
    if not (isinstance(kind, pd.DatetimeTZDtype) or getattr(kind, "kind", "") == "M"):
        return _UNKNOWN
    if amount is not None and not pd.api.types.is_numeric_dtype(meta[amount].dtype):
        return _UNKNOWN
    frame = tx[[date, amount]] if amount is not None else tx[[date]]
    if amount is not None:
        frame = frame[frame[amount] >= 0]
    dask = importlib.import_module("dask")
    first, last = dask.compute(frame[date].min(), frame[date].max())
    return (None if pd.isna(first) else first), (None if pd.isna(last) else last)


def _spark_span(tx: Any, date: object, amount: object) -> tuple[object, object] | object:
    """As :func:`_dask_span`, with one Spark aggregate (times with a zone as wall-clock times)."""
    F = importlib.import_module("pyspark.sql.functions")
    T = importlib.import_module("pyspark.sql.types")
    fields = {f.name: f.dataType for f in tx.schema.fields}
    if not isinstance(fields[date], T.TimestampType | T.TimestampNTZType | T.DateType):
        return _UNKNOWN
    if amount is not None and not isinstance(fields[amount], T.NumericType):
        return _UNKNOWN
    when = F.col(f"`{date}`")
    if isinstance(fields[date], T.TimestampType):
        when = when.cast(T.TimestampNTZType())
    frame = tx.where(F.col(f"`{amount}`") >= 0) if amount is not None else tx
    row = frame.agg(F.min(when).alias("first"), F.max(when).alias("last")).collect()[0]
    return row["first"], row["last"]


def run(
    function: Callable[..., Any],
    tx: Any,
    *,
    engine: str,
    options: dict[str, Any],
    columns: list[object],
    table: str,
) -> Any:
    """Run a public function on a Dask or PySpark DataFrame: tally on the workers, finish here.

    Parameters
    ----------
    function : callable
        The public function (unwrapped: it reads pandas tables).
    tx : dask.dataframe.DataFrame or pyspark.sql.DataFrame
        The transaction table.
    engine : {"dask", "pyspark"}
        The engine of ``tx``.
    options : dict
        Every argument of the call but the table, by name (defaults filled in).
    columns : list
        The columns of ``tx`` that the options name.
    table : str
        The name of the table parameter.

    Returns
    -------
    object
        What ``function`` returns for the same table in pandas.

    Raises
    ------
    ColumnTypeError
        If the function does not run on a cluster yet.
    MissingDependencyError
        If the engine's own packages (pyarrow for Spark) are missing.
    """
    func = function.__name__
    plan = _plan_for(func, engine, options)
    if plan.passthrough:
        return function(**{table: tx}, **options)
    # Every option error, as the pandas table would raise it; and the result of a table without rows.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        early = {k: v for k, v in options.items() if k not in plan.checked_later}
        nothing = function(**{table: _empty_frame(tx, engine, columns)}, **early)
    for (
        w
    ) in caught:  # an old spelling is the caller's to fix; the other warnings come from the workers
        if issubclass(w.category, DeprecationWarning):
            warn_at_caller(str(w.message), w.category)
    customer = options.get("customer_id", "customer_id")
    options = dict(options)
    missing_end = (
        plan.needs_end and "observation_end" in options and options["observation_end"] is None
    )
    cut = options.get("calibration_end")
    splits = plan.split is not None and (
        plan.needs_span or (cut is not None and not isinstance(cut, Cutoff))
    )
    if missing_end or splits:
        first, last = _whole_span(tx, engine, options, columns, func)
        if plan.split is not None and splits:
            split = plan.split(options, first, last)
            if split is None:
                return nothing
            options = split
        if missing_end:
            if last is None:  # no purchase anywhere
                return nothing
            options["observation_end"] = np.datetime64(last, "D")
    shipped = list(tx.columns) if plan.raw_tally is not None else columns
    work = _Pass(shipped, customer, _Job(func, options, "tally"), True)
    return _run_pass(func, tx, engine, work, options, nothing=nothing)


def _run_pass(
    func: str, tx: Any, engine: str, work: _Pass, options: dict[str, Any], *, nothing: Any
) -> Any:
    """Run the function's pass over the cluster's table and finish its result here."""
    plan = PLANS[func]
    if plan.per_customer or plan.rows is not None or plan.with_rows is not None:
        heads, rows = _customer_rows(tx, engine, work)
        if plan.per_customer:
            return nothing if rows is None else rows
        if plan.with_rows is not None:  # tallies and rows of one pass
            return _finish(plan, heads, options, nothing, func, tx=tx, rows=rows)
        assert plan.rows_finish is not None
        if rows is None:  # no customer in any partition
            return nothing
        if options.get("by") is None:
            return plan.rows_finish(rows, options)
        return _finish_groups(plan, rows, _sorted_labels(heads), options, func, nothing=nothing)
    results = (_dask_run if engine == "dask" else _spark_run)(tx, work)
    _raise_and_warn(results)
    return _finish(plan, results, options, nothing, func, tx=tx)


def _customer_rows(tx: Any, engine: str, work: _Pass) -> tuple[list[_Result], Any]:
    """Run a pass of per-customer rows and put them together in customer order, as they arrive.

    Returns the partitions' results (their tallies, without the rows) and the rows, None if no partition
    has any.
    """
    fetched = (_dask_rows if engine == "dask" else _spark_rows)(tx, work)
    try:
        _raise_and_warn(fetched.heads)
        heads = [r.rows for r in fetched.heads]
        for r in fetched.heads:
            r.rows = None
        if not any(h is not None and h.n_rows for h in heads):
            return fetched.heads, None
        return fetched.heads, _placed(heads, fetched.parts)
    finally:
        fetched.release()


def _finish_groups(
    plan: Plan,
    rows: pd.DataFrame,
    labels: pd.Index,
    options: Mapping[str, Any],
    func: str,
    *,
    nothing: Any,
) -> Any:
    """Finish each group's rows on its own.

    ``rows`` are indexed by the group's label(s) and the customer id (the last level), group by group;
    ``labels`` lists every group of the result (a group without rows here finishes empty).
    """
    assert plan.rows_finish is not None
    index = rows.index
    assert isinstance(index, pd.MultiIndex)
    depth = index.nlevels - 1  # the group levels
    codes = [np.asarray(index.codes[j]) for j in range(depth)]
    new_group = np.zeros(len(index), dtype=bool)
    new_group[:1] = True
    for level in codes:
        new_group[1:] |= level[1:] != level[:-1]
    starts = np.flatnonzero(new_group).tolist()
    blocks: dict[object, tuple[int, int]] = {}
    for lo, hi in zip(starts, [*starts[1:], len(index)], strict=True):
        values = [None if c[lo] < 0 else index.levels[j][c[lo]] for j, c in enumerate(codes)]
        blocks[_group_key(values[0] if depth == 1 else tuple(values))] = (lo, hi)
    ids, id_codes = index.levels[depth], np.asarray(index.codes[depth])
    results = []
    for label in labels:
        lo, hi = blocks.get(_group_key(label), (0, 0))
        group = rows.iloc[lo:hi]
        group.index = ids.take(id_codes[lo:hi]).rename(index.names[depth])
        results.append(plan.rows_finish(group, options))
    return by_group(results, labels, name=func, empty=nothing)


def _group_key(label: object) -> object:
    """Return a group's label as a dict key, every missing label the same (:data:`_MISSING`)."""
    if isinstance(label, tuple):
        return tuple(_group_key(v) for v in label)
    return _MISSING if is_missing_label(label) else label


_MISSING: Final = object()  # the key of the group of customers without a label


def _sorted_labels(results: list[_Result]) -> pd.Index:
    """Return the union of the partitions' groups, in the order the pandas path gives them."""
    found = [r.labels for r in results if r.labels is not None and len(r.labels)]
    union = found[0].append(found[1:]) if len(found) > 1 else found[0]
    return union.unique().sort_values()


@dataclass(frozen=True)
class _Job:
    """A picklable worker call: the function's name, its options and the task."""

    func: str
    options: dict[str, Any]
    task: str

    def __call__(self, part: pd.DataFrame) -> _Result:
        return _work(part, self.func, self.options, self.task)
