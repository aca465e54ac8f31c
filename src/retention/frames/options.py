"""The one place where the options of the public functions are declared and checked.

Why one module of about 860 lines: it is one vocabulary, enumerated by one common test. Most constraints
check through the direct checker beside them (:class:`Flag` through :func:`check_flag`, :class:`Options`
through :func:`check_option`, :class:`Frequency` through :func:`check_freq`, :class:`Days` through
:func:`parse_duration`, :class:`Seed` through :func:`read_seed`), so that an option refused through its
declaration and through a direct call gets the same message; and each constraint lists the values just
inside and just outside it (:meth:`Constraint.inside`, :meth:`Constraint.outside`) next to the rule they
probe. The longest piece, :class:`Interval` (about 170 lines), is one rule: its edges, kinds and messages.

Each public function declares the constraints of its options once, at the top of its module, with a small
vocabulary (after scikit-learn's ``_param_validation``): :class:`Interval` (numbers in a range),
:class:`Options` (one of a few values), :class:`Flag` (True or False), :class:`Frequency` (a period such as
``"M"``), :class:`Days` (a duration such as ``"90D"``, in days), :class:`Seed` and :class:`Given` (an
argument read by its own reader: a table, a column name, a model, a date). :func:`declare` records the
constraints under the function's name in :data:`DECLARED`; the function checks each option through its
declaration, where it used to check it by hand, so that the checks keep their order and their messages::

    _OPTIONS = declare("cohort_table", freq=Frequency(), normalize=Flag(), by=BY)
    ...
    freq = _OPTIONS.check("freq", freq)

A common test (``tests/frames/test_options.py``) enumerates :data:`DECLARED`: every constraint refuses
values just outside it (with an error from :mod:`retention.errors` that names the option, the function and
the fix) and accepts values inside it, and every option of every public function is declared.

The checkers that several modules call directly (:func:`check_flag`, :func:`check_option`,
:func:`check_freq`, :func:`parse_duration`, :func:`read_seed`, :func:`check_keywords`, and
:func:`is_number` / :func:`is_whole` for "a number, not a bool") live here too: one rule each.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import inspect
import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from numbers import Real
from typing import Any, Final, Generic, Literal, TypeGuard, TypeVar

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from retention.errors import (
    ColumnTypeError,
    InvalidParameterError,
    as_float,
    as_floats,
    plain_value,
    shown_value,
)

__all__ = [
    "ALPHA",
    "BY",
    "CONTINUOUS_DISCOUNT_RATE",
    "DECLARED",
    "DISCOUNT_RATE",
    "FREQS",
    "MAX_DAYS",
    "MODEL_PARAMETER",
    "Constraint",
    "Days",
    "Declaration",
    "Flag",
    "Frequency",
    "Given",
    "Interval",
    "Options",
    "Seed",
    "check_cut_points",
    "check_flag",
    "check_freq",
    "check_keywords",
    "check_one_dimensional",
    "check_option",
    "declare",
    "is_number",
    "is_whole",
    "parse_duration",
    "read_seed",
]

T = TypeVar("T")

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

MAX_DAYS: Final = 106_751
"""The longest duration any option takes, in days: the span of ``datetime64[ns]`` (about 292 years)."""


# --- the checkers ------------------------------------------------------------------------------------------


def is_number(value: object) -> TypeGuard[Real]:
    """Whether ``value`` is a real number (a Python or numpy int or float, a Fraction), not a bool.

    Examples
    --------
    >>> is_number(0.5), is_number(np.int64(3)), is_number(True), is_number("1")
    (True, True, False, False)
    """
    return not isinstance(value, bool | np.bool_) and isinstance(value, Real)


def is_whole(value: object) -> TypeGuard[int | np.integer[Any]]:
    """Whether ``value`` is a Python or numpy int, not a bool (``1.0`` is not: a count is typed as one).

    Examples
    --------
    >>> is_whole(3), is_whole(np.int32(3)), is_whole(3.0), is_whole(False)
    (True, True, False, False)
    """
    return not isinstance(value, bool | np.bool_) and isinstance(value, int | np.integer)


def check_flag(value: object, name: str, func: str) -> bool:
    """Check a True/False option: the one rule for booleans (no 1, "yes" or None standing in for True).

    Examples
    --------
    >>> check_flag(True, "normalize", "cohort_table")
    True
    >>> check_flag("yes", "by_segment", "contact_compliance")
    Traceback (most recent call last):
    ...
    retention.errors.InvalidParameterError: The 'by_segment' parameter of contact_compliance must be True or False. Got 'yes'.
    """
    if not isinstance(value, bool | np.bool_):
        msg = f"The {name!r} parameter of {func} must be True or False. Got {plain_value(value)!r}."
        raise InvalidParameterError(msg)
    return bool(value)


def check_one_dimensional(values: object, name: str, func: str, *, what: str, fix: str) -> None:
    """Refuse an argument that is not a one-dimensional sequence, with a message that says what it must be.

    Tables, text, mappings, sets, scalars and arrays of more than one dimension are refused.

    Raises
    ------
    ColumnTypeError
        If ``values`` is not one-dimensional: the message names the argument ``name`` of ``func``, says it
        must be ``what``, and ends with ``fix``.

    Examples
    --------
    >>> check_one_dimensional([1, 2], "ids", "f", what="a sequence of ids", fix="Pass a list.")
    >>> check_one_dimensional("abc", "ids", "f", what="a sequence of ids", fix="Pass a list.")
    Traceback (most recent call last):
    ...
    retention.errors.ColumnTypeError: The 'ids' argument of f must be a sequence of ids; got str. Pass a list.
    """
    if isinstance(values, pd.DataFrame | str | bytes | dict | set) or not pd.api.types.is_list_like(
        values
    ):
        msg = f"The {name!r} argument of {func} must be {what}; got {type(values).__name__}. {fix}"
        raise ColumnTypeError(msg)
    if isinstance(values, np.ndarray) and values.ndim != 1:
        msg = f"The {name!r} argument of {func} must be one-dimensional; got an array of shape {values.shape}. {fix}"
        raise ColumnTypeError(msg)


def check_keywords(options: Mapping[str, object], target: Callable[..., Any], func: str) -> None:
    """Refuse keywords that ``target`` does not take, naming ``func`` (which passes them on) and the nearest.

    Examples
    --------
    >>> def abc_xyz(tx, *, freq="M", value="amount"): ...
    >>> check_keywords({"frq": "Q"}, abc_xyz, "abc_xyz_matrix")
    Traceback (most recent call last):
    ...
    retention.errors.InvalidParameterError: abc_xyz_matrix got an unknown option 'frq'. Did you mean 'freq'? It takes the options of abc_xyz: freq, value.
    """
    parameters = inspect.signature(target).parameters
    known = [n for n, p in parameters.items() if p.kind is inspect.Parameter.KEYWORD_ONLY]
    for name in options:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            msg = f"{func} got an unknown option {name!r}.{hint} It takes the options of {target.__name__}: {', '.join(known)}."
            raise InvalidParameterError(msg)


def read_seed(seed: object, func: str) -> np.random.BitGenerator:
    """Read a ``seed`` option as the bit generator whose raw stream the library draws from.

    None (fresh entropy), a non-negative int, a SeedSequence, or a Generator (whose bit generator is used,
    and advanced). The raw stream of a bit generator is the part of numpy.random that never changes
    between numpy versions, so the same seed gives the same draws.

    Examples
    --------
    >>> read_seed(7, "f").random_raw() == np.random.PCG64(7).random_raw()
    True
    """
    if isinstance(seed, np.random.Generator):
        return seed.bit_generator
    if seed is None or isinstance(seed, np.random.SeedSequence):
        return np.random.PCG64(seed)
    if is_whole(seed) and int(seed) >= 0:
        return np.random.PCG64(int(seed))
    msg = f"The 'seed' parameter of {func} must be None, a non-negative int, a SeedSequence or a Generator. Got {plain_value(seed)!r}."
    raise InvalidParameterError(msg)


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


def parse_duration(value: object, name: str, func: str, *, allow_zero: bool = False) -> int:
    """Read a positive duration such as ``"90D"``, ``"4W"`` or a :class:`pandas.Timedelta` as whole days.

    Parameters
    ----------
    value : str, int, datetime.timedelta, numpy.timedelta64 or pandas.Timedelta
        An int is a number of days.
    name, func : str
        The parameter and the function, named in the message.
    allow_zero : bool, default False
        Accept a duration of 0 days (a time since an event, rather than a length).

    Returns
    -------
    int
        The duration in days (at least 1, or 0 with ``allow_zero``), at most :data:`MAX_DAYS`.

    Raises
    ------
    InvalidParameterError
        If the value is not a whole number of days in range.

    Examples
    --------
    >>> parse_duration("90D", "inactive_after", "survival_curve")
    90
    >>> parse_duration("2W", "inactive_after", "survival_curve")
    14
    """
    least = 0 if allow_zero else 1
    shown = value if isinstance(value, np.timedelta64) else plain_value(value)
    hint = (
        f"Pass a {'non-negative' if allow_zero else 'positive'} number of days such as '30D', '12W' "
        f"or 90 (at most {MAX_DAYS:,} days)."
    )
    try:
        # numpy's timedelta64 is an integer type too: read it as a duration, not as a count of days.
        if isinstance(value, str | _dt.timedelta | np.timedelta64):
            delta = pd.Timedelta(value)
        elif isinstance(value, int | np.integer) and not isinstance(value, bool):
            if not least <= value <= MAX_DAYS:
                raise ValueError
            delta = pd.Timedelta(days=int(value))
        else:
            raise TypeError
    except TypeError as e:
        msg = f"The {name!r} parameter of {func} is not a duration. Got {shown!r}. {hint}"
        raise InvalidParameterError(msg) from e
    except (ValueError, OverflowError) as e:  # out of range, or text that is no duration
        msg = f"The {name!r} parameter of {func} is not a duration in range. Got {shown!r}. {hint}"
        raise InvalidParameterError(msg) from e
    if (
        pd.isna(delta)
        or delta < pd.Timedelta(days=least)
        or delta > pd.Timedelta(days=MAX_DAYS)
        or delta % pd.Timedelta(days=1) != pd.Timedelta(0)
    ):
        msg = f"The {name!r} parameter of {func} must be a whole number of days from {least} to {MAX_DAYS:,}. Got {shown!r}. {hint}"
        raise InvalidParameterError(msg)
    return int(delta // pd.Timedelta(days=1))


def check_cut_points(
    cut_points: object, bins: int, keys: tuple[str, ...], func: str
) -> dict[str, NDArray[np.float64]]:
    """Read a ``cut_points`` option: a dict of ``bins - 1`` increasing finite numbers per key in ``keys``.

    Examples
    --------
    >>> check_cut_points({"recency": [30, 90]}, 3, ("recency", "frequency"), "rfm_scores")
    {'recency': array([30., 90.])}
    >>> check_cut_points({"recency": [90, 30]}, 3, ("recency",), "rfm_scores")
    Traceback (most recent call last):
    ...
    retention.errors.InvalidParameterError: cut_points['recency'] of rfm_scores must be finite and strictly increasing. Got [90, 30].
    """
    if cut_points is None:
        return {}
    if not isinstance(cut_points, Mapping):
        msg = f"The 'cut_points' parameter of {func} must be a dict such as {{'recency': [30, 90, 180, 365]}}. Got {type(cut_points).__name__}."
        raise InvalidParameterError(msg)
    checked: dict[str, NDArray[np.float64]] = {}
    for key, points in cut_points.items():
        if key not in keys:
            among = ", ".join(repr(k) for k in keys)
            msg = f"The 'cut_points' parameter of {func} has the key {key!r}; the keys must be among {among}."
            raise InvalidParameterError(msg)
        try:
            values = as_floats(points)  # an int too large for a float is infinite: refused below
        except (TypeError, ValueError) as e:
            msg = f"cut_points[{key!r}] of {func} must be a list of numbers. Got {points!r}."
            raise InvalidParameterError(msg) from e
        if values.ndim != 1 or len(values) != bins - 1:
            msg = f"cut_points[{key!r}] of {func} must hold bins - 1 = {bins - 1} numbers (they split the values into {bins} scores). Got {_listed(points, values)}."
            raise InvalidParameterError(msg)
        if not np.all(np.isfinite(values)) or np.any(np.diff(values) <= 0):
            msg = f"cut_points[{key!r}] of {func} must be finite and strictly increasing. Got {_listed(points, values)}."
            raise InvalidParameterError(msg)
        checked[str(key)] = values
    return checked


def _listed(points: object, values: NDArray[np.float64]) -> str:
    """Write cut points for a message: ``[90, 30]``, with an int too large for a float in short."""
    if values.ndim != 1:
        return repr(points)
    return "[" + ", ".join(shown_value(p) for p in np.asarray(points, dtype=object).tolist()) + "]"


# --- the vocabulary of constraints -------------------------------------------------------------------------


class Constraint(ABC, Generic[T]):
    """What one option accepts: it checks a value, and names values inside and just outside for the tests."""

    @abstractmethod
    def check(self, value: object, name: str, func: str) -> T:
        """Return ``value`` in its canonical form, or raise an error naming ``name``, ``func`` and the fix."""

    @abstractmethod
    def inside(self) -> tuple[object, ...]:
        """Values the constraint accepts (its edges among them)."""

    @abstractmethod
    def outside(self) -> tuple[object, ...]:
        """Values just outside the constraint (past its edges, of the wrong type)."""


def _edge(value: float) -> str:
    """Write an edge as the messages do: ``1,000,000`` for a whole number, ``0.5`` otherwise."""
    return f"{int(value):,}" if float(value).is_integer() else f"{value:g}"


@dataclass(frozen=True)
class Interval(Constraint[Any]):
    """A number in a range: ``Interval("integer", 1, None)`` is a whole number >= 1.

    Parameters
    ----------
    kind : {"real", "integer"}
        ``"real"`` takes any finite number (ints too) and returns a float; ``"integer"`` takes only ints
        (Python or numpy, never a bool or a float such as ``2.0``) and returns an int.
    low, high : float or None
        The edges; None for no edge.
    closed : {"both", "left", "right", "neither"}, default "both"
        Which edges belong to the interval.
    what : str, optional
        What the value must be, for the message ("a probability between 0 and 1 (0.9 for a 90%
        interval)"); by default made from the edges ("a whole number >= 1").
    type_what, finite_what : str, optional
        The same for a value that is no number, or no finite number, where the message says more.
    none : bool, default False
        Accept None (returned as None): "no limit", "point forecasts", ...

    Examples
    --------
    >>> Interval("integer", 1, None).check(3, "horizon", "customer_lifetime_value")
    3
    >>> Interval("real", 0, 1, closed="neither").check(1.0, "interval", "forecast")
    Traceback (most recent call last):
    ...
    retention.errors.InvalidParameterError: The 'interval' parameter of forecast must be a number strictly between 0 and 1. Got 1.0.
    """

    kind: Literal["real", "integer"]
    low: float | None
    high: float | None
    closed: Literal["both", "left", "right", "neither"] = "both"
    what: str | None = None
    type_what: str | None = None
    finite_what: str | None = None
    none: bool = False

    def _low_in(self) -> bool:
        return self.closed in ("both", "left")

    def _high_in(self) -> bool:
        return self.closed in ("both", "right")

    def describe(self) -> str:
        """Say what the interval takes, as the message does.

        Examples
        --------
        >>> Interval("integer", 2, 9).describe()
        'a whole number from 2 to 9'
        """
        if self.what is not None:
            return self.what
        noun = "a whole number" if self.kind == "integer" else "a finite number"
        low = _edge(self.low) if self.low is not None else None
        high = _edge(self.high) if self.high is not None else None
        if low is not None and high is not None and self.closed == "both":
            return f"{noun} from {low} to {high}"
        if low is not None and high is not None and self.closed == "neither":
            return f"a number strictly between {low} and {high}"
        parts = []
        if low is not None:
            parts.append(f"{'>=' if self._low_in() else '>'} {low}")
        if high is not None:
            parts.append(f"{'<=' if self._high_in() else '<'} {high}")
        return " and ".join([noun + (" " + parts[0] if parts else ""), *parts[1:]])

    def _fail(self, what: str | None, value: object, name: str, func: str) -> InvalidParameterError:
        text = what if what is not None else self.describe()
        if self.none and what is None and self.what is None:
            text += ", or None"
        msg = f"The {name!r} parameter of {func} must be {text}. Got {shown_value(value)}."
        return InvalidParameterError(msg)

    def contains(self, number: float) -> bool:
        """Whether a number lies within the edges.

        Examples
        --------
        >>> Interval("real", 0, 1, closed="left").contains(1.0)
        False
        """
        low, high = self.low, self.high
        if low is not None and (number < low if self._low_in() else number <= low):
            return False
        return not (high is not None and (number > high if self._high_in() else number >= high))

    def check(self, value: object, name: str, func: str) -> Any:
        """Return ``value`` as a float (``"real"``) or an int (``"integer"``), or raise.

        Examples
        --------
        >>> Interval("real", 0, None).check(np.int64(2), "margin", "historical_value")
        2.0
        """
        if value is None and self.none:
            return None
        if self.kind == "integer":
            if not is_whole(value):
                raise self._fail(self.type_what, value, name, func)
            number: float = int(value)
        else:
            if not is_number(value):
                raise self._fail(self.type_what, value, name, func)
            number = as_float(value)  # an int too large for a float is infinite: refused as such
            if not math.isfinite(number):
                raise self._fail(self.finite_what, value, name, func)
        if not self.contains(number):
            raise self._fail(self.what, value, name, func)
        return number

    def inside(self) -> tuple[object, ...]:
        """Values inside: the edges (or the nearest values inside an open edge) and one between.

        Examples
        --------
        >>> Interval("integer", 1, 3).inside()
        (1, 3, np.int64(2))
        """
        integer = self.kind == "integer"
        values: list[object] = []
        for edge, closed, sign in ((self.low, self._low_in(), 1), (self.high, self._high_in(), -1)):
            if edge is None:
                continue
            if closed:
                values.append(int(edge) if integer else float(edge))
            elif integer:
                values.append(math.floor(edge) + 1 if sign > 0 else math.ceil(edge) - 1)
            else:
                values.append(float(np.nextafter(edge, sign * math.inf)))
        low, high = self.low, self.high
        middle = (
            (low + high) / 2
            if low is not None and high is not None
            else low + 10
            if low is not None
            else high - 10
            if high is not None
            else 0.0
        )
        values.append(np.int64(round(middle)) if integer else np.float64(middle))
        if self.none:
            values.append(None)
        return tuple(values)

    def outside(self) -> tuple[object, ...]:
        """Return values just outside: past each edge, a bool, text, a float for an integer, NaN, None.

        Examples
        --------
        >>> Interval("integer", 1, None).outside()
        (0, True, '1', 1.0, None)
        """
        values: list[object] = []
        for edge, closed, sign in ((self.low, self._low_in(), -1), (self.high, self._high_in(), 1)):
            if edge is not None:
                if not closed:
                    values.append(int(edge) if self.kind == "integer" else float(edge))
                elif self.kind == "integer":
                    values.append(int(edge) + sign)
                else:
                    values.append(float(np.nextafter(edge, sign * math.inf)))
        values += [True, "1"]
        values.append(1.0 if self.kind == "integer" else math.nan)
        if self.kind == "real" and self.high is None:
            values.append(math.inf)
        if self.kind == "real":
            # Ints too large for a float: refused by name, not with an OverflowError.
            values += [10**400, -(10**400)]
        if not self.none:
            values.append(None)
        return tuple(values)


@dataclass(frozen=True)
class Options(Constraint[Any]):
    """One of a few values: ``Options("classic", "rolling")``.

    Examples
    --------
    >>> Options("classic", "rolling").check("rolling", "kind", "cohort_table")
    'rolling'
    >>> Options("classic", "rolling").outside()
    ('<not an option>', 'CLASSIC', None)
    """

    values: tuple[object, ...]
    what: str | None = None

    def __init__(self, *values: object, what: str | None = None) -> None:
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "what", what)

    def check(self, value: object, name: str, func: str) -> Any:
        """Return ``value`` if it is one of the options, else raise the house-style message."""
        if self.what is None:
            return check_option(name, value, self.values, func)
        if value not in self.values:
            msg = f"The {name!r} parameter of {func} must be {self.what}. Got {shown_value(value)}."
            raise InvalidParameterError(msg)
        return value

    def inside(self) -> tuple[object, ...]:
        """Return every option."""
        return self.values

    def outside(self) -> tuple[object, ...]:
        """Return a value that is no option, a text option in capitals, and None if None is no option."""
        values: list[object] = ["<not an option>"]
        values += [
            v.upper() for v in self.values if isinstance(v, str) and v.upper() not in self.values
        ][:1]
        if None not in self.values:
            values.append(None)
        return tuple(values)


@dataclass(frozen=True)
class Flag(Constraint[Any]):
    """True or False (a numpy bool too; never 1, "yes" or None, unless ``none``: "not said").

    Examples
    --------
    >>> Flag().check(np.True_, "normalize", "cohort_table")
    True
    """

    none: bool = False

    def check(self, value: object, name: str, func: str) -> Any:
        """Return the flag as a bool (None if ``none`` and None), or raise (see :func:`check_flag`)."""
        if value is None and self.none:
            return None
        return check_flag(value, name, func)

    def inside(self) -> tuple[object, ...]:
        """Return True, False and a numpy bool (and None, if accepted)."""
        return (True, False, np.True_) + ((None,) if self.none else ())

    def outside(self) -> tuple[object, ...]:
        """Return 1, "yes" (and None, if not accepted)."""
        return (1, "yes") + (() if self.none else (None,))


@dataclass(frozen=True)
class Frequency(Constraint[Any]):
    """A period such as ``"M"`` (pandas aliases too, see :func:`check_freq`), optionally among fewer.

    Parameters
    ----------
    among : tuple of str, default FREQS
        The periods the function takes.
    why : str, optional
        Why only those (for the message).

    Examples
    --------
    >>> Frequency(among=("M", "Q", "Y"), why="months count contacts").check("W", "freq", "contact_plan")
    Traceback (most recent call last):
    ...
    retention.errors.InvalidParameterError: The 'freq' parameter of contact_plan must be one of 'M', 'Q', 'Y': months count contacts. Got 'W'.
    """

    among: tuple[str, ...] = FREQS
    why: str | None = None
    none: bool = False

    def check(self, value: object, name: str, func: str) -> Any:
        """Return the canonical period (None when ``none`` and ``value`` is None), or raise."""
        if value is None and self.none:
            return None
        freq = check_freq(value, func, name=name)
        if freq not in self.among:
            options = ", ".join(repr(f) for f in self.among)
            because = f": {self.why}" if self.why else ""
            msg = (
                f"The {name!r} parameter of {func} must be one of {options}{because}. Got {freq!r}."
            )
            raise InvalidParameterError(msg)
        return freq

    def inside(self) -> tuple[object, ...]:
        """Return every period taken, and the pandas spelling of the first."""
        return (*self.among, self.among[0].lower()) + ((None,) if self.none else ())

    def outside(self) -> tuple[object, ...]:
        """Return a string that is no period, a number, None (if refused), and the periods not taken."""
        refused = () if self.none else (None,)
        return ("X", 1, *refused, *(f for f in FREQS if f not in self.among))


@dataclass(frozen=True)
class Days(Constraint[Any]):
    """A number of days such as ``"90D"`` or 90 (see :func:`parse_duration`); returned as an int.

    Examples
    --------
    >>> Days().check("2W", "inactive_after", "survival_curve")
    14
    """

    allow_zero: bool = False
    none: bool = False
    many: bool = False
    """Take a list or tuple of durations too (returned as a list of days), or one (a list of one)."""

    def check(self, value: object, name: str, func: str) -> Any:
        """Return the days, or None when ``none`` and ``value`` is None; else raise."""
        if value is None and self.none:
            return None
        if not self.many:
            return parse_duration(value, name, func, allow_zero=self.allow_zero)
        values = list(value) if isinstance(value, list | tuple) else [value]
        if not values:
            msg = f"The {name!r} parameter of {func} is empty. Pass at least one duration, e.g. ('30D', '90D')."
            raise InvalidParameterError(msg)
        return [parse_duration(v, name, func, allow_zero=self.allow_zero) for v in values]

    def inside(self) -> tuple[object, ...]:
        """Return the shortest and longest durations, and a few spellings."""
        least = 0 if self.allow_zero else 1
        values: tuple[object, ...] = (least, "90D", "2W", _dt.timedelta(days=3), MAX_DAYS)
        if self.many:
            values += (("30D", 90), [least])
        return values + ((None,) if self.none else ())

    def outside(self) -> tuple[object, ...]:
        """Return values just too short, just too long, not whole days, and of other types."""
        least = 0 if self.allow_zero else 1
        values: tuple[object, ...] = (least - 1, MAX_DAYS + 1, "36h", True, 1.5)
        if self.many:
            values += ((), ("30D", least - 1))
        return values + (() if self.none else (None,))


@dataclass(frozen=True)
class Seed(Constraint[np.random.BitGenerator]):
    """A seed: None, a non-negative int, a SeedSequence or a Generator (see :func:`read_seed`)."""

    def check(self, value: object, name: str, func: str) -> np.random.BitGenerator:
        """Return the bit generator to draw from, or raise."""
        return read_seed(value, func)

    def inside(self) -> tuple[object, ...]:
        """Return None, 0, a large int and a SeedSequence."""
        return (None, 0, 2**63, np.random.SeedSequence(1))

    def outside(self) -> tuple[object, ...]:
        """Return a negative int, a bool, a float and text."""
        return (-1, True, 1.0, "1")


@dataclass(frozen=True)
class Given(Constraint[Any]):
    """An argument that its own reader checks where it is read (a table, a column name, a model, a date).

    It is declared so that every option of a function is accounted for; ``what`` says what it takes and
    which reader checks it. It has no values to enumerate: the reader's own tests cover them.
    """

    what: str

    def check(self, value: object, name: str, func: str) -> Any:
        """Return ``value`` unchanged: its reader checks it."""
        return value

    def inside(self) -> tuple[object, ...]:
        """None to enumerate."""
        return ()

    def outside(self) -> tuple[object, ...]:
        """None to enumerate."""
        return ()


DISCOUNT_RATE: Final = Interval(
    "real",
    0,
    None,
    what="a finite number >= 0 (per period, e.g. 0.1 for 10%)",
    type_what="a number: the discount rate per period, e.g. 0.1 for 10%",
)
"""A discount rate per period (the models' ``discount_rate``)."""

_CONTINUOUS: Final = "a continuously compounded rate per unit of T, e.g. log(1 + 0.15) / 52 for 15% a year with T in weeks"
CONTINUOUS_DISCOUNT_RATE: Final = Interval(
    "real",
    0,
    None,
    what=f"a finite number >= 0: {_CONTINUOUS}",
    type_what=f"a number: {_CONTINUOUS}",
)
"""A continuously compounded discount rate per unit of time (Pareto/NBD's DERT)."""

MODEL_PARAMETER: Final = Interval(
    "real",
    0,
    None,
    closed="neither",
    what="a positive finite number",
    type_what="a positive number",
)
"""A parameter of a customer-base model (``r``, ``alpha``, ...): a positive finite number."""

_ALPHA: Final = "between 0 and 1 (0.05 gives 95% intervals)"
ALPHA: Final = Interval(
    "real",
    0,
    1,
    closed="neither",
    what=f"a number {_ALPHA}",
    finite_what=f"a finite number {_ALPHA}",
)
"""The significance level of the comparisons (``alpha``): intervals at confidence ``1 - alpha``."""

BY: Final = Given("a breakdown: column label(s) or a Series of groups, read by read_transactions")
"""The ``by=`` option of the functions that read transactions."""


@dataclass(frozen=True)
class Declaration:
    """The constraints of one public function's options, by option name."""

    func: str
    constraints: Mapping[str, Constraint[Any]] = field(default_factory=dict)

    def check(self, name: str, value: object, *, func: str | None = None) -> Any:
        """Check ``value`` against the constraint of option ``name``; ``func`` names the caller if not ``func``.

        Examples
        --------
        >>> d = Declaration("f", {"horizon": Interval("integer", 1, None)})
        >>> d.check("horizon", 0)
        Traceback (most recent call last):
        ...
        retention.errors.InvalidParameterError: The 'horizon' parameter of f must be a whole number >= 1. Got 0.
        """
        return self.constraints[name].check(value, name, func or self.func)


DECLARED: dict[str, Declaration] = {}
"""Every declaration, by the public name of its function (``"cohort_table"``, ``"ParetoNBD.foo"``)."""


def declare(func: str, **constraints: Constraint[Any]) -> Declaration:
    """Declare the constraints of the options of the public function ``func``, once.

    Examples
    --------
    >>> d = declare("example_function", normalize=Flag())
    >>> d.check("normalize", False)
    False
    >>> del DECLARED["example_function"]
    """
    if func in DECLARED:
        msg = f"The options of {func} are declared twice."  # pragma: no cover - internal misuse
        raise AssertionError(msg)  # pragma: no cover
    declaration = Declaration(func, dict(constraints))
    DECLARED[func] = declaration
    return declaration
