"""The one place where per-customer summaries (frequency, recency, T, weights) are checked.

:mod:`~retention.frames.schema` checks transaction tables; this module checks what the customer-base models
read: a summary frame as made by :func:`~retention.rfm_summary`, or the same columns passed as arrays. Every
model method calls :func:`read_customers` (and, to fit, :func:`check_fittable`) once and trusts the arrays
it returns. Messages name the model method, the column, the offending customers and the fix.

Why one module of about 930 lines: it is the one reader of per-customer summaries of DESIGN.md. The
models, ``rt.customer_lifetime_value``, the calibration tables and the forecasts read customers through
:func:`read_customers` (a frame or arrays, fitted or broadcast) and the rules of each summary
(``check_frequency_recency_T`` ...), and every such refusal is written by one function,
:func:`check_rule`, over the same private readers of numbers and positions (``_as_float``, ``_numbers``,
``_describe``): split, those would be imported across modules. The readers of segment labels, survival
curves and survival counts (about 250 lines) share less with the rest; they sit here as the other
per-customer and per-cohort inputs, so that every input outside transaction tables is checked in one
module. About 40% of the lines are docstrings, most with examples that run as tests.

Rules:

- ``frequency`` counts repeat transactions: a finite whole number >= 0.
- ``recency`` and ``T`` are finite times >= 0 with ``recency <= T``; ``recency`` is 0 where ``frequency``
  is 0. ``T`` may be 0 only for a customer without repeat purchases (first seen on the observation end day:
  such a customer tells nothing about repeat buying and adds exactly 0 to the log-likelihood).
- weights (how many customers share a row) are finite and >= 0.
- to fit, there must be more customers than parameters and at least one repeat purchase: with no repeat
  purchase at all the model is not identified.

Other inputs read here, next to the summaries: Series of segment labels indexed by customer id
(:func:`check_segments`, for migrations and contact plans), survival curves as ``rt.survival_curve``
makes (:func:`read_curve`) and survival counts per cohort (:func:`read_active`, for the sBG model).

Shapes:

- to **fit**, the columns are one-dimensional: one entry per customer, all of one length.
- to **predict**, the arrays and the horizons (``t``, ``n`` ...) broadcast together like the
  arguments of a numpy ufunc: numbers, 0-d arrays, lists and arrays of any shapes that broadcast. They are
  broadcast and flattened here (:func:`read_customers` with ``predict=True``, or
  :func:`broadcast_arguments` for methods without customers), so the checks and the core see 1-D arrays,
  and the result is given the broadcast shape back (:meth:`Customers.label`, :func:`shaped`): a float when
  every argument is a number. A summary frame gives one value per customer, a Series, so with a frame the
  horizons must be single numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from retention.core.arrays import FloatArray as Array
from retention.errors import (
    ColumnTypeError,
    InvalidParameterError,
    InvalidValueError,
    as_floats,
    column_not_found,
    plain_value,
)
from retention.frames.engines import decimal_floats, engine_of, to_pandas

__all__ = [
    "Customers",
    "broadcast_arguments",
    "check_count",
    "check_fittable",
    "check_frequency_recency_T",
    "check_frequency_recency_n_periods",
    "check_frequency_spend",
    "check_holdout",
    "check_rule",
    "check_segments",
    "check_times",
    "check_weights",
    "read_active",
    "read_curve",
    "read_customers",
    "shaped",
    "summary_frame",
]


def shaped(values: ArrayLike, shape: tuple[int, ...]) -> float | Array:
    """Give flat results the broadcast ``shape`` of the arguments: a float for shape ``()``.

    Examples
    --------
    >>> shaped(np.array([1.0, 2.0]), (2, 1))
    array([[1.],
           [2.]])
    >>> shaped(np.array([0.5]), ())
    0.5
    """
    out = np.asarray(values, dtype=np.float64).reshape(shape)
    return float(out) if out.ndim == 0 else out


def _position(flat: int, shape: tuple[int, ...]) -> str:
    """Format an entry's position: ``3`` in a 1-D array, ``(1, 2)`` in a 2-D one."""
    if len(shape) <= 1:
        return str(flat)
    return str(tuple(int(i) for i in np.unravel_index(flat, shape)))


@dataclass(frozen=True, slots=True, eq=False)
class Customers:
    """Checked per-customer columns, and the customer index when they came from a frame.

    Attributes
    ----------
    columns : tuple of numpy.ndarray
        The columns in the order asked for, float64 and one-dimensional (flattened after broadcasting).
    index : pandas.Index or None
        The summary frame's index; None for arrays.
    shape : tuple of int or None
        For arrays read to predict, the shape they broadcast to (``()`` when all are numbers), which
        :meth:`label` gives the results back; None for a frame and for arrays read to fit.
    horizons : tuple of numpy.ndarray
        The horizons read with the customers (:func:`read_customers`), in order: 0-d where a single number
        was given, otherwise broadcast with the columns and flattened like them.
    """

    columns: tuple[Array, ...]
    index: pd.Index | None
    shape: tuple[int, ...] | None = None
    horizons: tuple[Array, ...] = ()

    def __len__(self) -> int:
        return len(self.columns[0]) if self.columns else 0

    def label(self, values: Array, name: str) -> pd.Series | Array | float:
        """Label ``values`` (one per row of ``columns``) the way the customers were given.

        A Series named ``name`` on the frame's index for a frame; for arrays read to predict, an array of
        their broadcast shape, or a float when every argument was a number; else the bare array.
        """
        if self.index is not None:
            return pd.Series(values, index=self.index, name=name)
        if self.shape is None:
            return values
        return shaped(values, self.shape)


def _describe(mask: NDArray[np.bool_], where: Customers | None, shown: dict[str, Array]) -> str:
    """How many entries are bad, and which is the first (by frame label or array position)."""
    n = int(mask.sum())
    first = int(np.flatnonzero(mask)[0])
    values = ", ".join(f"{k} {v[first].item()!r}" for k, v in shown.items())
    index = where.index if where is not None else None
    shape = where.shape if where is not None else None
    if index is not None:
        place = f", the first at index {plain_value(index[first])!r}"
    elif shape == ():
        place = ""  # a single customer given as numbers
    else:
        place = f", the first at position {_position(first, shape or (len(mask),))}"
    return f"{n} customer{'s' if n != 1 else ''}{place} ({values})"


def check_rule(
    bad: NDArray[np.bool_],
    customers: Customers | None,
    shown: dict[str, Array],
    *,
    column: str,
    rule: str,
    func: str,
    fix: str = "",
) -> None:
    """Refuse the customers where ``bad``: how many, the first of them and its values in ``shown``.

    The one message of every per-customer rule: "The {column} passed to {func} must {rule}: ...",
    then ``fix``.

    Raises
    ------
    InvalidValueError
        If any entry of ``bad`` is True.

    Examples
    --------
    >>> c = read_customers(None, {"frequency": [0, -1]}, func="f")
    >>> (frequency,) = c.columns
    >>> check_rule(frequency < 0, c, {"frequency": frequency}, column="frequency",
    ...            rule="not be negative", func="f", fix="Drop those customers.")
    Traceback (most recent call last):
    ...
    retention.errors.InvalidValueError: The frequency passed to f must not be negative: 1 customer, the first at position 1 (frequency -1.0). Drop those customers.
    """
    if bad.any():
        then = f" {fix}" if fix else ""
        msg = (
            f"The {column} passed to {func} must {rule}: {_describe(bad, customers, shown)}.{then}"
        )
        raise InvalidValueError(msg)


def _as_float(values: object, name: str, func: str, *, one_dimensional: bool = True) -> Array:
    fix = f"Pass numbers, e.g. from rt.rfm_summary(...), as {name}=..."
    if isinstance(values, pd.Series | pd.Index):
        dtype = values.dtype
        if pd.api.types.is_bool_dtype(dtype) or not pd.api.types.is_numeric_dtype(dtype):
            msg = f"The {name!r} values passed to {func} must be numbers; got dtype {dtype}. {fix}"
            raise ColumnTypeError(msg)
        # Decimals (DECIMAL columns of DuckDB, parquet and polars) as the floats nearest to them, read as
        # the transaction reader reads decimal amounts.
        decimals = decimal_floats(pd.Series(values, copy=False))
        if decimals is not None:
            return decimals
        return values.to_numpy(dtype=np.float64, na_value=np.nan)
    try:
        arr = np.asarray(values)
    except (TypeError, ValueError) as e:  # ragged input that numpy refuses
        msg = f"The {name!r} values passed to {func} are not an array of numbers. {fix}"
        raise ColumnTypeError(msg) from e
    if arr.dtype == np.bool_ or not (
        np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)
    ):
        msg = f"The {name!r} values passed to {func} must be numbers; got dtype {arr.dtype}. {fix}"
        raise ColumnTypeError(msg)
    if one_dimensional and arr.ndim != 1:
        msg = f"The {name!r} values passed to {func} must be one-dimensional (one entry per customer); got shape {arr.shape}."
        raise InvalidValueError(msg)
    return arr.astype(np.float64)


def _frame_column(summary: pd.DataFrame, name: str, func: str) -> pd.Series:
    if name not in summary.columns:
        raise column_not_found(
            name,
            name,
            summary.columns,
            what=f"The summary passed to {func} has no {name!r} column",
            fix="Rename the column, make the summary with rt.rfm_summary(...), or pass the columns as arrays.",
        )
    column: Any = summary[name]
    if isinstance(column, pd.DataFrame):
        msg = f"The summary passed to {func} has the column {name!r} more than once. Rename the duplicates."
        raise InvalidValueError(msg)
    series: pd.Series = column
    return series


def broadcast_arguments(
    arrays: Mapping[str, Array], *, func: str
) -> tuple[tuple[int, ...], tuple[Array, ...]]:
    """Broadcast named arrays together (numpy's rules) and flatten them.

    Parameters
    ----------
    arrays : mapping
        Argument name -> its array (already checked), of any shape.
    func : str
        The method, named in messages.

    Returns
    -------
    shape : tuple of int
        The broadcast shape, ``()`` when every array is 0-d.
    flat : tuple of numpy.ndarray
        Each array broadcast to ``shape`` and flattened: 1-D, of one length (1 for shape ``()``).

    Raises
    ------
    InvalidValueError
        If the shapes do not broadcast; the message lists the shape of every argument.

    Examples
    --------
    >>> frequency, t = np.array([[0.0], [2.0]]), np.array([13.0, 26.0, 52.0])
    >>> broadcast_arguments({"frequency": frequency, "t": t}, func="f")
    ((2, 3), (array([0., 0., 0., 2., 2., 2.]), array([13., 26., 52., 13., 26., 52.])))
    >>> broadcast_arguments({"frequency": np.zeros(3), "T": np.zeros(2)}, func="BetaGeo.p_alive")
    Traceback (most recent call last):
    ...
    retention.errors.InvalidValueError: The arguments passed to BetaGeo.p_alive must broadcast together like numpy arrays (along each axis, counted from the last, the lengths are equal or 1); got shapes frequency (3,), T (2,). Pass arrays of one length (one entry per customer, say), or add length-1 axes for a grid: a column of shape (k, 1) against a row of shape (m,) gives shape (k, m).
    """
    try:
        shape = np.broadcast_shapes(*(a.shape for a in arrays.values()))
    except ValueError as e:
        # numbers broadcast with anything: only the arrays can be at fault
        shapes = ", ".join(f"{n} {a.shape}" for n, a in arrays.items() if a.ndim)
        msg = (
            f"The arguments passed to {func} must broadcast together like numpy arrays (along each axis, "
            f"counted from the last, the lengths are equal or 1); got shapes {shapes}. Pass arrays of one "
            "length (one entry per customer, say), or add length-1 axes for a grid: a column of shape "
            "(k, 1) against a row of shape (m,) gives shape (k, m)."
        )
        raise InvalidValueError(msg) from e
    return shape, tuple(np.broadcast_to(a, shape).ravel() for a in arrays.values())


def _horizon_with_frame(name: str, shape: tuple[int, ...], columns: list[str], func: str) -> str:
    first, others = columns[0], columns[1:]
    rest = " and ".join([", ".join(others[:-1]), others[-1]] if len(others) > 1 else others)
    return (
        f"The {name!r} parameter of {func} must be a single number when a summary frame is passed (the "
        f"result is one value per customer, a Series); got shape {shape}. Call once per value, or pass "
        f"the columns as arrays with a length-1 axis, e.g. {first}=summary[{first!r}].to_numpy()[:, None] "
        f"(likewise {rest}) and {name}=[...], for one row per customer and one column per {name}."
    )


def summary_frame(
    summary: object, func: str, *, maker: str = "rt.rfm_summary(...)"
) -> pd.DataFrame:
    """Return a per-customer summary as a pandas DataFrame: a pandas one as it is, another engine's read.

    A polars DataFrame or LazyFrame, a pyarrow Table or a DuckDB relation is read whole, as
    :func:`~retention.rfm_scores` reads a summary: engines have no index, so a ``customer_id`` column, when
    there is one, becomes the index (the customers the predictions are labelled with). ``maker`` names
    what makes such a frame, in the message for anything else.

    Raises
    ------
    ColumnTypeError
        If ``summary`` is not a table of pandas or of an engine the library reads.

    Examples
    --------
    >>> import pyarrow as pa
    >>> frame = summary_frame(pa.table({"customer_id": ["a", "b"], "frequency": [1, 0]}), "f")
    >>> frame
                 frequency
    customer_id
    a                    1
    b                    0
    """
    if engine_of(summary) is not None:
        summary = to_pandas(summary, {}, whole=True, func=func)
    if not isinstance(summary, pd.DataFrame):
        msg = f"The summary passed to {func} must be a DataFrame (pandas, polars, pyarrow or DuckDB) such as {maker} returns; got {type(summary).__name__}."
        raise ColumnTypeError(msg)
    return summary


def read_customers(
    summary: object,
    arrays: dict[str, object],
    *,
    func: str,
    predict: bool = False,
    horizons: Mapping[str, Array] | None = None,
) -> Customers:
    """Read per-customer columns from a summary frame or from keyword arrays, never both.

    Parameters
    ----------
    summary : DataFrame or None
        A frame with one row per customer and (at least) the columns named in ``arrays``: pandas, or a
        table of another engine (read by :func:`summary_frame`).
    arrays : dict
        Column name -> the array passed for it (None when not passed), in the order wanted.
    func : str
        The model method, named in messages (``"BetaGeo.fit"``).
    predict : bool, default False
        False (to fit): arrays must be one-dimensional, of one length. True (to predict): the arrays and
        the ``horizons`` may be numbers or arrays of any shapes that broadcast together; they are broadcast
        and flattened, and the shape kept for :meth:`Customers.label`.
    horizons : mapping, optional
        Only with ``predict=True``: name -> checked array of the horizons passed with the customers
        (``{"t": ...}``), which broadcast with them. With a frame they must be single numbers (0-d).

    Returns
    -------
    Customers
        The columns as 1-D float arrays, with the frame's index when a frame was given.

    Raises
    ------
    ColumnTypeError
        If ``summary`` is not a DataFrame or a column is not numeric.
    ColumnNotFoundError
        If the frame lacks a column.
    InvalidParameterError
        If both a frame and arrays, or neither, are given, an array is missing, or a horizon given with a
        frame is not a single number.
    InvalidValueError
        If arrays read to fit are not one-dimensional or have different lengths, or arrays read to
        predict do not broadcast together.

    Examples
    --------
    >>> c = read_customers(None, {"frequency": [1, 0], "T": [5.0, 3.0]}, func="Model.fit")
    >>> c.columns, c.index
    ((array([1., 0.]), array([5., 3.])), None)
    >>> c = read_customers(None, {"frequency": [[1], [0]], "T": 5}, func="Model.predict", predict=True)
    >>> c.columns, c.shape
    ((array([1., 0.]), array([5., 5.])), (2, 1))
    """
    extra = dict(horizons or {})
    if extra and not predict:
        msg = "read_customers takes horizons only to predict (predict=True)."
        raise TypeError(msg)
    names = list(arrays)
    listed = ", ".join(f"{n}=" for n in names)
    given = [n for n, v in arrays.items() if v is not None]
    if summary is not None:
        if given:
            msg = f"{func} takes either a summary frame or the arrays {listed} not both. Got a summary and {', '.join(given)}."
            raise InvalidParameterError(msg)
        if engine_of(summary) is None and not isinstance(summary, pd.DataFrame):
            msg = f"The summary passed to {func} must be a DataFrame (pandas, polars, pyarrow or DuckDB) such as rt.rfm_summary(...) returns; got {type(summary).__name__}. To pass arrays, name them: {listed}"
            raise ColumnTypeError(msg)
        summary = summary_frame(summary, func)
        columns = tuple(_as_float(_frame_column(summary, n, func), n, func) for n in names)
        for name, values in extra.items():
            if values.ndim:
                raise InvalidParameterError(_horizon_with_frame(name, values.shape, names, func))
        return Customers(columns, summary.index, None, tuple(extra.values()))
    missing = [n for n in names if arrays[n] is None]
    if missing:
        msg = f"{func} needs a summary frame or all of the arrays {listed}; {', '.join(repr(m) for m in missing)} missing."
        raise InvalidParameterError(msg)
    if predict:
        raw = {n: _as_float(arrays[n], n, func, one_dimensional=False) for n in names}
        shape, flat = broadcast_arguments({**raw, **extra}, func=func)
        # a single horizon stays 0-d: the core takes it as a number, as for a frame
        kept = tuple(
            h if h.ndim == 0 else f for h, f in zip(extra.values(), flat[len(names) :], strict=True)
        )
        return Customers(flat[: len(names)], None, shape, kept)
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
        If a value is not finite or negative, a frequency is not whole, a recency exceeds T or is not 0
        without repeat purchases, or T is 0 with repeat purchases.

    Examples
    --------
    A customer first seen on the observation end day (T 0, no repeat purchase) is accepted:

    >>> c = read_customers(None, {"frequency": [0], "recency": [0.0], "T": [0.0]}, func="BetaGeo.fit")
    >>> check_frequency_recency_T(c, func="BetaGeo.fit").columns
    (array([0.]), array([0.]), array([0.]))
    >>> c = read_customers(None, {"frequency": [1], "recency": [6.0], "T": [5.0]}, func="BetaGeo.fit")
    >>> check_frequency_recency_T(c, func="BetaGeo.fit")
    Traceback (most recent call last):
    ...
    retention.errors.InvalidValueError: The recency passed to BetaGeo.fit must not exceed T: 1 customer, the first at position 0 (recency 6.0, T 5.0). Recency is the time from the first to the last purchase and T from the first purchase to the observation end.
    """
    frequency, recency, age = customers.columns
    for name, values in (("frequency", frequency), ("recency", recency), ("T", age)):
        one, fix = {name: values}, "Drop or fill those customers."
        bad = ~np.isfinite(values)
        check_rule(bad, customers, one, column=name, rule="be finite", func=func, fix=fix)
        check_rule(values < 0, customers, one, column=name, rule="not be negative", func=func)
    whole = "be whole numbers (repeat transactions)"
    bad = frequency != np.round(frequency)
    check_rule(bad, customers, {"frequency": frequency}, column="frequency", rule=whole, func=func)
    shown = {"frequency": frequency, "recency": recency, "T": age}
    fix = "Recency is the time from the first to the last purchase and T from the first purchase to the observation end."
    pair = {"recency": recency, "T": age}
    check_rule(
        recency > age, customers, pair, column="recency", rule="not exceed T", func=func, fix=fix
    )
    rule = "be 0 for customers without repeat purchases (frequency 0)"
    bad = (frequency == 0) & (recency > 0)
    check_rule(bad, customers, shown, column="recency", rule=rule, func=func)
    rule = "be positive for customers with repeat purchases"
    check_rule((age == 0) & (frequency > 0), customers, shown, column="T", rule=rule, func=func)
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
    check_rule(bad, None, {"weights": w}, column="weights", rule="be finite and >= 0", func=func)
    return w


def check_fittable(
    frequency: Array,
    weights: Array | None,
    *,
    n_params: int,
    func: str,
    learns: str = "how often customers buy or when they drop out",
) -> None:
    """Refuse data that cannot identify a model: too few customers, or no repeat purchase at all.

    ``learns`` says what the model learns from repeat purchases, in the message.

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
            f"so the data say nothing about {learns}. Fit on data with repeat purchases, e.g. a longer "
            "observation period."
        )
        raise InvalidValueError(msg)


def _first_bad(raw: NDArray[Any], bad: NDArray[np.bool_]) -> str:
    """Show the first offending entry as a plain value, with its position in an array."""
    if raw.ndim == 0:
        return repr(plain_value(raw))
    first = int(np.flatnonzero(bad)[0])
    return f"{plain_value(raw.flat[first])!r} at position {_position(first, raw.shape)}"


def _numbers(values: ArrayLike, name: str, func: str, what: str) -> tuple[NDArray[Any], Array]:
    """Read a parameter of one or more finite numbers >= 0: the array as given, and as floats."""
    try:
        raw = np.asarray(values)
    except (TypeError, ValueError) as e:  # ragged nested lists
        msg = f"The {name!r} parameter of {func} must be {what}, in a rectangular array."
        raise InvalidParameterError(msg) from e
    if raw.dtype == np.bool_ or not (
        np.issubdtype(raw.dtype, np.integer) or np.issubdtype(raw.dtype, np.floating)
    ):
        got = repr(plain_value(raw)) if raw.ndim == 0 else f"an array of dtype {raw.dtype}"
        msg = f"The {name!r} parameter of {func} must be {what}. Got {got}."
        raise InvalidParameterError(msg)
    floats = raw.astype(np.float64)
    bad = ~np.isfinite(floats) | (floats < 0)
    if bad.any():
        msg = (
            f"The {name!r} parameter of {func} must be finite and >= 0. Got {_first_bad(raw, bad)}."
        )
        raise InvalidParameterError(msg)
    return raw, floats


def check_times(t: ArrayLike, name: str, func: str) -> Array:
    """Check one or more finite times >= 0 and return them as an array of any shape (0-d for a number).

    Raises
    ------
    InvalidParameterError
        If ``t`` is not numbers, or an entry is negative or not finite; the message shows the first.

    Examples
    --------
    >>> check_times([0, 52], "t", "BetaGeo.expected_purchases")
    array([ 0., 52.])
    >>> check_times([[0], [-52]], "t", "BetaGeo.expected_purchases")
    Traceback (most recent call last):
    ...
    retention.errors.InvalidParameterError: The 't' parameter of BetaGeo.expected_purchases must be finite and >= 0. Got -52 at position (1, 0).
    """
    return _numbers(t, name, func, "numbers (times in the unit of recency and T)")[1]


def check_count(n: ArrayLike, name: str, func: str) -> Array:
    """Check one or more whole numbers >= 0 and return them as a float array of any shape (0-d for a number).

    Raises
    ------
    InvalidParameterError
        If ``n`` is not numbers, or an entry is negative, not finite or not whole; the message shows the
        first.

    Examples
    --------
    >>> check_count(3, "n", "BetaGeo.probability_of_purchases")
    array(3.)
    >>> check_count(np.float64(1.5), "n", "BetaGeo.probability_of_purchases")
    Traceback (most recent call last):
    ...
    retention.errors.InvalidParameterError: The 'n' parameter of BetaGeo.probability_of_purchases must be whole numbers >= 0. Got 1.5.
    """
    raw, values = _numbers(n, name, func, "whole numbers >= 0 (counts)")
    bad = values != np.round(values)
    if bad.any():
        msg = f"The {name!r} parameter of {func} must be whole numbers >= 0. Got {_first_bad(raw, bad)}."
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
        If a frequency is not a finite whole number >= 0, a monetary value is not finite, or it is not
        positive for a customer with repeat purchases.

    Examples
    --------
    The monetary value of the second customer, without repeat purchases, is not used; the first one's is:

    >>> c = read_customers(None, {"frequency": [2, 0], "monetary_value": [-5.0, 0.0]}, func="GammaGamma.fit")
    >>> check_frequency_spend(c, func="GammaGamma.fit")
    Traceback (most recent call last):
    ...
    retention.errors.InvalidValueError: The monetary_value passed to GammaGamma.fit must be positive for customers with repeat purchases (frequency > 0): 1 customer, the first at position 0 (frequency 2.0, monetary_value -5.0). The Gamma-Gamma model describes positive amounts: rt.rfm_summary nets returns out of the spend, which can leave a customer nothing; pass returns='drop' to rt.rfm_summary to ignore returns, or drop those customers.
    """
    frequency, spend = customers.columns
    shown = {"frequency": frequency, "monetary_value": spend}
    bad = ~np.isfinite(frequency) | (frequency < 0) | (frequency != np.round(frequency))
    rule = "be finite whole numbers >= 0 (repeat transactions)"
    check_rule(bad, customers, {"frequency": frequency}, column="frequency", rule=rule, func=func)
    column = "monetary_value"
    fix = "Drop or fill those customers (rt.rfm_summary puts 0 where frequency is 0)."
    check_rule(
        ~np.isfinite(spend), customers, shown, column=column, rule="be finite", func=func, fix=fix
    )
    rule = "be positive for customers with repeat purchases (frequency > 0)"
    fix = "The Gamma-Gamma model describes positive amounts: rt.rfm_summary nets returns out of the spend, which can leave a customer nothing; pass returns='drop' to rt.rfm_summary to ignore returns, or drop those customers."
    bad = (frequency > 0) & (spend <= 0)
    check_rule(bad, customers, shown, column=column, rule=rule, func=func, fix=fix)
    return customers


def check_holdout(customers: Customers, *, func: str) -> Customers:
    """Check ``(frequency_holdout, duration_holdout)`` columns: whole counts >= 0 and finite times >= 0.

    Raises
    ------
    InvalidValueError
        If a holdout frequency is not a finite whole number >= 0, or a holdout duration is negative or
        not finite.

    Examples
    --------
    >>> c = read_customers(None, {"frequency_holdout": [1.5], "duration_holdout": [4.0]}, func="f")
    >>> check_holdout(c, func="f")
    Traceback (most recent call last):
    ...
    retention.errors.InvalidValueError: The frequency_holdout passed to f must be finite whole numbers >= 0: 1 customer, the first at position 0 (frequency_holdout 1.5). Make the summary with rt.rfm_summary(..., calibration_end=...).
    """
    counts, duration = customers.columns
    fix = "Make the summary with rt.rfm_summary(..., calibration_end=...)."
    bad = ~np.isfinite(counts) | (counts < 0) | (counts != np.round(counts))
    rule = "be finite whole numbers >= 0"
    column = "frequency_holdout"
    check_rule(bad, customers, {column: counts}, column=column, rule=rule, func=func, fix=fix)
    bad = ~np.isfinite(duration) | (duration < 0)
    column = "duration_holdout"
    rule = "be finite and >= 0"
    check_rule(bad, customers, {column: duration}, column=column, rule=rule, func=func, fix=fix)
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
        If a value is not a finite whole number >= 0, the order ``frequency <= recency <= n_periods``
        does not hold, or a recency is not 0 without repeat transactions.

    Examples
    --------
    >>> c = read_customers(None, {"frequency": [3], "recency": [2], "n_periods": [6]}, func="BetaGeoBetaBinom.fit")
    >>> check_frequency_recency_n_periods(c, func="BetaGeoBetaBinom.fit")
    Traceback (most recent call last):
    ...
    retention.errors.InvalidValueError: The frequency passed to BetaGeoBetaBinom.fit must not exceed recency: 1 customer, the first at position 0 (frequency 3.0, recency 2.0). With discrete opportunities a customer buys at most once per opportunity, the last time at opportunity recency.

    The third column read from a summary's ``T`` (``rt.rfm_summary(tx, freq=period)``) is named so:

    >>> c = read_customers(None, {"frequency": [1], "recency": [4], "T": [3]}, func="BetaGeoBetaBinom.fit")
    >>> check_frequency_recency_n_periods(c, func="BetaGeoBetaBinom.fit", periods="T")
    Traceback (most recent call last):
    ...
    retention.errors.InvalidValueError: The recency passed to BetaGeoBetaBinom.fit must not exceed T: 1 customer, the first at position 0 (recency 4.0, T 3.0). Recency is the opportunity of the last transaction and T the number of opportunities observed.
    """
    frequency, recency, n = customers.columns
    rule = "be finite whole numbers >= 0 (counts of opportunities)"
    for name, values in (("frequency", frequency), ("recency", recency), (periods, n)):
        bad = ~np.isfinite(values) | (values < 0) | (values != np.round(values))
        check_rule(bad, customers, {name: values}, column=name, rule=rule, func=func)
    pair = {"frequency": frequency, "recency": recency}
    fix = f"Recency is the opportunity of the last transaction and {periods} the number of opportunities observed."
    rule = f"not exceed {periods}"
    bad = recency > n
    check_rule(
        bad,
        customers,
        {"recency": recency, periods: n},
        column="recency",
        rule=rule,
        func=func,
        fix=fix,
    )
    fix = "With discrete opportunities a customer buys at most once per opportunity, the last time at opportunity recency."
    rule = "not exceed recency"
    check_rule(
        frequency > recency, customers, pair, column="frequency", rule=rule, func=func, fix=fix
    )
    rule = "be 0 for customers without repeat transactions (frequency 0)"
    bad = (frequency == 0) & (recency > 0)
    check_rule(bad, customers, pair, column="recency", rule=rule, func=func)
    return customers


# --- the other per-customer and per-cohort inputs: segment labels, survival counts, survival curves ---


def check_segments(labels: object, what: str) -> pd.Series:
    """Check a Series of segment labels indexed by customer id; return it unchanged.

    Parameters
    ----------
    labels : object
        What the caller passed.
    what : str
        How to name it in a message, e.g. ``"The 'before' argument of migration_matrix"``.

    Returns
    -------
    pandas.Series
        ``labels``, which is a Series with unique, non-missing customer ids and no missing label.

    Raises
    ------
    ColumnTypeError
        If ``labels`` is not a Series, or its customer ids or labels cannot be hashed (lists).
    InvalidValueError
        If a customer id is missing or repeated, or a label is missing.

    Examples
    --------
    >>> check_segments(pd.Series(["loyal", None], index=[1, 2]), "The 'before' argument of f")
    Traceback (most recent call last):
    ...
    retention.errors.InvalidValueError: The 'before' argument of f has missing segment labels: 1 customer, the first 2. Give every customer a label, e.g. labels.fillna('other') (add the category first if the Series is categorical).
    """
    if not isinstance(labels, pd.Series):
        msg = (
            f"{what} must be a pandas Series of segment labels indexed by customer id; got "
            f"{type(labels).__name__}. Pass e.g. the result of rt.working_segments(features), or "
            "pd.Series(labels, index=customer_ids)."
        )
        raise ColumnTypeError(msg)
    index = labels.index
    try:
        pd.factorize(index)  # hashes every id (is_unique does not always)
    except TypeError as e:  # ids that cannot be hashed (lists): they cannot be matched or grouped
        msg = f"{what} has customer ids that cannot be matched ({str(e).splitlines()[0]}) in its index. Index it by the customer ids, e.g. labels.index = labels.index.map(tuple)."
        raise ColumnTypeError(msg) from e
    if index.hasnans:
        n = int(np.asarray(index.isna()).sum())
        msg = (
            f"{what} has missing customer ids in its index ({n}). Drop those rows or give them ids."
        )
        raise InvalidValueError(msg)
    if not index.is_unique:
        repeated = index[index.duplicated()].unique()
        n = len(repeated)
        msg = (
            f"{what} has duplicated customer ids ({n} id{'s' if n != 1 else ''}, the first "
            f"{plain_value(repeated[0])!r}); a customer is in one segment at a time. Keep one row per customer, "
            "e.g. labels[~labels.index.duplicated(keep='last')]."
        )
        raise InvalidValueError(msg)
    missing = labels.isna().to_numpy()
    if missing.any():
        n = int(missing.sum())
        first = plain_value(index[np.flatnonzero(missing)[0]])
        msg = (
            f"{what} has missing segment labels: {n} customer{'s' if n != 1 else ''}, the first "
            f"{first!r}. Give every customer a label, e.g. labels.fillna('other') (add the category "
            "first if the Series is categorical)."
        )
        raise InvalidValueError(msg)
    if not isinstance(labels.dtype, pd.CategoricalDtype):  # categories are hashable by construction
        try:
            pd.factorize(labels)  # hashes every label, one alone too (Index.unique skips one)
        except TypeError as e:  # lists, sets, dicts: they cannot be grouped into segments
            msg = f"{what} holds segment labels that cannot be grouped ({str(e).splitlines()[0]}). Convert them, e.g. labels.astype(str)."
            raise ColumnTypeError(msg) from e
    return labels


def read_curve(curve: object, func: str) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Check a survival_curve result and return its times and survival values.

    Examples
    --------
    >>> curve = pd.DataFrame({"survival": [1.0, 0.5]}, index=pd.Index([0, 10], name="time"))
    >>> read_curve(curve, "median_lifetime")
    (array([ 0, 10]), array([1. , 0.5]))
    """
    fix = "Pass the DataFrame returned by rt.survival_curve(...)."
    if not isinstance(curve, pd.DataFrame):
        msg = (
            f"The 'curve' argument of {func} must be a DataFrame; got {type(curve).__name__}. {fix}"
        )
        raise ColumnTypeError(msg)
    if "survival" not in curve.columns:
        what = f"The 'curve' argument of {func} has no 'survival' column"
        raise column_not_found("survival", "survival", curve.columns, what=what, fix=fix)
    index = curve.index
    if not pd.api.types.is_integer_dtype(index.dtype):
        msg = f"The index of the 'curve' argument of {func} must hold whole days (int); it has dtype {index.dtype}. {fix}"
        raise ColumnTypeError(msg)
    time = index.to_numpy(dtype=np.int64)
    if len(time) and (time[0] < 0 or np.any(np.diff(time) <= 0)):
        msg = f"The index of the 'curve' argument of {func} must hold increasing non-negative days without repeats. {fix}"
        raise InvalidValueError(msg)
    if (curve.columns == "survival").sum() > 1:
        msg = f"The 'curve' argument of {func} has more than one 'survival' column. {fix}"
        raise InvalidValueError(msg)
    column = curve["survival"]
    if pd.api.types.is_bool_dtype(column.dtype) or not pd.api.types.is_numeric_dtype(column.dtype):
        msg = f"The 'survival' column of the 'curve' argument of {func} must hold numbers; it has dtype {column.dtype}. {fix}"
        raise ColumnTypeError(msg)
    survival = column.to_numpy(dtype=np.float64, na_value=np.nan)
    if not np.all((survival >= 0.0) & (survival <= 1.0)) or np.any(np.diff(survival) > 0):
        msg = f"The 'survival' column of the 'curve' argument of {func} must be non-increasing values in [0, 1] without NaN. {fix}"
        raise InvalidValueError(msg)
    return time, survival


_ACTIVE_FIX = (
    "Pass the number of customers of each cohort still active at periods 0, 1, 2, ..., one row per "
    "cohort, e.g. rt.cohort_table(tx, freq='Y', kind='rolling') with one purchase per paid period."
)


def _active_numbers(values: Array | NDArray[Any], what: str, func: str) -> Array:
    if values.dtype == np.bool_ or not (
        np.issubdtype(values.dtype, np.integer)
        or np.issubdtype(values.dtype, np.floating)
        or values.dtype == np.object_
    ):
        msg = f"The survival counts passed to {func} must be numbers; got {what} of dtype {values.dtype}. {_ACTIVE_FIX}"
        raise ColumnTypeError(msg)
    try:
        return as_floats(values)  # an int too large for a float is infinite: refused as such
    except (TypeError, ValueError) as e:
        msg = f"The survival counts passed to {func} must be numbers; got {what} holding other values. {_ACTIVE_FIX}"
        raise ColumnTypeError(msg) from e


def _active_from_frame(active: pd.DataFrame, func: str) -> tuple[Array, list[str], list[object]]:
    for column, dtype in active.dtypes.items():
        if pd.api.types.is_bool_dtype(dtype) or not pd.api.types.is_numeric_dtype(dtype):
            msg = f"The survival counts passed to {func} must be numbers; column {column!r} has dtype {dtype}. {_ACTIVE_FIX}"
            raise ColumnTypeError(msg)
    labels: list[object] = [plain_value(c) for c in active.columns]
    whole = all(isinstance(c, int | np.integer) and not isinstance(c, bool) for c in labels)
    if labels and whole and labels != list(range(len(labels))):
        msg = (
            f"The columns of the frame passed to {func} are periods and must be 0, 1, 2, ... in order; "
            f"got {labels}. The first column is the cohort size at period 0 (acquisition)."
        )
        raise InvalidValueError(msg)
    values = active.to_numpy(dtype=np.float64, na_value=np.nan)
    return values, [f"cohort {plain_value(label)!r}" for label in active.index], labels


def _active_from_array(active: object, func: str) -> tuple[Array, list[str], list[object]]:
    if isinstance(active, pd.Series):
        raw: NDArray[Any] = active.to_numpy()
    else:
        try:
            raw = np.asarray(active)
        except ValueError as e:
            msg = f"The survival counts passed to {func} must be a rectangular array: pad the periods a cohort has not reached yet with NaN. {_ACTIVE_FIX}"
            raise InvalidValueError(msg) from e
    counts = _active_numbers(raw, type(active).__name__, func)
    if counts.ndim == 1:
        counts = counts[None, :]
    if counts.ndim != 2:
        msg = f"The survival counts passed to {func} must be 1-D (one cohort) or 2-D (one row per cohort); got shape {counts.shape}."
        raise InvalidValueError(msg)
    return counts, [f"row {i}" for i in range(counts.shape[0])], list(range(counts.shape[1]))


def _first_cell(mask: NDArray[np.bool_]) -> tuple[int, int]:
    """Return the (cohort, period) of the first True entry, row by row."""
    i, t = np.argwhere(mask)[0]
    return int(i), int(t)


def _check_active_values(counts: Array, names: list[str], periods: list[object], func: str) -> None:
    """Apply the rules of :func:`read_active` to the counts, one message per rule."""
    observed = ~np.isnan(counts)
    if np.isinf(counts).any():
        i, t = _first_cell(np.isinf(counts))
        msg = f"The survival counts passed to {func} must be finite: {names[i]} has {counts[i, t]} at period {periods[t]!r}. Use NaN for periods not observed yet."
        raise InvalidValueError(msg)
    bad = ~observed[:, 0] | (counts[:, 0] <= 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        msg = f"Every cohort passed to {func} must have customers at period 0: {names[i]} has {counts[i, 0]}. Drop empty cohorts."
        raise InvalidValueError(msg)
    if (counts < 0).any():
        i, t = _first_cell(counts < 0)
        msg = f"The survival counts passed to {func} must not be negative: {names[i]} has {counts[i, t]:g} at period {periods[t]!r}."
        raise InvalidValueError(msg)
    bad = observed & (counts != np.round(counts))
    if bad.any():
        i, t = _first_cell(bad)
        msg = f"The survival counts passed to {func} must be whole numbers of customers: {names[i]} has {counts[i, t]:g} at period {periods[t]!r}. Pass counts, not shares (rt.cohort_table(..., normalize=False))."
        raise InvalidValueError(msg)
    bad = ~observed[:, :-1] & observed[:, 1:]
    if bad.any():
        i, t = _first_cell(bad)
        msg = f"The survival counts passed to {func} may be NaN only after the last observed period of a cohort: {names[i]} is NaN at period {periods[t]!r} but observed at period {periods[t + 1]!r}."
        raise InvalidValueError(msg)
    with np.errstate(invalid="ignore"):
        bad = counts[:, 1:] > counts[:, :-1]
    if bad.any():
        i, t = _first_cell(bad)
        msg = (
            f"The survival counts passed to {func} must not increase from one period to the next (customers "
            f"who left do not come back): {names[i]} has {counts[i, t]:g} at period {periods[t]!r} and "
            f"{counts[i, t + 1]:g} at period {periods[t + 1]!r}. Count each customer as active up to the last "
            "period they paid for (rt.cohort_table(..., kind='rolling'))."
        )
        raise InvalidValueError(msg)


def read_active(active: object, *, func: str) -> tuple[Array, list[str]]:
    """Check survival counts and return them as a 2-D float array (NaN where not observed), with row names.

    Parameters
    ----------
    active : array-like or pandas.DataFrame or pandas.Series
        Customers still active at periods 0, 1, 2, ...: a 1-D array (one cohort), a 2-D array or a frame
        (one row per cohort, one column per period; later periods NaN where not observed yet).
    func : str
        The method, named in messages.

    Returns
    -------
    counts : numpy.ndarray
        Shape ``(cohorts, periods)``.
    names : list of str
        How messages name each cohort (``"cohort '2020'"`` for a frame row, ``"row 0"`` for an array).

    Raises
    ------
    ColumnTypeError
        If the counts are not numbers.
    InvalidValueError
        If the counts are empty, not whole, negative, infinite, increase from one period to the next, have a
        gap before a later observed period, or start with 0 customers.

    Examples
    --------
    >>> read_active([1000, 631, 640], func="ShiftedBetaGeometric.fit")
    Traceback (most recent call last):
    ...
    retention.errors.InvalidValueError: The survival counts passed to ShiftedBetaGeometric.fit must not increase from one period to the next (customers who left do not come back): row 0 has 631 at period 1 and 640 at period 2. Count each customer as active up to the last period they paid for (rt.cohort_table(..., kind='rolling')).
    """
    if isinstance(active, pd.DataFrame):
        counts, names, periods = _active_from_frame(active, func)
    else:
        counts, names, periods = _active_from_array(active, func)
    if counts.size == 0:
        msg = f"{func} got no survival counts (an empty table). {_ACTIVE_FIX}"
        raise InvalidValueError(msg)
    _check_active_values(counts, names, periods, func)
    return counts, names
