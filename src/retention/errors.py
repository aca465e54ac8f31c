"""The exceptions and warnings that `retention` raises.

Every error is a subclass of :class:`ValueError` or :class:`TypeError`, so code that already catches those
keeps working, and of :class:`RetentionError`, so code can catch everything this library raises in one
clause. Messages name the column or parameter, say what is wrong, and say what to do.
"""

from __future__ import annotations

import difflib
import math
import os
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # numpy is imported where it is used: the command's --help loads no numpy
    import numpy as np
    from numpy.typing import NDArray

__all__ = [
    "ColumnNotFoundError",
    "ColumnTypeError",
    "ConvergenceError",
    "InvalidParameterError",
    "InvalidValueError",
    "MissingDependencyError",
    "RetentionError",
    "RetentionWarning",
]


class RetentionError(Exception):
    """Base class of every exception raised by `retention`."""


class InvalidParameterError(RetentionError, ValueError):
    """A parameter of a function has a value it does not accept (an unknown ``freq``, say)."""


class InvalidValueError(RetentionError, ValueError):
    """The data hold a value that cannot be used: a missing date, an infinite amount, a negative count."""


class ColumnNotFoundError(RetentionError, ValueError):
    """A column that a function needs is not in the table."""


class ColumnTypeError(RetentionError, TypeError):
    """A column, or an argument, has a type that cannot be used (text where numbers are needed, say)."""


class ConvergenceError(RetentionError, ValueError):
    """A model could not be fitted: the optimiser did not converge."""


class MissingDependencyError(RetentionError, ImportError):
    """An optional dependency needed by this feature is not installed."""


class RetentionWarning(UserWarning):
    """A warning about a result that is defined but may not mean what you expect."""


def plain_value(value: object) -> object:
    """Return a numpy scalar as the Python value it holds, so that messages show ``3``, not ``np.int64(3)``.

    A helper for the library's messages, not part of the public API.

    Examples
    --------
    >>> import numpy as np
    >>> repr(plain_value(np.int64(3))), repr(plain_value(np.array(2.5))), repr(plain_value("a"))
    ('3', '2.5', "'a'")
    """
    if type(value).__module__ == "numpy" and getattr(value, "ndim", None) == 0:
        return value.item()  # type: ignore[attr-defined]  # a numpy scalar or 0-d array
    return value


def shown_value(value: object) -> str:
    """Write a value for a message: as :func:`plain_value` shows it, a huge int in short (``1e+400``).

    A helper for the library's messages, not part of the public API: a Python int too large for a float
    would otherwise fill the message with hundreds of digits.

    Examples
    --------
    >>> import numpy as np
    >>> shown_value(np.int64(3)), shown_value(2.5), shown_value(-(10**400)), shown_value("a")
    ('3', '2.5', '-1e+400', "'a'")
    """
    plain = plain_value(value)
    if isinstance(plain, int) and not isinstance(plain, bool) and abs(plain) >= 10**20:
        return f"{Decimal(plain).normalize():.6g}"
    return repr(plain)


def as_float(value: Any) -> float:
    """Return a real number as a float; one too large for a float (``10**400``) as an infinity of its sign.

    A helper for the library's checkers, not part of the public API: ``float(10**400)`` raises a bare
    ``OverflowError``, where the checker's own test for a finite number gives the message that names the
    parameter.

    Examples
    --------
    >>> as_float(2), as_float(10**400), as_float(-(10**400))
    (2.0, inf, -inf)
    """
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def as_floats(values: Any) -> NDArray[np.float64]:
    """Return numbers as a float array; those too large for a float (``10**400``) as infinities of their sign.

    A helper for the library's checkers, not part of the public API: the array form of :func:`as_float`,
    for callers that then refuse infinite values with their own message.

    Examples
    --------
    >>> as_floats([1, 10**400, -(10**400)])
    array([  1.,  inf, -inf])
    """
    import numpy as np  # noqa: PLC0415 - see the imports at the top

    try:
        return np.asarray(values, dtype=np.float64)
    except OverflowError:
        # Only Python objects (ints, Fractions) overflow; numpy converts them one by one anyway.
        objects = np.asarray(values, dtype=object)
        converted: NDArray[np.float64] = np.frompyfunc(as_float, 1, 1)(objects).astype(np.float64)
        return converted


def column_not_found(
    column: object,
    role: str,
    available: Iterable[object],
    *,
    fix: str | None = None,
    what: str | None = None,
) -> ColumnNotFoundError:
    """Build the error for a missing column, listing what exists and the nearest name.

    The one builder of this message: every reader of a table (transactions, summaries, curves, segment
    maps, rules, events) names a missing column through it.

    Parameters
    ----------
    column : object
        The column label that was asked for (as given: ``0`` and ``"0"`` are two labels).
    role : str
        The parameter that named it (``"customer_id"``, ``"date"``, ``"amount"``).
    available : iterable
        The columns the table has.
    fix : str, optional
        What to do, closing the message; by default "Pass the right name with ``role=...``".
    what : str, optional
        How the message opens, naming the column and its table; by default "Column 'x' (the ``role``
        column) is not in the table".

    Returns
    -------
    ColumnNotFoundError
        The error, ready to raise.

    Examples
    --------
    >>> print(column_not_found("custmer_id", "customer_id", ["customer_id", "date"]))
    Column 'custmer_id' (the customer_id column) is not in the table. The table has: 'customer_id', 'date'. Hint: did you mean 'customer_id'? Pass the right name with customer_id=...

    A label of another type that reads the same (polars and Arrow name columns by text):

    >>> print(column_not_found(0, "date", ["customer_id", "0"]))
    Column 0 (the date column) is not in the table. The table has: 'customer_id', '0'. Hint: the table's column is '0' (str), not 0 (int). Pass the right name with date=...
    """
    labels = list(available)
    names = [str(c) for c in labels]
    listed = ", ".join(repr(n) for n in names) if names else "no columns"
    shown = plain_value(column)
    opening = (
        what if what is not None else f"Column {shown!r} (the {role} column) is not in the table"
    )
    msg = f"{opening}. The table has: {listed}."
    alike = [c for c in labels if str(c) == str(column)]
    close = difflib.get_close_matches(str(column), names, n=1)
    if alike:
        other = plain_value(alike[0])
        msg += f" Hint: the table's column is {other!r} ({type(other).__name__}), not {shown!r} ({type(shown).__name__})."
    elif close:
        msg += f" Hint: did you mean {close[0]!r}?"
    msg += f" {fix}" if fix is not None else f" Pass the right name with {role}=..."
    return ColumnNotFoundError(msg)


def _memory_bytes() -> int:
    """Return the physical memory of this machine in bytes (64 GiB when the system does not say)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, OSError, ValueError):  # pragma: no cover - systems without sysconf
        return 1 << 36


def _count_text(n: int) -> str:
    """Write a count as the size messages do: ``1,000,000``, or ``1e+400`` when it has over 20 digits."""
    return f"{n:,}" if abs(n) < 10**20 else shown_value(n)


def check_size(n_values: int, *, itemsize: int = 8, what: str, fix: str, func: str) -> None:
    """Refuse, before allocating, an array of ``n_values`` items that cannot fit in this machine's memory.

    A helper for the library's size guards, not part of the public API: a call whose options ask for an
    array larger than the physical memory gets a clear error naming the option to change, instead of
    numpy's ``MemoryError`` (or a machine that starts swapping).

    Parameters
    ----------
    n_values : int
        Number of items the call would allocate (a Python int: no overflow).
    itemsize : int
        Bytes per item.
    what : str
        What would be allocated, for the message ("the cohort table's cells", say).
    fix : str
        What to change, naming the option ("Pass a coarser freq= or an earlier observation_end=").
    func : str
        The public function being served.

    Raises
    ------
    InvalidParameterError
        If ``n_values * itemsize`` bytes exceed the physical memory.

    Examples
    --------
    >>> check_size(1000, what="the table", fix="Pass fewer periods.", func="example")
    >>> check_size(10**18, what="the table", fix="Pass fewer periods=.", func="example")
    Traceback (most recent call last):
    ...
    retention.errors.InvalidParameterError: example: the table would hold 1,000,000,000,000,000,000 values (7,450,580,597 GiB), more than this machine's memory (...). Pass fewer periods=.
    """
    n_bytes = int(n_values) * int(itemsize)
    limit = _memory_bytes()
    if n_bytes > limit:
        # Python ints throughout: a count of 10**400 overflows a float; beyond 20 digits it is shown short.
        gib = (n_bytes + 2**29) // 2**30
        msg = (
            f"{func}: {what} would hold {_count_text(int(n_values))} values ({_count_text(gib)} GiB), "
            f"more than this machine's memory ({limit / 2**30:,.0f} GiB). {fix}"
        )
        raise InvalidParameterError(msg)
