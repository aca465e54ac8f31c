"""The one place where per-customer summaries (frequency, recency, T, weights) are checked.

:mod:`~retention.frames.schema` checks transaction tables; this module checks what the customer-base models
read: a summary frame as made by :func:`~retention.rfm_summary`, or the same columns passed as arrays. Every
model method calls :func:`read_customers` (and, to fit, :func:`check_fittable`) once and trusts the arrays
it returns. Messages name the model method, the column, the offending customers and the fix.

Rules:

- ``frequency`` counts repeat transactions: a finite whole number >= 0.
- ``recency`` and ``T`` are finite times >= 0 with ``recency <= T``; ``recency`` is 0 where ``frequency``
  is 0. ``T`` may be 0 only for a customer without repeat purchases (first seen on the observation end day:
  such a customer tells nothing about repeat buying and adds exactly 0 to the log-likelihood).
- weights (how many customers share a row) are finite and >= 0.
- to fit, there must be more customers than parameters and at least one repeat purchase: with no repeat
  purchase at all the model is not identified.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from retention.errors import (
    ColumnNotFoundError,
    ColumnTypeError,
    InvalidParameterError,
    InvalidValueError,
)

__all__ = [
    "Customers",
    "check_count",
    "check_discount_rate",
    "check_fittable",
    "check_frequency_recency_T",
    "check_frequency_recency_n_periods",
    "check_frequency_spend",
    "check_holdout",
    "check_time",
    "check_times",
    "check_weights",
    "read_customers",
]

Array = NDArray[np.float64]


@dataclass(frozen=True, slots=True, eq=False)
class Customers:
    """Checked per-customer columns, and the customer index when they came from a frame.

    Attributes
    ----------
    columns : tuple of numpy.ndarray
        The columns in the order asked for, float64.
    index : pandas.Index or None
        The summary frame's index; None for arrays.
    """

    columns: tuple[Array, ...]
    index: pd.Index | None

    def __len__(self) -> int:
        return len(self.columns[0]) if self.columns else 0

    def label(self, values: Array, name: str) -> pd.Series | Array:
        """Label ``values`` as a Series named ``name`` on the frame's index; bare array for array input."""
        if self.index is None:
            return values
        return pd.Series(values, index=self.index, name=name)


def _describe(mask: NDArray[np.bool_], index: pd.Index | None, shown: dict[str, Array]) -> str:
    """How many entries are bad, and which is the first (by frame label or array position)."""
    n = int(mask.sum())
    first = int(np.flatnonzero(mask)[0])
    where = f"index {index[first]!r}" if index is not None else f"position {first}"
    values = ", ".join(f"{k} {v[first].item()!r}" for k, v in shown.items())
    return f"{n} customer{'s' if n != 1 else ''}, the first at {where} ({values})"


def _as_float(values: object, name: str, func: str) -> Array:
    fix = f"Pass numbers, e.g. from rt.rfm_summary(...), as {name}=..."
    if isinstance(values, pd.Series | pd.Index):
        dtype = values.dtype
        if pd.api.types.is_bool_dtype(dtype) or not pd.api.types.is_numeric_dtype(dtype):
            msg = f"The {name!r} values passed to {func} must be numbers; got dtype {dtype}. {fix}"
            raise ColumnTypeError(msg)
        return values.to_numpy(dtype=np.float64, na_value=np.nan)
    try:
        arr = np.asarray(values)
    except (TypeError, ValueError) as e:  # pragma: no cover - ragged input that numpy refuses
        msg = f"The {name!r} values passed to {func} are not an array of numbers. {fix}"
        raise ColumnTypeError(msg) from e
    if arr.dtype == np.bool_ or not (
        np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)
    ):
        msg = f"The {name!r} values passed to {func} must be numbers; got dtype {arr.dtype}. {fix}"
        raise ColumnTypeError(msg)
    if arr.ndim != 1:
        msg = f"The {name!r} values passed to {func} must be one-dimensional (one entry per customer); got shape {arr.shape}."
        raise InvalidValueError(msg)
    return arr.astype(np.float64)


def _frame_column(summary: pd.DataFrame, name: str, func: str) -> pd.Series:
    if name not in summary.columns:
        names = [str(c) for c in summary.columns]
        listed = ", ".join(repr(c) for c in names) if names else "no columns"
        msg = f"The summary passed to {func} has no {name!r} column; it has: {listed}."
        close = difflib.get_close_matches(name, names, n=1)
        if close:
            msg += f" Hint: did you mean {close[0]!r}? Rename it."
        msg += " Make the summary with rt.rfm_summary(...), or pass the columns as arrays."
        raise ColumnNotFoundError(msg)
    column: Any = summary[name]
    if isinstance(column, pd.DataFrame):
        msg = f"The summary passed to {func} has the column {name!r} more than once. Rename the duplicates."
        raise InvalidValueError(msg)
    series: pd.Series = column
    return series


def read_customers(
    summary: object,
    arrays: dict[str, object],
    *,
    func: str,
) -> Customers:
    """Read per-customer columns from a summary frame or from keyword arrays, never both.

    Parameters
    ----------
    summary : pandas.DataFrame or None
        A frame with one row per customer and (at least) the columns named in ``arrays``.
    arrays : dict
        Column name -> the array passed for it (None when not passed), in the order wanted.
    func : str
        The model method, named in messages (``"BetaGeo.fit"``).

    Returns
    -------
    Customers
        The columns as float arrays, with the frame's index when a frame was given.

    Raises
    ------
    ColumnTypeError
        If ``summary`` is not a DataFrame or a column is not numeric.
    ColumnNotFoundError
        If the frame lacks a column.
    InvalidParameterError
        If both a frame and arrays, or neither, are given, or an array is missing.
    InvalidValueError
        If the columns have different lengths.

    Examples
    --------
    >>> c = read_customers(None, {"frequency": [1, 0], "T": [5.0, 3.0]}, func="Model.fit")
    >>> c.columns, c.index
    ((array([1., 0.]), array([5., 3.])), None)
    """
    names = list(arrays)
    listed = ", ".join(f"{n}=" for n in names)
    given = [n for n, v in arrays.items() if v is not None]
    if summary is not None:
        if given:
            msg = f"{func} takes either a summary frame or the arrays {listed} not both. Got a summary and {', '.join(given)}."
            raise InvalidParameterError(msg)
        if not isinstance(summary, pd.DataFrame):
            msg = f"The summary passed to {func} must be a pandas DataFrame such as rt.rfm_summary(...) returns; got {type(summary).__name__}. To pass arrays, name them: {listed}"
            raise ColumnTypeError(msg)
        columns = tuple(_as_float(_frame_column(summary, n, func), n, func) for n in names)
        return Customers(columns, summary.index)
    missing = [n for n in names if arrays[n] is None]
    if missing:
        msg = f"{func} needs a summary frame or all of the arrays {listed}; {', '.join(repr(m) for m in missing)} missing."
        raise InvalidParameterError(msg)
    columns = tuple(_as_float(arrays[n], n, func) for n in names)
    lengths = {len(c) for c in columns}
    if len(lengths) > 1:
        sizes = ", ".join(f"{n} {len(c)}" for n, c in zip(names, columns, strict=True))
        msg = f"The arrays passed to {func} must have one entry per customer each; got lengths {sizes}."
        raise InvalidValueError(msg)
    return Customers(columns, None)


def check_frequency_recency_T(customers: Customers, *, func: str) -> Customers:
    """Check ``(frequency, recency, T)`` columns (see the module docstring for the rules).

    Raises
    ------
    InvalidValueError
        If a value breaks a rule.

    Examples
    --------
    >>> c = read_customers(None, {"frequency": [1], "recency": [6.0], "T": [5.0]}, func="BetaGeo.fit")
    >>> check_frequency_recency_T(c, func="BetaGeo.fit")
    Traceback (most recent call last):
    ...
    retention.errors.InvalidValueError: The recency passed to BetaGeo.fit must not exceed T: 1 customer, the first at position 0 (recency 6.0, T 5.0). Recency is the time from the first to the last purchase and T from the first purchase to the observation end.
    """
    frequency, recency, age = customers.columns
    index = customers.index
    for name, values in (("frequency", frequency), ("recency", recency), ("T", age)):
        bad = ~np.isfinite(values)
        if bad.any():
            msg = f"The {name} passed to {func} must be finite: {_describe(bad, index, {name: values})}. Drop or fill those customers."
            raise InvalidValueError(msg)
        bad = values < 0
        if bad.any():
            msg = f"The {name} passed to {func} must not be negative: {_describe(bad, index, {name: values})}."
            raise InvalidValueError(msg)
    bad = frequency != np.round(frequency)
    if bad.any():
        msg = f"The frequency passed to {func} must be whole numbers (repeat transactions): {_describe(bad, index, {'frequency': frequency})}."
        raise InvalidValueError(msg)
    shown = {"frequency": frequency, "recency": recency, "T": age}
    bad = recency > age
    if bad.any():
        pair = {"recency": recency, "T": age}
        msg = (
            f"The recency passed to {func} must not exceed T: {_describe(bad, index, pair)}. Recency is the "
            "time from the first to the last purchase and T from the first purchase to the observation end."
        )
        raise InvalidValueError(msg)
    bad = (frequency == 0) & (recency > 0)
    if bad.any():
        msg = f"The recency passed to {func} must be 0 for customers without repeat purchases (frequency 0): {_describe(bad, index, shown)}."
        raise InvalidValueError(msg)
    bad = (age == 0) & (frequency > 0)
    if bad.any():
        msg = f"The T passed to {func} must be positive for customers with repeat purchases: {_describe(bad, index, shown)}."
        raise InvalidValueError(msg)
    return customers


def check_weights(weights: object, n: int, *, func: str) -> Array | None:
    """Check optional per-row weights: finite, >= 0, one per row.

    Examples
    --------
    >>> check_weights([2, 1], 2, func="BetaGeo.fit")
    array([2., 1.])
    """
    if weights is None:
        return None
    w = _as_float(weights, "weights", func)
    if len(w) != n:
        msg = f"The weights passed to {func} must have one entry per row ({n}); got {len(w)}."
        raise InvalidValueError(msg)
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        msg = f"The weights passed to {func} must be finite and >= 0: {_describe(bad, None, {'weights': w})}."
        raise InvalidValueError(msg)
    return w


def check_fittable(frequency: Array, weights: Array | None, *, n_params: int, func: str) -> None:
    """Refuse data that cannot identify a model: too few customers, or no repeat purchase at all.

    Examples
    --------
    >>> check_fittable(np.zeros(10), None, n_params=4, func="BetaGeo.fit")
    Traceback (most recent call last):
    ...
    retention.errors.InvalidValueError: BetaGeo.fit: the model is not identified: no customer has a repeat purchase (every frequency is 0), so the data say nothing about how often customers buy or when they drop out. Fit on data with repeat purchases, e.g. a longer observation period.
    """
    w = np.ones(len(frequency)) if weights is None else weights
    n = float(w.sum())
    if n <= n_params:
        msg = f"{func} needs more customers than the model has parameters ({n_params}) to estimate them; got {n:g}."
        raise InvalidValueError(msg)
    if not np.any((frequency > 0) & (w > 0)):
        msg = (
            f"{func}: the model is not identified: no customer has a repeat purchase (every frequency is 0), "
            "so the data say nothing about how often customers buy or when they drop out. Fit on data with "
            "repeat purchases, e.g. a longer observation period."
        )
        raise InvalidValueError(msg)


def check_time(t: object, name: str, func: str) -> float:
    """Check a single finite time >= 0.

    Examples
    --------
    >>> check_time(4, "t", "BetaGeo.p_alive")
    4.0
    """
    if isinstance(t, bool) or not isinstance(t, int | float | np.integer | np.floating):
        msg = f"The {name!r} parameter of {func} must be a number of time units (the unit of recency and T). Got {t!r}."
        raise InvalidParameterError(msg)
    value = float(t)
    if not np.isfinite(value) or value < 0:
        msg = f"The {name!r} parameter of {func} must be a finite number >= 0. Got {t!r}."
        raise InvalidParameterError(msg)
    return value


def check_times(t: ArrayLike, name: str, func: str) -> Array:
    """Check one or more finite times >= 0 and return them as an array (0-d for a scalar).

    Examples
    --------
    >>> check_times([0, 52], "t", "BetaGeo.expected_purchases")
    array([ 0., 52.])
    """
    arr = np.asarray(t)
    if arr.dtype == np.bool_ or not (
        np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)
    ):
        msg = f"The {name!r} parameter of {func} must be numbers (times in the unit of recency and T). Got {t!r}."
        raise InvalidParameterError(msg)
    values = arr.astype(np.float64)
    if not np.all(np.isfinite(values)) or np.any(values < 0):
        msg = f"The {name!r} parameter of {func} must be finite and >= 0. Got {t!r}."
        raise InvalidParameterError(msg)
    return values


def check_count(n: ArrayLike, name: str, func: str) -> Array:
    """Check one or more whole numbers >= 0 and return them as a float array (0-d for a scalar).

    Examples
    --------
    >>> check_count(3, "n", "BetaGeo.probability_of_purchases")
    array(3.)
    """
    values = check_times(n, name, func)
    if np.any(values != np.round(values)):
        msg = f"The {name!r} parameter of {func} must be whole numbers >= 0. Got {n!r}."
        raise InvalidParameterError(msg)
    return values


def check_frequency_spend(customers: Customers, *, func: str) -> Customers:
    """Check ``(frequency, monetary_value)`` columns for the spend models (Gamma-Gamma).

    ``frequency`` is a finite whole number >= 0; ``monetary_value`` is finite everywhere and positive where
    ``frequency`` is positive (the mean amount of the repeat transactions). Where ``frequency`` is 0 the
    monetary value is not used (``rt.rfm_summary`` puts 0 there).

    Raises
    ------
    InvalidValueError
        If a value breaks a rule.

    Examples
    --------
    >>> c = read_customers(None, {"frequency": [2, 0], "monetary_value": [-5.0, 0.0]}, func="GammaGamma.fit")
    >>> check_frequency_spend(c, func="GammaGamma.fit")
    Traceback (most recent call last):
    ...
    retention.errors.InvalidValueError: The monetary_value passed to GammaGamma.fit must be positive for customers with repeat purchases (frequency > 0): 1 customer, the first at position 0 (frequency 2.0, monetary_value -5.0). The Gamma-Gamma model describes positive amounts: drop those customers, or net returns out of the amounts before rt.rfm_summary.
    """
    frequency, spend = customers.columns
    index = customers.index
    shown = {"frequency": frequency, "monetary_value": spend}
    bad = ~np.isfinite(frequency) | (frequency < 0) | (frequency != np.round(frequency))
    if bad.any():
        msg = f"The frequency passed to {func} must be finite whole numbers >= 0 (repeat transactions): {_describe(bad, index, {'frequency': frequency})}."
        raise InvalidValueError(msg)
    bad = ~np.isfinite(spend)
    if bad.any():
        msg = f"The monetary_value passed to {func} must be finite: {_describe(bad, index, shown)}. Drop or fill those customers (rt.rfm_summary puts 0 where frequency is 0)."
        raise InvalidValueError(msg)
    bad = (frequency > 0) & (spend <= 0)
    if bad.any():
        msg = (
            f"The monetary_value passed to {func} must be positive for customers with repeat purchases "
            f"(frequency > 0): {_describe(bad, index, shown)}. The Gamma-Gamma model describes positive "
            "amounts: drop those customers, or net returns out of the amounts before rt.rfm_summary."
        )
        raise InvalidValueError(msg)
    return customers


def check_holdout(customers: Customers, *, func: str) -> Customers:
    """Check ``(frequency_holdout, duration_holdout)`` columns: whole counts >= 0 and finite times >= 0.

    Raises
    ------
    InvalidValueError
        If a value breaks a rule.

    Examples
    --------
    >>> c = read_customers(None, {"frequency_holdout": [1.5], "duration_holdout": [4.0]}, func="f")
    >>> check_holdout(c, func="f")
    Traceback (most recent call last):
    ...
    retention.errors.InvalidValueError: The frequency_holdout passed to f must be finite whole numbers >= 0: 1 customer, the first at position 0 (frequency_holdout 1.5). Make the summary with rt.rfm_summary(..., calibration_end=...).
    """
    counts, duration = customers.columns
    index = customers.index
    bad = ~np.isfinite(counts) | (counts < 0) | (counts != np.round(counts))
    if bad.any():
        msg = f"The frequency_holdout passed to {func} must be finite whole numbers >= 0: {_describe(bad, index, {'frequency_holdout': counts})}. Make the summary with rt.rfm_summary(..., calibration_end=...)."
        raise InvalidValueError(msg)
    bad = ~np.isfinite(duration) | (duration < 0)
    if bad.any():
        msg = f"The duration_holdout passed to {func} must be finite and >= 0: {_describe(bad, index, {'duration_holdout': duration})}. Make the summary with rt.rfm_summary(..., calibration_end=...)."
        raise InvalidValueError(msg)
    return customers


def check_frequency_recency_n_periods(
    customers: Customers, *, func: str, periods: str = "n_periods"
) -> Customers:
    """Check ``(frequency, recency, n_periods)`` columns of discrete opportunities (BG/BB).

    All three are finite whole numbers >= 0 with ``frequency <= recency <= n_periods`` (at most one
    transaction per opportunity, the last one at opportunity ``recency``), and ``recency`` is 0 where
    ``frequency`` is 0. ``periods`` is the name of the third column in messages (``"T"`` when it was read
    from a summary's ``T``).

    Raises
    ------
    InvalidValueError
        If a value breaks a rule.

    Examples
    --------
    >>> c = read_customers(None, {"frequency": [3], "recency": [2], "n_periods": [6]}, func="BetaGeoBetaBinom.fit")
    >>> check_frequency_recency_n_periods(c, func="BetaGeoBetaBinom.fit")
    Traceback (most recent call last):
    ...
    retention.errors.InvalidValueError: The frequency passed to BetaGeoBetaBinom.fit must not exceed recency: 1 customer, the first at position 0 (frequency 3.0, recency 2.0). With discrete opportunities a customer buys at most once per opportunity, the last time at opportunity recency.
    """
    frequency, recency, n = customers.columns
    index = customers.index
    for name, values in (("frequency", frequency), ("recency", recency), (periods, n)):
        bad = ~np.isfinite(values) | (values < 0) | (values != np.round(values))
        if bad.any():
            msg = f"The {name} passed to {func} must be finite whole numbers >= 0 (counts of opportunities): {_describe(bad, index, {name: values})}."
            raise InvalidValueError(msg)
    bad = recency > n
    if bad.any():
        msg = f"The recency passed to {func} must not exceed {periods}: {_describe(bad, index, {'recency': recency, periods: n})}. Recency is the opportunity of the last transaction and {periods} the number of opportunities observed."
        raise InvalidValueError(msg)
    bad = frequency > recency
    if bad.any():
        msg = f"The frequency passed to {func} must not exceed recency: {_describe(bad, index, {'frequency': frequency, 'recency': recency})}. With discrete opportunities a customer buys at most once per opportunity, the last time at opportunity recency."
        raise InvalidValueError(msg)
    bad = (frequency == 0) & (recency > 0)
    if bad.any():
        msg = f"The recency passed to {func} must be 0 for customers without repeat transactions (frequency 0): {_describe(bad, index, {'frequency': frequency, 'recency': recency})}."
        raise InvalidValueError(msg)
    return customers


def check_discount_rate(rate: object, func: str) -> float:
    """Check a discount rate per period: a finite number >= 0.

    Examples
    --------
    >>> check_discount_rate(0.1, "BetaGeoBetaBinom.discounted_expected_residual_transactions")
    0.1
    """
    if isinstance(rate, bool) or not isinstance(rate, int | float | np.integer | np.floating):
        msg = f"The 'discount_rate' parameter of {func} must be a number: the discount rate per period, e.g. 0.1 for 10%. Got {rate!r}."
        raise InvalidParameterError(msg)
    value = float(rate)
    if not np.isfinite(value) or value < 0:
        msg = f"The 'discount_rate' parameter of {func} must be a finite number >= 0 (per period, e.g. 0.1 for 10%). Got {rate!r}."
        raise InvalidParameterError(msg)
    return value
