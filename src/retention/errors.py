"""The exceptions and warnings that `retention` raises.

Every error is a subclass of :class:`ValueError` or :class:`TypeError`, so code that already catches those
keeps working, and of :class:`RetentionError`, so code can catch everything this library raises in one
clause. Messages name the column or parameter, say what is wrong, and say what to do.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

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


def column_not_found(column: str, role: str, available: Iterable[object]) -> ColumnNotFoundError:
    """Build the error for a missing column, listing what exists and the nearest name.

    Parameters
    ----------
    column : str
        The column that was asked for.
    role : str
        The parameter that named it (``"customer_id"``, ``"date"``, ``"amount"``).
    available : iterable
        The columns the table has.

    Returns
    -------
    ColumnNotFoundError
        The error, ready to raise.

    Examples
    --------
    >>> print(column_not_found("custmer_id", "customer_id", ["customer_id", "date"]))
    Column 'custmer_id' (the customer_id column) is not in the table. The table has: 'customer_id', 'date'. Hint: did you mean 'customer_id'? Pass the right name with customer_id=...
    """
    names = [str(c) for c in available]
    listed = ", ".join(repr(n) for n in names) if names else "no columns"
    msg = f"Column {column!r} (the {role} column) is not in the table. The table has: {listed}."
    close = difflib.get_close_matches(str(column), names, n=1)
    if close:
        msg += f" Hint: did you mean {close[0]!r}?"
    msg += f" Pass the right name with {role}=..."
    return ColumnNotFoundError(msg)
