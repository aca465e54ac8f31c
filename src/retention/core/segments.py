"""RFM scores, segment grids, ordered rules and the safe condition language: numpy in, numpy out.

The adapters (:mod:`retention.frames.rfm`, :mod:`retention.frames.features` and
:mod:`retention.frames.segments`) reduce a transaction table to customer codes, days and amounts; this
module turns those into per-customer totals, quantile or cut-point scores, RFM segment codes and
first-match rule codes. Nothing here knows about DataFrames, column names or dates.

The condition language is a tiny, safe subset of Python expressions (comparisons, ``and`` / ``or`` /
``not``, arithmetic, numbers, strings, True / False and column names), checked node by node on the
:mod:`ast` tree; nothing is ever passed to :func:`eval`. The evaluator is generic: it applies the
:mod:`operator` functions to whatever the caller's column lookup returns (pandas Series in the adapter).
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from retention.core.activity import last_periods, period_bounds
from retention.core.arrays import BoolArray, FloatArray, IntArray
from retention.core.sums import group_sums
from retention.errors import InvalidParameterError, InvalidValueError, RetentionError

__all__ = [
    "MAX_CONDITION_DEPTH",
    "MAX_CONDITION_LENGTH",
    "Condition",
    "CustomerTotals",
    "customer_totals",
    "cut_scores",
    "evaluate_condition",
    "first_match",
    "fm_scores",
    "parse_condition",
    "quantile_scores",
    "segment_grid",
]


# Above this many distinct integer values per customer, ranking sorts instead of counting.
_COUNTING_SPAN: Final = 1 << 20


# --- per-customer totals ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CustomerTotals:
    """Per customer code: orders, first and last purchase day, and revenue net of returns.

    Attributes
    ----------
    orders : numpy.ndarray of int64
        Number of purchases (orders; returns are not orders).
    first_day : numpy.ndarray of int64 or None
        Days since 1970-01-01 of the first purchase, when asked for.
    last_day : numpy.ndarray of int64
        Days since 1970-01-01 of the last purchase.
    revenue : numpy.ndarray of float64 or None
        Sum of the purchase amounts and of the returns (see :func:`group_sums`), when amounts were given.
    """

    orders: IntArray
    first_day: IntArray | None
    last_day: IntArray
    revenue: FloatArray | None


def customer_totals(
    customer: IntArray,
    day: IntArray,
    amount: FloatArray | None,
    n_customers: int,
    *,
    first_day: bool = True,
    return_customer: IntArray | None = None,
    return_amount: FloatArray | None = None,
) -> CustomerTotals:
    """Reduce per-purchase codes to per-customer totals in one pass each.

    Parameters
    ----------
    customer : numpy.ndarray of int64
        Per purchase (order), a customer code in ``0 .. n_customers - 1``; every code occurs at least
        once.
    day : numpy.ndarray of int64
        Per purchase, the day (days since 1970-01-01).
    amount : numpy.ndarray of float64 or None
        Per purchase, the amount.
    n_customers : int
        Number of customer codes.
    first_day : bool, default True
        Also find each customer's first purchase day.
    return_customer : numpy.ndarray of int64, optional
        Per return, the customer code. Returns count in the revenue only: they are neither orders nor
        purchase days.
    return_amount : numpy.ndarray of float64, optional
        Per return, its amount (negative); given with ``return_customer``.

    Returns
    -------
    CustomerTotals

    Examples
    --------
    >>> t = customer_totals(np.array([1, 0, 1]), np.array([10, 12, 15]), np.array([5.0, 2.0, 7.5]), 2)
    >>> t.orders, t.first_day, t.last_day, t.revenue
    (array([1, 2]), array([12, 10]), array([12, 15]), array([ 2. , 12.5]))

    A return of 4 by customer 1 lowers the revenue, not the orders:

    >>> t = customer_totals(np.array([1, 0, 1]), np.array([10, 12, 15]), np.array([5.0, 2.0, 7.5]), 2,
    ...                     return_customer=np.array([1]), return_amount=np.array([-4.0]))
    >>> t.orders, t.revenue
    (array([1, 2]), array([2. , 8.5]))
    """
    customer = np.asarray(customer, dtype=np.int64)
    day = np.asarray(day, dtype=np.int64)
    orders = np.bincount(customer, minlength=n_customers).astype(np.int64, copy=False)
    first: IntArray | None
    if first_day:
        first, last = period_bounds(customer, day, n_customers)
    else:
        first, last = None, last_periods(customer, day, n_customers)
    revenue = None
    if amount is not None:
        if return_customer is not None and return_amount is not None and len(return_customer):
            revenue = group_sums(
                np.concatenate([customer, np.asarray(return_customer, dtype=np.int64)]),
                np.concatenate([amount, np.asarray(return_amount, dtype=np.float64)]),
                n_customers,
            )
        else:
            largest = int(orders.max()) if n_customers else 0
            revenue = group_sums(customer, amount, n_customers, largest_group=largest)
    return CustomerTotals(orders=orders, first_day=first, last_day=last, revenue=revenue)


# --- scores -------------------------------------------------------------------------------------------------


# Up to this many thresholds, quantile scores compare with each one instead of a binary search.
_COMPARE_THRESHOLDS: Final = 8


def quantile_scores(
    values: NDArray[np.int64] | NDArray[np.float64], bins: int, *, reverse: bool = False
) -> IntArray:
    r"""Score values 1 .. ``bins`` by the share of customers below them; equal values score equally.

    Parameters
    ----------
    values : numpy.ndarray of int64 or float64
        One value per customer, without NaN. Not modified.
    bins : int
        The number of scores (>= 1).
    reverse : bool, default False
        Score the smallest values highest (recency: fewer days since the last purchase is better).

    Returns
    -------
    numpy.ndarray of int64
        The scores, in the order of ``values``.

    Notes
    -----
    With $n$ customers and $B_i$ of them with a value strictly below customer $i$'s,

    $$s_i = \left\lfloor \text{bins} \cdot \frac{B_i}{n} \right\rfloor + 1,$$

    computed in integers, so no rounding decides a boundary: score $k$ means that between
    $(k - 1)/\text{bins}$ and $k/\text{bins}$ of the customers are below. $B_i + 1$ is the "min" rank
    (:meth:`pandas.Series.rank` with ``method="min"``), so customers with equal values get equal scores
    whatever the order of the rows, and a group of tied customers takes the score of its lowest member.
    With distinct values and $n$ a multiple of ``bins`` the scores are ``bins`` groups of equal size. The
    smallest value always scores 1; when every value is equal, every customer scores 1 (nobody is ahead
    of anybody, as when :func:`pandas.qcut` collapses its bins); fewer distinct values than ``bins``
    leave some scores unused. ``reverse=True`` scores the negated values.

    No full sort is needed: $s_i > k$ exactly when customer $i$'s value exceeds the
    $\lceil k n / \text{bins} \rceil$-th smallest value, so the ``bins - 1`` order statistics
    (:func:`numpy.partition`, linear time) decide every score; integers in a narrow range are counted
    instead.

    Examples
    --------
    >>> quantile_scores(np.array([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]), 5)
    array([1, 1, 2, 2, 3, 3, 4, 4, 5, 5])
    >>> quantile_scores(np.array([1, 1, 1, 1, 1, 1, 2, 2, 3, 7]), 5)  # six tie at the bottom
    array([1, 1, 1, 1, 1, 1, 4, 4, 5, 5])
    >>> quantile_scores(np.array([4.0, 4.0, 4.0]), 5)
    array([1, 1, 1])
    """
    keyed: NDArray[Any] = -np.asarray(values) if reverse else np.asarray(values)
    n = len(keyed)
    if n == 0:
        return np.empty(0, dtype=np.int64)
    if keyed.dtype.kind in "iu":
        low, high = int(keyed.min()), int(keyed.max())
        span = high - low + 1
        if span <= max(2 * n, _COUNTING_SPAN):
            # Few distinct integers (days, purchase counts): count them instead of sorting.
            offset = (keyed - low).astype(np.int64, copy=False)
            counts = np.bincount(offset, minlength=span)
            below = np.cumsum(counts) - counts
            per_value = (bins * below.astype(np.int64, copy=False)) // n + 1
            return per_value[offset]
    # Score k + 1 or more means at least m_k = ceil(k n / bins) customers below, that is a value above the
    # m_k-th smallest one: a partial sort finds those order statistics in linear time.
    k = np.arange(1, bins, dtype=np.int64)
    rank = -((-k * n) // bins) - 1  # m_k - 1, zero-based
    if len(rank) == 0:
        return np.ones(n, dtype=np.int64)
    thresholds = np.partition(keyed, np.unique(rank))[rank]
    if len(thresholds) > _COMPARE_THRESHOLDS:
        return np.searchsorted(thresholds, keyed, side="left").astype(np.int64, copy=False) + 1
    # A few thresholds: counting the ones below each value is faster than a binary search per value.
    scores = np.ones(n, dtype=np.int64)
    for threshold in thresholds:
        scores += keyed > threshold
    return scores


def cut_scores(
    values: NDArray[np.int64] | NDArray[np.float64],
    cut_points: FloatArray,
    *,
    reverse: bool = False,
) -> IntArray:
    r"""Score values 1 .. ``len(cut_points) + 1`` by fixed, increasing cut points.

    The cut points split the line into right-closed intervals $(-\infty, c_1], (c_1, c_2], \dots,
    (c_k, \infty)$ (the convention of :func:`pandas.cut`); the first interval scores 1 and the last
    $k + 1$, or the other way round with ``reverse=True``.

    Examples
    --------
    >>> cut_scores(np.array([1, 2, 3, 5, 12]), np.array([1.0, 2.0, 4.0, 9.0]))
    array([1, 2, 3, 4, 5])
    >>> cut_scores(np.array([0, 30, 31, 400]), np.array([30.0, 90.0, 180.0, 365.0]), reverse=True)
    array([5, 5, 4, 1])
    """
    below = np.searchsorted(cut_points, values, side="left").astype(np.int64, copy=False)
    return len(cut_points) + 1 - below if reverse else below + 1


def fm_scores(f_score: IntArray, m_score: IntArray) -> IntArray:
    """Combine the frequency and monetary scores: their mean, halves rounded up.

    Examples
    --------
    >>> fm_scores(np.array([1, 4, 5, 2]), np.array([1, 5, 5, 3]))
    array([1, 5, 5, 3])
    """
    return (np.asarray(f_score, dtype=np.int64) + np.asarray(m_score, dtype=np.int64) + 1) // 2


def segment_grid(
    r_min: IntArray,
    r_max: IntArray,
    fm_min: IntArray,
    fm_max: IntArray,
    labels: Sequence[str],
) -> tuple[IntArray, list[str]]:
    """Lay the rectangles of a segment map on the R x FM grid and check that they tile it exactly.

    Parameters
    ----------
    r_min, r_max, fm_min, fm_max : numpy.ndarray of int64
        Per map row, the inclusive score ranges (all >= 1, minimum <= maximum; checked by the caller).
    labels : sequence of str
        Per map row, the segment. A segment may span several rows.

    Returns
    -------
    table : numpy.ndarray of int64
        ``table[r - 1, fm - 1]`` is the code of the segment of the cell (r, fm); the grid runs from 1 to
        the largest ``r_max`` and the largest ``fm_max``.
    categories : list of str
        The segments in order of first appearance; codes index this list.

    Raises
    ------
    InvalidValueError
        If two rows cover the same cell, or a cell of the grid is not covered.

    Examples
    --------
    >>> table, names = segment_grid(np.array([1, 2]), np.array([1, 2]), np.array([1, 1]),
    ...                             np.array([2, 2]), ["low", "high"])
    >>> table, names
    (array([[0, 0],
           [1, 1]]), ['low', 'high'])
    """
    categories = list(dict.fromkeys(labels))
    code_of = {label: k for k, label in enumerate(categories)}
    n_r, n_fm = int(np.max(r_max)), int(np.max(fm_max))
    table = np.full((n_r, n_fm), -1, dtype=np.int64)
    # One step per map row (a dozen rectangles), never per customer.
    for row, label in enumerate(labels):
        cells = table[r_min[row] - 1 : r_max[row], fm_min[row] - 1 : fm_max[row]]
        taken = np.argwhere(cells >= 0)
        if len(taken):
            r = int(taken[0][0]) + int(r_min[row])
            fm = int(taken[0][1]) + int(fm_min[row])
            other = categories[int(cells[tuple(taken[0])])]
            msg = (
                f"The segment map covers the cell r={r}, fm={fm} twice: in {other!r} and in {label!r} "
                f"(row {row}). Every cell of the R x FM grid needs exactly one segment; shrink one of the ranges."
            )
            raise InvalidValueError(msg)
        cells[...] = code_of[label]
    missing = np.argwhere(table < 0)
    if len(missing):
        r, fm = (int(v) + 1 for v in missing[0])
        more = (
            f" and {len(missing) - 1} more cell{'s' if len(missing) > 2 else ''}"
            if len(missing) > 1
            else ""
        )
        msg = (
            f"The segment map leaves the cell r={r}, fm={fm}{more} of its {n_r} x {n_fm} grid without a "
            "segment. Every cell from 1 to the largest r_max and fm_max needs exactly one segment; add a row "
            "that covers it."
        )
        raise InvalidValueError(msg)
    return table, categories


# --- ordered rules ------------------------------------------------------------------------------------------


def first_match(masks: Sequence[BoolArray], n: int) -> IntArray:
    """Index of the first mask that is true for each row; ``len(masks)`` where none is.

    Examples
    --------
    >>> first_match([np.array([True, False, False]), np.array([True, True, False])], 3)
    array([0, 1, 2])
    """
    codes = np.full(n, len(masks), dtype=np.int64)
    unassigned = np.ones(n, dtype=np.bool_)
    # One step per rule (a handful), never per customer.
    for k, mask in enumerate(masks):
        codes[mask & unassigned] = k
        unassigned &= ~mask
    return codes


# --- the condition language ---------------------------------------------------------------------------------

MAX_CONDITION_LENGTH: Final = 2000
"""Longest condition text accepted, in characters."""
MAX_CONDITION_DEPTH: Final = 100
"""Deepest nesting of operations accepted in a condition (keeps evaluation far from the recursion limit)."""

_BINARY: Final[dict[type[ast.operator], Callable[[Any, Any], Any]]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_COMPARE: Final[dict[type[ast.cmpop], Callable[[Any, Any], Any]]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}
_SIGN: Final[dict[type[ast.unaryop], Callable[[Any], Any]]] = {
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}
# What the user wrote, in words, for the constructs that are refused.
_REFUSED: Final[dict[type[ast.AST], str]] = {
    ast.Attribute: "attribute access ('.')",
    ast.Call: "function calls",
    ast.Subscript: "indexing ('[...]')",
    ast.Lambda: "lambda",
    ast.IfExp: "'... if ... else ...'",
    ast.NamedExpr: "assignment (':=')",
    ast.List: "lists",
    ast.Tuple: "tuples",
    ast.Set: "sets",
    ast.Dict: "dicts",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "comprehensions",
    ast.JoinedStr: "f-strings",
    ast.Starred: "'*'",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.Slice: "slices",
    ast.BitAnd: "'&' (write 'and')",
    ast.BitOr: "'|' (write 'or')",
    ast.BitXor: "'^'",
    ast.Invert: "'~' (write 'not')",
    ast.LShift: "'<<'",
    ast.RShift: "'>>'",
    ast.MatMult: "'@'",
    ast.In: "'in'",
    ast.NotIn: "'not in'",
    ast.Is: "'is' (write '==')",
    ast.IsNot: "'is not' (write '!=')",
}

GRAMMAR: Final = (
    "A condition may use column names, numbers, 'strings', True and False, comparisons "
    "(==, !=, <, <=, >, >=, also chained), and / or / not, arithmetic (+ - * / // % **) and parentheses."
)


@dataclass(frozen=True, slots=True)
class Condition:
    """A checked condition: its text, its expression tree and the column names it reads.

    Attributes
    ----------
    text : str
        The condition as written.
    tree : ast.expr
        The checked expression (only the nodes of the grammar).
    columns : tuple of str
        The names it reads, in order of first appearance.
    """

    text: str
    tree: ast.expr
    columns: tuple[str, ...]


def _check_constant(node: ast.Constant, check: _Check) -> None:
    if not isinstance(node.value, bool | int | float | str):
        raise check.refuse(f"the constant {node.value!r}")


def _check_name(node: ast.Name, check: _Check) -> None:
    check.names.setdefault(node.id, None)


def _check_boolop(node: ast.BoolOp, check: _Check) -> None:
    for value in node.values:
        check.visit(value)


def _check_unaryop(node: ast.UnaryOp, check: _Check) -> None:
    if not isinstance(node.op, ast.Not) and type(node.op) not in _SIGN:
        raise check.refuse(_REFUSED.get(type(node.op), type(node.op).__name__))
    check.visit(node.operand)


def _check_binop(node: ast.BinOp, check: _Check) -> None:
    if type(node.op) not in _BINARY:
        raise check.refuse(_REFUSED.get(type(node.op), type(node.op).__name__))
    for side in (node.left, node.right):
        if isinstance(side, ast.Constant) and isinstance(side.value, str):
            raise check.refuse("arithmetic on text")
        check.visit(side)


def _check_compare(node: ast.Compare, check: _Check) -> None:
    for op in node.ops:
        if type(op) not in _COMPARE:
            raise check.refuse(_REFUSED.get(type(op), type(op).__name__))
    check.visit(node.left)
    for comparator in node.comparators:
        check.visit(comparator)


_CHECKS: Final[dict[type[ast.AST], Callable[[Any, _Check], None]]] = {
    ast.Constant: _check_constant,
    ast.Name: _check_name,
    ast.BoolOp: _check_boolop,
    ast.UnaryOp: _check_unaryop,
    ast.BinOp: _check_binop,
    ast.Compare: _check_compare,
}


@dataclass
class _Check:
    """Walks an expression tree, refusing every node outside the grammar and collecting the names."""

    context: str
    names: dict[str, None]
    depth: int = 0

    def refuse(self, what: str) -> InvalidParameterError:
        return InvalidParameterError(
            f"{self.context} uses {what}, which conditions do not allow. {GRAMMAR}"
        )

    def visit(self, node: ast.AST) -> None:
        checker = _CHECKS.get(type(node))
        if checker is None:
            raise self.refuse(_REFUSED.get(type(node), type(node).__name__))
        self.depth += 1
        if self.depth > MAX_CONDITION_DEPTH:
            msg = f"{self.context} is nested more than {MAX_CONDITION_DEPTH} operations deep. Split it into several rules."
            raise InvalidParameterError(msg)
        checker(node, self)
        self.depth -= 1


def parse_condition(text: str, *, context: str | None = None) -> Condition:
    """Parse and check a condition; refuse anything outside the grammar.

    Parameters
    ----------
    text : str
        The condition, e.g. ``"days_since_last_purchase > 30 and orders >= 2"``.
    context : str, optional
        How to name the condition in messages, e.g. ``"The condition 'x' of rule 'loyal'"``; defaults to
        ``"The condition 'x'"``.

    Returns
    -------
    Condition

    Raises
    ------
    InvalidParameterError
        If the text is not an expression, is too long or too deeply nested, or uses anything but column
        names, numbers, strings, True / False, comparisons, and / or / not and arithmetic.

    Examples
    --------
    >>> parse_condition("orders >= 2 and not refused").columns
    ('orders', 'refused')
    >>> parse_condition("__import__('os').system('ls')")
    Traceback (most recent call last):
    ...
    retention.errors.InvalidParameterError: The condition "__import__('os').system('ls')" uses function calls, which conditions do not allow. A condition may use column names, numbers, 'strings', True and False, comparisons (==, !=, <, <=, >, >=, also chained), and / or / not, arithmetic (+ - * / // % **) and parentheses.
    """
    context = f"The condition {text!r}" if context is None else context
    if len(text) > MAX_CONDITION_LENGTH:
        msg = f"The condition {text[:40]!r}... is {len(text)} characters long; conditions are limited to {MAX_CONDITION_LENGTH}. Split it into several rules or use a callable."
        raise InvalidParameterError(msg)
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as e:
        reason = e.msg if isinstance(e, SyntaxError) else str(e) or type(e).__name__
        msg = f"{context} is not a valid expression ({reason}). {GRAMMAR}"
        raise InvalidParameterError(msg) from e
    check = _Check(context=context, names={})
    try:
        check.visit(tree.body)
    except RecursionError as e:
        msg = f"{context} is nested too deeply. Split it into several rules."
        raise InvalidParameterError(msg) from e
    return Condition(text=text, tree=tree.body, columns=tuple(check.names))


def _is_boolean(value: Any) -> bool:
    if isinstance(value, bool | np.bool_):
        return True
    dtype = getattr(value, "dtype", None)
    return dtype is not None and getattr(dtype, "kind", None) == "b"


def _describe(value: Any) -> str:
    dtype = getattr(value, "dtype", None)
    return f"values of dtype {dtype}" if dtype is not None else f"{value!r}"


def _is_plain_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass(frozen=True)
class _Eval:
    """Evaluates a checked tree on the columns that ``lookup`` returns."""

    lookup: Callable[[str], Any]
    context: str

    def visit(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return self.lookup(node.id)
        if isinstance(node, ast.BoolOp):
            return self.boolop(node)
        if isinstance(node, ast.UnaryOp):
            return self.unaryop(node)
        if isinstance(node, ast.BinOp):
            return self.binop(node)
        if isinstance(node, ast.Compare):
            return self.compare(node)
        msg = (
            f"unchecked node {type(node).__name__}; call parse_condition first"  # pragma: no cover
        )
        raise AssertionError(msg)  # pragma: no cover

    def not_boolean(self, word: str, value: Any, example: str) -> InvalidParameterError:
        return InvalidParameterError(
            f"{self.context} applies '{word}' to {_describe(value)}; 'and', 'or' and "
            f"'not' take true/false values. Compare first, e.g. {example!r}."
        )

    def boolop(self, node: ast.BoolOp) -> Any:
        combine = operator.and_ if isinstance(node.op, ast.And) else operator.or_
        word = "and" if isinstance(node.op, ast.And) else "or"
        result: Any = None
        for part in node.values:
            value = self.visit(part)
            if not _is_boolean(value):
                raise self.not_boolean(word, value, "orders > 0")
            result = value if result is None else combine(result, value)
        return result

    def unaryop(self, node: ast.UnaryOp) -> Any:
        value = self.visit(node.operand)
        if not isinstance(node.op, ast.Not):
            return _SIGN[type(node.op)](value)
        if not _is_boolean(value):
            raise self.not_boolean("not", value, "not (orders > 0)")
        return (not value) if isinstance(value, bool) else ~value

    def binop(self, node: ast.BinOp) -> Any:
        left, right = self.visit(node.left), self.visit(node.right)
        if isinstance(node.op, ast.Pow) and _is_plain_number(left) and _is_plain_number(right):
            # Python integers have no size limit: '9 ** 9 ** 9' would run for hours. Use floats.
            return float(left) ** float(right)
        return _BINARY[type(node.op)](left, right)

    def compare(self, node: ast.Compare) -> Any:
        left = self.visit(node.left)
        result: Any = None
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = self.visit(comparator)
            outcome = _COMPARE[type(op)](left, right)
            # A chain 'a < b < c' means (a < b) and (b < c), as in pandas.eval.
            result = outcome if result is None else result & outcome
            left = right
        return result


def evaluate_condition(
    cond: Condition, lookup: Callable[[str], Any], *, context: str | None = None
) -> Any:
    """Evaluate a checked condition on the columns that ``lookup`` returns.

    Parameters
    ----------
    cond : Condition
        From :func:`parse_condition`.
    lookup : callable
        ``lookup(name)`` returns the column (an array or a pandas Series) for a name.
    context : str, optional
        How to name the condition in messages; defaults to ``"The condition 'x'"``.

    Returns
    -------
    object
        What the operators return on the columns: an array or Series, or a scalar for a condition without
        column names.

    Raises
    ------
    InvalidParameterError
        If 'and', 'or' or 'not' get values that are not true/false, or an operation fails (comparing text
        with numbers, an overflow).

    Examples
    --------
    >>> columns = {"orders": np.array([1, 3, 2]), "refused": np.array([False, False, True])}
    >>> cond = parse_condition("orders >= 2 and not refused")
    >>> evaluate_condition(cond, columns.__getitem__)
    array([False,  True, False])
    """
    context = f"The condition {cond.text!r}" if context is None else context
    try:
        return _Eval(lookup, context).visit(cond.tree)
    except RetentionError:
        raise
    except (TypeError, ValueError, ArithmeticError, RecursionError) as e:
        reason = str(e).splitlines()[0] if str(e) else type(e).__name__
        msg = f"{context} cannot be evaluated: {reason}. Check that it compares numbers with numbers and text with text."
        raise InvalidParameterError(msg) from e
