"""The one place where transaction tables and the shared transaction options are checked and normalised.

The options of the public functions are declared and checked in :mod:`retention.frames.options`;
``check_freq``, ``check_option``, ``parse_duration``, ``FREQS`` and ``MAX_DAYS`` are imported from there
(this module uses them) and stay importable from here.

Why one module of about 2,200 lines: it is the whole reduce step, and its parts read each other's private
helpers: the column readers (dates with their timezone rules, amounts, customer and order ids as dense
codes), orders and returns, the ``by=`` groups and the :class:`Transactions` value they fill, whose methods
(splits, activity) reuse the same codes. The calendar (period codes, period starts, the last complete
period) is a second concept: it moves to a module of its own once the work in progress on
:class:`Transactions` has landed (issue 15), not while it is under way.

Every public function that reads a transaction log calls :func:`read_transactions` first. It checks the
table once and *reduces* it to plain numpy arrays (customer codes, dates, amounts) that the rest of the
library trusts. A later engine adapter (polars, DuckDB, ...) replaces only this step.

Rules (see the "Data" page of the docs):

- dates may be ``datetime64`` values, ISO 8601 strings, ``datetime.date`` / ``datetime.datetime`` objects or
  pandas Timestamps. A column with a single timezone is read in that timezone's *local wall-clock time* (a
  purchase at 23:30 in Berlin on 31 January belongs to January), then the timezone is dropped. Text times
  that all carry a UTC offset, offsets that differ (as summer time makes them), are each read in the
  wall-clock time written. Other mixes of timezones, or tz-aware next to naive values, are refused:
  convert them to one zone first.
- the observation end is a calendar day and is inclusive: every purchase on that day counts, later ones are
  ignored. It defaults to the day of the last purchase, never to today.
- customer ids may be any hashable type that sorts (int, str, huge integers, categoricals). Results list
  customers in sorted id order, so row order never changes a result. Equal ids are one label: whole numbers
  mixed with decimals in a column of objects (``1`` and ``1.0``) are read as floats, ``-0.0`` as ``0.0``.
- amounts must be finite numbers. Negative amounts (returns, refunds) are allowed and simply add up.
"""

from __future__ import annotations

import datetime as _dt
import importlib
import inspect
import itertools
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, Final, Literal, TypeAlias, TypeVar

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from retention.core.activity import Activity, activity, repeat_customers
from retention.core.arrays import narrowest_unsigned
from retention.core.caller import warn_at_caller
from retention.core.parallel import argsort as parallel_argsort
from retention.core.parallel import (
    bincount,
    concurrently,
    map_blocks,
    map_ranges,
    min_max,
    take,
    threads_for,
)
from retention.core.sums import Piece, group_sums, group_sums_of
from retention.errors import (
    ColumnTypeError,
    InvalidParameterError,
    InvalidValueError,
    RetentionWarning,
    column_not_found,
    plain_value,
)
from retention.frames.engines import decimal_floats, reads_engines
from retention.frames.options import FREQS, MAX_DAYS, check_freq, check_option, parse_duration

__all__ = [
    "FREQS",
    "MAX_AMOUNT",
    "MAX_DAYS",
    "PERIOD_DAYS",
    "Cutoff",
    "DateLike",
    "Duration",
    "Transactions",
    "check_freq",
    "check_ids_match",
    "check_option",
    "day_period_codes",
    "group_codes",
    "last_complete_period",
    "parse_duration",
    "period_codes",
    "period_index",
    "period_start_days",
    "read_cutoff",
    "read_date",
    "read_days",
    "read_transactions",
    "to_day",
]

MAX_AMOUNT: Final = 1e100
"""The largest magnitude of an amount (or a customer's average spend) any function reads. Larger values
are refused with a clear error: they are not money, and their sums, squares and products (variances, model
likelihoods) could overflow float64 to infinity. Below it every total, mean and variance the library
computes is finite."""

PERIOD_DAYS: Final = {"D": 1.0, "W": 7.0, "M": 365.2425 / 12, "Q": 365.2425 / 4, "Y": 365.2425}
"""Mean length in days of each of ``FREQS`` (Gregorian calendar: 12 months make exactly one year), for
turning day counts into durations in a time unit (``rfm_summary``'s ``time_unit``, CLV periods)."""


DateLike: TypeAlias = str | _dt.date | np.datetime64
"""A calendar day: ``"2024-12-31"``, a :class:`datetime.date`, a :class:`pandas.Timestamp`, ..."""

Duration: TypeAlias = int | str | _dt.timedelta | np.timedelta64
"""A number of days: an int, or a string / timedelta such as ``"90D"``."""


_UNITS_PER_DAY: Final = {
    "D": 1,
    "h": 24,
    "m": 24 * 60,
    "s": 86_400,
    "ms": 86_400 * 10**3,
    "us": 86_400 * 10**6,
    "ns": 86_400 * 10**9,
}


def to_day(dates: NDArray[np.datetime64]) -> NDArray[np.int64]:
    """Days since 1970-01-01 of naive ``datetime64`` values.

    Examples
    --------
    >>> to_day(np.array(["1970-01-02T12:00", "1969-12-31T23:00"], dtype="datetime64[ns]"))
    array([ 1, -1])
    """
    unit, count = np.datetime_data(dates.dtype)
    per_day = _UNITS_PER_DAY.get(unit)
    if per_day is not None and per_day % count == 0:
        # Floor division of the raw counts: the same days as a cast to datetime64[D], several times faster.
        return dates.view(np.int64) // (per_day // count)
    return dates.astype("datetime64[D]").astype(np.int64)


def period_codes(dates: NDArray[np.datetime64], freq: str) -> NDArray[np.int64]:
    """Integer period codes of naive ``datetime64`` values.

    The codes are pandas' own period ordinals (``Period.ordinal``), so that :func:`period_index` turns them
    back into labels, but they are computed with numpy casts, which is many times faster than
    ``Series.dt.to_period``. This is the one function in the library that turns dates into periods.

    Parameters
    ----------
    dates : numpy.ndarray of datetime64
        Naive dates, any resolution.
    freq : str
        One of ``FREQS`` (already checked with :func:`check_freq`).

    Returns
    -------
    numpy.ndarray of int64
        The period ordinal of each date.

    Examples
    --------
    >>> d = np.array(["2020-01-05", "2020-03-31"], dtype="datetime64[ns]")
    >>> period_codes(d, "M")
    array([600, 602])
    >>> period_index(period_codes(d, "W"), "W")
    PeriodIndex(['2019-12-30/2020-01-05', '2020-03-30/2020-04-05'], dtype='period[W-SUN]')
    """
    if freq == "D":
        return to_day(dates)
    if freq == "W":
        # Weeks run Monday-Sunday. 1970-01-01 is a Thursday, so day + 3 counts from Monday 1969-12-29, and
        # pandas numbers that week 1 (its W-SUN ordinal 0 is the week ending 1969-12-28).
        return (to_day(dates) + 10) // 7
    if freq == "M":
        return dates.astype("datetime64[M]").astype(np.int64)
    if freq == "Q":
        return dates.astype("datetime64[M]").astype(np.int64) // 3
    if freq == "Y":
        return dates.astype("datetime64[Y]").astype(np.int64)
    msg = f"Unknown period {freq!r}; call check_freq first."  # pragma: no cover - internal misuse
    raise AssertionError(msg)  # pragma: no cover


def day_period_codes(days: NDArray[np.int64], freq: str) -> NDArray[np.int64]:
    """Period codes of days given as days since 1970-01-01; the same codes as :func:`period_codes`.

    The calendar arithmetic runs once per calendar day in the range of the data and every row looks its day
    up in that table, which is several times faster than converting every value when there are millions of
    rows over a few years.

    Examples
    --------
    >>> day_period_codes(np.array([18266, 18352]), "M")  # 2020-01-05 and 2020-03-31
    array([600, 602])
    """
    days = np.asarray(days, dtype=np.int64)
    if freq == "D":
        return days.copy()
    if len(days) == 0:
        return np.empty(0, dtype=np.int64)
    table, low = _day_periods(days, freq)
    return take(table, days, start=low)


def _day_periods(days: NDArray[np.int64], freq: str) -> tuple[NDArray[np.int64], int]:
    """Return the period code of every day from the earliest of ``days`` (not empty) to the latest, and the earliest."""
    low, high = min_max(days)
    return period_codes(np.arange(low, high + 1, dtype=np.int64).astype("datetime64[D]"), freq), low


def period_start_days(codes: NDArray[np.int64], freq: str) -> NDArray[np.int64]:
    """Return the first day of each period, in days since 1970-01-01: the inverse of :func:`period_codes`.

    Parameters
    ----------
    codes : numpy.ndarray of int64
        Period codes as made by :func:`period_codes`.
    freq : str
        One of ``FREQS``.

    Returns
    -------
    numpy.ndarray of int64
        The day each period starts on (a Monday for weeks).

    Examples
    --------
    >>> d = np.array(["2020-01-05", "2020-03-31"], dtype="datetime64[ns]")
    >>> period_start_days(period_codes(d, "W"), "W").astype("datetime64[D]")
    array(['2019-12-30', '2020-03-30'], dtype='datetime64[D]')
    >>> period_start_days(period_codes(d, "Q"), "Q").astype("datetime64[D]")
    array(['2020-01-01', '2020-01-01'], dtype='datetime64[D]')
    """
    codes = np.asarray(codes, dtype=np.int64)
    if freq == "D":
        return codes.copy()
    if freq == "W":
        return codes * 7 - 10  # see period_codes: week code c starts on day 7c - 10, a Monday
    if freq in ("M", "Q"):
        months = codes * 3 if freq == "Q" else codes
        return months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    if freq == "Y":
        return codes.astype("datetime64[Y]").astype("datetime64[D]").astype(np.int64)
    msg = f"Unknown period {freq!r}; call check_freq first."  # pragma: no cover - internal misuse
    raise AssertionError(msg)  # pragma: no cover


def period_index(codes: NDArray[np.int64], freq: str, *, name: str | None = None) -> pd.PeriodIndex:
    """Turn period codes from :func:`period_codes` back into a labelled :class:`pandas.PeriodIndex`.

    Examples
    --------
    >>> period_index(np.array([600, 601]), "M", name="period")
    PeriodIndex(['2020-01', '2020-02'], dtype='period[M]', name='period')
    """
    pandas_freq = "W-SUN" if freq == "W" else freq
    # from_ordinals (pandas >= 2.2) is missing from pandas-stubs.
    index: pd.PeriodIndex = pd.PeriodIndex.from_ordinals(  # type: ignore[attr-defined]
        np.asarray(codes, dtype=np.int64), freq=pandas_freq
    )
    return index.rename(name)


def last_complete_period(end_day: int, freq: str) -> int:
    """Code of the last period that the data cover completely.

    The observation end is inclusive, so the period that contains it is complete only when the observation
    end is that period's last day; otherwise it is incomplete and the one before is the last complete one.

    Parameters
    ----------
    end_day : int
        The observation end in days since 1970-01-01.
    freq : str
        One of ``FREQS``.

    Returns
    -------
    int
        A period code as made by :func:`period_codes`.

    Examples
    --------
    >>> day = lambda s: int(to_day(np.array([s], dtype="datetime64[D]"))[0])
    >>> last_complete_period(day("2020-01-31"), "M")  # January is complete
    600
    >>> last_complete_period(day("2020-01-30"), "M")  # January is not: December 2019
    599
    """
    days = np.array([end_day, end_day + 1], dtype="datetime64[D]")
    this, following = period_codes(days, freq)
    return int(this) if following != this else int(this) - 1


def _small_codes(codes: NDArray[np.int64], n: int) -> NDArray[Any]:
    """Codes below ``n`` in the narrowest unsigned type, so that numpy's stable sort is a radix sort."""
    if n <= 1 << 8:
        return codes.astype(np.uint8)
    if n <= 1 << 16:
        return codes.astype(np.uint16)
    return codes


# Rows handled at a time by passes that would otherwise make temporaries the size of the table.
_ROW_BLOCK: Final = 1 << 20
_EMPTY_INT: Final[NDArray[np.int64]] = np.empty(0, dtype=np.int64)
_EMPTY_FLOAT: Final[NDArray[np.float64]] = np.empty(0, dtype=np.float64)
_EMPTY_INT.setflags(write=False)
_EMPTY_FLOAT.setflags(write=False)


@dataclass(frozen=True, slots=True, eq=False)
class Groups:
    """The group of each customer for a breakdown (``by=``), and the labels of the groups.

    Attributes
    ----------
    codes : numpy.ndarray of int64
        Per customer code, its group: a position in ``labels``.
    labels : pandas.Index
        The groups in sorted order (a missing group last), named like the ``by`` column(s); a
        :class:`pandas.MultiIndex` for several columns.
    order : numpy.ndarray of int64 or None
        Per customer code, the position of the customer's id among all the customer ids in sorted
        order, once the customers are coded group by group (None before); with it a breakdown labels
        per-customer results without sorting or hashing the ids again.
    """

    codes: NDArray[np.int64]
    labels: pd.Index
    order: NDArray[np.int64] | None = None


Rows = tuple[
    NDArray[np.int64],
    NDArray[np.int64],
    NDArray[np.float64] | None,
    NDArray[np.int64],
    NDArray[np.int64],
    NDArray[np.float64],
]
"""The arrays of a table: purchase customer, day and amount, return customer, day and amount."""


@dataclass(frozen=True, slots=True)
class IdsAt:
    """Customer ids not yet taken from their column: the column and, per customer, a row of theirs.

    Taking millions of text ids from a column is a large part of reading it; a metric that only counts
    customers never needs them. Indexed like an Index (a mask, positions or a slice of the customers).
    """

    column: pd.Series
    at: NDArray[np.int64]
    name: object

    def __len__(self) -> int:
        return len(self.at)

    def __getitem__(self, key: Any) -> IdsAt:
        return IdsAt(self.column, self.at[key], self.name)

    def index(self) -> pd.Index:
        """Take the ids from the column, as an Index named like the column."""
        ids: pd.Index = pd.Index(self.column.take(self.at), name=self.name, copy=False)
        return ids


class Transactions:
    """A checked transaction table reduced to arrays; what every metric reads.

    The rows are *orders* (a row of the table, or one (customer, order id) with ``order_id``), split into
    purchases (``customer``, ``day``, ``amount``) and returns (``return_customer``, ``return_day``,
    ``return_amount``): see "Orders and returns" in the docs' data page.

    Attributes
    ----------
    customer : numpy.ndarray of int64
        Per purchase, the customer's code: a position in ``customer_ids``.
    customer_ids : pandas.Index
        The customer ids, named like the input column: every customer with a purchase on or before the
        observation end, in sorted order (with ``by``, sorted within each group, the groups in order);
        read with ``customer_order=False``, in the order of the codes, which is no particular order.
        Taken from the column when first asked for.
    day : numpy.ndarray of int64
        Per purchase, the purchase day in days since 1970-01-01 (the local calendar day if the input had
        a timezone). Days are the finest resolution any metric uses.
    amount : numpy.ndarray of float64 or None
        Per purchase, the amount (0 or more), when an amount column was read.
    end_day : int or None
        The observation end (inclusive) in days since 1970-01-01; None for a table without purchases
        and without an explicit observation end.
    return_customer, return_day : numpy.ndarray of int64
        Per return of a customer, the customer's code and the day (empty without amounts).
    return_amount : numpy.ndarray of float64
        Per return, its amount (below 0).
    groups : Groups or None
        The customers' groups when a breakdown (``by``) was asked for.

    The arrays are read-only: every consumer shares them. The parts made by :meth:`split` read their rows
    only when asked for them; what a whole table computes once (its activity, revenue, row counts) the
    parts take slices of.
    """

    __slots__ = (
        "_cache",
        "_ids",
        "_index",
        "_offset",
        "_parent",
        "_rows",
        "end_day",
        "groups",
    )

    def __init__(
        self,
        *,
        customer: NDArray[np.int64],
        customer_ids: pd.Index | IdsAt,
        day: NDArray[np.int64],
        amount: NDArray[np.float64] | None,
        end_day: int | None,
        return_customer: NDArray[np.int64] | None = None,
        return_day: NDArray[np.int64] | None = None,
        return_amount: NDArray[np.float64] | None = None,
        groups: Groups | None = None,
    ) -> None:
        rows: Rows = (
            customer,
            day,
            amount,
            _EMPTY_INT if return_customer is None else return_customer,
            _EMPTY_INT if return_day is None else return_day,
            _EMPTY_FLOAT if return_amount is None else return_amount,
        )
        for array in rows:
            if array is not None:
                array.setflags(write=False)
        self._rows: Rows | None = rows
        self._ids: pd.Index | IdsAt = customer_ids
        self.end_day = end_day
        self.groups = groups
        self._parent: Transactions | None = None
        self._index = 0
        self._offset = 0
        self._cache: dict[object, Any] = {}

    def __repr__(self) -> str:
        return f"Transactions(customers={self.n_customers}, purchases={self.n_rows}, end_day={self.end_day})"

    def _arrays(self) -> Rows:
        if self._rows is None:
            assert self._parent is not None  # only parts are made without rows
            self._rows = self._parent._group_rows()[self._index]
        return self._rows

    @property
    def customer(self) -> NDArray[np.int64]:
        """Per purchase, the customer's code: a position in ``customer_ids``."""
        return self._arrays()[0]

    @property
    def day(self) -> NDArray[np.int64]:
        """Per purchase, the day in days since 1970-01-01."""
        return self._arrays()[1]

    @property
    def days(self) -> NDArray[np.int64]:
        """Per purchase, the purchase day in days since 1970-01-01 (the same read-only array as ``day``)."""
        return self._arrays()[1]

    @property
    def amount(self) -> NDArray[np.float64] | None:
        """Per purchase, the amount, when an amount column was read."""
        return self._arrays()[2]

    @property
    def has_amounts(self) -> bool:
        """Whether an amount column was read (without reading a part's rows)."""
        if self._rows is None and self._parent is not None:
            return self._parent.has_amounts
        return self.amount is not None

    @property
    def return_customer(self) -> NDArray[np.int64]:
        """Per return, the customer's code."""
        return self._arrays()[3]

    @property
    def return_day(self) -> NDArray[np.int64]:
        """Per return, the day in days since 1970-01-01."""
        return self._arrays()[4]

    @property
    def return_amount(self) -> NDArray[np.float64]:
        """Per return, its amount (below 0)."""
        return self._arrays()[5]

    @property
    def customer_ids(self) -> pd.Index:
        """The customer ids, one per code (see the class's attributes)."""
        if isinstance(self._ids, IdsAt):
            self._ids = self._ids.index()
        return self._ids

    @property
    def n_customers(self) -> int:
        """Number of distinct customers."""
        return len(self._ids)

    @property
    def n_rows(self) -> int:
        """Number of purchases (orders) kept."""
        if self._rows is None and self._parent is not None:
            return int(self._parent._group_sizes()[self._index])
        return len(self.customer)

    @property
    def observation_end(self) -> pd.Timestamp | None:
        """The observation end as a Timestamp (midnight of the inclusive last day)."""
        if self.end_day is None:
            return None
        return pd.Timestamp(np.datetime64(self.end_day, "D"))

    def periods(self, freq: str) -> NDArray[np.int64]:
        """Per purchase, the period code for ``freq`` (see :func:`day_period_codes`); read-only.

        Daily periods are the days themselves: the same read-only array, not a copy.
        """
        if freq == "D":
            return self.day
        codes = day_period_codes(self.day, freq)
        codes.setflags(write=False)
        return codes

    def activity(self, freq: str) -> Activity:
        """Return the distinct (customer, period) pairs of the purchases, computed once per table and period.

        A part of a split table takes its slice of the whole table's pairs: its customers' codes are one
        contiguous range there.
        """
        key = ("activity", freq)
        if key not in self._cache:
            parent = self._parent
            if parent is not None and self._rows is None:
                whole = parent.activity(freq)
                lo, hi = self._offset, self._offset + self.n_customers
                a, b = int(whole.start[lo]), int(whole.start[hi])
                self._cache[key] = Activity(
                    whole.customer[a:b] - lo,
                    whole.period[a:b],
                    whole.first_period[lo:hi],
                    whole.start[lo : hi + 1] - a,
                )
            elif freq == "D" or self.n_rows == 0:
                self._cache[key] = activity(self.customer, self.periods(freq), self.n_customers)
            else:  # the period codes looked up from the days where needed: no table-sized array of them
                lookup = _day_periods(self.day, freq)
                self._cache[key] = activity(
                    self.customer, self.day, self.n_customers, lookup=lookup
                )
        result: Activity = self._cache[key]
        return result

    def repeat_buyers(self) -> NDArray[np.bool_]:
        """Per customer code, whether they bought on two or more distinct days (read-only).

        From the daily activity when it was computed already; else by
        :func:`~retention.core.activity.repeat_customers`: two passes over the purchases instead of a
        sort of every (customer, day) pair.
        """
        if ("activity", "D") in self._cache:
            return self.activity("D").periods_active >= 2

        def compute(t: Transactions) -> tuple[NDArray[np.bool_]]:
            return (repeat_customers(t.customer, t.day, t.n_customers),)

        (repeat,) = self.per_customer("repeat_buyers", compute)
        result: NDArray[np.bool_] = repeat
        return result

    def revenue(self) -> float:
        """Return the total amount of the purchases net of returns, exact (in any row order)."""
        if self._parent is not None and self._rows is None:
            # A group's exact sum depends on its own amounts alone (core.sums), so the whole table's
            # sums by group are each part's own revenue, to the last bit.
            return float(self._parent._group_revenue()[self._index])
        if self.amount is None:  # pragma: no cover - internal misuse
            msg = "revenue() needs a table read with amounts"
            raise AssertionError(msg)
        if "revenue" not in self._cache:
            # Purchases and returns as two pieces of one exact sum: no table-sized copy of either.
            pieces: list[Piece] = [(None, self.amount), (None, self.return_amount)]
            self._cache["revenue"] = float(group_sums_of(pieces, 1)[0])
        revenue: float = self._cache["revenue"]
        return revenue

    def _group_revenue(self) -> NDArray[np.float64]:
        """Per group, the revenue net of returns of its customers (whole tables read with ``by``)."""
        if "group_revenue" not in self._cache:
            assert self.groups is not None  # only tables read with by= are split
            amount = self.amount
            if amount is None:  # pragma: no cover - internal misuse
                msg = "revenue() needs a table read with amounts"
                raise AssertionError(msg)
            pieces: list[Piece] = [
                (self._row_groups(self.customer), amount),
                (self.groups.codes[self.return_customer], self.return_amount),
            ]
            self._cache["group_revenue"] = group_sums_of(pieces, len(self.groups.labels))
        revenue: NDArray[np.float64] = self._cache["group_revenue"]
        return revenue

    def per_customer(
        self, key: object, compute: Callable[[Transactions], tuple[NDArray[Any], ...]]
    ) -> tuple[NDArray[Any], ...]:
        """Return per-customer arrays computed once on the whole table; a part takes its customers' slice.

        Only for quantities of a customer that depend on that customer's rows alone (counts, days,
        exact sums: :func:`~retention.core.sums.group_sums` sums each customer on its own), so that a
        part's slice is what the part would compute alone, to the last bit, without reading its rows.

        Parameters
        ----------
        key : hashable
            Names ``compute`` with the options it depends on (the cache key).
        compute : callable
            ``compute(table) -> tuple`` of arrays indexed by customer code.

        Returns
        -------
        tuple
            The arrays for this table's customers (a part's are views of the whole table's: the caller
            must not modify them).
        """
        cache_key = ("per_customer", key)
        if cache_key not in self._cache:
            parent = self._parent
            if parent is not None and self._rows is None:
                lo, hi = self._offset, self._offset + self.n_customers
                whole = parent.per_customer(key, compute)
                self._cache[cache_key] = tuple(a[lo:hi] for a in whole)
            else:
                self._cache[cache_key] = compute(self)
        result: tuple[NDArray[Any], ...] = self._cache[cache_key]
        return result

    def net(self) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
        """Purchases and returns together: customer codes, days and amounts, for revenue net of returns.

        Raises
        ------
        AssertionError
            If the table was read without amounts (an internal misuse).
        """
        customer, day, amount, r_customer, r_day, r_amount = self._arrays()
        if amount is None:  # pragma: no cover - internal misuse
            msg = "net() needs a table read with amounts"
            raise AssertionError(msg)
        if len(r_customer) == 0:
            return customer, day, amount
        return (
            np.concatenate([customer, r_customer]),
            np.concatenate([day, r_day]),
            np.concatenate([amount, r_amount]),
        )

    def _bounds(self) -> NDArray[np.int64]:
        """Return the first customer code of each group, and one past the last (codes are group-major)."""
        assert self.groups is not None  # only tables read with by= are split
        if "bounds" not in self._cache:
            sizes = np.bincount(self.groups.codes, minlength=len(self.groups.labels))
            self._cache["bounds"] = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        bounds: NDArray[np.int64] = self._cache["bounds"]
        return bounds

    def _row_groups(self, customer: NDArray[np.int64]) -> NDArray[np.int64]:
        """Per row of ``customer`` (codes of this table), its group; the purchases' groups are kept."""
        assert self.groups is not None  # only tables read with by= are split
        keep = customer is self.customer  # the purchases' groups serve sizes, revenue and rows
        if keep and "row_groups" in self._cache:
            cached: NDArray[np.int64] = self._cache["row_groups"]
            return cached
        # Looked up block by block in the groups as bytes: a table that stays in the processor's caches.
        if "small_groups" not in self._cache:
            self._cache["small_groups"] = _small_codes(self.groups.codes, len(self.groups.labels))
        small: NDArray[Any] = self._cache["small_groups"]
        row_group = np.empty(len(customer), dtype=np.int64)
        for lo in range(0, len(customer), _ROW_BLOCK):
            row_group[lo : lo + _ROW_BLOCK] = small.take(customer[lo : lo + _ROW_BLOCK])
        if keep:
            self._cache["row_groups"] = row_group
        return row_group

    def _group_sizes(self) -> NDArray[np.int64]:
        """Per group, its purchases (the parts' ``n_rows``)."""
        if "sizes" not in self._cache:
            assert self.groups is not None  # only tables read with by= are split
            k = len(self.groups.labels)
            if "row_groups" in self._cache:
                # Made for the revenue by group: a count over a few bins.
                sizes = np.bincount(self._cache["row_groups"], minlength=k)
            else:
                # Counted block by block on the groups as bytes, without a table-sized temporary.
                if "small_groups" not in self._cache:
                    self._cache["small_groups"] = _small_codes(self.groups.codes, k)
                small: NDArray[Any] = self._cache["small_groups"]
                sizes = np.zeros(k, dtype=np.int64)
                for lo in range(0, len(self.customer), _ROW_BLOCK):
                    block = self.customer[lo : lo + _ROW_BLOCK]
                    sizes += np.bincount(small.take(block), minlength=k)
            self._cache["sizes"] = sizes.astype(np.int64, copy=False)
        result: NDArray[np.int64] = self._cache["sizes"]
        return result

    def _group_rows(self) -> list[Rows]:
        """Return every group's rows, made in one pass the first time a part needs its rows."""
        if "rows" in self._cache:
            rows: list[Rows] = self._cache["rows"]
            return rows
        assert self.groups is not None  # only tables read with by= are split
        k = len(self.groups.labels)
        bounds = self._bounds()

        def cut(
            customer: NDArray[np.int64], *arrays: NDArray[Any]
        ) -> list[tuple[NDArray[np.int64], list[NDArray[Any]]]]:
            row_group = self._row_groups(customer)
            # A stable radix sort on the small group codes partitions the rows in linear time.
            order = np.argsort(_small_codes(row_group, k), kind="stable")
            edges = np.concatenate([[0], np.cumsum(np.bincount(row_group, minlength=k))])
            ordered = customer[order]
            others = [a[order] for a in arrays]
            return [
                (
                    ordered[edges[g] : edges[g + 1]] - bounds[g],  # codes local to the group
                    [a[edges[g] : edges[g + 1]] for a in others],
                )
                for g in range(k)
            ]

        customer, day, amount, r_customer, r_day, r_amount = self._arrays()
        purchases = cut(customer, day, *([amount] if amount is not None else []))
        returns = cut(r_customer, r_day, r_amount)
        result: list[Rows] = []
        for g in range(k):
            p_customer, (p_day, *rest) = purchases[g]
            q_customer, (q_day, q_amount) = returns[g]
            parts = (p_customer, p_day, rest[0] if rest else None, q_customer, q_day, q_amount)
            for array in parts:
                if array is not None:
                    array.setflags(write=False)
            result.append(parts)
        self._cache["rows"] = result
        return result

    def split(self) -> list[tuple[object, Transactions]]:
        """Return the table of each group's customers alone, in the order of ``groups.labels``.

        Each part has the same observation end as the whole table; its customers keep their sorted order.
        A part reads its rows from the whole table only when a metric asks for them.
        """
        if self.groups is None:  # pragma: no cover - internal misuse
            msg = "split() needs a table read with by="
            raise AssertionError(msg)
        bounds = self._bounds()
        parts = []
        for g, label in enumerate(self.groups.labels):
            part = Transactions.__new__(Transactions)
            part._rows = None
            part._parent = self
            part._index = g
            part._offset = int(bounds[g])
            part._cache = {}
            part._ids = self._ids[bounds[g] : bounds[g + 1]]
            part.end_day = self.end_day
            part.groups = None
            parts.append((label, part))
        return parts


def _refuse_nested(values: pd.Series | pd.Index, what: str, name: object) -> None:
    """Refuse pyarrow lists, structs and maps: a cell holds several values, not one id, label or date.

    Examples
    --------
    >>> import pyarrow as pa
    >>> lists = pd.Series([[1], [2]], dtype=pd.ArrowDtype(pa.list_(pa.int64())))
    >>> _refuse_nested(lists, "Column 'customer_id' (the customer_id column)", "customer_id")
    Traceback (most recent call last):
    ...
    retention.errors.ColumnTypeError: Column 'customer_id' (the customer_id column) holds lists or records (list<item: int64>[pyarrow]), not one value per row. Pass a column of single values: one field of it, or its text, e.g. tx['customer_id'].astype(str).
    """
    dtype = values.dtype
    if not isinstance(dtype, pd.ArrowDtype):
        return
    kind = dtype.pyarrow_dtype
    if importlib.import_module("pyarrow").types.is_nested(kind):
        msg = f"{what} holds lists or records ({dtype}), not one value per row. Pass a column of single values: one field of it, or its text, e.g. tx[{name!r}].astype(str)."
        raise ColumnTypeError(msg)


def _one_label_each(values: pd.Series | pd.Index, what: str, name: object) -> pd.Series | pd.Index:
    """Return labels that are equal as one value each, whatever the row that comes first (a copy if changed).

    ``-0.0`` and ``0.0`` are one id or one group, as are ``1`` and ``1.0`` in a column of Python objects
    (Excel and JSON exports mix whole numbers and decimals); the label kept would otherwise be the first
    row's, so row order would change the result. Floats are read with ``-0.0`` as ``0.0``; whole numbers
    mixed with decimals are read as floats, or refused (``what`` names the column) when one of them is
    not a float exactly (beyond 2**53).

    Examples
    --------
    >>> _one_label_each(pd.Series([-0.0, 1.5]), "Column 'id'", "id").tolist()
    [0.0, 1.5]
    >>> _one_label_each(pd.Series([2, 1.0, 1], dtype=object), "Column 'id'", "id").tolist()
    [2.0, 1.0, 1.0]

    Other labels that are equal but not alike (``True`` and ``1``, ``False`` and ``0``) are refused:
    no one type reads them all as written.

    >>> _one_label_each(pd.Series([True, 1], dtype=object), "Column 'id'", "id")
    Traceback (most recent call last):
    ...
    retention.errors.ColumnTypeError: Column 'id' holds labels that are equal but written differently (True and 1), which would be one label, written as the first row's. Make them one type, e.g. tx['id'].astype(str).
    """
    kind = pd.api.types.infer_dtype(values, skipna=True) if values.dtype == object else ""
    if kind in {"mixed", "mixed-integer"}:
        _refuse_equal_unlike(values, what, name)
    if kind == "mixed-integer-float":
        floats = values.astype(np.float64)
        given = np.asarray(values, dtype=object)
        exact = (np.asarray(floats, dtype=object) == given) | pd.isna(given)
        if not exact.all():
            first = given[np.flatnonzero(~exact)[0]]
            msg = f"{what} mixes whole numbers and decimals (1 and 1.0 are one id, read as floats), and {first!r} is not a float exactly. Make them one type, e.g. tx[{name!r}].astype(str) or .astype('Int64')."
            raise ColumnTypeError(msg)
        values = floats
    if pd.api.types.is_float_dtype(values.dtype):
        return values + 0.0
    return values


def _refuse_equal_unlike(values: pd.Series | pd.Index, what: str, name: object) -> None:
    """Refuse labels of a column of objects that are equal but written differently (``True`` and ``1``).

    Equal labels are one (``pd.factorize``), written as the first row's; written out, they differ. Only
    columns that mix kinds get here (``infer_dtype`` "mixed" or "mixed-integer"), e.g. ids that mix
    numbers and text, as Excel exports do.
    """
    # Unhashable labels (lists) are refused by the caller's own reading, in its words.
    try:
        codes, _ = pd.factorize(values)  # missing values (None, NaN): -1, left out
    except TypeError:
        return
    given = np.asarray(values, dtype=object)
    # As Python text in an array of objects: pandas' text type refuses lone surrogates, which ids may
    # hold, and numpy's refuses tuples.
    written, _ = pd.factorize(np.frompyfunc(str, 1, 1)(given))
    pairs = np.unique(np.stack([codes, written], axis=1)[codes >= 0], axis=0)
    twice = pairs[1:, 0] == pairs[:-1, 0]
    if not twice.any():
        return
    rows = np.flatnonzero(codes == pairs[1:, 0][twice][0])
    other = rows[written[rows] != written[rows[0]]][0]
    first, other = given[rows[0]], given[other]
    msg = f"{what} holds labels that are equal but written differently ({plain_value(first)!r} and {plain_value(other)!r}), which would be one label, written as the first row's. Make them one type, e.g. tx[{name!r}].astype(str)."
    raise ColumnTypeError(msg)


def _column(tx: pd.DataFrame, column: object, role: str) -> pd.Series:
    if column not in tx.columns:
        raise column_not_found(column, role, tx.columns)
    col: Any = tx[
        column
    ]  # a DataFrame when the label is duplicated, which the stubs do not allow for
    if isinstance(col, pd.DataFrame):
        # With MultiIndex columns the label names a top level with columns below it.
        if isinstance(tx.columns, pd.MultiIndex):
            below: object = col.columns[0]
            whole = (column, *below) if isinstance(below, tuple) else (column, below)
            msg = f"Column {column!r} (the {role} column) is the top level of the table's MultiIndex columns, with {col.shape[1]} column(s) below it. Flatten the columns, e.g. tx.columns = ['_'.join(map(str, c)) for c in tx.columns], or name a whole column, e.g. {whole!r}."
        else:
            msg = f"Column {column!r} (the {role} column) appears more than once in the table. Rename the duplicates."
        raise InvalidValueError(msg)
    series: pd.Series = col
    _refuse_nested(series, f"Column {column!r} (the {role} column)", column)
    return series


def _first_bad(series: pd.Series, mask: NDArray[np.bool_] | pd.Series) -> str:
    bad = series[np.asarray(mask)]
    n = len(bad)
    first, value = plain_value(bad.index[0]), plain_value(bad.iloc[0])
    return f"{n} row{'s' if n != 1 else ''}, the first at index {first!r} (value {value!r})"


# An ISO 8601 time of day with a UTC offset at its end ("Z", "+01:00", "+0100", "-05"): the part before it.
_OFFSET: Final = r"^(?P<local>.*\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?) ?(?:Z|[+-]\d{2}(?::?\d{2})?)$"


def _as_written(col: pd.Series) -> pd.Series | None:
    """Read text times that all carry a UTC offset in the wall-clock time written, or return None.

    The offsets of one shop's times differ when summer time begins and ends (``+01:00`` in winter,
    ``+02:00`` in summer, for Berlin): each time is read as written, the offset dropped, as a column of
    one timezone is read in its local wall-clock time. None when a value is not such a text.

    Examples
    --------
    >>> _as_written(pd.Series(["2024-01-05 23:30 +0100", "2024-07-05T00:30+02:00"])).tolist()
    [Timestamp('2024-01-05 23:30:00'), Timestamp('2024-07-05 00:30:00')]
    >>> _as_written(pd.Series(["2024-01-05T10:00+01:00", "2024-01-06"])) is None
    True
    """
    try:
        local = col.astype(object).str.extract(_OFFSET, expand=False)
    except (AttributeError, TypeError, ValueError):  # not text
        return None
    if local.isna().any():
        return None
    try:
        parsed = pd.to_datetime(local, format="ISO8601")
    except (ValueError, TypeError, OverflowError):
        return None
    return parsed if pd.api.types.is_datetime64_dtype(parsed.dtype) else None


def _parse_text_dates(col: pd.Series, name: object, func: str, fix: str) -> pd.Series:
    """Parse a column of ISO 8601 texts (or of date and time objects).

    Text times whose UTC offsets differ are read as written (:func:`_as_written`); other mixes of
    timezones are refused.
    """
    if isinstance(col.dtype, pd.PeriodDtype):
        msg = f"Column {name!r} (the date column) of {func} holds periods ({col.dtype}), not dates. Convert them to dates first, e.g. tx[{name!r}].dt.to_timestamp() (the first day of each), or pass the column of purchase dates with date=..."
        raise ColumnTypeError(msg)
    mixed = (
        f"Column {name!r} (the date column) of {func} mixes timezones, or tz-aware and naive dates "
        "(text times are read when every one carries a UTC offset). Convert them to one timezone first, "
        f"e.g. pd.to_datetime(tx[{name!r}], utc=True).dt.tz_convert('Europe/Berlin')."
    )
    try:
        parsed = pd.to_datetime(col, format="ISO8601")
    except (ValueError, TypeError, OverflowError) as e:
        text = str(e).lower()
        if "timezone" not in text and "tz-aware" not in text and "offset" not in text:
            reason = str(e).splitlines()[0].split(". You might want to try")[0].rstrip(":. ")
            msg = f"Column {name!r} (the date column) of {func} has values that are not dates ({reason}). {fix}"
            raise InvalidValueError(msg) from e
        local = _as_written(col)
        if local is None:
            raise InvalidValueError(mixed) from e
        return local
    if pd.api.types.is_datetime64_dtype(parsed.dtype) or isinstance(
        parsed.dtype, pd.DatetimeTZDtype
    ):
        return parsed
    local = _as_written(col)  # pandas 2 gives objects for mixed offsets
    if local is None:
        raise InvalidValueError(mixed)
    return local


def read_days(
    col: pd.Series, name: object, func: str, *, keep_time: bool = False
) -> tuple[NDArray[np.int64], NDArray[np.int64] | None]:
    """Read a date column: per row the day (days since 1970-01-01) and, when asked, the exact time.

    The one parser of date columns (the rules are in the module docstring). The exact time is the
    column's own count since 1970 as int64, in the column's unit (seconds to nanoseconds), local wall-clock
    time for a timezone-aware column: it orders and matches the rows of one column, and is never cast to
    another unit, since nanoseconds wrap around, silently, for a date before 1677-09-22 or after 2262-04-11.

    Examples
    --------
    >>> read_days(pd.Series(["2024-01-02", "2024-01-01T23:00"]), "date", "example", keep_time=True)
    (array([19724, 19723]), array([1704153600000000, 1704150000000000]))
    >>> far = pd.Series(["2300-01-02", "1600-01-01T23:00"]).astype("datetime64[s]")
    >>> read_days(far, "date", "example", keep_time=True)
    (array([ 120531, -135140]), array([ 10413878400, -11676013200]))
    """
    fix = f"Convert it with pd.to_datetime(tx[{name!r}]) or pass the right column with date=..."
    arrow = _arrow_dates(col)
    if arrow is not None:  # pyarrow timestamps and dates, as parquet files and pandas 3 give them
        col = arrow
    if _holds_durations(col):  # before pandas' type tests, which raise on Arrow intervals
        msg = f"Column {name!r} (the date column) of {func} holds durations ({col.dtype}), not dates. Pass the column of purchase dates with date=..., or add the durations to a start date first."
        raise ColumnTypeError(msg)
    if isinstance(col.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(col.dtype):
        parsed = col
    elif pd.api.types.is_bool_dtype(col.dtype):
        msg = f"Column {name!r} (the date column) of {func} holds booleans ({col.dtype}), not dates. Pass the column of purchase dates with date=..."
        raise ColumnTypeError(msg)
    elif pd.api.types.is_numeric_dtype(col.dtype):
        msg = (
            f"Column {name!r} (the date column) of {func} holds numbers ({col.dtype}), not dates. "
            f"If they are epoch seconds, convert with pd.to_datetime(tx[{name!r}], unit='s')."
        )
        raise ColumnTypeError(msg)
    else:
        missing = col.isna().to_numpy()
        if missing.any():
            msg = f"Column {name!r} (the date column) of {func} has missing dates: {_first_bad(col, missing)}. Drop or fill those rows."
            raise InvalidValueError(msg)
        before = _clock()
        parsed = _parse_text_dates(col, name, func, fix)
        after = _clock()
        _refuse_clock_words(col, parsed, before=before, after=after, name=name, func=func)
    missing = parsed.isna().to_numpy()
    if missing.any():
        msg = f"Column {name!r} (the date column) of {func} has missing dates (NaT): {_first_bad(col, missing)}. Drop or fill those rows."
        raise InvalidValueError(msg)
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        # Local wall-clock time of the one timezone: the business's own calendar decides the period.
        parsed = parsed.dt.tz_localize(None)
    values = parsed.to_numpy()
    stamps = values.view(np.int64) if keep_time else None  # the column's own unit: see above
    return to_day(values), stamps


def _holds_durations(col: pd.Series) -> bool:
    """Tell a column of durations: timedelta64, Arrow durations, or objects such as DuckDB's intervals.

    Intervals of months and days come from Arrow as ``pd.DateOffset`` objects, which pandas would have
    failed to parse with a message about offsets (read as "timezones").
    """
    if isinstance(col.dtype, pd.ArrowDtype):  # first: pandas' type tests raise on Arrow intervals
        types = importlib.import_module("pyarrow").types
        return bool(
            types.is_duration(col.dtype.pyarrow_dtype) or types.is_interval(col.dtype.pyarrow_dtype)
        )
    if pd.api.types.is_timedelta64_dtype(col.dtype):
        return True
    # Objects: the first row tells, without a pass over the column (missing dates are refused anyway).
    return (
        col.dtype == object
        and len(col) > 0
        and isinstance(col.iloc[0], (_dt.timedelta, np.timedelta64, pd.DateOffset))
    )


# Words pandas reads as the current time: a result must never depend on the clock.
_CLOCK_WORDS: Final = frozenset({"now", "today"})


def _clock() -> tuple[np.datetime64, np.datetime64]:
    """Return the current local and UTC wall-clock times, to recognise what pandas parsed as "now"."""
    return (
        pd.Timestamp.now().to_datetime64(),
        pd.Timestamp.now(tz="UTC").tz_localize(None).to_datetime64(),
    )


def _refuse_clock_words(
    col: pd.Series,
    parsed: pd.Series,
    *,
    before: tuple[np.datetime64, np.datetime64],
    after: tuple[np.datetime64, np.datetime64],
    name: object,
    func: str,
) -> None:
    """Refuse the cells that pandas read as the current time ("now", "today"), as unparsable dates.

    Only the rows parsed to a time within the parse's own duration (local or UTC clock) are looked at,
    so that the check costs a few comparisons per row; the result never depends on the clock.
    """
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        return  # pandas reads "now" as a naive time, which cannot share a column with a timezone
    values = parsed.to_numpy()
    near = ((values >= before[0]) & (values <= after[0])) | (
        (values >= before[1]) & (values <= after[1])
    )
    if not near.any():
        return
    words = col[near].astype(str).str.strip().str.lower().isin(_CLOCK_WORDS).to_numpy()
    if words.any():
        bad = np.zeros(len(col), dtype=np.bool_)
        bad[np.flatnonzero(near)[words]] = True
        msg = (
            f"Column {name!r} (the date column) of {func} has values that are not dates: "
            f"{_first_bad(col, bad)}. 'now' and 'today' would make the result depend on the clock; "
            "write the date itself (e.g. '2024-12-31')."
        )
        raise InvalidValueError(msg)


def _arrow_dates(col: pd.Series) -> pd.Series | None:
    """Return a pyarrow timestamp or date column as numpy datetime64 (timezone kept), else None."""
    dtype = col.dtype
    if not isinstance(dtype, pd.ArrowDtype) or dtype.kind != "M":
        return None
    tz = getattr(
        dtype.pyarrow_dtype, "tz", None
    )  # timestamps have a timezone or None; dates have none
    # The column's own unit (seconds for dates): nanoseconds would refuse a date outside 1677-2262.
    unit: Literal["s", "ms", "us", "ns"] = getattr(dtype.pyarrow_dtype, "unit", "s")
    if tz is not None:
        return col.astype(pd.DatetimeTZDtype(unit=unit, tz=tz))
    return col.astype(np.dtype(f"datetime64[{unit}]"))


def _read_amounts(
    col: pd.Series, name: object, func: str, *, needed: bool = True
) -> NDArray[np.float64]:
    fix = f"Convert it with pd.to_numeric(tx[{name!r}]) or pass the right column with amount=..."
    try:
        return _amounts(col, name, func, fix)
    except (ColumnTypeError, InvalidValueError) as e:
        if needed:
            raise
        # Read only to recognise returns: say how to do without it.
        hint = " Or pass amount=None to read no amounts (no row is then a return)."
        raise type(e)(str(e) + hint) from e


def _amounts(col: pd.Series, name: object, func: str, fix: str) -> NDArray[np.float64]:
    if pd.api.types.is_bool_dtype(col.dtype) or not pd.api.types.is_numeric_dtype(col.dtype):
        msg = f"Column {name!r} (the amount column) of {func} must hold numbers; it has dtype {col.dtype}. {fix}"
        raise ColumnTypeError(msg)
    if pd.api.types.is_complex_dtype(col.dtype):
        msg = f"Column {name!r} (the amount column) of {func} holds complex numbers. Pass real amounts."
        raise ColumnTypeError(msg)
    own = col.to_numpy(copy=False) if col.dtype == np.float64 else None
    decimals = decimal_floats(col)
    if decimals is not None:
        values = decimals
    elif own is not None and own.flags.c_contiguous:
        # The column's own numbers, without a copy: read-only, so that nothing here can change them.
        values = own.view()
        values.flags.writeable = False
    else:  # other types, and the strided columns of a frame made from a 2-D array: a copy
        values = col.to_numpy(dtype=np.float64, na_value=np.nan)
    if _out_of_range(values):  # missing, infinite or too large: one pass in the usual case
        bad = ~(np.abs(values) <= MAX_AMOUNT)
        missing = np.isnan(values)
        if missing.any():
            msg = f"Column {name!r} (the amount column) of {func} has missing amounts: {_first_bad(col, missing)}. Drop or fill those rows."
            raise InvalidValueError(msg)
        infinite = ~np.isfinite(values)
        if infinite.any():
            msg = f"Column {name!r} (the amount column) of {func} has infinite amounts: {_first_bad(col, infinite)}. Drop or fix those rows."
            raise InvalidValueError(msg)
        msg = (
            f"Column {name!r} (the amount column) of {func} has amounts beyond +-{MAX_AMOUNT:.0e}: "
            f"{_first_bad(col, bad)}. Amounts that large are not money (and their totals and averages "
            "would overflow); drop or fix those rows, or rescale the column (to thousands, say)."
        )
        raise InvalidValueError(msg)
    return values


def _out_of_range(values: NDArray[np.float64]) -> bool:
    """Whether an amount is missing, infinite or beyond ``MAX_AMOUNT``: block by block on threads."""

    def bad(lo: int, hi: int) -> bool:
        return not bool((np.abs(values[lo:hi]) <= MAX_AMOUNT).all())

    return any(map_blocks(bad, len(values), block=_ROW_BLOCK))


def _dense_integer_codes(col: pd.Series) -> tuple[NDArray[np.int64], NDArray[Any]] | None:
    """Sorted codes of plain integer ids whose range is not much wider than the table, or None.

    A bitmap over ``[min, max]`` ranked by a cumulative sum gives the same codes as
    ``pd.factorize(sort=True)`` in a fraction of the time, for the common case of integer ids.
    """
    dtype = col.dtype
    if not (isinstance(dtype, np.dtype) and dtype.kind in "iu"):
        return None
    values = col.to_numpy()
    if len(values) == 0:
        return None
    # Each pass block by block on threads: the bounds, then the offsets and the bitmap (every write sets
    # a cell to True, so the blocks may share it).
    low, high = min_max(values)
    span = high - low + 1
    if span > max(4 * len(values), 1 << 20):
        return None
    # In 64 bits, array arithmetic wraps and the true offsets are below 2**63: exact for any ids.
    wide = values.astype(np.int64 if dtype.kind == "i" else np.uint64, copy=False)
    offset = np.empty(len(values), dtype=wide.dtype)
    present = np.zeros(span, dtype=np.bool_)
    start = wide.dtype.type(low)

    def mark(lo: int, hi: int) -> None:
        np.subtract(wide[lo:hi], start, out=offset[lo:hi])
        present[offset[lo:hi].view(np.int64)] = True

    map_blocks(mark, len(values), block=_ROW_BLOCK)
    offsets: NDArray[np.int64] = offset.view(np.int64)  # below 2**63: a view, not a copy
    # The ids, made in 64 bits (the offsets added to the lowest id, in place) and narrowed without a copy
    # for 64-bit ids.
    if bool(present.all()):
        # Every id in the range occurs (ids numbered 1, 2, 3, ...): the offsets are the codes.
        uniques = np.arange(span, dtype=wide.dtype)
        uniques += start
        return offsets, uniques.astype(dtype, copy=False)
    rank = np.cumsum(present, dtype=np.int64)
    rank -= 1
    codes = rank[offsets]
    uniques = np.flatnonzero(present).astype(wide.dtype, copy=False)
    uniques += start
    return codes, uniques.astype(dtype, copy=False)


# Text ids of at most this many bytes are coded from their bytes (_text_codes); longer ones by pd.factorize.
_TEXT_CODE_MAX_BYTES: Final = 64

# _WORD_MASKS[k] keeps the first k bytes of a big-endian 8-byte word and zeroes the others.
_WORD_MASKS: Final = np.array(
    [0] + [((1 << (8 * k)) - 1) << (8 * (8 - k)) for k in range(1, 9)], dtype=np.uint64
)


# Integer keys are coded bucket by bucket above this many: see _hashed_codes.
_BUCKETED_CODES_MIN: Final = 1 << 20
# Fibonacci hashing: the top bits of key * 2**64 / golden ratio spread any keys evenly over the buckets.
_SPREAD: Final = np.uint64(0x9E3779B97F4A7C15)
_BUCKET_BITS: Final = 8


def _hashed_codes(keys: NDArray[Any]) -> tuple[NDArray[np.int64], NDArray[Any]]:
    """Return codes of 64-bit integer keys (equal keys, equal codes; in no particular order) and the keys.

    One hash table of millions of keys misses the processor's caches on nearly every row. So the rows are
    first put in order of a hash bucket of their key (one stable radix pass over 8-bit bucket numbers), and
    each bucket's keys are coded by ``pd.factorize`` in a table that fits the caches; the codes of a bucket
    follow those of the buckets before it. About three times faster than one ``pd.factorize`` at 10M rows
    of 3M distinct keys, and it does not depend on the keys' sizes or order.
    """
    if len(keys) < _BUCKETED_CODES_MIN:
        codes, uniques = pd.factorize(keys, sort=False)
        return codes.astype(np.int64, copy=False), uniques
    bucket = np.empty(len(keys), dtype=np.uint8)

    def spread(lo: int, hi: int) -> None:
        # Block by block: the 64-bit products stay small (fresh memory is slow).
        product = keys[lo:hi].view(np.uint64) * _SPREAD
        product >>= np.uint64(64 - _BUCKET_BITS)
        np.copyto(bucket[lo:hi], product, casting="unsafe")

    map_blocks(spread, len(keys), block=_ROW_BLOCK)
    order = np.argsort(bucket, kind="stable")
    edges = np.zeros((1 << _BUCKET_BITS) + 1, dtype=np.int64)
    np.cumsum(bincount(bucket, minlength=1 << _BUCKET_BITS), out=edges[1:])
    grouped = keys[order]
    bounds = edges.tolist()
    # Runs of buckets of about equal rows, a few per thread; each bucket is coded on its own, then its
    # codes follow those of the buckets before it: the same codes whatever the runs and threads.
    cuts = np.searchsorted(
        edges, np.linspace(0, len(keys), 4 * threads_for(len(keys)) + 1)
    ).tolist()
    runs = [(a, b) for a, b in itertools.pairwise(cuts) if b > a]

    def factorized(first: int, last: int) -> list[tuple[NDArray[np.int64], NDArray[Any]]]:
        return [
            pd.factorize(grouped[bounds[b] : bounds[b + 1]], sort=False) for b in range(first, last)
        ]

    coded = [pair for run in map_ranges(factorized, runs, rows=len(keys)) for pair in run]
    starts = np.zeros(len(coded) + 1, dtype=np.int64)
    np.cumsum([len(uniques) for _, uniques in coded], out=starts[1:])
    codes = np.empty(len(keys), dtype=np.int64)

    def place(first: int, last: int) -> None:
        for b in range(first, last):
            lo, hi = bounds[b], bounds[b + 1]
            if hi > lo:
                codes[order[lo:hi]] = coded[b][0] + starts[b]

    map_ranges(place, runs, rows=len(keys))
    return codes, np.concatenate([uniques for _, uniques in coded])


def _integer_codes(keys: NDArray[Any], in_order: bool) -> tuple[NDArray[np.int64], NDArray[Any]]:
    """Return codes of integer keys (in sorted order of the keys, or in none) and the keys of the codes.

    Keys of any integer type; the keys returned have that type.
    """
    wide = keys.astype(np.uint64 if keys.dtype.kind == "u" else np.int64, copy=False)
    codes, uniques = _hashed_codes(wide)
    if in_order:
        order = parallel_argsort(uniques)
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order), dtype=np.int64)
        uniques = uniques[order]

        def recode(lo: int, hi: int) -> None:
            # In place, block by block: each block reads and writes its own rows.
            np.take(rank, codes[lo:hi], out=codes[lo:hi], mode="clip")

        map_blocks(recode, len(codes), block=_ROW_BLOCK)
    return codes, uniques.astype(keys.dtype, copy=False)


def _key_codes(keys: NDArray[Any], in_order: bool) -> tuple[NDArray[np.int64], int]:
    """Return codes of integer keys and their number: in sorted order of the keys, or in none."""
    codes, uniques = _integer_codes(keys, in_order)
    return codes, len(uniques)


def _arrow_text(col: pd.Series) -> Any:
    """Return the column as one pyarrow string array without missing values, or None if it is not."""
    dtype = col.dtype
    arrow_backed = getattr(dtype, "storage", None) == "pyarrow" or (
        isinstance(dtype, pd.ArrowDtype) and str(dtype.pyarrow_dtype) in ("string", "large_string")
    )
    if not (arrow_backed or dtype == np.dtype(object)):
        return None
    try:
        pa = importlib.import_module("pyarrow")  # an optional extra: held by it, or read by it
    except ImportError:
        return None
    try:
        # The column's own Arrow data (its __arrow_array__); Python strings (object dtype) converted,
        # their type inferred, not imposed: bytes among the text give a binary array, left to pandas.
        source = col.array if arrow_backed else col.to_numpy()
        array = pa.array(source, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError):
        return None  # not all text (or text Arrow cannot hold): pandas decides
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    text = pa.types.is_large_string(array.type) or pa.types.is_string(array.type)
    return array if text and not array.null_count else None


def surrogate_error(col: pd.Series, name: object, role: str, func: str) -> InvalidValueError:
    r"""Return the error for a text column that holds a lone surrogate, naming its first such value.

    A lone surrogate (as from bytes decoded with ``errors="surrogateescape"``) is no character: it has
    no UTF-8 bytes, so Arrow, pandas' own text type, parquet and the other engines cannot hold it, and
    reading the column fails. Called when it has failed, so that the common path scans nothing; the
    wording is that of the report's check of the texts it shows.

    Examples
    --------
    >>> ids = pd.Series(["a", "b\udcff"], index=[10, 11], dtype=object)
    >>> print(surrogate_error(ids, "customer_id", "customer_id", "kpis"))  # doctest: +NORMALIZE_WHITESPACE
    Column 'customer_id' (the customer_id column) of kpis holds '\udcff' at position 1 of its value at
    index 11 ('b\udcff'), which is no character (a lone surrogate, as from bytes decoded with
    errors='surrogateescape') and cannot be read as text. Re-read the file with its right encoding, or
    replace such characters, e.g. tx['customer_id'] = tx['customer_id'].str.encode('utf-8',
    'backslashreplace').str.decode('utf-8') (which keeps distinct values apart).
    """
    # By position, the values as they are (object: no conversion to text that cannot hold them).
    texts = pd.Series(col.to_numpy(dtype=object), dtype=object, copy=False)
    lone = np.flatnonzero(texts.str.contains("[\ud800-\udfff]", regex=True, na=False).to_numpy())
    where = "a value"
    if len(lone):
        value = texts.iloc[lone[0]]
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as e:
            label = plain_value(col.index[lone[0]])
            where = f"{value[e.start : e.end]!r} at position {e.start} of its value at index {label!r} ({value!r})"
    fix = f"tx[{name!r}] = tx[{name!r}].str.encode('utf-8', 'backslashreplace').str.decode('utf-8')"
    msg = (
        f"Column {name!r} (the {role} column) of {func} holds {where}, which is no character (a lone "
        "surrogate, as from bytes decoded with errors='surrogateescape') and cannot be read as text. "
        f"Re-read the file with its right encoding, or replace such characters, e.g. {fix} (which keeps "
        "distinct values apart)."
    )
    return InvalidValueError(msg)


def _text_codes(
    col: pd.Series, in_order: bool = True
) -> tuple[NDArray[np.int64], NDArray[np.int64]] | None:
    """Return sorted codes of text ids read from their UTF-8 bytes, with one row of each id; or None.

    The ids' bytes, zero-padded, are cut into big-endian 8-byte words: comparing the words in turn is
    comparing the bytes, which for UTF-8 is comparing the code points, the order in which Python and pandas
    sort text. Each word is an integer, coded by a hash pass and a sort of its distinct values, and the
    codes of successive words are combined, so that no string is hashed or compared. Equal to
    ``pd.factorize(col, sort=True)`` and several times faster on logs of millions of rows. Python strings
    (object dtype) are converted to Arrow first when pyarrow is installed. None (use pandas) when the
    column is not text, when pyarrow is missing, when an id is longer than ``_TEXT_CODE_MAX_BYTES`` or
    when a NUL byte occurs (zero padding would then merge ids). With ``in_order`` False the codes are
    in no particular order (no sort of the distinct words: faster).
    """
    array = _arrow_text(col)
    if array is None:
        return None
    n = len(array)
    large = str(array.type) == "large_string"  # 64-bit offsets, else 32-bit
    _, offset_buffer, data_buffer = array.buffers()
    offsets = np.frombuffer(
        offset_buffer,
        dtype=np.int64 if large else np.int32,
        count=n + 1,
        offset=array.offset * (8 if large else 4),
    )
    first, last = int(offsets[0]), int(offsets[-1])
    data = (
        np.frombuffer(data_buffer, dtype=np.uint8, count=last)
        if data_buffer is not None
        else np.zeros(0, np.uint8)
    )
    data = data[first:]

    def widest(lo: int, hi: int) -> int:
        return int(np.subtract(offsets[lo + 1 : hi + 1], offsets[lo:hi]).max())

    def no_nul(lo: int, hi: int) -> bool:
        return bool(data[lo:hi].all())

    width = max(map_blocks(widest, n, block=_ROW_BLOCK), default=0)
    if width > _TEXT_CODE_MAX_BYTES or not all(map_blocks(no_nul, len(data), block=_ROW_BLOCK)):
        return None
    padded = np.zeros(len(data) + 8, dtype=np.uint8)
    padded[: len(data)] = data
    # Every byte position as the start of an unaligned big-endian word: word i is padded[i : i + 8].
    words = np.ndarray((len(data) + 1,), dtype=">u8", buffer=padded, strides=(1,))

    def word_of(k: int) -> NDArray[np.uint64]:
        """Return the k-th word of every id, block by block on threads (each block writes its rows)."""
        word = np.empty(n, dtype=np.uint64)

        def fill(lo: int, hi: int) -> None:
            # Ids shorter than 8k bytes have no k-th word (mask 0): their index is clipped into the
            # buffer. (np.minimum and np.maximum in place: np.clip is several times slower.)
            at = np.subtract(offsets[lo:hi], np.int64(first - 8 * k), dtype=np.int64)
            np.minimum(at, len(data), out=at)
            kept = np.subtract(offsets[lo + 1 : hi + 1], offsets[lo:hi], dtype=np.int64)
            kept -= 8 * k
            np.minimum(kept, 8, out=kept)
            np.maximum(kept, 0, out=kept)
            out = word[lo:hi]
            np.copyto(out, words[at], casting="unsafe")
            out &= _WORD_MASKS[kept]

        map_blocks(fill, n, block=_ROW_BLOCK)
        return word

    codes, n_codes = np.zeros(n, dtype=np.int64), min(n, 1)  # every id empty: one code
    for k in range(-(-width // 8)):  # a handful of words: a loop over byte columns, not rows
        word_codes, n_word = _key_codes(word_of(k), in_order)
        if k:
            # codes * n_word + word_codes < n**2: no overflow below 3e9 rows. In place: the codes are
            # this loop's own.
            codes *= n_word
            codes += word_codes
            del word_codes
            codes, n_codes = _key_codes(codes, in_order)
        else:
            codes, n_codes = word_codes, n_word
    representative = np.empty(n_codes, dtype=np.int64)
    representative[codes] = np.arange(n, dtype=np.int64)
    return codes, representative


def _read_customers(
    col: pd.Series, name: object, func: str, *, in_order: bool = True
) -> tuple[NDArray[np.int64], pd.Index | IdsAt]:
    """Code the customer ids: codes in sorted order of the ids (or, for text, in none: ``in_order``)."""
    # Plain numpy integers cannot be missing: no pass over the column for them.
    if not (isinstance(col.dtype, np.dtype) and col.dtype.kind in "iu"):
        missing = col.isna().to_numpy()
        if missing.any():
            msg = f"Column {name!r} (the customer_id column) of {func} has missing ids: {_first_bad(col, missing)}. Drop or fill those rows."
            raise InvalidValueError(msg)
    dense = _dense_integer_codes(col)
    if dense is not None:
        codes, values = dense
        return codes, pd.Index(values, name=name, copy=False)  # the codes' own arrays: not copied
    if isinstance(col.dtype, np.dtype) and col.dtype.kind in "iu":  # ids spread wide: hashed
        codes, values = _integer_codes(col.to_numpy(), in_order)
        return codes, pd.Index(values, name=name, copy=False)
    try:
        text = _text_codes(col, in_order)
    except UnicodeEncodeError as e:
        raise surrogate_error(col, name, "customer_id", func) from e
    if text is not None:
        codes, representative = text
        return codes, IdsAt(col, representative, name)
    same = _one_label_each(col, f"Column {name!r} (the customer_id column) of {func}", name)
    try:
        codes, uniques = pd.factorize(same, sort=True)
    except TypeError as e:
        kinds = sorted({type(v).__name__ for v in col.to_numpy()[:10_000]})
        msg = (
            f"Column {name!r} (the customer_id column) of {func} mixes id types that cannot be sorted "
            f"({', '.join(kinds)}). Make them one type, e.g. tx[{name!r}].astype(str)."
        )
        raise ColumnTypeError(msg) from e
    ids = pd.Index(uniques, name=name, copy=False)
    if isinstance(ids, pd.CategoricalIndex):
        ids = ids.remove_unused_categories()
    return codes.astype(np.int64, copy=False), ids


def read_date(value: object, name: str, func: str) -> int:
    """Read a date option (``observation_end``, ``start``, ...) as days since 1970-01-01.

    A timezone-aware value is read in its local wall-clock time, like the date column.

    Raises
    ------
    InvalidParameterError
        If the value is not a date or is missing (NaT).

    Examples
    --------
    >>> read_date("2024-01-02", "start", "contact_plan")
    19724
    """
    if isinstance(value, bool | int | float | np.number) or (
        isinstance(value, np.ndarray) and value.dtype.kind in "biufc"
    ):
        msg = (
            f"The {name!r} parameter of {func} is a number ({plain_value(value)!r}), not a date: pandas "
            "would read it as nanoseconds since 1970. Pass a string such as '2024-12-31' or a Timestamp."
        )
        raise InvalidParameterError(msg)
    if isinstance(value, str) and value.strip().lower() in _CLOCK_WORDS:
        msg = (
            f"The {name!r} parameter of {func} is {value!r}, which would make the result depend on the "
            "clock. Pass the date itself, such as '2024-12-31' (or None for the default)."
        )
        raise InvalidParameterError(msg)
    try:
        stamp: Any = pd.Timestamp(value)  # type: ignore[arg-type]  # NaT included, which the stubs do not allow for
    except (TypeError, ValueError, OverflowError) as e:
        msg = f"The {name!r} parameter of {func} is not a date. Got {value!r}. Pass a date such as '2024-12-31'."
        raise InvalidParameterError(msg) from e
    if pd.isna(stamp):
        msg = f"The {name!r} parameter of {func} is missing (NaT). Pass a date such as '2024-12-31' or None."
        raise InvalidParameterError(msg)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_localize(None)
    return int(to_day(np.array([stamp.to_datetime64()]))[0])


@dataclass(frozen=True, slots=True)
class Cutoff:
    """A day that splits the data in two, already checked against the whole table by :func:`check_cutoff`.

    A cluster reads each partition of a table as a table of its own, whose first purchase may come after
    a day that splits the whole table. So the driver checks the day once, against the whole table's first
    purchase and observation end, and hands the partitions this value: :func:`read_cutoff` returns its
    day without checking it against a partition again.

    Attributes
    ----------
    day : int
        The day in days since 1970-01-01 (inclusive: it belongs to the first part).

    Examples
    --------
    A day before this table's first purchase, checked against the whole table it is a part of:

    >>> tx = pd.DataFrame({"customer_id": [1, 1], "date": ["2024-03-01", "2024-04-01"]})
    >>> t = read_transactions(tx, func="example")
    >>> np.datetime64(read_cutoff(Cutoff(19_760), t, name="calibration_end", func="example"), "D")
    np.datetime64('2024-02-07')
    """

    day: int


def read_cutoff(value: object, t: Transactions, *, name: str, func: str) -> int:
    """Read a date that splits the data in two, such as a calibration end, and check that it does.

    The day is inclusive (it belongs to the first part), so it must be on or after the first purchase day
    and before the observation end. A :class:`Cutoff` has been checked against the whole table that ``t``
    is a part of: its day is returned as it is.

    Parameters
    ----------
    value : date-like or Cutoff
        The date the caller passed (a time of day is ignored; a timezone is dropped, keeping the wall-clock
        date).
    t : Transactions
        The table it splits, from :func:`read_transactions`.
    name, func : str
        The parameter and the function, named in the message.

    Returns
    -------
    int
        The day in days since 1970-01-01.

    Raises
    ------
    InvalidParameterError
        If ``value`` is not a date, or the data have no purchase on or before it or none can follow it.

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": [1, 1], "date": ["2024-01-01", "2024-03-01"]})
    >>> t = read_transactions(tx, func="example")
    >>> np.datetime64(read_cutoff("2024-02-01", t, name="calibration_end", func="example"), "D")
    np.datetime64('2024-02-01')
    >>> read_cutoff("2024-03-01", t, name="calibration_end", func="example")
    Traceback (most recent call last):
    ...
    retention.errors.InvalidParameterError: The 'calibration_end' parameter of example must fall within the data: on or after the first purchase (2024-01-01) and before the observation end (2024-03-01). Got '2024-03-01'.
    """
    if isinstance(value, Cutoff):
        return value.day
    day = read_date(value, name, func)
    first_day = int(t.days.min()) if t.n_rows else None
    return check_cutoff(day, value, first_day, t.end_day, name=name, func=func)


def check_cutoff(
    day: int, value: object, first_day: int | None, end_day: int | None, *, name: str, func: str
) -> int:
    """Check that a day read by :func:`read_cutoff` splits data from ``first_day`` to ``end_day``.

    ``first_day`` is the first purchase day (None without purchases), ``end_day`` the observation end;
    ``value`` is what the caller passed, quoted in the message. Returns ``day``.

    Examples
    --------
    >>> check_cutoff(19_800, "2024-03-18", 19_700, 19_900, name="calibration_end", func="f")
    19800
    """
    if end_day is None or first_day is None:
        msg = f"The {name!r} parameter of {func} must fall within the data, but the table has no purchases. Got {value!r}."
        raise InvalidParameterError(msg)
    if not first_day <= day < end_day:
        first, end = np.datetime64(first_day, "D"), np.datetime64(end_day, "D")
        msg = (
            f"The {name!r} parameter of {func} must fall within the data: on or after the first purchase "
            f"({first}) and before the observation end ({end}). Got {value!r}."
        )
        raise InvalidParameterError(msg)
    return day


RETURNS: Final = ("net", "drop")
"""The accepted values of the shared ``returns`` option."""

# The shared options of every public function that reads transactions, in signature order, with the one
# docstring entry each of them gets (injected by :func:`transaction_options`).
OPTION_DOCS: Final = {
    "customer_id": """customer_id : column label, default "customer_id"
    The column holding the customer id (any hashable type that sorts).""",
    "date": """date : column label, default "date"
    The column holding the purchase date: datetimes, or text in ISO 8601. A timezone-aware column is read
    in its local wall-clock time.""",
    "amount": """amount : column label or None, default "amount"
    The column holding the amount of each row. A row (or an order) with a negative amount is a return
    (see ``returns``). The default column is used when the table has it and ignored when it does not,
    unless the function needs money; a column named explicitly must exist. None ignores amounts.""",
    "order_id": """order_id : column label, optional
    The column holding the order (invoice) id, for logs with one row per order line. An order is one
    (customer, order id): its amount is the sum of its rows, its date the earliest of its rows, and order
    counts count orders. By default every row is one order.""",
    "observation_end": """observation_end : date-like, optional
    The last day observed (inclusive); later purchases are ignored. Defaults to the day of the last
    purchase, never to today.""",
    "returns": """returns : {"net", "drop"}, default "net"
    What to do with rows of negative amount. "net": an order whose amount is negative is a return, never
    a purchase (no order, no activity, no first purchase); revenue is net of returns, which subtract
    from their customer and period. "drop": rows with a negative amount are ignored.""",
    "by": """by : column label, list of column labels or pandas.Series, optional
    Break the result down by group: a column (each customer's value on their first purchase), several
    columns, or a Series mapping customer id to group (an account manager from a CRM, say). The result
    gains the group as its outer index level(s); each group's result equals the function run on that
    group's customers alone, with the same observation end. Customers whose group is missing form a
    group of their own (labelled NaN); a Series whose index holds none of the customer ids and is of
    another type (text against numbers, say) is refused.""",
}

TABLE_DOC: Final = """tx : pandas.DataFrame or a table of another engine
    One row per purchase, or per order line with ``order_id``. Not modified; row order does not matter.
    A polars, pyarrow, DuckDB, Dask or Spark table is read too (see the "Where your data lives" page of
    the docs, ``docs/engines.md``)."""
"""The Parameters entry of the table ``tx``, written where the line ``<transaction table>`` is."""

READING_ERRORS_DOC: Final = """ColumnNotFoundError, ColumnTypeError, InvalidValueError
    If the table cannot be read (see :func:`~retention.frames.schema.read_transactions`): it is not a
    table, lacks a column, or holds unusable values."""
"""The Raises entry of the errors of reading the table, written where the line ``<reading errors>`` is."""

_OPTIONS_MARKER: Final = "<transaction options>"
_TABLE_MARKER: Final = "<transaction table>"
_ERRORS_MARKER: Final = "<reading errors>"
# The names the table parameter goes by (those reads_engines reads): a function that documents its table
# in words of its own (a summary read too, one customer's purchases) writes an entry of that name.
_TABLES: Final = ("tx", "transactions", "data")

F = TypeVar("F", bound=Callable[..., Any])


def _shared_entry(marker: str, signature: inspect.Signature, name: str) -> str:
    """Return the entries that replace the line ``marker`` in the docstring of ``name``."""
    if marker == _OPTIONS_MARKER:
        return "\n".join(OPTION_DOCS[n] for n in signature.parameters if n in OPTION_DOCS)
    if marker == _TABLE_MARKER:
        if "tx" not in signature.parameters:
            msg = f"{name}: {_TABLE_MARKER!r} documents a table tx, which it does not take: write an entry"
            raise AssertionError(msg)
        return TABLE_DOC
    if marker == _ERRORS_MARKER:
        return READING_ERRORS_DOC
    known = (_OPTIONS_MARKER, _TABLE_MARKER, _ERRORS_MARKER)
    msg = f"{name}: the docstring line {marker!r} is none of the markers {known}"
    raise AssertionError(msg)


def _is_marker(line: str) -> bool:
    """Whether a stripped docstring line is a marker: words in lower case between ``<`` and ``>``."""
    words = line[1:-1]
    return (
        line == f"<{words}>"
        and " " in words
        and words.replace(" ", "").isalpha()
        and words.islower()
    )


def _is_reading_errors(line: str) -> bool:
    """Whether ``line`` heads a Raises entry of the errors of reading a table (one naming ColumnNotFoundError)."""
    names = [part.strip() for part in line.split(",")]
    return "ColumnNotFoundError" in names and all(n.isidentifier() for n in names)


def transaction_options(function: F) -> F:
    """Mark a function that reads transactions: shared docstring entries, and tables of every engine.

    Three marker lines of the docstring are replaced by entries written once here, so that every function
    that reads transactions documents them in the same words, at the marker's indentation:

    - ``<transaction options>`` (required): the entries of :data:`OPTION_DOCS` that the function's
      signature has, in signature order;
    - ``<transaction table>``: the entry of the table ``tx`` (:data:`TABLE_DOC`), first in Parameters;
    - ``<reading errors>``: the Raises entry of the errors of reading it (:data:`READING_ERRORS_DOC`).

    Lines indented under ``<transaction table>`` or ``<reading errors>`` continue the entry's description:
    what the function says more. A function whose table is more than a transaction table (``data``, which
    may be a summary) writes its own entries instead; the docstring must end up with exactly one table
    entry and one Raises entry naming ColumnNotFoundError, and an unknown marker fails, both at import. The
    function also reads polars, pyarrow, DuckDB, Dask and Spark tables
    (:func:`retention.frames.engines.reads_engines`).

    Examples
    --------
    >>> @transaction_options
    ... def f(tx, *, customer_id="customer_id", by=None):
    ...     '''Do something.
    ...
    ...     Parameters
    ...     ----------
    ...     <transaction table>
    ...     <transaction options>
    ...
    ...     Raises
    ...     ------
    ...     <reading errors>
    ...         Also if ``by`` names a missing column.
    ...     '''
    >>> lines = f.__doc__.splitlines()
    >>> for i in (4, 8, -5, -2):
    ...     print(lines[i])
        tx : pandas.DataFrame or a table of another engine
        customer_id : column label, default "customer_id"
        ColumnNotFoundError, ColumnTypeError, InvalidValueError
            Also if ``by`` names a missing column.
    >>> @transaction_options
    ... def g(tx):
    ...     '''<transaction tabel>'''
    Traceback (most recent call last):
    ...
    AssertionError: g: the docstring line '<transaction tabel>' is none of the markers ('<transaction options>', '<transaction table>', '<reading errors>')
    """
    if function.__doc__ is None:  # docstrings stripped (python -OO): nothing to write
        return reads_engines(function)
    doc = function.__doc__
    signature = inspect.signature(function)
    name = function.__name__
    rendered: list[str] = []
    markers: set[str] = set()
    for line in doc.splitlines():
        marker = line.strip()
        if not _is_marker(marker):
            rendered.append(line)
            continue
        markers.add(marker)
        indent = line[: len(line) - len(line.lstrip())]
        entry = _shared_entry(marker, signature, name)
        rendered.extend(indent + row for row in entry.splitlines())
    if _OPTIONS_MARKER not in markers:
        msg = f"{name} has no {_OPTIONS_MARKER!r} line in its docstring"
        raise AssertionError(msg)
    heads = tuple(f"{t} : " for t in _TABLES)
    tables = sum(1 for line in rendered if line.strip().startswith(heads))
    errors = sum(1 for line in rendered if _is_reading_errors(line))
    if (tables, errors) != (1, 1):
        msg = (
            f"{name} documents its table in {tables} entries and the errors of reading it in {errors}: write "
            f"the lines {_TABLE_MARKER!r} (first in Parameters) and {_ERRORS_MARKER!r} (in Raises) once"
        )
        raise AssertionError(msg)
    function.__doc__ = "\n".join(rendered) + ("\n" if doc.endswith("\n") else "")
    return reads_engines(function)


def _read_order_ids(col: pd.Series, name: object, func: str) -> tuple[NDArray[np.int64], int]:
    if not (isinstance(col.dtype, np.dtype) and col.dtype.kind in "iu"):
        missing = col.isna().to_numpy()
        if missing.any():
            msg = f"Column {name!r} (the order_id column) of {func} has missing order ids: {_first_bad(col, missing)}. Drop or fill those rows, or pass order_id=None to count every row as an order."
            raise InvalidValueError(msg)
    dense = _dense_integer_codes(col)
    if dense is not None:
        return dense[0], len(dense[1])
    # Order ids need no order: integers and text are coded without sorting them, as customer ids are.
    if isinstance(col.dtype, np.dtype) and col.dtype.kind in "iu":
        return _key_codes(col.to_numpy(), in_order=False)
    try:
        text = _text_codes(col, in_order=False)
    except UnicodeEncodeError as e:
        raise surrogate_error(col, name, "order_id", func) from e
    if text is not None:
        return text[0], len(text[1])
    try:
        codes, uniques = pd.factorize(col)
    except TypeError as e:
        msg = f"Column {name!r} (the order_id column) of {func} holds values that cannot be compared ({e}). Make them one type, e.g. tx[{name!r}].astype(str)."
        raise ColumnTypeError(msg) from e
    return codes.astype(np.int64, copy=False), len(uniques)


# Above this many rows, the line-item check looks at the rows of a fixed sample of the customers.
_LINE_CHECK_ROWS: Final = 100_000


def _check_table(tx: object, returns: object, func: str) -> pd.DataFrame:
    """Check the table's type and the options that need no column."""
    if not isinstance(tx, pd.DataFrame):
        msg = f"{func} expects a pandas DataFrame of transactions; got {type(tx).__name__}. Build one with pd.DataFrame(...)."
        raise ColumnTypeError(msg)
    check_option("returns", returns, RETURNS, func)
    return tx


def _warn_if_line_items(customer: NDArray[np.int64], stamp: NDArray[np.int64], func: str) -> None:
    """Warn when most rows share their customer and exact time with another row (order lines).

    Large tables are judged on every row of the customers whose code is a multiple of a power of two (the
    smallest that leaves at most about ``_LINE_CHECK_ROWS`` rows), so that rows of one customer are never
    split and row order never matters; the rows are picked on threads, block by block.
    """
    n = len(customer)
    if n > _LINE_CHECK_ROWS:
        low_bits = (1 << (-(-n // _LINE_CHECK_ROWS) - 1).bit_length()) - 1

        def picked(lo: int, hi: int) -> NDArray[np.intp]:
            return np.flatnonzero((customer[lo:hi] & low_bits) == 0) + lo

        rows = np.concatenate(map_blocks(picked, n, block=_ROW_BLOCK))
        customer, stamp = customer[rows], stamp[rows]
    if len(customer) < 2:
        return
    order = np.lexsort((stamp, customer))
    c, s = customer[order], stamp[order]
    same = (c[1:] == c[:-1]) & (s[1:] == s[:-1])
    shared = np.zeros(len(c), dtype=np.bool_)
    shared[1:] |= same
    shared[:-1] |= same
    share = float(np.count_nonzero(shared)) / len(c)
    if share > 0.5:
        msg = (
            f"{func}: {share:.0%} of the rows share their customer and exact time with another row, as the "
            "rows of a log of order lines do, and each row counts as one order. Pass order_id= "
            "(--order-id on the command line) to count orders."
        )
        warn_at_caller(msg, RetentionWarning)


def _group_first(
    key: NDArray[np.int64], values: NDArray[np.int64], n_keys: int
) -> NDArray[np.int64]:
    """Return the smallest value per key (every key occurs; a key that does not gets a large number).

    Values from 0 to 2**32 - 1 (group codes, days since 1970) are compared in the narrowest unsigned type
    that holds them: the indexed minimum then runs on a table a half to an eighth the size, twice as fast.
    """
    small = (
        narrowest_unsigned(int(values.max())) if len(values) and int(values.min()) >= 0 else None
    )
    if small is not None:
        narrow = np.full(n_keys, np.iinfo(small).max, dtype=small)
        np.minimum.at(narrow, key, values.astype(small))
        return narrow.astype(np.int64)
    out = np.full(n_keys, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(out, key, values)
    return out


def _dense(codes: NDArray[np.int64], n: int) -> tuple[NDArray[np.int64], int]:
    """Renumber the codes that occur without gaps (after rows were dropped), keeping their order."""
    used = np.zeros(n, dtype=np.bool_)
    used[codes] = True
    if used.all():
        return codes, n
    return (np.cumsum(used, dtype=np.int64) - 1)[codes], int(np.count_nonzero(used))


def _orders(
    customer: NDArray[np.int64], order: NDArray[np.int64], n_order_ids: int
) -> tuple[NDArray[np.int64], NDArray[np.int64], int]:
    """Per row the order (a dense code of its (customer, order id)), and per order its customer.

    ``order`` holds dense codes of the order ids: every code below ``n_order_ids`` occurs.
    """
    # Block by block on several threads. Two blocks may write different customers for one order id; the
    # check then fails whichever was written last (a row of the other customer disagrees), so the result
    # never depends on the threads' timing.
    owner = np.empty(n_order_ids, dtype=np.int64)

    def place(lo: int, hi: int) -> None:
        owner[order[lo:hi]] = customer[lo:hi]

    def agrees(lo: int, hi: int) -> bool:
        return bool(np.array_equal(owner[order[lo:hi]], customer[lo:hi]))

    map_blocks(place, len(order), block=_ROW_BLOCK)
    if all(map_blocks(agrees, len(order), block=_ROW_BLOCK)):
        # The usual case: every order id belongs to one customer, so the order ids are the orders.
        return order, owner, n_order_ids
    key = customer * np.int64(n_order_ids) + order  # below 2**62 for any table that fits in memory
    codes, uniques = pd.factorize(key)
    codes = codes.astype(np.int64, copy=False)
    return codes, np.asarray(uniques, dtype=np.int64) // n_order_ids, len(uniques)


def _sorted_codes(value: pd.Series | pd.Index) -> tuple[NDArray[np.intp], pd.Index]:
    """Codes of the labels in sorted order, a missing label last (one code for every kind of missing).

    pandas leaves labels unsorted when it codes the missing ones too (``use_na_sentinel=False``) in a
    column of objects holding booleans and None, so that row order changed the groups' order: missing
    labels are coded apart and put last here.
    """
    codes, found = pd.factorize(value, sort=True)
    uniques = pd.Index(found) if len(found) else pd.Index(value[:0])
    missing = codes < 0
    if missing.any():
        codes = np.where(missing, len(uniques), codes)
        if uniques.dtype == object:  # insert would infer a type from what is left (floats for none)
            uniques = pd.Index([*uniques, np.nan], dtype=object)
        else:
            uniques = uniques.insert(len(uniques), np.nan)
    return codes, uniques


def group_codes(
    values: list[pd.Series | pd.Index], names: list[object], func: str
) -> tuple[NDArray[np.int64], pd.Index]:
    """Dense codes of (several) group columns, in sorted order of the labels, a missing label last.

    The one ordering rule of groups: ``by=`` breakdowns and :mod:`retention.stats` both use it.

    Examples
    --------
    >>> codes, labels = group_codes([pd.Series(["web", None, "app", "web"])], ["channel"], "example")
    >>> codes.tolist(), labels.tolist()
    ([1, 2, 0, 1], ['app', 'web', nan])
    """
    codes_list: list[NDArray[np.int64]] = []
    uniques_list: list[pd.Index] = []
    for given, name in zip(values, names, strict=True):
        _refuse_nested(given, f"The 'by' parameter of {func}: column {name!r}", name)
        value = _one_label_each(given, f"The 'by' parameter of {func}: column {name!r}", name)
        try:
            codes, uniques = _sorted_codes(value)
        except TypeError as e:
            if "unhashable" in str(e):
                msg = f"The 'by' parameter of {func}: column {name!r} holds values that cannot be grouped ({str(e).splitlines()[0]}). Convert them, e.g. tx[{name!r}].astype(str)."
                raise ColumnTypeError(msg) from e
            # Labels of mixed types that do not sort (numbers and text): order them by type, then text.
            codes, uniques = pd.factorize(value, use_na_sentinel=False)
            order = sorted(
                range(len(uniques)),
                key=lambda i: (pd.isna(uniques[i]), type(uniques[i]).__name__, str(uniques[i])),
            )
            rank = np.empty(len(order), dtype=np.int64)
            rank[order] = np.arange(len(order))
            codes, uniques = rank[codes], pd.Index(uniques).take(order)
        codes_list.append(np.asarray(codes, dtype=np.int64))
        uniques_list.append(pd.Index(uniques))
    if len(codes_list) == 1:
        return codes_list[0], uniques_list[0].rename(names[0])
    sizes = [len(u) for u in uniques_list]
    combined = np.ravel_multi_index(tuple(codes_list), sizes)
    present, dense = np.unique(combined, return_inverse=True)
    parts = np.unravel_index(present, sizes)
    labels = pd.MultiIndex.from_arrays(
        [u.take(p) for u, p in zip(uniques_list, parts, strict=True)], names=names
    )
    return dense.astype(np.int64, copy=False), labels


def _by_columns(by: object, tx: pd.DataFrame, func: str) -> list[object] | None:
    """Return the column labels named by ``by``, or None when ``by`` is a Series."""
    if isinstance(by, pd.Series):
        return None
    names = list(by) if isinstance(by, list | tuple) else [by]
    if not names:
        msg = f"The 'by' parameter of {func} is an empty list. Name at least one column, or pass by=None."
        raise InvalidParameterError(msg)
    for name in names:
        try:
            hash(name)
        except TypeError as e:
            msg = f"The 'by' parameter of {func} must be a column label, a list of labels or a Series of groups indexed by customer id. Got {by!r}."
            raise InvalidParameterError(msg) from e
        if name not in tx.columns:
            raise column_not_found(name, "by", tx.columns)
    return names


def _series_groups(by: pd.Series, ids: pd.Index, func: str) -> Groups:
    """Read the groups of a ``by=`` Series: the group of each of ``ids`` (the customers, in code order)."""
    values = keyed_values(
        by, ids, name="by", func=func, one="group", outcome="one group of missing labels"
    )
    name = by.name if by.name is not None else "group"
    codes, labels = group_codes([values], [name], func)
    return Groups(codes=codes, labels=labels)


# The kinds of customer ids (Index.inferred_type) that hold the same values: 1 and 1.0 are one id.
_NUMBER_KINDS: Final = frozenset(
    {"integer", "floating", "mixed-integer-float", "decimal", "complex"}
)


def _id_kind(index: pd.Index) -> str | None:
    """Return the kind of the ids of a flat index ("number", "string", "date", ...), None for mixed types."""
    if isinstance(index, pd.CategoricalIndex):
        index = index.categories
    kind: str = index.inferred_type
    if kind in _NUMBER_KINDS:
        return "number"
    return None if kind.startswith("mixed") or kind.startswith("unknown") else kind


def _other_kind(index: pd.Index, ids: pd.Index) -> bool:
    """Whether ``index`` cannot hold any of ``ids`` (not empty): it is of another kind.

    An empty index is of no kind: a Series of no groups (no customer assigned yet) puts every customer in
    the group of missing labels, as it says.
    """
    if len(index) == 0:
        return False
    if index.nlevels != ids.nlevels:
        return True
    if index.nlevels > 1:
        return False
    mine, theirs = _id_kind(index), _id_kind(ids)
    return mine is not None and theirs is not None and mine != theirs


def check_ids_match(
    index: pd.Index, ids: pd.Index, looked_up: pd.Series, *, name: str, func: str, outcome: str
) -> None:
    """Refuse a Series keyed by customer id (``name``) whose index holds none of ``ids`` and is of another kind.

    ``looked_up`` is the Series reindexed by ``ids``: only when all of it is missing is the index searched
    for the ids at all. Read as it is, such a Series would put every customer in ``outcome`` (a group of
    missing labels, say): text ids against numbers, or a MultiIndex against one level of ids, is a
    mismatch of types to fix, not data. An index of the ids' own kind that holds none of them, or an empty
    one, is read as it is (a partition of a table on a cluster may rightly have none of its customers).

    Examples
    --------
    >>> by = pd.Series(["a", "b"], index=["1", "2"])
    >>> ids = pd.Index([1, 2], name="customer_id")
    >>> check_ids_match(by.index, ids, by.reindex(ids), name="by", func="f", outcome="one group")
    Traceback (most recent call last):
    ...
    retention.errors.InvalidValueError: The 'by' parameter of f is a Series whose index holds none of the customer ids, so every customer would be in one group: its index has dtype str (e.g. '1') and the customer ids have dtype int64 (e.g. 1). Make the ids the same type, e.g. by.index = by.index.astype('int64').
    """
    if (
        len(ids)
        and looked_up.isna().all()
        and _other_kind(index, ids)
        and not (index.get_indexer(ids) >= 0).any()
    ):
        raise _unmatched(index, ids, name=name, func=func, outcome=outcome)


def keyed_values(
    series: pd.Series, ids: pd.Index, *, name: str, func: str, one: str, outcome: str
) -> pd.Series:
    """Look up a Series keyed by customer id (the option ``name``) for ``ids``: missing where it has none.

    The one reader of such options (``by=``, ``strata=``, ``owner=``): each customer may have one ``one``
    (a duplicated id is refused), and a Series whose index holds none of the ids and is of another kind
    (text against numbers, several levels against one) is refused by :func:`check_ids_match` rather than
    read as ``outcome``. An index of the ids' own kind may rightly hold none of them: a cluster reads each
    partition of a table as a table of its own, and a partition's customers may all be missing from the
    Series; nor may an empty Series (no customer assigned yet).

    Examples
    --------
    >>> weights = pd.Series([10, 20], index=[2, 3])
    >>> keyed_values(weights, pd.Index([1, 2]), name="w", func="f", one="weight", outcome="none")
    1     NaN
    2    10.0
    dtype: float64
    >>> keyed_values(pd.Series(["a", "b"], index=[1, 1]), pd.Index([1]), name="by", func="f",
    ...              one="group", outcome="one group")
    Traceback (most recent call last):
    ...
    retention.errors.InvalidValueError: The 'by' parameter of f has customer 1 more than once in its index. Give each customer one group.
    """
    if not series.index.is_unique:
        dup = series.index[series.index.duplicated()][0]
        msg = f"The {name!r} parameter of {func} has customer {plain_value(dup)!r} more than once in its index. Give each customer one {one}."
        raise InvalidValueError(msg)
    try:
        values = series.reindex(ids)
    except TypeError as e:  # pragma: no cover - index types pandas cannot align
        msg = f"The {name!r} parameter of {func} is a Series whose index cannot be matched with the customer ids ({e}). Index it by customer id."
        raise InvalidValueError(msg) from e
    check_ids_match(series.index, ids, values, name=name, func=func, outcome=outcome)
    return values


def _unmatched(
    index: pd.Index, ids: pd.Index, *, name: str, func: str, outcome: str
) -> InvalidValueError:
    """Build the error of :func:`check_ids_match`."""
    mine = f"the customer ids have dtype {ids.dtype} (e.g. {plain_value(ids[0])!r})"
    if isinstance(index, pd.MultiIndex):
        has = f"its index is a MultiIndex of {index.nlevels} levels (e.g. {index[0]!r}) and {mine}"
        fix = "Index it by customer id alone"
        # The level that holds customer ids, if one does, is the index to keep.
        levels = [k for k in range(index.nlevels) if (index.levels[k].get_indexer(ids) >= 0).any()]
        if levels:
            level = index.names[levels[0]] if index.names[levels[0]] is not None else levels[0]
            fix += f", e.g. {name}.index = {name}.index.get_level_values({level!r})"
    else:
        has = f"its index has dtype {index.dtype} (e.g. {plain_value(index[0])!r}) and {mine}"
        if _id_kind(ids) == "string":
            cast = "astype(str)"
        elif ids.dtype == object:  # huge integers, say: the Python type of the ids
            cast = f"map({type(plain_value(ids[0])).__name__})"
        else:
            cast = f"astype({str(ids.dtype)!r})"
        fix = f"Make the ids the same type, e.g. {name}.index = {name}.index.{cast}"
    msg = (
        f"The {name!r} parameter of {func} is a Series whose index holds none of the customer ids, so "
        f"every customer would be in {outcome}: {has}. {fix}."
    )
    return InvalidValueError(msg)


def read_transactions(
    tx: object,
    *,
    customer_id: Hashable = "customer_id",
    date: Hashable = "date",
    amount: Hashable | None = None,
    order_id: Hashable | None = None,
    observation_end: DateLike | None = None,
    returns: str = "net",
    by: object = None,
    amount_required: bool = False,
    warn_line_items: bool = False,
    customer_order: bool = True,
    func: str,
) -> Transactions:
    """Check a transaction table and reduce it to orders, purchases and returns, as arrays.

    Parameters
    ----------
    tx : pandas.DataFrame
        One row per purchase or order line. Extra columns are ignored. Not modified.
    customer_id, date : column label
        The columns holding the customer id and the purchase date.
    amount : column label or None
        The column holding the amount; None when the caller needs no amounts. The default name
        ``"amount"`` is ignored when the table has no such column, unless ``amount_required``.
    order_id : column label or None
        The column holding the order id; None when each row is an order.
    observation_end : date-like or None
        The last day observed (inclusive). Orders after it are dropped. Defaults to the day of the last
        purchase.
    returns : {"net", "drop"}
        "net": orders with a negative amount are returns; "drop": rows with a negative amount are ignored.
    by : column label, list of labels, pandas.Series or None
        The groups of a breakdown (see :data:`OPTION_DOCS`).
    amount_required : bool
        Whether the caller needs amounts, so that the amount column must exist.
    warn_line_items : bool
        Warn when no ``order_id`` is given and most rows share their customer and exact time with
        another row, as the rows of a log of order lines do.
    customer_order : bool
        Whether the customer codes must follow the sorted ids, as results with one row per customer
        need. False for a metric that only counts: text ids are then coded without sorting them (the
        codes and ``customer_ids`` still match, in no particular order), which is faster.
    func : str
        The public function being served, named in error messages.

    Returns
    -------
    Transactions
        The reduced arrays.

    Raises
    ------
    ColumnTypeError
        If ``tx`` is not a DataFrame or a column has an unusable type.
    ColumnNotFoundError
        If a named column is missing.
    InvalidValueError
        If a value cannot be used (missing or unparsable date, mixed timezones, missing or infinite amount,
        missing customer or order id, a customer id, order id or ``by`` label of Python text holding a
        lone surrogate, which is no character).
    InvalidParameterError
        If ``returns``, ``by`` or ``observation_end`` is not accepted.

    Warns
    -----
    RetentionWarning
        With ``warn_line_items``, for a table that looks like order lines without ``order_id``.

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": ["b", "a", "b", "c"],
    ...                    "date": ["2024-01-03", "2024-01-01", "2024-02-10", "2024-02-11"],
    ...                    "amount": [5.0, 10.0, 7.5, -3.0]})
    >>> t = read_transactions(tx, amount="amount", func="example")
    >>> t.customer, list(t.customer_ids), t.observation_end
    (array([1, 0, 1]), ['a', 'b'], Timestamp('2024-02-10 00:00:00'))

    Customer ``c`` only returned goods, so is not a customer, and the observation end is the last
    *purchase* day.
    """
    tx = _check_table(tx, returns, func)
    if amount is None and amount_required:
        msg = f"The 'amount' parameter of {func} must name the amount column: {func} sums money. Got None. Pass amount='amount' (the default) or the name of your amount column."
        raise InvalidParameterError(msg)
    cust_col = _column(tx, customer_id, "customer_id")
    date_col = _column(tx, date, "date")
    if (
        amount is not None
        and amount == "amount"
        and not amount_required
        and amount not in tx.columns
    ):
        amount = None  # the default amount column, absent: this function does not need money
    amount_col = _column(tx, amount, "amount") if amount is not None else None
    order_col = _column(tx, order_id, "order_id") if order_id is not None else None
    by_names = _by_columns(by, tx, func) if by is not None else None
    by_cols = [_column(tx, name, "by") for name in by_names] if by_names is not None else None
    end = (
        read_date(observation_end, "observation_end", func) if observation_end is not None else None
    )

    if len(tx) == 0:
        return _empty_table(
            cust_col,
            customer_id,
            with_amount=amount_col is not None,
            end=end,
            by=by,
            by_names=by_names,
        )

    check_lines = warn_line_items and order_id is None
    days, stamps = read_days(date_col, date, func, keep_time=by_cols is not None or check_lines)
    customer, ids = _read_customers(cust_col, customer_id, func, in_order=customer_order)
    if check_lines:
        assert stamps is not None  # read with keep_time
        _warn_if_line_items(customer, stamps, func)
    amounts = (
        _read_amounts(amount_col, amount, func, needed=amount_required)
        if amount_col is not None
        else None
    )
    order = _read_order_ids(order_col, order_id, func) if order_col is not None else None
    rows = None  # positions of the rows kept, for the by columns, when rows were dropped
    if amounts is not None and returns == "drop":
        rows, customer, days, stamps, amounts, order = _drop_returns(
            customer, days, stamps, amounts, order
        )
    o = _to_orders(customer, days, amounts, order, end)
    # Customers are those with a purchase up to the observation end; codes stay in sorted id order.
    first_groups = None
    if by_cols is not None:
        # The search for each customer's first purchase finds who has one: no pass of its own.
        assert by_names is not None  # set with by_cols
        assert stamps is not None  # read with keep_time when by names columns
        position, buyer, present = _first_purchase_rows(
            customer,
            stamps,
            o.purchase[o.row_order] if o.row_order is not None else o.purchase,
            n_customers=len(ids),
        )
        # The labels at those rows are read through pyarrow, without the interpreter lock: meanwhile
        # the purchases and returns are taken apart, which needs no group.
        first_groups, rows_kept = concurrently(
            lambda: _groups_at(
                position,
                buyer,
                present,
                rows,
                columns=by_cols,
                names=by_names,
                func=func,
            ),
            lambda: _kept_rows(o),
            rows=len(customer),
        )
    else:
        rows_kept = _kept_rows(o)
        if rows is None and rows_kept.every:
            # No row was dropped and every order is a purchase: every customer code, each some row's
            # and so some order's, has one.
            present = np.ones(len(ids), dtype=np.bool_)
        else:
            present = np.zeros(len(ids), dtype=np.bool_)
            present[o.customer[o.purchase]] = True
    return _settle_customers(
        o, ids, present, by=by, groups=first_groups, kept_rows=rows_kept, func=func
    )


def _drop_returns(
    customer: NDArray[np.int64],
    days: NDArray[np.int64],
    stamps: NDArray[np.int64] | None,
    amounts: NDArray[np.float64],
    order: tuple[NDArray[np.int64], int] | None,
) -> tuple[
    NDArray[np.int64] | None,
    NDArray[np.int64],
    NDArray[np.int64],
    NDArray[np.int64] | None,
    NDArray[np.float64],
    tuple[NDArray[np.int64], int] | None,
]:
    """Drop the rows of negative amount (``returns="drop"``).

    Returns the positions of the rows kept (None when every row is), then the row arrays without them.
    """
    keep = amounts >= 0
    if keep.all():
        return None, customer, days, stamps, amounts, order
    return (
        np.flatnonzero(keep),
        customer[keep],
        days[keep],
        stamps[keep] if stamps is not None else None,
        amounts[keep],
        _dense(order[0][keep], order[1]) if order is not None else None,
    )


def _settle_customers(
    o: _Orders,
    ids: pd.Index | IdsAt,
    present: NDArray[np.bool_],
    *,
    by: object,
    groups: Groups | None,
    kept_rows: _KeptRows,
    func: str,
) -> Transactions:
    """Keep the customers with a purchase (``present``), coded in sorted id order or group by group.

    ``kept_rows`` are the purchases and returns of ``o``, taken apart (:func:`_kept_rows`).
    """
    every_customer = bool(present.all())
    remap = None
    if not every_customer:
        remap = np.cumsum(present, dtype=np.int64) - 1
        remap[~present] = -1
    kept = ids if every_customer else ids[present]
    if by is None:
        return _purchases_and_returns(o, kept_rows, remap, kept)
    if groups is None:
        assert isinstance(by, pd.Series)  # _by_columns returns None only for a Series
        groups = _series_groups(by, kept.index() if isinstance(kept, IdsAt) else kept, func)
    return _by_group(o, kept_rows, remap, kept, groups)


def _by_group(
    o: _Orders,
    kept_rows: _KeptRows,
    remap: NDArray[np.int64] | None,
    ids: pd.Index | IdsAt,
    groups: Groups,
) -> Transactions:
    """Build the table with the customers coded group by group (ids sorted within a group).

    Each group's customers are then one range of codes, so that the parts of a breakdown slice the whole
    table's per-customer results. ``remap`` (old code to kept code, or None) and the group order are
    applied in one pass over the rows.
    """
    k = len(groups.labels)
    by_group = np.argsort(_small_codes(groups.codes, k), kind="stable")
    rank = np.empty(len(by_group), dtype=np.int64)
    rank[by_group] = np.arange(len(by_group), dtype=np.int64)
    if remap is None:
        final = rank
    elif len(rank) == 0:  # nobody bought anything (only returns): no row has a customer
        final = np.full(len(remap), -1, dtype=np.int64)
    else:
        final = np.where(remap >= 0, rank[np.maximum(remap, 0)], -1)
    t = _purchases_and_returns(o, kept_rows, final, ids[by_group])
    t.groups = Groups(codes=groups.codes[by_group], labels=groups.labels, order=by_group)
    return t


@dataclass(frozen=True, slots=True)
class _Orders:
    """Orders before the customers are settled: rows, or (customer, order id) pairs."""

    customer: NDArray[np.int64]
    day: NDArray[np.int64]
    amount: NDArray[np.float64] | None
    purchase: NDArray[np.bool_]  # a purchase on or before the observation end
    is_return: NDArray[np.bool_] | None  # a return on or before the observation end
    end_day: int | None
    row_order: NDArray[np.int64] | None  # per row, its order; None when every row is an order


def _to_orders(
    customer: NDArray[np.int64],
    days: NDArray[np.int64],
    amounts: NDArray[np.float64] | None,
    order: tuple[NDArray[np.int64], int] | None,
    end: int | None,
) -> _Orders:
    """Merge rows into orders (the sum of their rows, their earliest day) and tell purchases from returns."""
    row_order = None
    if order is not None:
        row_order, customer, n_orders = _orders(customer, *order)
        day = _group_first(row_order, days, n_orders)
        amount = group_sums(row_order, amounts, n_orders) if amounts is not None else None
    else:
        day, amount = days, amounts
    negative = amount < 0 if amount is not None else None
    purchase = ~negative if negative is not None else np.ones(len(day), dtype=np.bool_)
    if end is None and purchase.any():
        end = int(day.max(where=purchase, initial=np.iinfo(np.int64).min))
    in_time = day <= end if end is not None else np.zeros(len(day), dtype=np.bool_)
    purchase &= in_time
    is_return = negative & in_time if negative is not None else None
    return _Orders(customer, day, amount, purchase, is_return, end, row_order)


@dataclass(frozen=True, slots=True)
class _KeptRows:
    """The purchases' days and amounts and the returns of the orders, customers not yet renumbered."""

    every: bool  # every order is a purchase (the purchases' arrays are the orders')
    day: NDArray[np.int64]
    amount: NDArray[np.float64] | None
    return_customer: NDArray[np.int64]  # codes of the orders, before renumbering
    return_day: NDArray[np.int64]
    return_amount: NDArray[np.float64]


def _kept_rows(o: _Orders) -> _KeptRows:
    """Take the purchases' days and amounts, and the returns, out of the orders."""
    every = bool(o.purchase.all())
    amount = o.amount if every or o.amount is None else o.amount[o.purchase]
    if o.is_return is not None and o.amount is not None and o.is_return.any():
        at = np.flatnonzero(o.is_return)
        returns = (o.customer[at], o.day[at], o.amount[at])
    else:
        returns = (_EMPTY_INT, _EMPTY_INT, _EMPTY_FLOAT)
    return _KeptRows(every, o.day if every else o.day[o.purchase], amount, *returns)


def _purchases_and_returns(
    o: _Orders, kept: _KeptRows, remap: NDArray[np.int64] | None, ids: pd.Index | IdsAt
) -> Transactions:
    """Build the table of purchases and of the returns of customers, with customer codes renumbered."""

    def coded_kept(c: NDArray[np.int64], keep: NDArray[np.bool_] | None) -> NDArray[np.int64]:
        """``remap[c[keep]]`` (all of ``c`` when ``keep`` is None) block by block, on several threads."""
        if remap is None:
            return c if keep is None else c[keep]
        if keep is None:
            ends = np.arange(_ROW_BLOCK, len(c) + _ROW_BLOCK, _ROW_BLOCK).clip(max=len(c))
        else:
            counts = map_blocks(
                lambda lo, hi: int(np.count_nonzero(keep[lo:hi])), len(c), block=_ROW_BLOCK
            )
            ends = np.cumsum(counts, dtype=np.int64)
        out = np.empty(int(ends[-1]) if len(ends) else 0, dtype=np.int64)

        def fill(lo: int, hi: int) -> None:
            i = lo // _ROW_BLOCK
            start = int(ends[i - 1]) if i else 0
            codes = c[lo:hi] if keep is None else c[lo:hi][keep[lo:hi]]
            # mode="clip": the codes are valid, and numpy buffers ``out`` with the default mode ("raise"),
            # which made this pass twice as slow.
            np.take(remap, codes, out=out[start : int(ends[i])], mode="clip")

        map_blocks(fill, len(c), block=_ROW_BLOCK)
        return out

    r_customer, r_day, r_amount = kept.return_customer, kept.return_day, kept.return_amount
    if remap is not None and len(r_customer):
        r_cust = remap[r_customer]
        known = r_cust >= 0  # returns of people without a purchase belong to no customer
        r_customer, r_day, r_amount = r_cust[known], r_day[known], r_amount[known]
    return Transactions(
        customer=coded_kept(o.customer, None if kept.every else o.purchase),
        customer_ids=ids,
        day=kept.day,
        amount=kept.amount,
        end_day=o.end_day,
        return_customer=r_customer,
        return_day=r_day,
        return_amount=r_amount,
    )


def _first_purchase_rows(
    customer: NDArray[np.int64],
    stamp: NDArray[np.int64],
    purchase: NDArray[np.bool_],
    *,
    n_customers: int,
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.bool_]]:
    """Find the rows of each customer's first purchase, their customers, and who has a purchase.

    ``customer`` (codes below ``n_customers``, before the customers without purchases are dropped),
    ``stamp`` (exact times) and ``purchase`` (whether the row is part of a purchase) describe the rows
    read. The first purchase is the earliest time of a purchase row; all the purchase rows at that time
    are returned (their positions, ascending within each block of rows) with their customers' codes, and,
    per code, whether the customer has a purchase: the rows found here tell, so that no other pass over the rows is needed.
    """
    top = np.iinfo(np.int64).max
    # The earliest time of each customer's rows, purchases or not (masking the other rows out first would
    # cost as much again as the scatter), then the purchases at that time; in blocks of a quarter of the
    # usual size, which share the processor's caches with the customers' times better. The lookups run on
    # several threads, block by block (the scatter does not: a table per thread costs more than it saves).
    step = _ROW_BLOCK >> 2
    first = np.full(n_customers, top, dtype=np.int64)
    for lo in range(0, len(customer), step):
        np.minimum.at(first, customer[lo : lo + step], stamp[lo : lo + step])

    def at_first(lo: int, hi: int) -> tuple[NDArray[np.int64], NDArray[np.int64] | None]:
        here = np.equal(stamp[lo:hi], take(first, customer[lo:hi]))
        bought = purchase[lo:hi]
        stray = np.greater(here, bought)  # at the earliest time, and no purchase
        here &= bought
        return np.flatnonzero(here) + lo, (np.flatnonzero(stray) + lo if stray.any() else None)

    looked = map_blocks(at_first, len(customer), block=step)
    position = np.concatenate([f for f, _ in looked]) if looked else _EMPTY_INT
    strays = [s for _, s in looked if s is not None]
    del looked
    if strays:
        # A row that is no purchase (a return, a row after the observation end) holds the earliest time
        # of these (few) customers: their earliest purchase, if any, is found again, and its rows.
        redo = np.zeros(n_customers, dtype=np.bool_)
        redo[customer[np.concatenate(strays)]] = True
        first[redo] = top
        theirs = []  # the purchases of those customers, block by block
        for lo in range(0, len(customer), _ROW_BLOCK):
            mine = np.flatnonzero(redo[customer[lo : lo + _ROW_BLOCK]]) + lo
            theirs.append(mine[purchase[mine]])
        for mine in theirs:
            np.minimum.at(first, customer[mine], stamp[mine])
        again = [mine[stamp[mine] == first[customer[mine]]] for mine in theirs]
        position = np.concatenate([position[~redo[customer[position]]], *again])
    # Every customer with a purchase has a row at their first purchase time; the others have none.
    buyer = customer[position]
    present = np.zeros(n_customers, dtype=np.bool_)
    present[buyer] = True
    return position, buyer, present


def _groups_at(
    position: NDArray[np.int64],
    buyer: NDArray[np.int64],
    present: NDArray[np.bool_],
    rows: NDArray[np.int64] | None,
    *,
    columns: list[pd.Series],
    names: list[object],
    func: str,
) -> Groups:
    """Find each customer's group: the value of the ``by`` column(s) on their first purchase.

    ``position`` holds the rows of the customers' first purchases (:func:`_first_purchase_rows`) among
    the rows read, ``buyer`` their customers' codes, ``rows`` their positions in the table (None when they are 0, 1, 2, ...). Rows at the
    same time go to the first label in sorted order, so that row order never decides. Only those rows are
    looked up in the columns. The result has one code per customer in ``present``, in order.
    """
    # The columns' own arrays taken at those rows, without taking their index along.
    at = position if rows is None else rows[position]
    taken: list[pd.Series | pd.Index] = []
    for column, name in zip(columns, names, strict=True):
        values = column.array.take(at)
        try:
            taken.append(pd.Series(values, copy=False))  # object text as pandas' Arrow-backed text
        except UnicodeEncodeError as e:
            first = np.sort(at)  # the first of the rows read, in table order
            raise surrogate_error(column.iloc[first], name, "by", func) from e
    codes, labels = group_codes(taken, names, func)
    group = _group_first(buyer, codes, len(present))[present]
    used = np.zeros(len(labels), dtype=np.bool_)
    used[group] = True
    kept = np.cumsum(used, dtype=np.int64) - 1  # labels no customer has are dropped
    return Groups(codes=kept[group], labels=labels[np.flatnonzero(used)])


def _empty_table(
    cust_col: pd.Series,
    customer_id: object,
    *,
    with_amount: bool,
    end: int | None,
    by: object,
    by_names: list[object] | None,
) -> Transactions:
    """Build the reduced form of a table without rows (whose columns often have no dtype at all)."""
    groups = None
    if by is not None:
        names = by_names if by_names is not None else [getattr(by, "name", None) or "group"]
        empty = [pd.Index([], name=n) for n in names]
        labels = empty[0] if len(empty) == 1 else pd.MultiIndex.from_arrays(empty)
        groups = Groups(codes=_EMPTY_INT, labels=labels)
    return Transactions(
        customer=np.empty(0, dtype=np.int64),
        customer_ids=pd.Index(cust_col.to_numpy()[:0], name=customer_id),
        day=np.empty(0, dtype=np.int64),
        amount=np.empty(0, dtype=np.float64) if with_amount else None,
        end_day=end,
        groups=groups,
    )
