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
    "Transactions",
    "check_freq",
    "check_option",
    "last_complete_period",
    "parse_duration",
    "period_codes",
    "period_index",
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

_NS_PER_DAY: Final = 86_400 * 10**9

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


def check_freq(freq: object, func: str) -> str:
    """Return the canonical period string (one of ``FREQS``) for ``freq``.

    Common pandas aliases are accepted (``"ME"``, ``"MS"``, ``"QE"``, ``"YE"``, ``"A"``, ``"W-SUN"``).
    Weeks run Monday to Sunday, as pandas' ``"W"`` periods do.

    Parameters
    ----------
    freq : str
        A pandas frequency string.
    func : str
        The public function that received it, named in the message.

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
        msg = f"The 'freq' parameter of {func} must be one of {options}. Got {freq!r}."
        raise InvalidParameterError(msg)
    return canonical


def to_day(dates: NDArray[np.datetime64]) -> NDArray[np.int64]:
    """Days since 1970-01-01 of naive ``datetime64`` values.

    Examples
    --------
    >>> to_day(np.array(["1970-01-02T12:00"], dtype="datetime64[ns]"))
    array([1])
    """
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
    dates : numpy.ndarray of datetime64[ns]
        Per row, the naive purchase date (local wall-clock time if the input had a timezone).
    amount : numpy.ndarray of float64 or None
        Per row, the amount, when an amount column was read.
    end_day : int or None
        The observation end (inclusive) in days since 1970-01-01; None for an empty table.
    """

    customer: NDArray[np.int64]
    customer_ids: pd.Index
    dates: NDArray[np.datetime64]
    amount: NDArray[np.float64] | None
    end_day: int | None

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
        """Per row, the purchase day in days since 1970-01-01."""
        return to_day(self.dates)

    @property
    def observation_end(self) -> pd.Timestamp | None:
        """The observation end as a Timestamp (midnight of the inclusive last day)."""
        if self.end_day is None:
            return None
        return pd.Timestamp(np.datetime64(self.end_day, "D"))

    def periods(self, freq: str) -> NDArray[np.int64]:
        """Per row, the period code for ``freq`` (see :func:`period_codes`)."""
        return period_codes(self.dates, freq)


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


def _read_dates(col: pd.Series, name: object, func: str) -> NDArray[np.datetime64]:
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
    try:
        values = parsed.to_numpy(dtype="datetime64[ns]")
    except (OverflowError, ValueError, pd.errors.OutOfBoundsDatetime) as e:
        msg = f"Column {name!r} (the date column) of {func} has dates outside 1677-2262 that cannot be handled. Drop those rows."
        raise InvalidValueError(msg) from e
    return values


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


def _read_customers(col: pd.Series, name: object, func: str) -> tuple[NDArray[np.int64], pd.Index]:
    missing = col.isna().to_numpy()
    if missing.any():
        msg = f"Column {name!r} (the customer_id column) of {func} has missing ids: {_first_bad(col, missing)}. Drop or fill those rows."
        raise InvalidValueError(msg)
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


def _read_end(value: object, name: str, func: str) -> int:
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
            _read_end(observation_end, "observation_end", func)
            if observation_end is not None
            else None
        )
        return Transactions(
            customer=np.empty(0, dtype=np.int64),
            customer_ids=pd.Index(cust_col.to_numpy(), name=customer_id),
            dates=np.empty(0, dtype="datetime64[ns]"),
            amount=np.empty(0, dtype=np.float64) if amount_col is not None else None,
            end_day=end,
        )

    dates = _read_dates(date_col, date, func)
    customer, ids = _read_customers(cust_col, customer_id, func)
    amounts = _read_amounts(amount_col, amount, func) if amount_col is not None else None

    days = to_day(dates)
    if observation_end is not None:
        last_day = _read_end(observation_end, "observation_end", func)
        keep = days <= last_day
        if not keep.all():
            dates, customer = dates[keep], customer[keep]
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
        customer=customer, customer_ids=ids, dates=dates, amount=amounts, end_day=end_day
    )
