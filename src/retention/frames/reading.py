"""Read a transaction table with the shared options a public function was called with.

Every public function that reads transactions takes the same keyword-only options (``customer_id``,
``date``, ``amount``, ``order_id``, ``observation_end``, ``returns`` and, where a breakdown makes sense,
``by``) and hands them unchanged to :func:`~retention.frames.schema.read_transactions`. Written out, that
hand-over is the same ten lines in every function; :func:`read_with_options` takes the function's own
arguments instead (its ``locals()``, as ``pandas.read_csv`` passes its keywords on), picks the shared options
among them by the names of :data:`~retention.frames.schema.OPTION_DOCS`, and reads the table once. The
caller must not have rebound an option's name before the call (checked values under other names are fine).
The public signatures, and their docstrings, stay spelled out in full.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from retention.frames.schema import OPTION_DOCS, Transactions, read_transactions

__all__ = ["read_with_options", "shared_options"]


def shared_options(arguments: Mapping[str, object]) -> dict[str, Any]:
    """Pick the shared transaction options among a function's arguments.

    Parameters
    ----------
    arguments : Mapping of str to object
        The calling function's arguments by name, such as its ``locals()`` before it binds any other name.

    Returns
    -------
    dict of str to object
        The arguments named in :data:`~retention.frames.schema.OPTION_DOCS`, in that order; an option the
        function does not take is left out, so that :func:`read_transactions` uses its default.

    See Also
    --------
    read_with_options : Read a table with them.

    Notes
    -----
    ``freq`` is not among them: it is a shared option, but one the reader does not need.

    Examples
    --------
    >>> shared_options({"tx": None, "freq": "M", "date": "day", "customer_id": "id"})
    {'customer_id': 'id', 'date': 'day'}
    """
    return {name: arguments[name] for name in OPTION_DOCS if name in arguments}


def read_with_options(
    tx: object,
    arguments: Mapping[str, object],
    *,
    func: str,
    amount_required: bool = False,
    warn_line_items: bool = False,
    customer_order: bool = True,
) -> Transactions:
    """Read a transaction table with the shared options among a function's arguments.

    Parameters
    ----------
    tx : pandas.DataFrame
        The transaction table. Not modified.
    arguments : Mapping of str to object
        The calling function's arguments by name (see :func:`shared_options`).
    func : str
        The public function being served, named in error messages.
    amount_required : bool, default False
        Whether the caller needs amounts, so that the amount column must exist.
    warn_line_items : bool, default False
        Warn for a table that looks like order lines read without ``order_id``.
    customer_order : bool, default True
        Whether the customer codes must follow the sorted ids (results with one row per customer);
        False for a metric that only counts customers (faster for text ids).

    Returns
    -------
    Transactions
        The reduced arrays, as :func:`~retention.frames.schema.read_transactions` returns them.

    Raises
    ------
    ColumnNotFoundError, ColumnTypeError, InvalidValueError, InvalidParameterError
        As :func:`~retention.frames.schema.read_transactions` raises them.

    See Also
    --------
    retention.frames.schema.read_transactions : The one reader of transaction tables.

    Notes
    -----
    The same as ``read_transactions(tx, customer_id=customer_id, date=date, ..., func=func)`` with every
    shared option the function takes written out.

    Examples
    --------
    >>> import pandas as pd
    >>> def n_buyers(tx, *, customer_id="customer_id", date="date", observation_end=None):
    ...     return read_with_options(tx, locals(), func="n_buyers").n_customers
    >>> tx = pd.DataFrame({"id": [1, 2, 2], "day": pd.to_datetime(["2024-01-01", "2024-01-02",
    ...                                                           "2024-02-01"])})
    >>> n_buyers(tx, customer_id="id", date="day", observation_end="2024-01-01")
    1
    """
    return read_transactions(
        tx,
        amount_required=amount_required,
        warn_line_items=warn_line_items,
        customer_order=customer_order,
        func=func,
        **shared_options(arguments),
    )
