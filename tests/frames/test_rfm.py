"""Tests of rfm_scores, rfm_segments and rfm_segment_map (retention.frames.rfm)."""

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
from tests.frames.customer_tables import (
    lines_of_orders,
    order_lines,
    orders,
    transactions,
)

# --- rfm_scores -----------------------------------------------------------------------------------------


def five_customers() -> pd.DataFrame:
    """Five customers over the first quarter of 2024; the observation end is 2024-03-31."""
    rows = [
        (1, "2024-01-05", 40.0),
        (1, "2024-02-10", 25.0),
        (1, "2024-03-28", 35.0),
        (2, "2024-01-20", 300.0),
        (3, "2024-02-01", 20.0),
        (3, "2024-03-30", 20.0),
        (4, "2024-03-15", 15.0),
        (5, "2024-01-02", 60.0),
        (5, "2024-01-30", 80.0),
        (5, "2024-02-25", 70.0),
        (5, "2024-03-31", 90.0),
    ]
    tx = pd.DataFrame(rows, columns=["customer_id", "date", "amount"])
    tx["date"] = pd.to_datetime(tx["date"])
    return tx


def test_rfm_scores_by_hand() -> None:
    # recency: days from the last purchase to 2024-03-31; frequency: rows; monetary: sum.
    # R on the negated days (-71 < -16 < -3 < -1 < 0): customers strictly below B = 2, 0, 3, 1, 4
    # F on 3, 1, 2, 1, 4: B = 3, 0, 2, 0, 4; M on 100, 300, 40, 15, 300: B = 2, 3, 1, 0, 3
    # score = floor(5 B / 5) + 1 = B + 1
    result = rt.rfm_scores(five_customers())
    expected = pd.DataFrame(
        {
            "recency": [3, 71, 1, 16, 0],
            "frequency": [3, 1, 2, 1, 4],
            "monetary": [100.0, 300.0, 40.0, 15.0, 300.0],
            "r_score": [3, 1, 4, 2, 5],
            "f_score": [4, 1, 3, 1, 5],
            "m_score": [3, 4, 2, 1, 4],
        },
        index=pd.Index([1, 2, 3, 4, 5], name="customer_id"),
    )
    pd.testing.assert_frame_equal(result.drop(columns="rfm_score"), expected)
    assert result["rfm_score"].tolist() == ["343", "114", "432", "211", "554"]
    assert isinstance(result["rfm_score"].dtype, pd.CategoricalDtype)
    assert len(result["rfm_score"].cat.categories) == 125
    assert result["rfm_score"].cat.categories[:3].tolist() == ["111", "112", "113"]


def test_rfm_scores_with_three_bins_and_an_observation_end() -> None:
    # end 2024-04-10: days 13, 81, 11, 26, 10 -> negated B = 2, 0, 3, 1, 4 -> floor(3 B / 5) + 1
    result = rt.rfm_scores(five_customers(), bins=3, observation_end="2024-04-10")
    assert result["recency"].tolist() == [13, 81, 11, 26, 10]
    assert result["r_score"].tolist() == [2, 1, 2, 1, 3]
    assert result["f_score"].tolist() == [2, 1, 2, 1, 3]  # B = 3, 0, 2, 0, 4
    assert result["m_score"].tolist() == [2, 2, 1, 1, 2]  # B = 2, 3, 1, 0, 3
    assert len(result["rfm_score"].cat.categories) == 27


def test_rfm_scores_drop_purchases_after_the_observation_end() -> None:
    result = rt.rfm_scores(five_customers(), observation_end="2024-01-31")
    # customers 1, 2 and 5 bought by then; 1 on 01-05 (40), 2 on 01-20 (300), 5 twice (140)
    assert result.index.tolist() == [1, 2, 5]
    assert result["recency"].tolist() == [26, 11, 1]
    assert result["frequency"].tolist() == [1, 1, 2]
    assert result["monetary"].tolist() == [40.0, 300.0, 140.0]


def test_rfm_scores_with_cut_points() -> None:
    result = rt.rfm_scores(
        five_customers(),
        cut_points={
            "recency": [7, 14, 30, 60],
            "frequency": [1, 2, 3, 4],
            "monetary": [50, 100, 200, 299.99],
        },
    )
    # days 3, 71, 1, 16, 0: (-inf, 7] -> 5, (14, 30] -> 3, (60, inf) -> 1
    assert result["r_score"].tolist() == [5, 1, 5, 3, 5]
    assert result["f_score"].tolist() == [3, 1, 2, 1, 4]
    # 100 is in (50, 100] -> 2; 300 above 299.99 -> 5
    assert result["m_score"].tolist() == [2, 5, 1, 1, 5]


def test_rfm_scores_of_a_summary() -> None:
    summary = pd.DataFrame(
        {
            "frequency": [0, 2, 1, 5],
            "recency": [0.0, 10.0, 3.0, 20.0],
            "T": [30.0, 12.0, 40.0, 20.0],
            "monetary_value": [0.0, 15.0, 40.0, 25.0],
        },
        index=pd.Index(["a", "b", "c", "d"], name="customer"),
    )
    result = rt.rfm_scores(summary)
    # days since the last purchase = T - recency = 30, 2, 37, 0; negated B = 1, 2, 0, 3 -> floor(5 B / 4) + 1
    expected = pd.DataFrame(
        {
            "recency": [30.0, 2.0, 37.0, 0.0],
            "frequency": [0, 2, 1, 5],
            "monetary": [0.0, 15.0, 40.0, 25.0],
            "r_score": [2, 3, 1, 4],
            "f_score": [1, 3, 2, 4],
            "m_score": [1, 2, 4, 3],
        },
        index=summary.index,
    )
    pd.testing.assert_frame_equal(result.drop(columns="rfm_score"), expected)


@given(transactions())
def test_rfm_scores_from_a_table_and_from_its_summary_agree_on_r_and_f(tx: pd.DataFrame) -> None:
    # One purchase a day: the number of orders and of distinct purchase days are the same. Purchases
    # only: how a summary treats returns is rfm_summary's business.
    tx = tx[tx["amount"] >= 0].drop_duplicates(["customer_id", "date"])
    assume(len(tx) > 0)
    direct = rt.rfm_scores(tx)
    via_summary = rt.rfm_scores(rt.rfm_summary(tx, amount="amount"))
    pd.testing.assert_series_equal(direct["r_score"], via_summary["r_score"])
    pd.testing.assert_series_equal(direct["f_score"], via_summary["f_score"])
    np.testing.assert_array_equal(direct["recency"], via_summary["recency"])


@given(tx=transactions(), bins=st.integers(2, 9), seed=st.integers(0, 2**32 - 1))
def test_rfm_scores_properties(tx: pd.DataFrame, bins: int, seed: int) -> None:
    before = tx.copy()
    result = rt.rfm_scores(tx, bins=bins)
    pd.testing.assert_frame_equal(tx, before)  # input untouched
    for score in ("r_score", "f_score", "m_score"):
        assert result[score].between(1, bins).all()
        assert result[score].dtype == np.int64
    # monotone in the measure (recency reversed), equal measures score equally
    for measure, score, sign in (
        ("recency", "r_score", -1),
        ("frequency", "f_score", 1),
        ("monetary", "m_score", 1),
    ):
        value = sign * result[measure].to_numpy(dtype=float)
        s = result[score].to_numpy()
        i, j = np.meshgrid(np.arange(len(s)), np.arange(len(s)), indexing="ij")
        lower = value[i] < value[j]
        assert np.all(s[i][lower] <= s[j][lower])
        same = value[i] == value[j]
        assert np.all(s[i][same] == s[j][same])
    # row order changes nothing at all (the totals are summed exactly)
    shuffled = tx.sample(frac=1.0, random_state=seed % 2**31)
    pd.testing.assert_frame_equal(rt.rfm_scores(shuffled, bins=bins), result)
    labels = rt.rfm_segments(result) if bins == 5 else None
    if labels is not None:
        assert labels.notna().all()
        assert len(labels) == len(result)


def test_rfm_scores_ties_are_not_broken_by_row_order() -> None:
    tx = pd.DataFrame(
        {
            "customer_id": [1, 2, 3, 4, 5, 6],
            "date": pd.to_datetime(["2024-01-01"] * 6),
            "amount": [10.0, 10.0, 10.0, 10.0, 10.0, 20.0],
        }
    )
    result = rt.rfm_scores(tx)
    # everybody bought on the same day once: all equal -> 1 (nobody is ahead)
    assert set(result["r_score"]) == {1}
    assert set(result["f_score"]) == {1}
    # five tie at 10 (B = 0) and 20 has B = 5: floor(5 * 5 / 6) + 1 = 5
    assert result["m_score"].tolist() == [1, 1, 1, 1, 1, 5]


def test_rfm_scores_empty() -> None:
    empty = five_customers().iloc[0:0]
    result = rt.rfm_scores(empty)
    assert result.columns.tolist() == [
        "recency",
        "frequency",
        "monetary",
        "r_score",
        "f_score",
        "m_score",
        "rfm_score",
    ]
    assert len(result) == 0


@pytest.mark.parametrize("bins", [1, 10, 2.5, True, "5", None])
def test_rfm_scores_bad_bins(bins: Any) -> None:
    with pytest.raises(InvalidParameterError, match="'bins' parameter of rfm_scores"):
        rt.rfm_scores(five_customers(), bins=bins)


@pytest.mark.parametrize(
    ("cut_points", "match"),
    [
        ([30, 60], "must be a dict"),
        ({"age": [1, 2, 3, 4]}, "key 'age'"),
        ({"recency": [30, 60, 90]}, "must hold bins - 1 = 4 numbers"),
        ({"recency": [30, 20, 60, 90]}, "strictly increasing"),
        ({"recency": [30, 30, 60, 90]}, "strictly increasing"),
        ({"recency": [30, 60, np.nan, 90]}, "finite"),
        ({"recency": ["a", "b", "c", "d"]}, "list of numbers"),
        ({"recency": [[1, 2], [3, 4]]}, "must hold bins - 1"),
    ],
)
def test_rfm_scores_bad_cut_points(cut_points: Any, match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        rt.rfm_scores(five_customers(), cut_points=cut_points)


def test_rfm_scores_bad_input() -> None:
    with pytest.raises(InvalidParameterError, match="'amount' parameter of rfm_scores"):
        rt.rfm_scores(five_customers(), amount=None)
    summary = rt.rfm_summary(five_customers(), amount="amount")
    with pytest.raises(InvalidParameterError, match="does not apply to a summary"):
        rt.rfm_scores(summary, observation_end="2024-03-31")
    with pytest.raises(
        ColumnNotFoundError, match=r"'monetary_value'.*rt.rfm_summary\(tx, amount='amount'\)"
    ):
        rt.rfm_scores(summary.drop(columns="monetary_value"))
    with pytest.raises(InvalidValueError, match="must not exceed T"):
        rt.rfm_scores(summary.assign(recency=summary["T"] + 1))
    with pytest.raises(
        InvalidValueError, match="monetary_value passed to rfm_scores must be finite"
    ):
        rt.rfm_scores(summary.assign(monetary_value=np.inf))
    with pytest.raises(ColumnTypeError, match="must be numbers"):
        rt.rfm_scores(summary.assign(frequency="x"))


# --- rfm_segments ---------------------------------------------------------------------------------------


# The standard map drawn as the grid: rows FM 5 (top) to 1, columns R 1 to 5.
GRID = [
    ["Can't Lose Them", "Can't Lose Them", "Loyal Customers", "Loyal Customers", "Champions"],
    ["At Risk", "At Risk", "Loyal Customers", "Loyal Customers", "Champions"],
    ["At Risk", "At Risk", "Need Attention", "Potential Loyalists", "Potential Loyalists"],
    ["Hibernating", "Hibernating", "About To Sleep", "Potential Loyalists", "Potential Loyalists"],
    ["Lost", "Hibernating", "About To Sleep", "Promising", "New Customers"],
]


def test_rfm_segments_cover_all_125_score_triples_as_drawn() -> None:
    r, f, m = np.meshgrid(np.arange(1, 6), np.arange(1, 6), np.arange(1, 6), indexing="ij")
    scores = pd.DataFrame({"r_score": r.ravel(), "f_score": f.ravel(), "m_score": m.ravel()})
    labels = rt.rfm_segments(scores)
    fm = -(-(scores["f_score"] + scores["m_score"]) // 2)  # ceil of the mean
    expected = [GRID[5 - b][a - 1] for a, b in zip(scores["r_score"], fm, strict=True)]
    assert labels.tolist() == expected
    assert labels.name == "segment"
    assert labels.cat.categories.tolist() == [
        "Champions",
        "Loyal Customers",
        "Potential Loyalists",
        "New Customers",
        "Promising",
        "Need Attention",
        "About To Sleep",
        "At Risk",
        "Can't Lose Them",
        "Hibernating",
        "Lost",
    ]
    assert set(labels) == set(labels.cat.categories)  # every segment is used somewhere


def test_rfm_segments_by_hand_from_transactions() -> None:
    scores = rt.rfm_scores(five_customers())
    # 343: FM = ceil(3.5) = 4, R 3 -> Loyal; 114: FM 3, R 1 -> At Risk; 432: FM 3, R 4 -> Potential
    # Loyalists; 211: FM 1, R 2 -> Hibernating; 554: FM 5, R 5 -> Champions
    assert rt.rfm_segments(scores).tolist() == [
        "Loyal Customers",
        "At Risk",
        "Potential Loyalists",
        "Hibernating",
        "Champions",
    ]


@given(hnp.arrays(np.int64, st.tuples(st.integers(0, 30), st.just(3)), elements=st.integers(1, 5)))
def test_rfm_segments_give_every_customer_exactly_one_label(values: np.ndarray) -> None:
    scores = pd.DataFrame(values, columns=["r_score", "f_score", "m_score"])
    before = scores.copy()
    labels = rt.rfm_segments(scores)
    pd.testing.assert_frame_equal(scores, before)
    assert len(labels) == len(scores)
    assert labels.notna().all()
    pd.testing.assert_index_equal(labels.index, scores.index)


def test_rfm_segment_map_is_a_fresh_table_and_a_custom_map_works() -> None:
    first = rt.rfm_segment_map()
    first.loc[0, "segment"] = "changed"
    assert rt.rfm_segment_map().loc[0, "segment"] == "Champions"
    three = pd.DataFrame(
        [("best", 3, 3, 2, 3), ("rest", 1, 3, 1, 1), ("rest", 1, 2, 2, 3)],
        columns=["segment", "r_min", "r_max", "fm_min", "fm_max"],
    )
    scores = rt.rfm_scores(five_customers(), bins=3)  # 222, 112, 221, 111, 332
    assert rt.rfm_segments(scores, segment_map=three).tolist() == [
        "rest",
        "rest",
        "rest",
        "rest",
        "best",
    ]


def map_with(**changes: Any) -> pd.DataFrame:
    table = rt.rfm_segment_map()
    for column, (row, value) in changes.items():
        table.loc[row, column] = value
    return table


@pytest.mark.parametrize(
    ("segment_map", "error", "match"),
    [
        ([("a", 1, 5, 1, 5)], ColumnTypeError, "must be a DataFrame"),
        (
            rt.rfm_segment_map().drop(columns="fm_max"),
            ColumnNotFoundError,
            "'fm_max'.*rt.rfm_segment_map",
        ),
        (rt.rfm_segment_map().iloc[0:0], InvalidValueError, "no rows"),
        (
            map_with(r_min=(0, 4)),
            InvalidValueError,
            "r=4, fm=4 twice: in 'Champions' and in 'Loyal Customers' \\(row 1\\)",
        ),
        (rt.rfm_segment_map().iloc[:-1], InvalidValueError, "cell r=1, fm=1 of its 5 x 5 grid"),
        (map_with(r_min=(0, 6)), InvalidValueError, "r_min 6 above r_max 5"),
        (map_with(fm_min=(0, 0)), InvalidValueError, "whole numbers >= 1"),
        (
            rt.rfm_segment_map().astype({"r_min": float}).assign(r_min=lambda t: t["r_min"] + 0.5),
            InvalidValueError,
            "whole numbers",
        ),
        (
            rt.rfm_segment_map().astype({"r_max": str}),
            ColumnTypeError,
            "'r_max' column of the segment map",
        ),
        (
            rt.rfm_segment_map()
            .astype({"segment": object})
            .assign(segment=lambda t: t["segment"].where(t.index != 3, 7)),
            ColumnTypeError,
            "non-empty strings; got 7",
        ),
    ],
)
def test_rfm_segments_refuse_bad_maps(segment_map: Any, error: type[Exception], match: str) -> None:
    scores = rt.rfm_scores(five_customers())
    with pytest.raises(error, match=match):
        rt.rfm_segments(scores, segment_map=segment_map)


def test_rfm_segments_refuse_bad_scores() -> None:
    scores = rt.rfm_scores(five_customers())
    with pytest.raises(ColumnTypeError, match="expects a DataFrame of scores"):
        rt.rfm_segments(scores["r_score"])  # type: ignore[arg-type]
    with pytest.raises(ColumnNotFoundError, match=r"'m_score'.*rt.rfm_scores"):
        rt.rfm_segments(scores.drop(columns="m_score"))
    with pytest.raises(InvalidValueError, match="whole numbers >= 1"):
        rt.rfm_segments(scores.assign(f_score=0))
    with pytest.raises(InvalidValueError, match="whole numbers >= 1"):
        rt.rfm_segments(scores.astype({"f_score": float}).assign(f_score=np.nan))
    duplicated = pd.concat([scores, scores[["f_score"]]], axis=1)
    with pytest.raises(
        InvalidValueError, match="'f_score' column passed to rfm_segments appears more"
    ):
        rt.rfm_segments(duplicated)
    with pytest.raises(InvalidValueError, match=r"beyond the segment map's 5 x 5 grid.*bins=5"):
        rt.rfm_segments(rt.rfm_scores(five_customers(), bins=7))
    # Fewer bins than the map: inside its grid, but read on its scale (the best customers as "Hibernating").
    with pytest.raises(
        InvalidValueError, match=r"made with bins=2 .* 111 to 222.* 5 x 5 cells.*bins=5"
    ):
        rt.rfm_segments(rt.rfm_scores(five_customers(), bins=2))
    # Scores made otherwise (no categorical rfm_score) are read as they are.
    assert (
        len(rt.rfm_segments(rt.rfm_scores(five_customers(), bins=2).drop(columns="rfm_score"))) == 5
    )


# --- orders, returns and breakdowns ---------------------------------------------------------------------


def test_rfm_scores_count_orders_and_net_returns_by_hand() -> None:
    tx = order_lines()
    result = rt.rfm_scores(tx, order_id="order_id", observation_end="2024-03-31")
    # Days from the last purchase to 03-31: 02-10 -> 50, 01-20 -> 71, 03-30 -> 1, 03-15 -> 16.
    # Orders: 2, 1, 2, 1. Revenue net of returns: 50 + 25 - 15, 300, 20 + 25 - 45, 15.
    # Scores floor(5 B / 4) + 1 with B = 1, 0, 3, 2 (recency), 2, 0, 2, 0 (frequency), 2, 3, 0, 1.
    expected = pd.DataFrame(
        {
            "recency": [50, 71, 1, 16],
            "frequency": [2, 1, 2, 1],
            "monetary": [60.0, 300.0, 0.0, 15.0],
            "r_score": [2, 1, 4, 3],
            "f_score": [3, 1, 3, 1],
            "m_score": [3, 4, 1, 2],
        },
        index=pd.Index([1, 2, 3, 5], name="customer_id"),
    )
    pd.testing.assert_frame_equal(result.drop(columns="rfm_score"), expected)
    # Without order_id every line is an order; customer 2's last purchase is the second line.
    lines = rt.rfm_scores(tx, observation_end="2024-03-31")
    assert lines["frequency"].tolist() == [3, 2, 3, 1]
    assert lines["recency"].tolist() == [50, 70, 1, 16]
    assert lines["monetary"].tolist() == [60.0, 300.0, 0.0, 15.0]
    # returns="drop" ignores the returns.
    dropped = rt.rfm_scores(tx, order_id="order_id", returns="drop", observation_end="2024-03-31")
    assert dropped["monetary"].tolist() == [75.0, 300.0, 45.0, 15.0]
    pd.testing.assert_series_equal(dropped["frequency"], result["frequency"])
    # By default the observation end is the last purchase (03-30): the return of 03-31 is not seen.
    assert rt.rfm_scores(tx, order_id="order_id")["monetary"].tolist() == [60.0, 300.0, 45.0, 15.0]


def test_rfm_scores_by_hand_within_groups() -> None:
    tx = order_lines()
    managers = pd.Series({1: "ann", 2: "ann", 3: "bob", 5: "bob"}, name="manager")
    result = rt.rfm_scores(
        tx, order_id="order_id", observation_end="2024-03-31", by=managers, bins=2
    )
    assert result.index.names == ["manager", "customer_id"]
    assert result.index.tolist() == [("ann", 1), ("ann", 2), ("bob", 3), ("bob", 5)]
    # Within ann's two customers: 1 is more recent, buys more, spends less; likewise within bob's.
    assert result["r_score"].tolist() == [2, 1, 2, 1]
    assert result["f_score"].tolist() == [2, 1, 2, 1]
    assert result["m_score"].tolist() == [1, 2, 1, 2]
    assert result["rfm_score"].tolist() == ["221", "112", "221", "112"]
    assert isinstance(result["rfm_score"].dtype, pd.CategoricalDtype)


def test_rfm_scores_refuse_transaction_options_with_a_summary() -> None:
    summary = rt.rfm_summary(five_customers(), amount="amount")
    with pytest.raises(InvalidParameterError, match=r"'by' parameter of rfm_scores does not apply"):
        rt.rfm_scores(summary, by=pd.Series({1: "a"}))
    with pytest.raises(InvalidParameterError, match=r"'order_id' parameter .*rfm_summary"):
        rt.rfm_scores(summary, order_id="order_id")
    with pytest.raises(InvalidParameterError, match=r"'returns' parameter .*returns=\.\.\."):
        rt.rfm_scores(summary, returns="drop")
    rt.rfm_scores(summary, returns="net", customer_id="ignored")  # the defaults, and column names


@given(orders(), st.dictionaries(st.integers(1, 6), st.sampled_from(["ann", "bob"]), max_size=6))
def test_rfm_scores_by_equals_each_groups_customers_alone(
    orders: list[tuple[int, int, int, int, int, int]], managers: dict[int, str]
) -> None:
    tx = lines_of_orders(orders)
    bought = tx.groupby("order_id")["amount"].sum() >= 0
    assume(bought.any())
    end = tx["date"].max()
    by = pd.Series(managers, name="manager", dtype=object)
    result = rt.rfm_scores(tx, order_id="order_id", observation_end=end, by=by)
    group = tx["customer_id"].map(by)
    labels = result.index.get_level_values(0)
    for label in pd.unique(labels):
        mask = np.asarray(labels.isna() if pd.isna(label) else labels == label)
        mine = group.isna() if pd.isna(label) else group == label
        alone = rt.rfm_scores(tx[mine], order_id="order_id", observation_end=end)
        pd.testing.assert_frame_equal(result[mask].droplevel(0), alone, check_exact=True)
