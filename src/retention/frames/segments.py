"""Segmentation by ordered business rules: the first rule a customer meets names their segment.

:func:`rule_segments` evaluates (label, condition) rules on a table of customer features (usually
:func:`~retention.frames.features.customer_features`) with the safe condition language of
:mod:`retention.core.segments`; :func:`working_segment_rules` and :func:`working_segments` are the ready-made
rules of the contact plan. RFM scores live in :mod:`retention.frames.rfm`, customer features in
:mod:`retention.frames.features`. The guide, with the condition grammar and
worked examples, is the "Segments" page of the docs (``docs/segments.md``).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from retention.core.segments import (
    Condition,
    evaluate_condition,
    first_match,
    parse_condition,
)
from retention.errors import (
    ColumnTypeError,
    InvalidParameterError,
    InvalidValueError,
    plain_value,
)
from retention.frames.events import missing_column
from retention.frames.options import Days, Given, declare

__all__ = ["rule_segments", "segment", "working_segment_rules", "working_segments"]

_RULES: Final = Given("rules as (label, condition) pairs or a mapping, read by _rule_segments")
_DEFAULT: Final = Given("a non-empty string (the label of customers no rule matches), checked here")
declare("rule_segments", rules=_RULES, default=_DEFAULT)
declare("segment", rules=_RULES, default=_DEFAULT)
_WORKING: Final = {"inactive_after": Days(), "new_within": Days(none=True)}
_WORKING_SEGMENT_RULES: Final = declare("working_segment_rules", **_WORKING)
declare("working_segments", **_WORKING)

Rule = tuple[str, Any]


def _is_frame(value: object) -> bool:
    """Whether ``value`` is a DataFrame (a plain bool, so that type checkers keep the caller's branch)."""
    return isinstance(value, pd.DataFrame)


def _rule_items(rules: object, func: str) -> list[Rule]:
    hint = "Pass a list of (label, condition) pairs, e.g. [('loyal', 'orders >= 2'), ('new', 'orders == 1')]."
    items: list[Any]
    if isinstance(rules, Mapping):
        items = list(rules.items())
    elif isinstance(rules, str | bytes) or not isinstance(rules, Sequence):
        msg = f"The 'rules' parameter of {func} must be an ordered list of (label, condition) pairs; got {type(rules).__name__}. {hint}"
        raise InvalidParameterError(msg)
    else:
        items = list(rules)
    checked: list[Rule] = []
    for k, item in enumerate(items):
        if not isinstance(item, tuple | list) or len(item) != 2:
            msg = (
                f"Rule {k} passed to {func} is not a (label, condition) pair; got {item!r}. {hint}"
            )
            raise InvalidParameterError(msg)
        label, cond = item
        if not isinstance(label, str) or not label:
            msg = (
                f"The label of rule {k} passed to {func} must be a non-empty string; got {label!r}."
            )
            raise InvalidParameterError(msg)
        checked.append((label, cond))
    return checked


def _as_mask(value: Any, features: pd.DataFrame, context: str) -> NDArray[np.bool_]:
    n = len(features)
    if isinstance(value, bool | np.bool_):
        return np.full(n, bool(value), dtype=np.bool_)
    if isinstance(value, pd.DataFrame):
        msg = f"{context} gives a DataFrame; a condition must give one True/False per customer (a Series or an array)."
        raise ColumnTypeError(msg)
    if isinstance(value, pd.Series):
        if not value.index.equals(features.index):
            same = (
                value.index.is_unique
                and features.index.is_unique
                and len(value) == n
                and value.index.isin(features.index).all()
            )
            if not same:
                msg = f"{context} gives a Series whose index does not match the features' index ({len(value)} rows against {n}). Build it from the features frame, or reindex it: cond.reindex(features.index)."
                raise InvalidValueError(msg)
            value = value.reindex(features.index)
        dtype = value.dtype
        if not pd.api.types.is_bool_dtype(dtype):
            msg = f"{context} gives values of dtype {dtype}; a condition must give True/False. Compare first, e.g. features['orders'] >= 2."
            raise ColumnTypeError(msg)
        if value.isna().any():
            msg = f"{context} gives missing values (NA) for {int(value.isna().sum())} customers; a condition must give True or False for everyone. Use .fillna(False)."
            raise InvalidValueError(msg)
        mask: NDArray[np.bool_] = value.to_numpy(dtype=np.bool_)
        return mask
    if isinstance(value, np.ndarray | list | tuple):
        array = np.asarray(value)
        if array.dtype != np.bool_:
            msg = (
                f"{context} gives values of dtype {array.dtype}; a condition must give True/False."
            )
            raise ColumnTypeError(msg)
        if array.shape != (n,):
            msg = f"{context} gives {array.shape} values; a condition must give one per customer ({n})."
            raise InvalidValueError(msg)
        return array
    msg = f"{context} gives {type(value).__name__}; a condition must give one True/False per customer (a boolean Series or array), or a single True/False."
    raise ColumnTypeError(msg)


def _refuse_missing(col: pd.Series, name: str, context: str) -> None:
    """Refuse missing values in a column a condition reads: the condition would be neither true nor false."""
    missing = col.isna().to_numpy()
    if missing.any():
        first = col.index[int(np.flatnonzero(missing)[0])]
        msg = (
            f"{context} reads the column {name!r}, which has missing values for {int(missing.sum())} "
            f"customer(s), the first {plain_value(first)!r}: the condition would be neither true nor "
            "false for them (and they would fall through to a later rule). Fill them or drop those rows."
        )
        raise InvalidValueError(msg)


def _lookup(features: pd.DataFrame, label: str) -> Callable[[str], Any]:
    def column(name: str) -> Any:
        col: Any = features[name]
        if isinstance(col, pd.DataFrame):
            if isinstance(features.columns, pd.MultiIndex):  # a top level with columns below it
                msg = f"The condition of rule {label!r} reads the column {name!r}, the top level of the features frame's MultiIndex columns. Flatten the columns first, e.g. features.columns = ['_'.join(map(str, c)) for c in features.columns]."
            else:
                msg = f"The condition of rule {label!r} reads the column {name!r}, which the features frame has more than once. Rename the duplicates."
            raise InvalidValueError(msg)
        return col

    return column


def rule_segments(
    features: pd.DataFrame,
    rules: Sequence[tuple[str, Any]] | Mapping[str, Any],
    *,
    default: str = "other",
) -> pd.Series:
    """Give each customer the label of the first rule whose condition holds for them.

    Parameters
    ----------
    features : pandas.DataFrame
        One row per customer, e.g. from :func:`customer_features`. Not modified.
    rules : list of (label, condition) pairs, or dict
        Checked in order; the first condition that holds gives the label. A condition is

        - a string in the safe condition language over the column names, e.g.
          ``"days_since_last_purchase > 30 and orders >= 2"`` (see Notes);
        - a boolean Series with the index of ``features`` (or the same labels in another order), or a
          boolean array with one value per row;
        - a callable that takes the features frame and returns one of the above;
        - a single True or False (True catches everyone left).

        A label may appear in several rules (their conditions then act as "or").
    default : str, default "other"
        The label of customers whom no rule matches.

    Returns
    -------
    pandas.Series
        Categorical, named ``"segment"``, indexed like ``features``: exactly one label per customer. The
        categories are the rule labels in order of first appearance, then ``default``.

    Raises
    ------
    ColumnNotFoundError
        If a condition string names a column that ``features`` lacks (the message lists the columns).
    ColumnTypeError
        If ``features`` is not a DataFrame or a condition gives something other than True/False values.
    InvalidParameterError
        If ``rules`` is not a list of (label, non-empty string label, condition) pairs, or a condition
        string is outside the grammar or cannot be evaluated.
    InvalidValueError
        If a condition gives the wrong number of values, another index, or missing values.

    See Also
    --------
    retention.working_segments : The working segments, built with this function.
    retention.customer_features : The features the rules usually read.

    Notes
    -----
    The condition language is a safe subset of Python expressions, parsed with :mod:`ast` and checked node
    by node before anything runs: column names (Python identifiers), numbers, ``'strings'``, ``True`` and
    ``False``; comparisons ``== != < <= > >=`` (chains such as ``1 <= orders < 5`` mean "and"); ``and``,
    ``or``, ``not`` on true/false values; arithmetic ``+ - * / // % **`` and unary minus; parentheses.
    Everything else (attribute access, calls, indexing, lambda, ``&`` ``|`` ``~``, ``in``, ``is``,
    comprehensions, f-strings, ``None``) is refused with an error; nothing is passed to :func:`eval`. The
    operators act on the columns as pandas Series, so a condition gives what :meth:`pandas.DataFrame.eval`
    gives for the same text. For other column names, or any other logic, pass a callable.

    Named ``segment`` up to version 0.1 (a verb among the nouns of the other results: ``rfm_segments``,
    ``working_segments``); ``rt.segment`` still works for one release, with a :class:`DeprecationWarning`.

    Examples
    --------
    >>> import retention as rt
    >>> features = pd.DataFrame({"orders": [1, 5, 2, 8], "revenue": [20.0, 900.0, 60.0, 120.0]},
    ...                         index=pd.Index(["a", "b", "c", "d"], name="customer_id"))
    >>> rt.rule_segments(features, [
    ...     ("vip", "revenue >= 500"),
    ...     ("repeat", lambda f: f["orders"] >= 2),
    ... ], default="one-time")
    customer_id
    a    one-time
    b         vip
    c      repeat
    d      repeat
    Name: segment, dtype: category
    Categories (3, str): ['vip', 'repeat', 'one-time']
    """
    return _rule_segments(features, rules, default, "rule_segments")


def segment(
    features: pd.DataFrame,
    rules: Sequence[tuple[str, Any]] | Mapping[str, Any],
    *,
    default: str = "other",
) -> pd.Series:
    """Label customers by rules: the deprecated spelling of :func:`rule_segments`, removed in the next release.

    Parameters
    ----------
    features : pandas.DataFrame
        As for :func:`rule_segments`.
    rules : list of (label, condition) pairs, or dict
        As for :func:`rule_segments`.
    default : str, default "other"
        As for :func:`rule_segments`.

    Returns
    -------
    pandas.Series
        What :func:`rule_segments` returns for the same arguments.

    Raises
    ------
    RetentionError
        What :func:`rule_segments` raises for the same arguments.

    Warns
    -----
    DeprecationWarning
        Always: call :func:`rule_segments` instead.

    See Also
    --------
    retention.rule_segments : The new name.

    Notes
    -----
    Renamed because a function that returns a table is named for the table (``rfm_segments``,
    ``working_segments``), not for what it does.

    Examples
    --------
    >>> import warnings
    >>> import retention as rt
    >>> features = pd.DataFrame({"orders": [1, 5]}, index=pd.Index(["a", "b"], name="customer_id"))
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     labels = rt.segment(features, [("repeat", "orders >= 2")])
    >>> labels.tolist(), caught[0].category.__name__
    (['other', 'repeat'], 'DeprecationWarning')
    """
    msg = "rt.segment is deprecated and will be removed in the next release; call rt.rule_segments, which takes the same arguments."
    warnings.warn(msg, DeprecationWarning, stacklevel=2)
    return _rule_segments(features, rules, default, "segment")


def _rule_segments(features: pd.DataFrame, rules: object, default: str, func: str) -> pd.Series:
    """Run the rule engine for :func:`rule_segments`, its deprecated name and :func:`working_segments`."""
    if not _is_frame(features):
        msg = f"{func} expects a DataFrame of features, one row per customer, such as rt.customer_features(tx) returns; got {type(features).__name__}."
        raise ColumnTypeError(msg)
    if not isinstance(default, str) or not default:
        msg = f"The 'default' parameter of {func} must be a non-empty string. Got {default!r}."
        raise InvalidParameterError(msg)
    items = _rule_items(rules, func)
    # Check every condition string (grammar and columns) before evaluating any.
    parsed: list[Condition | None] = []
    for label, cond in items:
        if isinstance(cond, str):
            context = f"The condition {cond!r} of rule {label!r}"
            checked = parse_condition(cond, context=context)
            for name in checked.columns:
                if name not in features.columns:
                    raise missing_column(
                        name,
                        "condition",
                        list(features.columns),
                        f"Fix the condition {cond!r} of rule {label!r}.",
                    )
                _refuse_missing(_lookup(features, label)(name), name, context)
            parsed.append(checked)
        else:
            parsed.append(None)
    masks = []
    for (label, cond), condition in zip(items, parsed, strict=True):
        context = (
            f"The condition {cond!r} of rule {label!r}"
            if condition is not None
            else f"The condition of rule {label!r}"
        )
        if condition is not None:
            value = evaluate_condition(condition, _lookup(features, label), context=context)
        elif callable(cond):
            # A shallow copy: with copy-on-write a callable cannot change the caller's frame through it.
            value = cond(features.copy(deep=False))
        else:
            value = cond
        masks.append(_as_mask(value, features, context))
    categories = list(dict.fromkeys([label for label, _ in items] + [default]))
    code_of = {label: k for k, label in enumerate(categories)}
    rule_codes = np.array(
        [code_of[label] for label, _ in items] + [code_of[default]], dtype=np.int64
    )
    codes = rule_codes[first_match(masks, len(features))]
    labels = pd.Categorical.from_codes(codes, categories=pd.Index(categories))
    return pd.Series(labels, index=features.index, name="segment")


def working_segment_rules(
    *, inactive_after: object = "30D", new_within: object = None
) -> list[tuple[str, str]]:
    """Return the rules of the working segments, in order: a list you can read, change and pass to rule_segments.

    Parameters
    ----------
    inactive_after : str, int or timedelta, default "30D"
        A customer whose last purchase is more than this long ago is inactive (``"30D"``, ``"8W"``, or a
        number of days). Shorter than the ``"90D"`` of :func:`~retention.survival_curve` on purpose: here
        inactivity only moves a customer to the win-back contacts of a plan made month by month (every
        segment is contacted at least monthly), while there a lapse ends the customer's lifetime.
    new_within : str, int or timedelta, optional
        A one-time buyer is new while their purchase is at most this long ago. Defaults to
        ``inactive_after``, so that every active one-time buyer is new; a shorter span leaves active
        one-time buyers past it to the default label ("other").

    Returns
    -------
    list of (str, str)
        (label, condition) pairs over the columns of :func:`customer_features`, in this order: refused,
        dissatisfied, inactive, new, loyal.

    Raises
    ------
    InvalidParameterError
        If a duration is not a positive whole number of days.

    See Also
    --------
    retention.working_segments : Apply these rules.

    Notes
    -----
    The order is the order of priority for the next contact. A customer who refused further business is
    never offered a sale, whatever else is true; an open complaint is fixed before anything else is
    offered, to loyal and inactive customers alike; a customer who stopped buying is won back before
    being treated as new or loyal. What remains is active: new with one order, loyal with two or more
    (``orders`` counts orders, not order lines or returns: see :func:`customer_features`).

    Examples
    --------
    >>> import retention as rt
    >>> rt.working_segment_rules(inactive_after="60D")
    [('refused', 'refused'), ('dissatisfied', 'open_complaints > 0'), ('inactive', 'days_since_last_purchase > 60'), ('new', 'orders == 1'), ('loyal', 'orders >= 2')]
    """
    return _working_rules(inactive_after, new_within, "working_segment_rules")


def _working_rules(inactive_after: object, new_within: object, func: str) -> list[tuple[str, str]]:
    inactive = _WORKING_SEGMENT_RULES.check("inactive_after", inactive_after, func=func)
    new_rule = "orders == 1"
    new_days = _WORKING_SEGMENT_RULES.check("new_within", new_within, func=func)
    if new_days is not None and new_days < inactive:
        new_rule = f"orders == 1 and days_since_last_purchase <= {new_days}"
    return [
        ("refused", "refused"),
        ("dissatisfied", "open_complaints > 0"),
        ("inactive", f"days_since_last_purchase > {inactive}"),
        ("new", new_rule),
        ("loyal", "orders >= 2"),
    ]


def working_segments(
    features: pd.DataFrame, *, inactive_after: object = "30D", new_within: object = None
) -> pd.Series:
    """Sort customers into the working segments of retention work: refused, dissatisfied, inactive, new, loyal.

    Parameters
    ----------
    features : pandas.DataFrame
        From :func:`customer_features` (it needs the columns ``refused``, ``open_complaints``,
        ``days_since_last_purchase`` and ``orders``). Not modified. For a log of order lines, build it
        with ``customer_features(tx, order_id=...)`` so that ``orders`` counts orders, not lines.
    inactive_after : str, int or timedelta, default "30D"
        A customer whose last purchase is more than this long ago is inactive. Shorter than the ``"90D"``
        of :func:`~retention.survival_curve` on purpose: inactivity here only triggers a win-back contact
        of the monthly plan; there a lapse ends the customer's lifetime (see
        :func:`working_segment_rules`).
    new_within : str, int or timedelta, optional
        A one-time buyer is new while their purchase is at most this long ago; defaults to
        ``inactive_after``.

    Returns
    -------
    pandas.Series
        Categorical, named ``"segment"``, indexed like ``features``, with the categories ``refused``,
        ``dissatisfied``, ``inactive``, ``new``, ``loyal`` and ``other`` (one-time buyers older than
        ``new_within`` but not yet inactive; empty with the defaults).

    Raises
    ------
    ColumnNotFoundError
        If ``features`` lacks a column that a rule reads.
    InvalidParameterError
        If a duration is not a positive whole number of days.

    See Also
    --------
    retention.working_segment_rules : The rules, as data, and why they come in this order.
    retention.rule_segments : Apply changed rules.
    retention.contact_plan : The contacts due to each segment (goals and cadence from
        :func:`retention.default_contact_cadence`).

    Notes
    -----
    This is ``rt.rule_segments(features, rt.working_segment_rules(...))``: the first rule that holds wins.
    The segments, their rules and the goals of contacting them:

    - ``refused``: declined further business (``refused``). Goals: feedback, the cause of the complaint,
      a gift, a fix.
    - ``dissatisfied``: an open complaint (``open_complaints > 0``). Goals: feedback, the cause of the
      complaint, a gift, a fix.
    - ``inactive``: the last purchase more than ``inactive_after`` ago. Goals: feedback, a gift, an extra
      sale.
    - ``new``: one order, recent (``orders == 1``). Goals: feedback on the first purchase, service,
      the second sale.
    - ``loyal``: two or more orders, recent (``orders >= 2``). Goals: feedback, service, an extra sale,
      a referral request, news of offers.

    Examples
    --------
    >>> import retention as rt
    >>> tx = pd.DataFrame({
    ...     "customer_id": ["ann", "ann", "bob", "cy", "cy", "dee", "eve"],
    ...     "date": pd.to_datetime(["2024-03-01", "2024-05-20", "2024-01-10", "2024-04-02",
    ...                             "2024-05-28", "2024-05-25", "2024-02-14"]),
    ...     "amount": [50.0, 70.0, 20.0, 10.0, 15.0, 30.0, 25.0],
    ... })
    >>> complaints = pd.DataFrame({"customer_id": ["cy"], "date": pd.to_datetime(["2024-05-29"])})
    >>> refusals = pd.DataFrame({"customer_id": ["eve"], "date": pd.to_datetime(["2024-03-01"])})
    >>> features = rt.customer_features(tx, observation_end="2024-05-31", complaints=complaints,
    ...                                 refusals=refusals)
    >>> rt.working_segments(features)
    customer_id
    ann           loyal
    bob        inactive
    cy     dissatisfied
    dee             new
    eve         refused
    Name: segment, dtype: category
    Categories (6, str): ['refused', 'dissatisfied', 'inactive', 'new', 'loyal', 'other']

    The one-order rule counts orders: fay's one invoice of three lines makes her new when the features
    are built with ``order_id``, and loyal when every line is taken for an order:

    >>> lines = pd.DataFrame({"customer_id": ["fay"] * 3, "invoice": ["i9"] * 3,
    ...                       "date": pd.to_datetime(["2024-05-30"] * 3), "amount": [5.0, 7.0, 9.0]})
    >>> rt.working_segments(rt.customer_features(lines, order_id="invoice")).tolist()
    ['new']
    >>> rt.working_segments(rt.customer_features(lines)).tolist()
    ['loyal']
    """
    rules = _working_rules(inactive_after, new_within, "working_segments")
    return _rule_segments(features, rules, "other", "working_segments")
