"""Tests of retention.core.segments: totals, scores, the segment grid, first-match rules, conditions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from retention.core.segments import (
    MAX_CONDITION_DEPTH,
    MAX_CONDITION_LENGTH,
    customer_totals,
    cut_scores,
    evaluate_condition,
    first_match,
    fm_scores,
    parse_condition,
    quantile_scores,
    segment_grid,
)
from retention.errors import InvalidParameterError, InvalidValueError

# --- customer_totals ----------------------------------------------------------------------------------------


def test_customer_totals_by_hand() -> None:
    customer = np.array([2, 0, 2, 1, 2, 0])
    day = np.array([10, 3, 7, 5, 12, 9])
    amount = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    totals = customer_totals(customer, day, amount, 3)
    np.testing.assert_array_equal(totals.orders, [2, 1, 3])
    np.testing.assert_array_equal(totals.first_day, [3, 5, 7])
    np.testing.assert_array_equal(totals.last_day, [9, 5, 12])
    np.testing.assert_array_equal(totals.revenue, [8.0, 4.0, 9.0])
    lean = customer_totals(customer, day, None, 3, first_day=False)
    assert lean.first_day is None
    assert lean.revenue is None


def test_customer_totals_net_returns_from_revenue_only() -> None:
    customer = np.array([2, 0, 2, 1, 2, 0])
    day = np.array([10, 3, 7, 5, 12, 9])
    amount = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    # Returns of 2.5 by customer 0 on day 20 and of 4 by customer 1 before their purchase.
    totals = customer_totals(
        customer,
        day,
        amount,
        3,
        return_customer=np.array([0, 1]),
        return_amount=np.array([-2.5, -4.0]),
    )
    np.testing.assert_array_equal(totals.orders, [2, 1, 3])
    np.testing.assert_array_equal(totals.first_day, [3, 5, 7])
    np.testing.assert_array_equal(totals.last_day, [9, 5, 12])
    np.testing.assert_array_equal(totals.revenue, [5.5, 0.0, 9.0])
    # Exact: 1e16 + 1 - 1e16 + 5 is 6.
    big = customer_totals(
        np.zeros(3, dtype=np.int64),
        np.arange(3),
        np.array([1e16, 1.0, 5.0]),
        1,
        return_customer=np.array([0]),
        return_amount=np.array([-1e16]),
    )
    assert big.revenue is not None
    assert big.revenue.tolist() == [6.0]


# --- quantile_scores ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "bins", "expected"),
    [
        # ten distinct values: two per score
        ([10, 20, 30, 40, 50, 60, 70, 80, 90, 100], 5, [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]),
        # B (customers strictly below) = 0,0,0,0,0,0,6,6,8,9 -> floor(5 B / 10) + 1
        ([1, 1, 1, 1, 1, 1, 2, 2, 3, 7], 5, [1, 1, 1, 1, 1, 1, 4, 4, 5, 5]),
        # a tie at the top: B = 0,1,2,2,2 -> floor(5 B / 5) + 1 = 1,2,3,3,3
        ([5.0, 6.0, 9.0, 9.0, 9.0], 5, [1, 2, 3, 3, 3]),
        # every value equal: nobody is ahead of anybody
        ([4.0, 4.0, 4.0], 5, [1, 1, 1]),
        # fewer customers than bins: B = 0,1,2 -> floor(5 B / 3) + 1 = 1,2,4
        ([3, 1, 2], 5, [4, 1, 2]),
        # seven customers, three scores: floor(3 B / 7) + 1 for B = 0..6
        ([0.5, 0.1, 0.7, 0.2, 0.6, 0.3, 0.4], 3, [2, 1, 3, 1, 3, 1, 2]),
        ([7], 5, [1]),
    ],
)
def test_quantile_scores_by_hand(values: list[float], bins: int, expected: list[int]) -> None:
    np.testing.assert_array_equal(quantile_scores(np.array(values), bins), expected)
    # the float path (order statistics) and the integer path (counting) agree
    as_float = np.array(values, dtype=np.float64)
    np.testing.assert_array_equal(quantile_scores(as_float, bins), expected)


def test_quantile_scores_reverse_scores_the_smallest_highest() -> None:
    days = np.array([0, 3, 3, 40, 365])
    # negated: -365 < -40 < -3 = -3 < 0, so B = 4, 2, 2, 1, 0
    np.testing.assert_array_equal(quantile_scores(days, 5, reverse=True), [5, 3, 3, 2, 1])


def test_quantile_scores_empty_and_wide_integers() -> None:
    assert quantile_scores(np.empty(0, dtype=np.int64), 5).shape == (0,)
    wide = np.array([-(2**62), 0, 2**62])  # too wide to count: order statistics instead
    np.testing.assert_array_equal(quantile_scores(wide, 3), [1, 2, 3])


measure = st.one_of(
    hnp.arrays(np.int64, st.integers(1, 60), elements=st.integers(-5, 8)),
    hnp.arrays(
        np.float64,
        st.integers(1, 60),
        elements=st.floats(-1e6, 1e6, allow_nan=False).map(lambda x: round(x, 1)),
    ),
)


@given(
    values=measure, bins=st.integers(1, 20), reverse=st.booleans(), seed=st.integers(0, 2**32 - 1)
)
def test_quantile_scores_properties(
    values: np.ndarray, bins: int, reverse: bool, seed: int
) -> None:
    before = values.copy()
    scores = quantile_scores(values, bins, reverse=reverse)
    np.testing.assert_array_equal(values, before)  # input untouched
    assert scores.dtype == np.int64
    assert scores.min() >= 1
    assert scores.max() <= bins
    key = -values.astype(np.float64) if reverse else values.astype(np.float64)
    # monotone: a larger value (smaller when reversed) never gets a lower score; equal values tie
    i, j = np.meshgrid(np.arange(len(values)), np.arange(len(values)), indexing="ij")
    assert np.all(scores[i][key[i] < key[j]] <= scores[j][key[i] < key[j]])
    assert np.all(scores[i][key[i] == key[j]] == scores[j][key[i] == key[j]])
    # the rule: floor(bins * B / n) + 1 with B + 1 the "min" rank of pandas
    below = pd.Series(key).rank(method="min").to_numpy() - 1
    np.testing.assert_array_equal(scores, np.floor(bins * below / len(values)).astype(int) + 1)
    # row order changes nothing: the scores move with their customers
    order = np.random.default_rng(seed).permutation(len(values))
    np.testing.assert_array_equal(
        quantile_scores(values[order], bins, reverse=reverse), scores[order]
    )


def test_quantile_scores_fill_equal_groups_without_ties() -> None:
    values = np.random.default_rng(1).permutation(1000).astype(np.float64)
    counts = np.bincount(quantile_scores(values, 5))
    np.testing.assert_array_equal(counts[1:], [200] * 5)


# --- cut_scores and fm_scores -------------------------------------------------------------------------------


def test_cut_scores_are_right_closed() -> None:
    cuts = np.array([1.0, 2.0, 4.0, 9.0])
    np.testing.assert_array_equal(
        cut_scores(np.array([0, 1, 2, 3, 4, 5, 9, 10]), cuts), [1, 1, 2, 3, 3, 4, 4, 5]
    )
    days = np.array([0, 30, 31, 90, 91, 365, 366])
    np.testing.assert_array_equal(
        cut_scores(days, np.array([30.0, 90.0, 180.0, 365.0]), reverse=True), [5, 5, 4, 4, 3, 2, 1]
    )


def test_fm_scores_round_halves_up() -> None:
    f = np.array([1, 1, 2, 3, 4, 5, 5])
    m = np.array([1, 2, 2, 4, 5, 4, 5])
    np.testing.assert_array_equal(fm_scores(f, m), [1, 2, 2, 4, 5, 5, 5])


# --- segment_grid -------------------------------------------------------------------------------------------


def grid(rows: list[tuple[str, int, int, int, int]]) -> tuple[np.ndarray, list[str]]:
    labels = [r[0] for r in rows]
    bounds = [np.array([r[k] for r in rows], dtype=np.int64) for k in range(1, 5)]
    return segment_grid(*bounds, labels)


def test_segment_grid_by_hand() -> None:
    table, categories = grid([("top", 3, 3, 1, 3), ("low", 1, 2, 1, 1), ("mid", 1, 2, 2, 3)])
    assert categories == ["top", "low", "mid"]
    np.testing.assert_array_equal(table, [[1, 2, 2], [1, 2, 2], [0, 0, 0]])
    # a segment may take several rectangles
    table, categories = grid(
        [("a", 1, 1, 1, 2), ("b", 2, 2, 1, 2), ("a", 1, 1, 3, 3), ("b", 2, 2, 3, 3)]
    )
    assert categories == ["a", "b"]
    np.testing.assert_array_equal(table, [[0, 0, 0], [1, 1, 1]])


def test_segment_grid_refuses_overlaps_and_gaps() -> None:
    with pytest.raises(InvalidValueError, match=r"r=2, fm=2 twice: in 'a' and in 'b'"):
        grid([("a", 1, 2, 1, 2), ("b", 2, 2, 2, 2)])
    with pytest.raises(InvalidValueError, match=r"cell r=1, fm=2 of its 2 x 2 grid"):
        grid([("a", 1, 1, 1, 1), ("b", 2, 2, 1, 2)])
    with pytest.raises(
        InvalidValueError, match=r"cell r=1, fm=2 and 1 more cell of its 2 x 2 grid"
    ):
        grid([("a", 1, 1, 1, 1), ("b", 2, 2, 2, 2)])


# --- first_match --------------------------------------------------------------------------------------------


def test_first_match_by_hand() -> None:
    masks = [
        np.array([True, False, False, False]),
        np.array([True, True, False, False]),
        np.array([False, True, True, False]),
    ]
    np.testing.assert_array_equal(first_match(masks, 4), [0, 1, 2, 3])
    np.testing.assert_array_equal(first_match([], 2), [0, 0])


@given(st.lists(hnp.arrays(np.bool_, 12), max_size=6))
def test_first_match_gives_each_row_exactly_the_first_true_rule(masks: list[np.ndarray]) -> None:
    codes = first_match(masks, 12)
    for row in range(12):
        hits = [k for k, m in enumerate(masks) if m[row]]
        assert codes[row] == (hits[0] if hits else len(masks))


# --- the condition language ---------------------------------------------------------------------------------

DANGEROUS = [
    "__import__('os')",
    "__import__('os').system('echo hi')",
    "os.system('ls')",
    "orders.sum() > 1",
    "orders.__class__",
    "lambda: 1",
    "(lambda x: x)(orders)",
    "orders[0] > 1",
    "[x for x in orders]",
    "{orders}",
    "{'a': orders}",
    "(orders, revenue)",
    "f'{orders}'",
    "orders if refused else revenue",
    "(x := 1)",
    "orders & refused",
    "orders | refused",
    "~refused",
    "orders ^ 1",
    "orders << 2",
    "orders @ orders",
    "orders in (1, 2)",
    "orders not in [1]",
    "refused is True",
    "refused is not None",
    "None",
    "b'bytes'",
    "1j",
    "...",
    "'a' * 3",
    "'x' + orders",
    "open('/etc/passwd')",
    "getattr(orders, 'sum')",
    "exec('1')",
    "eval('1')",
    "globals()",
    "import os",
    "orders = 1",
    "orders >",
    "",
    "   ",
    "yield orders",
    "await orders",
    "*orders",
    "orders; refused",
    "not " * 400 + "refused",  # too deep (the limit keeps evaluation away from the recursion limit)
    "(" * 300 + "orders" + ")" * 300,
    "orders > 1 " + "and orders > 1 " * (MAX_CONDITION_LENGTH // 15),
]


@pytest.mark.parametrize("text", DANGEROUS)
def test_dangerous_or_unsupported_conditions_are_refused_before_running(text: str) -> None:
    with pytest.raises(InvalidParameterError, match="condition"):
        parse_condition(text)


def test_nesting_up_to_the_limit_is_fine() -> None:
    text = "not " * (MAX_CONDITION_DEPTH - 2) + "refused"
    result = evaluate_condition(parse_condition(text), columns().__getitem__)
    np.testing.assert_array_equal(result, columns()["refused"])  # an even number of 'not'
    with pytest.raises(InvalidParameterError, match="nested more than 100 operations deep"):
        parse_condition("not " * MAX_CONDITION_DEPTH + "refused")


def test_refusal_messages_say_what_and_how() -> None:
    with pytest.raises(InvalidParameterError, match=r"uses attribute access \('\.'\)"):
        parse_condition("orders > 1 or x.y > 1")
    with pytest.raises(InvalidParameterError, match=r"uses '&' \(write 'and'\)"):
        parse_condition("(orders > 1) & refused")
    with pytest.raises(InvalidParameterError, match=r"^The condition of rule 'x' is not a valid"):
        parse_condition("orders >", context="The condition of rule 'x'")


def test_allowed_conditions_and_their_columns() -> None:
    cond = parse_condition("  days_since_last_purchase > 30 and (orders >= 2 or not refused)  ")
    assert cond.columns == ("days_since_last_purchase", "orders", "refused")
    assert parse_condition("True").columns == ()
    assert parse_condition("segment == 'loyal'").columns == ("segment",)
    assert parse_condition("-revenue / orders ** 2 % 3 // 1 + 1.5e3 < 0").columns == (
        "revenue",
        "orders",
    )


def columns() -> dict[str, np.ndarray]:
    return {
        "orders": np.array([1, 3, 2, 5]),
        "revenue": np.array([10.0, 90.0, 0.0, 40.0]),
        "refused": np.array([False, False, True, False]),
        "segment": np.array(["new", "loyal", "loyal", "other"], dtype=object),
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("orders >= 2 and not refused", [False, True, False, True]),
        ("1 < orders <= 3", [False, True, True, False]),
        ("revenue / orders > 20", [False, True, False, False]),
        ("segment == 'loyal' or orders == 1", [True, True, True, False]),
        ("not (orders > 1 and revenue > 20)", [True, False, True, False]),
        ("refused or orders * 2 - 1 >= 9", [False, False, True, True]),
    ],
)
def test_evaluate_condition_by_hand(text: str, expected: list[bool]) -> None:
    data = columns()
    result = evaluate_condition(parse_condition(text), data.__getitem__)
    np.testing.assert_array_equal(result, expected)


def test_evaluate_condition_constants_and_errors() -> None:
    data = columns()
    assert evaluate_condition(parse_condition("True"), data.__getitem__) is True
    assert evaluate_condition(parse_condition("not 1 > 2"), data.__getitem__) is True
    with pytest.raises(InvalidParameterError, match="applies 'and' to values of dtype int64"):
        evaluate_condition(parse_condition("orders and refused"), data.__getitem__)
    with pytest.raises(InvalidParameterError, match="applies 'not'"):
        evaluate_condition(parse_condition("not orders"), data.__getitem__)
    with pytest.raises(InvalidParameterError, match="cannot be evaluated"):
        evaluate_condition(parse_condition("2 ** 9 ** 9 ** 9 > orders"), data.__getitem__)
    with pytest.raises(InvalidParameterError, match="cannot be evaluated"):
        evaluate_condition(parse_condition("1 / 0 > orders"), data.__getitem__)


# Random conditions in the grammar, evaluated by us and by pandas.DataFrame.eval on the same frame.
NUMERIC, FLAGS = ("a", "b", "c"), ("p", "q")


@st.composite
def number_expression(draw: st.DrawFn, depth: int = 0) -> str:
    leaves = st.one_of(
        st.sampled_from(NUMERIC),
        st.integers(0, 9).map(str),
        st.sampled_from(["0.5", "2.25", "1e3"]),
    )
    if depth >= 2 or draw(st.booleans()):
        return draw(leaves)
    op = draw(st.sampled_from(["+", "-", "*", "/"]))
    left, right = draw(number_expression(depth + 1)), draw(number_expression(depth + 1))
    text = f"{left} {op} {right}"
    if draw(st.booleans()):
        text = f"({text})"
    if draw(st.booleans()):
        text = f"-{text}" if text.startswith("(") else f"-({text})"
    return text


@st.composite
def condition(draw: st.DrawFn, depth: int = 0) -> str:
    kind = draw(
        st.sampled_from(["compare", "chain", "flag"] + (["and", "or", "not"] if depth < 2 else []))
    )
    if kind == "flag":
        return draw(st.sampled_from(FLAGS))
    if kind in ("compare", "chain"):
        ops = st.sampled_from(["==", "!=", "<", "<=", ">", ">="])
        # The first operand reads a column, so that the comparison is a Series (see the test below for
        # what 'not' does to a plain True in pandas).
        first = draw(st.sampled_from(NUMERIC))
        if draw(st.booleans()):
            first = f"({first} {draw(st.sampled_from(['+', '-', '*', '/']))} {draw(number_expression())})"
        parts = [first, draw(ops), draw(number_expression())]
        if kind == "chain":
            parts += [draw(ops), draw(number_expression())]
        return " ".join(parts)
    if kind == "not":
        return f"not ({draw(condition(depth + 1))})"
    left, right = draw(condition(depth + 1)), draw(condition(depth + 1))
    text = f"{left} {kind} {right}"
    return f"({text})" if draw(st.booleans()) else text


@given(
    text=condition(),
    data=st.data(),
)
def test_conditions_evaluate_as_pandas_eval_does(text: str, data: st.DataObject) -> None:
    n = data.draw(st.integers(1, 8))
    frame = pd.DataFrame(
        {
            "a": data.draw(hnp.arrays(np.int64, n, elements=st.integers(-5, 5))),
            "b": data.draw(
                hnp.arrays(np.float64, n, elements=st.floats(-100, 100, allow_nan=False))
            ),
            "c": data.draw(hnp.arrays(np.int64, n, elements=st.integers(0, 3))),
            "p": data.draw(hnp.arrays(np.bool_, n)),
            "q": data.draw(hnp.arrays(np.bool_, n)),
        }
    )
    check_like_pandas(text, frame)


def check_like_pandas(text: str, frame: pd.DataFrame) -> None:
    """Our result equals DataFrame.eval's; where pandas raises (1 / 0 in Python numbers), we raise ours."""
    cond = parse_condition(text)
    try:
        expected = frame.eval(text, engine="python")
    except (ZeroDivisionError, OverflowError) as e:
        with pytest.raises(InvalidParameterError, match=f"cannot be evaluated: {e}"):
            evaluate_condition(cond, frame.__getitem__)
        return
    ours = evaluate_condition(cond, frame.__getitem__)
    if isinstance(expected, pd.Series):
        pd.testing.assert_series_equal(ours, expected, check_names=False)
    else:  # no column in the text: a scalar
        np.testing.assert_allclose(ours, expected, rtol=1e-12)


def test_not_of_a_constant_is_logical_where_pandas_is_bitwise() -> None:
    frame = pd.DataFrame({"a": [1, 2]})
    assert frame.eval("not (0 == 0)", engine="python") == -2  # pandas turns 'not' into '~'
    assert evaluate_condition(parse_condition("not (0 == 0)"), frame.__getitem__) is False


@given(text=number_expression(), data=st.data())
def test_arithmetic_evaluates_as_pandas_eval_does(text: str, data: st.DataObject) -> None:
    n = data.draw(st.integers(1, 6))
    frame = pd.DataFrame(
        {
            "a": data.draw(hnp.arrays(np.int64, n, elements=st.integers(-5, 5))),
            "b": data.draw(hnp.arrays(np.float64, n, elements=st.floats(-100, 100))),
            "c": data.draw(hnp.arrays(np.int64, n, elements=st.integers(0, 3))),
        }
    )
    check_like_pandas(text, frame)
