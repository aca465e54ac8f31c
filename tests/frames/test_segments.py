"""Tests of rule_segments (formerly segment), working_segments and working_segment_rules (retention.frames.segments).

The properties that hold across RFM scores, customer features and working segments together (splitting
orders into lines, returns, row order) are here too.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import retention as rt
from retention.errors import (
    ColumnNotFoundError,
    ColumnTypeError,
    InvalidParameterError,
    InvalidValueError,
)
from tests.exact import exact_total
from tests.frames.customer_tables import (
    START,
    complaints,
    lines_of_orders,
    one_row_per_order,
    orders,
    refusals,
    shop,
    transactions,
)

# --- rule_segments --------------------------------------------------------------------------------------


def features_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "orders": [1, 5, 2, 8, 3],
            "revenue": [20.0, 900.0, 60.0, 120.0, 0.0],
            "refused": [False, False, True, False, False],
            "tier": ["basic", "gold", "basic", "gold", "basic"],
        },
        index=pd.Index(["a", "b", "c", "d", "e"], name="customer_id"),
    )


def test_segment_by_hand_with_every_kind_of_condition() -> None:
    f = features_frame()
    before = f.copy()
    labels = rt.rule_segments(
        f,
        [
            ("blocked", f["refused"]),  # a Series
            ("vip", "revenue >= 500 or tier == 'gold' and orders > 5"),  # a string
            ("zero", np.array([False, False, False, False, True])),  # an array
            ("repeat", lambda frame: frame["orders"] >= 2),  # a callable
            ("never", [False] * 5),  # a list
            ("rest", True),  # everyone left
        ],
    )
    assert labels.tolist() == ["rest", "vip", "blocked", "vip", "zero"]
    assert labels.cat.categories.tolist() == [
        "blocked",
        "vip",
        "zero",
        "repeat",
        "never",
        "rest",
        "other",
    ]
    assert labels.name == "segment"
    pd.testing.assert_index_equal(labels.index, f.index)
    pd.testing.assert_frame_equal(f, before)


def test_segment_default_duplicates_dicts_and_reordered_series() -> None:
    f = features_frame()
    labels = rt.rule_segments(
        f, {"vip": "revenue > 100", "repeat": "orders >= 3"}, default="one-off"
    )
    assert labels.tolist() == ["one-off", "vip", "one-off", "vip", "repeat"]
    # the same label twice acts as "or"; the default may be one of the labels
    labels = rt.rule_segments(
        f, [("keep", "orders == 1"), ("drop", "refused"), ("keep", "revenue > 100")], default="drop"
    )
    assert labels.tolist() == ["keep", "keep", "drop", "keep", "drop"]
    assert labels.cat.categories.tolist() == ["keep", "drop"]
    # a Series with the same labels in another order is aligned by label
    flag = (f["orders"] > 4).iloc[::-1]
    assert rt.rule_segments(f, [("many", flag)]).tolist() == [
        "other",
        "many",
        "other",
        "many",
        "other",
    ]
    # no rules: everyone gets the default
    assert rt.rule_segments(f, []).tolist() == ["other"] * 5


def test_segment_string_conditions_match_dataframe_eval() -> None:
    f = features_frame()
    text = "orders * 10 > revenue / 2 and not refused or 1 < orders <= 2"
    labels = rt.rule_segments(f, [("hit", text)], default="miss")
    expected = np.where(f.eval(text, engine="python"), "hit", "miss")
    assert labels.tolist() == expected.tolist()


def test_segment_callable_cannot_change_the_callers_frame() -> None:
    f = features_frame()
    before = f.copy()

    def meddle(frame: pd.DataFrame) -> pd.Series:
        frame["orders"] = 0
        frame.loc["a", "revenue"] = -1.0
        return frame["orders"] == 0

    assert rt.rule_segments(f, [("all", meddle)]).tolist() == ["all"] * 5
    pd.testing.assert_frame_equal(f, before)


def test_segment_missing_column_lists_the_columns() -> None:
    with pytest.raises(
        ColumnNotFoundError,
        match=r"Column 'order' \(the condition column\) is not in the table\. The table has: 'orders', "
        r"'revenue', 'refused', 'tier'\. Hint: did you mean 'orders'\? Fix the condition 'order > 1' of rule 'x'\.",
    ):
        rt.rule_segments(features_frame(), [("ok", "orders > 0"), ("x", "order > 1")])


@pytest.mark.parametrize(
    ("rules", "error", "match"),
    [
        (
            "orders > 1",
            InvalidParameterError,
            "ordered list of \\(label, condition\\) pairs; got str",
        ),
        (5, InvalidParameterError, "got int"),
        (
            [("a", "orders > 1", "extra")],
            InvalidParameterError,
            "Rule 0 passed to rule_segments is not a",
        ),
        (["orders > 1"], InvalidParameterError, "Rule 0 passed to rule_segments is not a"),
        ([(1, "orders > 1")], InvalidParameterError, "label of rule 0 .* non-empty string"),
        ([("", "orders > 1")], InvalidParameterError, "non-empty string"),
        ([("a", "orders.sum() > 1")], InvalidParameterError, "uses function calls"),
        ([("a", "orders + 1")], ColumnTypeError, "gives values of dtype int64"),
        ([("a", "orders and refused")], InvalidParameterError, "applies 'and'"),
        ([("a", "tier > 1")], InvalidParameterError, "cannot be evaluated"),
        (
            [("a", pd.Series([True, False], index=["a", "b"]))],
            InvalidValueError,
            "index does not match",
        ),
        ([("a", pd.Series([True] * 5))], InvalidValueError, "index does not match"),
        ([("a", np.array([True, False]))], InvalidValueError, "one per customer \\(5\\)"),
        ([("a", np.ones((5, 1), dtype=bool))], InvalidValueError, "one per customer"),
        ([("a", np.arange(5))], ColumnTypeError, "dtype int64"),
        ([("a", lambda f: f)], ColumnTypeError, "gives a DataFrame"),
        ([("a", lambda f: 3)], ColumnTypeError, "gives int"),
        ([("a", None)], ColumnTypeError, "gives NoneType"),
        (
            [
                (
                    "a",
                    pd.Series([True, None, True, True, True], dtype="boolean", index=list("abcde")),
                )
            ],
            InvalidValueError,
            "missing values",
        ),
    ],
)
def test_segment_refuses_bad_rules(rules: Any, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        rt.rule_segments(features_frame(), rules)


def test_segment_refuses_bad_features_and_default() -> None:
    with pytest.raises(ColumnTypeError, match="DataFrame of features"):
        rt.rule_segments(features_frame()["orders"], [("a", True)])  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="'default' parameter"):
        rt.rule_segments(features_frame(), [], default="")
    duplicated = pd.concat([features_frame(), features_frame()[["orders"]]], axis=1)
    with pytest.raises(InvalidValueError, match="more than once"):
        rt.rule_segments(duplicated, [("a", "orders > 1")])
    frame = features_frame()
    stacked = frame.set_axis(pd.MultiIndex.from_tuples([(c, "x") for c in frame.columns]), axis=1)
    with pytest.raises(
        InvalidValueError, match=r"'orders', the top level of .* MultiIndex columns\. Flatten"
    ):
        rt.rule_segments(stacked, [("a", "orders > 1")])


@given(
    data=hnp.arrays(
        np.int64, st.tuples(st.integers(0, 25), st.just(3)), elements=st.integers(0, 9)
    ),
    thresholds=st.lists(st.tuples(st.integers(0, 2), st.integers(0, 9)), max_size=5),
)
def test_segment_gives_every_customer_exactly_the_first_matching_label(
    data: np.ndarray, thresholds: list[tuple[int, int]]
) -> None:
    f = pd.DataFrame(data, columns=["x", "y", "z"])
    rules = [(f"r{k}", f"{'xyz'[col]} >= {t}") for k, (col, t) in enumerate(thresholds)]
    labels = rt.rule_segments(f, rules, default="none")
    assert len(labels) == len(f)
    assert labels.notna().all()
    for row in range(len(f)):
        hits = [f"r{k}" for k, (col, t) in enumerate(thresholds) if data[row, col] >= t]
        assert labels.iloc[row] == (hits[0] if hits else "none")


def test_segment_conditions_refuse_missing_values() -> None:
    features = pd.DataFrame({"orders": [1.0, np.nan, 3.0]}, index=["a", "b", "c"])
    with pytest.raises(InvalidValueError, match="the first 'b'"):
        rt.rule_segments(features, [("many", "orders >= 2")])


def test_segment_is_the_deprecated_name_of_rule_segments() -> None:
    f = features_frame()
    rules = [("vip", "revenue > 100"), ("repeat", lambda t: t["orders"] >= 3)]
    expected = rt.rule_segments(f, rules, default="one-off")
    with pytest.warns(DeprecationWarning, match="rt.rule_segments") as record:
        old = rt.segment(f, rules, default="one-off")
    assert [w.filename for w in record] == [__file__]  # points at the caller's line
    pd.testing.assert_series_equal(old, expected)
    # errors name the function that was called
    with (
        pytest.warns(DeprecationWarning, match="rt.rule_segments"),
        pytest.raises(InvalidParameterError, match="of segment "),
    ):
        rt.segment(f, [], default="")
    with pytest.raises(InvalidParameterError, match="of rule_segments "):
        rt.rule_segments(f, [], default="")


# --- working_segments and the properties across functions -----------------------------------------------


def working_features() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "days_since_last_purchase": [5, 40, 3, 10, 90, 30, 31, 20, 12],
            "orders": [4, 6, 2, 1, 1, 1, 3, 1, 7],
            "open_complaints": [0, 0, 1, 0, 0, 0, 0, 2, 1],
            "refused": [False, False, False, False, True, False, False, False, True],
        },
        index=pd.Index(list("abcdefghi"), name="customer_id"),
    )


def test_working_segments_by_hand() -> None:
    f = working_features()
    labels = rt.working_segments(f)
    # a: active repeat; b: 40 > 30 days; c: open complaint; d: one recent purchase; e: refused (and
    # inactive: refused wins); f: 30 days is not more than 30; g: 31 days; h: complaint beats new;
    # i: refused beats the complaint
    assert labels.tolist() == [
        "loyal",
        "inactive",
        "dissatisfied",
        "new",
        "refused",
        "new",
        "inactive",
        "dissatisfied",
        "refused",
    ]
    assert labels.cat.categories.tolist() == [
        "refused",
        "dissatisfied",
        "inactive",
        "new",
        "loyal",
        "other",
    ]
    assert rt.working_segments(f, inactive_after="2W").tolist() == [
        "loyal",
        "inactive",
        "dissatisfied",
        "new",
        "refused",
        "inactive",
        "inactive",
        "dissatisfied",
        "refused",
    ]
    # one-time buyers past new_within but not yet inactive fall to "other"
    assert rt.working_segments(f, new_within=7).tolist()[3] == "other"
    assert rt.working_segments(f, new_within="10D").tolist()[3] == "new"
    assert rt.working_segments(f, new_within="60D").tolist() == labels.tolist()


def test_working_segment_rules_are_data() -> None:
    rules = rt.working_segment_rules()
    assert rules == [
        ("refused", "refused"),
        ("dissatisfied", "open_complaints > 0"),
        ("inactive", "days_since_last_purchase > 30"),
        ("new", "orders == 1"),
        ("loyal", "orders >= 2"),
    ]
    assert rt.working_segment_rules(inactive_after=45, new_within="2W")[2:4] == [
        ("inactive", "days_since_last_purchase > 45"),
        ("new", "orders == 1 and days_since_last_purchase <= 14"),
    ]
    rules.insert(0, ("vip", "orders >= 5"))  # a changed copy, used with segment
    assert rt.rule_segments(working_features(), rules).tolist()[:3] == [
        "loyal",
        "vip",
        "dissatisfied",
    ]
    assert rt.working_segment_rules()[0] == ("refused", "refused")


def test_working_segments_end_to_end_and_errors() -> None:
    features = rt.customer_features(
        shop(), observation_end="2024-05-31", complaints=complaints(), refusals=refusals()
    )
    assert rt.working_segments(features).tolist() == ["dissatisfied", "refused", "dissatisfied"]
    with pytest.raises(ColumnNotFoundError, match="'refused'"):
        rt.working_segments(features.drop(columns="refused"))
    with pytest.raises(
        InvalidParameterError, match="'inactive_after' parameter of working_segments"
    ):
        rt.working_segments(features, inactive_after="soon")
    with pytest.raises(
        InvalidParameterError, match="'new_within' parameter of working_segment_rules"
    ):
        rt.working_segment_rules(new_within=-3)


@given(tx=transactions(), days=st.integers(1, 60))
def test_working_segments_give_every_customer_one_segment(tx: pd.DataFrame, days: int) -> None:
    features = rt.customer_features(tx, complaints=tx.iloc[:3], refusals=tx.iloc[3:4])
    labels = rt.working_segments(features, inactive_after=days)
    assert len(labels) == len(features)
    assert labels.notna().all()
    assert (labels == "other").sum() == 0  # with the default new_within nobody is left over
    inactive = features["days_since_last_purchase"] > days
    flagged = features["refused"] | (features["open_complaints"] > 0)
    assert ((labels == "inactive") == (inactive & ~flagged)).all()


def test_working_segments_one_order_rule_counts_orders() -> None:
    tx = pd.DataFrame(
        {
            "customer_id": ["ann", "ann", "ann", "bob", "bob", "cy", "cy"],
            "invoice": ["a1", "a1", "a1", "b1", "b2", "c1", "c2"],
            "date": pd.to_datetime(
                [
                    "2024-05-20",
                    "2024-05-20",
                    "2024-05-20",
                    "2024-05-01",
                    "2024-05-25",
                    "2024-05-10",
                    "2024-05-28",
                ]
            ),
            "amount": [5.0, 7.0, 9.0, 30.0, 20.0, 40.0, -40.0],
        }
    )
    # ann: one invoice of three lines; bob: two invoices; cy: one purchase and its return.
    features = rt.customer_features(tx, order_id="invoice", observation_end="2024-05-31")
    assert rt.working_segments(features).tolist() == ["new", "loyal", "new"]
    assert features["orders"].tolist() == [1, 2, 1]
    # Every line an order: ann looks loyal; cy's return is still no order.
    features = rt.customer_features(tx, observation_end="2024-05-31")
    assert rt.working_segments(features).tolist() == ["loyal", "loyal", "new"]


@given(orders())
def test_splitting_an_order_into_lines_changes_nothing(
    orders: list[tuple[int, int, int, int, int, int]],
) -> None:
    whole, split = one_row_per_order(orders), lines_of_orders(orders)
    for function in (rt.rfm_scores, rt.customer_features):
        pd.testing.assert_frame_equal(
            function(whole, order_id="order_id"),
            function(split, order_id="order_id"),
            check_exact=True,
        )
    pd.testing.assert_series_equal(
        rt.working_segments(rt.customer_features(whole, order_id="order_id")),
        rt.working_segments(rt.customer_features(split, order_id="order_id")),
    )


@given(transactions(), st.integers(0, 39), st.integers(1, 2_000))
def test_a_return_lowers_revenue_and_changes_no_order_count(
    tx: pd.DataFrame, pick: int, cents: int
) -> None:
    purchases = tx[tx["amount"] >= 0]
    assume(len(purchases) > 0)
    end = purchases["date"].max()
    row = tx.iloc[pick % len(tx)]
    who = purchases["customer_id"].iloc[pick % len(purchases)]
    amount = -cents / 100
    returned = pd.concat(
        [tx, pd.DataFrame({"customer_id": [who], "date": [row["date"]], "amount": [amount]})],
        ignore_index=True,
    )
    for function in (rt.rfm_scores, rt.customer_features):
        before = function(tx, observation_end=end)
        after = function(returned, observation_end=end)
        money = "monetary" if function is rt.rfm_scores else "revenue"
        counts = [
            c
            for c in before.columns
            if c
            in (
                "recency",
                "frequency",
                "r_score",
                "f_score",
                "days_since_last_purchase",
                "tenure_days",
                "orders",
            )
        ]
        pd.testing.assert_frame_equal(after[counts], before[counts])
        # Lower by exactly the return: the revenue is the exact sum of the customer's amounts.
        mine = returned[(returned["customer_id"] == who) & (returned["date"] <= end)]["amount"]
        assert after.loc[who, money] == exact_total(mine.tolist())
        others = before.index != who
        pd.testing.assert_series_equal(after[money][others], before[money][others])


mixed_amounts = st.sampled_from([1e16, -1e16, 0.1, -0.1, 1 / 3, 2.5e-7, 12345.678, -3.0, 1e-9])


@given(
    st.lists(
        st.tuples(st.integers(1, 6), st.integers(0, 90), mixed_amounts), min_size=1, max_size=40
    ),
    st.randoms(use_true_random=False),
)
def test_row_order_changes_no_bit_with_cancelling_mixed_amounts(
    rows: list[tuple[int, int, float]], random: Any
) -> None:
    tx = pd.DataFrame(
        {
            "customer_id": [c for c, _, _ in rows],
            "date": [START + pd.Timedelta(days=d) for _, d, _ in rows],
            "amount": [a for _, _, a in rows],
        }
    )
    shuffled = tx.sample(frac=1.0, random_state=random.randint(0, 2**31))
    for function in (rt.rfm_scores, rt.customer_features):
        pd.testing.assert_frame_equal(function(shuffled), function(tx), check_exact=True)


@pytest.mark.parametrize("column", ["days_since_last_purchase", "orders"])
def test_working_segments_refuse_missing_values_instead_of_guessing(column: str) -> None:
    # A missing recency used to fail the "inactive" rule and make everyone "new" or "loyal".
    features = rt.customer_features(rt.example_transactions())
    features[column] = features[column].astype(float)
    features.iloc[3, features.columns.get_loc(column)] = np.nan
    with pytest.raises(InvalidValueError, match=rf"'{column}', which has missing values for 1"):
        rt.working_segments(features)
