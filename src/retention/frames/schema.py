"""The one place where transaction tables and shared options are checked and normalised.

Every public function that reads a transaction log calls :func:`read_transactions` first. It checks the
table once and *reduces* it to plain numpy arrays (customer codes, dates, amounts) that the rest of the
library trusts. A later engine adapter (polars, DuckDB, ...) replaces only this step.

Rules (see the "Data" page of the docs):

- dates may be ``datetime64`` values, ISO 8601 strings, ``datetime.date`` / ``datetime.datetime`` objects or
  pandas Timestamps. A column with a single timezone is read in that timezone's *local wall-clock time* (a
  purchase at 23:30 in Berlin on 31 January belongs to January), then the timezone is dropped. Mixed
  timezones, or tz-aware next to naive values, are refused: convert them to one zone first.
- the observation end is a calendar day and is inclusive: every purchase on that day counts, later ones are
  ignored. It defaults to the day of the last purchase, never to today.
- customer ids may be any hashable type that sorts (int, str, huge integers, categoricals). Results list
  customers in sorted id order, so row order never changes a result.
- amounts must be finite numbers. Negative amounts (returns, refunds) are allowed and simply add up.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any, Final, TypeVar

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from retention.errors import (
    ColumnTypeError,
    InvalidParameterError,
    InvalidValueError,
    column_not_found,
)

__all__ = [
    "FREQS",
    "PERIOD_DAYS",
    "Transactions",
    "check_freq",
    "check_option",
    "day_period_codes",
    "last_complete_period",
    "parse_duration",
    "period_codes",
    "period_index",
    "period_start_days",
    "read_cutoff",
    "read_date",
    "read_transactions",
    "to_day",
]

FREQS: Final = ("D", "W", "M", "Q", "Y")
"""The period lengths every function accepts, as pandas frequency strings."""

# Aliases that pandas users type; each maps to one of FREQS.
_FREQ_ALIASES: Final = {
    "D": "D",
    "W": "W",
    "W-SUN": "W",
    "M": "M",
    "ME": "M",
    "MS": "M",
    "Q": "Q",
    "QE": "Q",
    "QS": "Q",
    "Q-DEC": "Q",
    "Y": "Y",
    "YE": "Y",
    "YS": "Y",
    "A": "Y",
    "Y-DEC": "Y",
}

PERIOD_DAYS: Final = {"D": 1.0, "W": 7.0, "M": 365.2425 / 12, "Q": 365.2425 / 4, "Y": 365.2425}
"""Mean length in days of each of ``FREQS`` (Gregorian calendar: 12 months make exactly one year), for
turning day counts into durations in a time unit (``rfm_summary``'s ``time_unit``, CLV periods)."""

T = TypeVar("T")


def check_option(name: str, value: T, allowed: tuple[T, ...], func: str) -> T:
    """Check that ``value`` is one of ``allowed``, with a message in the house style.

    Parameters
    ----------
    name : str
        The parameter's name.
    value : object
        The value the caller passed.
    allowed : tuple
        The accepted values.
    func : str
        The public function that received it, named in the message.

    Returns
    -------
    object
        ``value``, unchanged.

    Raises
    ------
    InvalidParameterError
        If ``value`` is not accepted.

    Examples
    --------
    >>> check_option("kind", "rolling", ("classic", "rolling"), "cohort_table")
    'rolling'
    >>> check_option("kind", "other", ("classic", "rolling"), "cohort_table")
    Traceback (most recent call last):
    ...
    retention.errors.InvalidParameterError: The 'kind' parameter of cohort_table must be one of 'classic', 'rolling'. Got 'other'.
    """
    if value not in allowed:
        options = ", ".join(repr(a) for a in allowed)
        msg = f"The {name!r} parameter of {func} must be one of {options}. Got {value!r}."
        raise InvalidParameterError(msg)
    return value


def check_freq(freq: object, func: str, *, name: str = "freq") -> str:
    """Return the canonical period string (one of ``FREQS``) for ``freq``.

    Common pandas aliases are accepted (``"ME"``, ``"MS"``, ``"QE"``, ``"YE"``, ``"A"``, ``"W-SUN"``).
    Weeks run Monday to Sunday, as pandas' ``"W"`` periods do.

    Parameters
    ----------
    freq : str
        A pandas frequency string.
    func : str
        The public function that received it, named in the message.
    name : str, default "freq"
        The parameter's name, for options other than ``freq`` that take a period (``time_unit``).

    Returns
    -------
    str
        One of ``"D"``, ``"W"``, ``"M"``, ``"Q"``, ``"Y"``.

    Raises
    ------
    InvalidParameterError
        If ``freq`` is not a supported period.

    Examples
    --------
    >>> check_freq("ME", "cohort_table")
    'M'
    """
    key = freq.upper() if isinstance(freq, str) else freq
    canonical = _FREQ_ALIASES.get(key) if isinstance(key, str) else None
    if canonical is None:
        options = ", ".join(repr(f) for f in FREQS)
        msg = f"The {name!r} parameter of {func} must be one of {options}. Got {freq!r}."
        raise InvalidParameterError(msg)
    return canonical


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
    low, high = int(days.min()), int(days.max())
    table = period_codes(np.arange(low, high + 1, dtype=np.int64).astype("datetime64[D]"), freq)
    return np.take(table, days - low)


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


def parse_duration(value: object, name: str, func: str) -> int:
    """Read a positive duration such as ``"90D"``, ``"4W"`` or a :class:`pandas.Timedelta` as whole days.

    Parameters
    ----------
    value : str, int, datetime.timedelta or pandas.Timedelta
        An int is a number of days.
    name, func : str
        The parameter and the function, named in the message.

    Returns
    -------
    int
        The duration in days (at least 1).

    Raises
    ------
    InvalidParameterError
        If the value is not a positive whole number of days.

    Examples
    --------
    >>> parse_duration("90D", "inactive_after", "survival_curve")
    90
    >>> parse_duration("2W", "inactive_after", "survival_curve")
    14
    """
    hint = "Pass a positive number of days such as '30D', '12W' or 90."
    try:
        if isinstance(value, bool):
            raise TypeError
        if isinstance(value, int | np.integer):
            delta = pd.Timedelta(days=int(value))
        elif isinstance(value, str | _dt.timedelta | np.timedelta64):
            delta = pd.Timedelta(value)
        else:
            raise TypeError
    except (TypeError, ValueError) as e:
        msg = f"The {name!r} parameter of {func} is not a duration. Got {value!r}. {hint}"
        raise InvalidParameterError(msg) from e
    if (
        pd.isna(delta)
        or delta <= pd.Timedelta(0)
        or delta % pd.Timedelta(days=1) != pd.Timedelta(0)
    ):
        msg = f"The {name!r} parameter of {func} must be a positive whole number of days. Got {value!r}. {hint}"
        raise InvalidParameterError(msg)
    return int(delta // pd.Timedelta(days=1))


@dataclass(frozen=True, slots=True, eq=False)
class Transactions:
    """A checked transaction table reduced to arrays; what every metric reads.

    Attributes
    ----------
    customer : numpy.ndarray of int64
        Per row, the customer's code: a position in ``customer_ids``.
    customer_ids : pandas.Index
        The customer ids in sorted order, named like the input column.
    day : numpy.ndarray of int64
        Per row, the purchase day in days since 1970-01-01 (the local calendar day if the input had a
        timezone). Days are the finest resolution any metric uses.
    amount : numpy.ndarray of float64 or None
        Per row, the amount, when an amount column was read.
    end_day : int or None
        The observation end (inclusive) in days since 1970-01-01; None for an empty table.

    The arrays are read-only: every consumer shares them.
    """

    customer: NDArray[np.int64]
    customer_ids: pd.Index
    day: NDArray[np.int64]
    amount: NDArray[np.float64] | None
    end_day: int | None

    def __post_init__(self) -> None:
        for array in (self.customer, self.day, self.amount):
            if array is not None:
                array.setflags(write=False)

    @property
    def n_customers(self) -> int:
        """Number of distinct customers."""
        return len(self.customer_ids)

    @property
    def n_rows(self) -> int:
        """Number of purchases (rows) kept."""
        return len(self.customer)

    @property
    def days(self) -> NDArray[np.int64]:
        """Per row, the purchase day in days since 1970-01-01 (the same read-only array as ``day``)."""
        return self.day

    @property
    def observation_end(self) -> pd.Timestamp | None:
        """The observation end as a Timestamp (midnight of the inclusive last day)."""
        if self.end_day is None:
            return None
        return pd.Timestamp(np.datetime64(self.end_day, "D"))

    def periods(self, freq: str) -> NDArray[np.int64]:
        """Per row, the period code for ``freq`` (see :func:`day_period_codes`); read-only.

        Daily periods are the days themselves: the same read-only array, not a copy.
        """
        if freq == "D":
            return self.day
        codes = day_period_codes(self.day, freq)
        codes.setflags(write=False)
        return codes


def _column(tx: pd.DataFrame, column: object, role: str) -> pd.Series:
    if column not in tx.columns:
        raise column_not_found(str(column), role, tx.columns)
    col: Any = tx[
        column
    ]  # a DataFrame when the label is duplicated, which the stubs do not allow for
    if isinstance(col, pd.DataFrame):
        msg = f"Column {column!r} (the {role} column) appears more than once in the table. Rename the duplicates."
        raise InvalidValueError(msg)
    series: pd.Series = col
    return series


def _first_bad(series: pd.Series, mask: NDArray[np.bool_] | pd.Series) -> str:
    bad = series[np.asarray(mask)]
    n = len(bad)
    return f"{n} row{'s' if n != 1 else ''}, the first at index {bad.index[0]!r} (value {bad.iloc[0]!r})"


def _read_days(col: pd.Series, name: object, func: str) -> NDArray[np.int64]:
    fix = f"Convert it with pd.to_datetime(tx[{name!r}]) or pass the right column with date=..."
    if isinstance(col.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(col.dtype):
        parsed = col
    elif pd.api.types.is_numeric_dtype(col.dtype) or pd.api.types.is_bool_dtype(col.dtype):
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
        try:
            parsed = pd.to_datetime(col, format="ISO8601")
        except (ValueError, TypeError, OverflowError) as e:
            text = str(e)
            if "timezone" in text.lower() or "tz-aware" in text.lower() or "offset" in text.lower():
                msg = (
                    f"Column {name!r} (the date column) of {func} mixes timezones, or tz-aware and naive dates. "
                    f"Convert them to one timezone first, e.g. pd.to_datetime(tx[{name!r}], utc=True).dt.tz_convert('Europe/Berlin')."
                )
                raise InvalidValueError(msg) from e
            msg = f"Column {name!r} (the date column) of {func} has values that are not dates ({text.splitlines()[0]}). {fix}"
            raise InvalidValueError(msg) from e
        if not (
            pd.api.types.is_datetime64_dtype(parsed.dtype)
            or isinstance(parsed.dtype, pd.DatetimeTZDtype)
        ):
            msg = (
                f"Column {name!r} (the date column) of {func} mixes timezones, or tz-aware and naive dates. "
                f"Convert them to one timezone first, e.g. pd.to_datetime(tx[{name!r}], utc=True)."
            )
            raise InvalidValueError(msg)
    missing = parsed.isna().to_numpy()
    if missing.any():
        msg = f"Column {name!r} (the date column) of {func} has missing dates (NaT): {_first_bad(col, missing)}. Drop or fill those rows."
        raise InvalidValueError(msg)
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        # Local wall-clock time of the one timezone: the business's own calendar decides the period.
        parsed = parsed.dt.tz_localize(None)
    return to_day(parsed.to_numpy())


def _read_amounts(col: pd.Series, name: object, func: str) -> NDArray[np.float64]:
    fix = f"Convert it with pd.to_numeric(tx[{name!r}]) or pass the right column with amount=..."
    if pd.api.types.is_bool_dtype(col.dtype) or not pd.api.types.is_numeric_dtype(col.dtype):
        msg = f"Column {name!r} (the amount column) of {func} must hold numbers; it has dtype {col.dtype}. {fix}"
        raise ColumnTypeError(msg)
    if pd.api.types.is_complex_dtype(col.dtype):
        msg = f"Column {name!r} (the amount column) of {func} holds complex numbers. Pass real amounts."
        raise ColumnTypeError(msg)
    values = col.to_numpy(dtype=np.float64, na_value=np.nan)
    missing = np.isnan(values)
    if missing.any():
        msg = f"Column {name!r} (the amount column) of {func} has missing amounts: {_first_bad(col, missing)}. Drop or fill those rows."
        raise InvalidValueError(msg)
    infinite = ~np.isfinite(values)
    if infinite.any():
        msg = f"Column {name!r} (the amount column) of {func} has infinite amounts: {_first_bad(col, infinite)}. Drop or fix those rows."
        raise InvalidValueError(msg)
    return values


def _dense_integer_codes(col: pd.Series) -> tuple[NDArray[np.int64], NDArray[Any]] | None:
    """Sorted codes of plain integer ids whose range is not much wider than the table, or None.

    A bitmap over ``[min, max]`` ranked by a cumulative sum gives the same codes as
    ``pd.factorize(sort=True)`` in a fraction of the time, for the common case of integer ids.
    """
    dtype = col.dtype
    if not (isinstance(dtype, np.dtype) and dtype.kind in "iu"):
        return None
    values = col.to_numpy()
    low, high = values.min(), values.max()
    span = int(high) - int(low) + 1
    if span > max(4 * len(values), 1 << 20):
        return None
    # In 64 bits, array arithmetic wraps and the true offsets are below 2**63: exact for any ids.
    wide = values.astype(np.int64 if dtype.kind == "i" else np.uint64, copy=False)
    offset = wide - wide.dtype.type(low)
    offset = offset.view(np.int64)  # the offsets are below 2**63: a view, not a copy
    present = np.zeros(span, dtype=np.bool_)
    present[offset] = True
    if bool(present.all()):
        # Every id in the range occurs (ids numbered 1, 2, 3, ...): the offsets are the codes.
        return offset, np.arange(span, dtype=np.int64).astype(dtype) + low
    rank = np.cumsum(present, dtype=np.int64) - 1
    codes = rank[offset]
    uniques = np.flatnonzero(present).astype(dtype) + low
    return codes, uniques


def _read_customers(col: pd.Series, name: object, func: str) -> tuple[NDArray[np.int64], pd.Index]:
    # Plain numpy integers cannot be missing: no pass over the column for them.
    if not (isinstance(col.dtype, np.dtype) and col.dtype.kind in "iu"):
        missing = col.isna().to_numpy()
        if missing.any():
            msg = f"Column {name!r} (the customer_id column) of {func} has missing ids: {_first_bad(col, missing)}. Drop or fill those rows."
            raise InvalidValueError(msg)
    dense = _dense_integer_codes(col)
    if dense is not None:
        codes, values = dense
        return codes, pd.Index(values, name=name)
    try:
        codes, uniques = pd.factorize(col, sort=True)
    except TypeError as e:
        kinds = sorted({type(v).__name__ for v in col.to_numpy()[:10_000]})
        msg = (
            f"Column {name!r} (the customer_id column) of {func} mixes id types that cannot be sorted "
            f"({', '.join(kinds)}). Make them one type, e.g. tx[{name!r}].astype(str)."
        )
        raise ColumnTypeError(msg) from e
    ids = pd.Index(uniques, name=name)
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
    try:
        stamp: Any = pd.Timestamp(value)  # type: ignore[arg-type]  # NaT included, which the stubs do not allow for
    except (TypeError, ValueError) as e:
        msg = f"The {name!r} parameter of {func} is not a date. Got {value!r}. Pass a date such as '2024-12-31'."
        raise InvalidParameterError(msg) from e
    if pd.isna(stamp):
        msg = f"The {name!r} parameter of {func} is missing (NaT). Pass a date such as '2024-12-31' or None."
        raise InvalidParameterError(msg)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_localize(None)
    return int(to_day(np.array([stamp.to_datetime64()]))[0])


def read_cutoff(value: object, t: Transactions, *, name: str, func: str) -> int:
    """Read a date that splits the data in two, such as a calibration end, and check that it does.

    The day is inclusive (it belongs to the first part), so it must be on or after the first purchase day
    and before the observation end.

    Parameters
    ----------
    value : date-like
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
    day = read_date(value, name, func)
    if t.end_day is None or t.n_rows == 0:
        msg = f"The {name!r} parameter of {func} must fall within the data, but the table has no purchases. Got {value!r}."
        raise InvalidParameterError(msg)
    first_day = int(t.days.min())
    if not first_day <= day < t.end_day:
        first, end = np.datetime64(first_day, "D"), np.datetime64(t.end_day, "D")
        msg = (
            f"The {name!r} parameter of {func} must fall within the data: on or after the first purchase "
            f"({first}) and before the observation end ({end}). Got {value!r}."
        )
        raise InvalidParameterError(msg)
    return day


def read_transactions(
    tx: object,
    *,
    customer_id: Any = "customer_id",
    date: Any = "date",
    amount: Any = None,
    observation_end: object = None,
    func: str,
) -> Transactions:
    """Check a transaction table and reduce it to arrays.

    Parameters
    ----------
    tx : pandas.DataFrame
        One row per purchase. Extra columns are ignored. Not modified.
    customer_id, date : column label
        The columns holding the customer id and the purchase date.
    amount : column label or None
        The column holding the amount; None when the caller needs no amounts.
    observation_end : date-like or None
        The last day observed (inclusive). Purchases after it are dropped. Defaults to the day of the last
        purchase.
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
        missing customer id).

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": ["b", "a", "b"],
    ...                    "date": ["2024-01-03", "2024-01-01", "2024-02-10"],
    ...                    "amount": [5.0, 10.0, 7.5]})
    >>> t = read_transactions(tx, amount="amount", func="example")
    >>> t.customer, list(t.customer_ids), t.observation_end
    (array([1, 0, 1]), ['a', 'b'], Timestamp('2024-02-10 00:00:00'))
    """
    if not isinstance(tx, pd.DataFrame):
        msg = f"{func} expects a pandas DataFrame of transactions; got {type(tx).__name__}. Build one with pd.DataFrame(...)."
        raise ColumnTypeError(msg)
    cust_col = _column(tx, customer_id, "customer_id")
    date_col = _column(tx, date, "date")
    amount_col = _column(tx, amount, "amount") if amount is not None else None

    if len(tx) == 0:
        # An empty table has nothing to check; its columns often have no dtype (object) at all.
        end = (
            read_date(observation_end, "observation_end", func)
            if observation_end is not None
            else None
        )
        return Transactions(
            customer=np.empty(0, dtype=np.int64),
            customer_ids=pd.Index(cust_col.to_numpy(), name=customer_id),
            day=np.empty(0, dtype=np.int64),
            amount=np.empty(0, dtype=np.float64) if amount_col is not None else None,
            end_day=end,
        )

    days = _read_days(date_col, date, func)
    customer, ids = _read_customers(cust_col, customer_id, func)
    amounts = _read_amounts(amount_col, amount, func) if amount_col is not None else None

    if observation_end is not None:
        last_day = read_date(observation_end, "observation_end", func)
        keep = days <= last_day
        if not keep.all():
            days, customer = days[keep], customer[keep]
            amounts = amounts[keep] if amounts is not None else None
            # Customers seen only after the end are not customers yet.
            used = np.unique(customer)
            if len(used) < len(ids):
                remap = np.full(len(ids), -1, dtype=np.int64)
                remap[used] = np.arange(len(used), dtype=np.int64)
                customer = remap[customer]
                ids = ids[used]
        end_day: int | None = last_day
    else:
        end_day = int(days.max()) if len(days) else None
    return Transactions(
        customer=customer, customer_ids=ids, day=days, amount=amounts, end_day=end_day
    )
