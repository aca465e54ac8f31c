"""Event tables read against a transaction table's customers: complaints, refusals.

:func:`~retention.frames.features.customer_features`, :func:`~retention.frames.complaints.complaint_outcomes` and
:func:`~retention.frames.scorecard.scorecard` read a second table keyed by customer and date next to the
transactions. :func:`read_events` reads it the one way (through
:func:`~retention.frames.schema.read_transactions`) and places each row on the transaction table's
customers; :func:`resolved_flags` reads its column of resolved flags; :func:`read_complaints` does both for
a complaints table and keeps the complaints that count (of a customer, up to the observation end).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from retention.errors import (
    ColumnNotFoundError,
    ColumnTypeError,
    InvalidValueError,
    column_not_found,
    plain_value,
)
from retention.frames.schema import (
    Transactions,
    read_transactions,
)

__all__ = ["missing_column", "read_complaints", "read_events", "resolved_flags"]


def missing_column(
    column: object, role: str, available: Sequence[object], fix: str
) -> ColumnNotFoundError:
    """:func:`~retention.errors.column_not_found` with a closing sentence that fits ``role``."""
    return column_not_found(column, role, available, fix=fix)


def _numeric_ids(ids: pd.Index) -> bool:
    """Whether customer ids are numbers (looking through a categorical to its categories)."""
    dtype = ids.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        dtype = dtype.categories.dtype
    return bool(pd.api.types.is_numeric_dtype(dtype))


def read_events(
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


def resolved_flags(
    table: pd.DataFrame, resolved: Any, caller: str = "customer_features"
) -> NDArray[np.bool_] | None:
    """Read the complaints table's column ``resolved`` as booleans (None: every complaint is open).

    ``resolved=None``, or the default name ``"resolved"`` absent from the table, gives None; a column named
    explicitly must exist, appear once, be boolean and have no missing values.
    """
    if resolved is None:
        return None
    if resolved not in table.columns:
        if resolved == "resolved":
            return None  # the default column is optional: without it every complaint is open
        raise missing_column(
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


def read_complaints(
    complaints: object,
    t: Transactions,
    resolved: Any,
    *,
    customer_id: Any,
    date: Any,
    caller: str = "customer_features",
    resolved_fix: str | None = None,
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.bool_] | None]:
    """Read a complaints table and keep the complaints of ``t``'s customers up to its observation end.

    Returns, per complaint kept (in the table's order), the customer's code in ``t``, the day (days
    since 1970-01-01) and the resolved flag (:func:`resolved_flags`; None: every complaint is open). With
    ``resolved_fix``, the ``resolved`` column is required: a table without it is refused with that fix.
    """
    code, in_time, table, day = read_events(
        complaints,
        "complaints",
        t.customer_ids,
        t.end_day,
        customer_id=customer_id,
        date=date,
        caller=caller,
    )
    if resolved_fix is not None and resolved not in table.columns:
        raise missing_column(resolved, "resolved", list(table.columns), resolved_fix)
    flags = resolved_flags(table, resolved, caller)
    keep = in_time & (code >= 0)
    return code[keep], day[keep], None if flags is None else flags[keep]
