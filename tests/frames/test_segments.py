"""Tests of rfm_scores, rfm_segments, customer_features, segment and working_segments."""

from __future__ import annotations

import copy
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

# --- data ---------------------------------------------------------------------------------------------------


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


@st.composite
def transactions(draw: st.DrawFn) -> pd.DataFrame:
    """Up to 40 purchases of up to 8 customers within 90 days; amounts that tie and round awkwardly."""
    n = draw(st.integers(1, 40))
    customer = draw(hnp.arrays(np.int64, n, elements=st.integers(1, 8)))
    day = draw(hnp.arrays(np.int64, n, elements=st.integers(0, 90)))
    amount = draw(
        hnp.arrays(
            np.float64, n, elements=st.sampled_from([0.1, 0.2, 0.3, 0.6, 1.0, 2.5, 10.0, -3.0])
        )
    )
    return pd.DataFrame(
        {
            "customer_id": customer,
            "date": pd.Timestamp("2024-01-01") + pd.to_timedelta(day, unit="D"),
            "amount": amount,
        }
    )


# --- rfm_scores ---------------------------------------------------------------------------------------------


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


# --- rfm_segments -------------------------------------------------------------------------------------------

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


# --- customer_features --------------------------------------------------------------------------------------


def shop() -> pd.DataFrame:
    rows = [
        ("ann", "2024-03-01", 50.0),
        ("ann", "2024-05-20", 70.0),
        ("bob", "2024-01-10", 20.0),
        ("cy", "2024-04-02", 10.0),
        ("cy", "2024-04-30", 15.0),
        ("cy", "2024-05-28", 20.0),
        ("dee", "2024-06-05", 30.0),  # after the observation end in most tests
    ]
    tx = pd.DataFrame(rows, columns=["customer_id", "date", "amount"])
    tx["date"] = pd.to_datetime(tx["date"])
    return tx


def complaints() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ["cy", "cy", "ann", "ann", "zed"],
            "date": pd.to_datetime(
                ["2024-04-03", "2024-05-29", "2024-03-02", "2024-06-01", "2024-05-01"]
            ),
            "resolved": [True, False, False, False, False],
        }
    )


def refusals() -> pd.DataFrame:
    return pd.DataFrame(
        {"customer_id": ["bob", "cy"], "date": pd.to_datetime(["2024-02-01", "2024-06-02"])}
    )


def test_customer_features_by_hand() -> None:
    tx, c, r = shop(), complaints(), refusals()
    saved = [copy.deepcopy(x) for x in (tx, c, r)]
    features = rt.customer_features(tx, observation_end="2024-05-31", complaints=c, refusals=r)
    # dee's first purchase is after the observation end: not a customer yet. zed never bought: left
    # out. ann's complaint of 06-01 and cy's refusal of 06-02 come after the observation end: ignored.
    expected = pd.DataFrame(
        {
            "days_since_last_purchase": [11, 142, 3],
            "tenure_days": [91, 142, 59],
            "orders": [2, 1, 3],
            "revenue": [120.0, 20.0, 45.0],
            "average_order_value": [60.0, 20.0, 15.0],
            "complaints": [1, 0, 2],
            "open_complaints": [1, 0, 1],
            "refused": [False, True, False],
        },
        index=pd.Index(["ann", "bob", "cy"], name="customer_id"),
    )
    pd.testing.assert_frame_equal(features, expected)
    for before, after in zip(saved, (tx, c, r), strict=True):
        pd.testing.assert_frame_equal(before, after)


def test_customer_features_observation_end_defaults_to_the_last_purchase() -> None:
    features = rt.customer_features(shop(), complaints=complaints(), refusals=refusals())
    # the last purchase is dee's on 2024-06-05
    assert features.index.tolist() == ["ann", "bob", "cy", "dee"]
    assert features["days_since_last_purchase"].tolist() == [16, 147, 8, 0]
    assert features["tenure_days"].tolist() == [96, 147, 64, 0]
    assert features["complaints"].tolist() == [2, 0, 2, 0]
    assert features["open_complaints"].tolist() == [2, 0, 1, 0]
    assert features["refused"].tolist() == [False, True, True, False]


def test_customer_features_without_optional_tables_or_amounts() -> None:
    features = rt.customer_features(shop(), observation_end="2024-05-31", amount=None)
    assert features.columns.tolist() == [
        "days_since_last_purchase",
        "tenure_days",
        "orders",
        "complaints",
        "open_complaints",
        "refused",
    ]
    assert features["complaints"].sum() == 0
    assert not features["refused"].any()


def test_customer_features_resolved_column() -> None:
    no_flag = complaints().drop(columns="resolved")
    features = rt.customer_features(shop(), observation_end="2024-05-31", complaints=no_flag)
    assert features["open_complaints"].tolist() == [1, 0, 2]  # every complaint open
    features = rt.customer_features(
        shop(), observation_end="2024-05-31", complaints=complaints(), resolved=None
    )
    assert features["open_complaints"].tolist() == [1, 0, 2]
    renamed = complaints().rename(columns={"resolved": "closed"})
    features = rt.customer_features(
        shop(), observation_end="2024-05-31", complaints=renamed, resolved="closed"
    )
    assert features["open_complaints"].tolist() == [1, 0, 1]
    nullable = complaints().astype({"resolved": "boolean"})
    features = rt.customer_features(shop(), observation_end="2024-05-31", complaints=nullable)
    assert features["open_complaints"].tolist() == [1, 0, 1]


def test_customer_features_bad_event_tables() -> None:
    tx = shop()
    with pytest.raises(ColumnNotFoundError, match=r"'closed'.*resolved=None"):
        rt.customer_features(tx, complaints=complaints(), resolved="closed")
    with pytest.raises(ColumnTypeError, match=r"'resolved' .*True/False.*astype\(bool\)"):
        rt.customer_features(tx, complaints=complaints().astype({"resolved": int}))
    flags = complaints().astype({"resolved": "boolean"})
    flags.loc[1, "resolved"] = pd.NA
    with pytest.raises(InvalidValueError, match="missing values"):
        rt.customer_features(tx, complaints=flags)
    with pytest.raises(
        ColumnNotFoundError, match="complaints table passed to customer_features lacks"
    ):
        rt.customer_features(tx, complaints=complaints().drop(columns="date"))
    bad_date = complaints().astype({"date": str})
    bad_date.loc[0, "date"] = "yesterday"
    with pytest.raises(InvalidValueError, match=r"customer_features \(the complaints table\)"):
        rt.customer_features(tx, complaints=bad_date)
    with pytest.raises(ColumnTypeError, match=r"refusals table \(int64\).*different kinds"):
        rt.customer_features(tx, refusals=refusals().assign(customer_id=[1, 2]))
    with pytest.raises(ColumnTypeError, match="DataFrame"):
        rt.customer_features(tx, refusals=[("bob", "2024-01-01")])  # type: ignore[arg-type]


def test_customer_features_categorical_ids_match_plain_ones() -> None:
    tx = shop().astype({"customer_id": "category"})
    features = rt.customer_features(tx, observation_end="2024-05-31", complaints=complaints())
    assert features["complaints"].tolist() == [1, 0, 2]
    numbers = shop().assign(
        customer_id=lambda t: t["customer_id"].map({"ann": 1, "bob": 2, "cy": 3, "dee": 4})
    )
    events = refusals().assign(customer_id=[2, 3])
    features = rt.customer_features(numbers.astype({"customer_id": "category"}), refusals=events)
    assert features["refused"].tolist() == [False, True, True, False]


def test_customer_features_empty_event_tables_and_empty_transactions() -> None:
    empty_events = pd.DataFrame({"customer_id": [], "date": []})
    features = rt.customer_features(shop(), complaints=empty_events, refusals=empty_events)
    assert features["complaints"].sum() == 0
    empty = rt.customer_features(shop().iloc[0:0], complaints=complaints(), refusals=refusals())
    assert len(empty) == 0
    assert empty["refused"].dtype == bool


@given(tx=transactions(), seed=st.integers(0, 2**32 - 1))
def test_customer_features_properties(tx: pd.DataFrame, seed: int) -> None:
    events = tx.sample(frac=0.5, random_state=seed % 2**31)[["customer_id", "date"]]
    features = rt.customer_features(tx, complaints=events, refusals=events.iloc[:2])
    assert (features["days_since_last_purchase"] <= features["tenure_days"]).all()
    assert (features["days_since_last_purchase"] >= 0).all()
    # Returns (negative amounts) are not orders, and people who only returned goods are not customers;
    # nothing happens after the observation end, the last purchase day.
    purchase = tx["amount"] >= 0
    end = tx.loc[purchase, "date"].max()
    kept = tx[(tx["date"] <= end) & tx["customer_id"].isin(tx.loc[purchase, "customer_id"])]
    assert features["orders"].sum() == (kept["amount"] >= 0).sum()
    listed = events["customer_id"].isin(features.index) & (events["date"] <= end)
    assert features["complaints"].sum() == listed.sum()
    # Revenue is net of returns, summed exactly.
    revenue = kept.groupby("customer_id")["amount"].agg(lambda a: exact_total(a.tolist()))
    pd.testing.assert_series_equal(
        features["revenue"], revenue.rename("revenue"), check_exact=True, check_index_type=False
    )
    shuffled = rt.customer_features(
        tx.sample(frac=1.0, random_state=seed % 2**31 + 1),
        complaints=events.iloc[::-1],
        refusals=events.iloc[:2],
    )
    pd.testing.assert_frame_equal(shuffled, features)


# --- segment ------------------------------------------------------------------------------------------------


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
    labels = rt.segment(
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
    labels = rt.segment(f, {"vip": "revenue > 100", "repeat": "orders >= 3"}, default="one-off")
    assert labels.tolist() == ["one-off", "vip", "one-off", "vip", "repeat"]
    # the same label twice acts as "or"; the default may be one of the labels
    labels = rt.segment(
        f, [("keep", "orders == 1"), ("drop", "refused"), ("keep", "revenue > 100")], default="drop"
    )
    assert labels.tolist() == ["keep", "keep", "drop", "keep", "drop"]
    assert labels.cat.categories.tolist() == ["keep", "drop"]
    # a Series with the same labels in another order is aligned by label
    flag = (f["orders"] > 4).iloc[::-1]
    assert rt.segment(f, [("many", flag)]).tolist() == ["other", "many", "other", "many", "other"]
    # no rules: everyone gets the default
    assert rt.segment(f, []).tolist() == ["other"] * 5


def test_segment_string_conditions_match_dataframe_eval() -> None:
    f = features_frame()
    text = "orders * 10 > revenue / 2 and not refused or 1 < orders <= 2"
    labels = rt.segment(f, [("hit", text)], default="miss")
    expected = np.where(f.eval(text, engine="python"), "hit", "miss")
    assert labels.tolist() == expected.tolist()


def test_segment_callable_cannot_change_the_callers_frame() -> None:
    f = features_frame()
    before = f.copy()

    def meddle(frame: pd.DataFrame) -> pd.Series:
        frame["orders"] = 0
        frame.loc["a", "revenue"] = -1.0
        return frame["orders"] == 0

    assert rt.segment(f, [("all", meddle)]).tolist() == ["all"] * 5
    pd.testing.assert_frame_equal(f, before)


def test_segment_missing_column_lists_the_columns() -> None:
    with pytest.raises(
        ColumnNotFoundError,
        match=r"Column 'order' \(the condition column\) is not in the table\. The table has: 'orders', "
        r"'revenue', 'refused', 'tier'\. Hint: did you mean 'orders'\? Fix the condition 'order > 1' of rule 'x'\.",
    ):
        rt.segment(features_frame(), [("ok", "orders > 0"), ("x", "order > 1")])


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
            "Rule 0 passed to segment is not a",
        ),
        (["orders > 1"], InvalidParameterError, "Rule 0 passed to segment is not a"),
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
        rt.segment(features_frame(), rules)


def test_segment_refuses_bad_features_and_default() -> None:
    with pytest.raises(ColumnTypeError, match="DataFrame of features"):
        rt.segment(features_frame()["orders"], [("a", True)])  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="'default' parameter"):
        rt.segment(features_frame(), [], default="")
    duplicated = pd.concat([features_frame(), features_frame()[["orders"]]], axis=1)
    with pytest.raises(InvalidValueError, match="more than once"):
        rt.segment(duplicated, [("a", "orders > 1")])


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
    labels = rt.segment(f, rules, default="none")
    assert len(labels) == len(f)
    assert labels.notna().all()
    for row in range(len(f)):
        hits = [f"r{k}" for k, (col, t) in enumerate(thresholds) if data[row, col] >= t]
        assert labels.iloc[row] == (hits[0] if hits else "none")


# --- working_segments ---------------------------------------------------------------------------------------


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
    assert rt.segment(working_features(), rules).tolist()[:3] == ["loyal", "vip", "dissatisfied"]
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


# --- orders, returns and breakdowns -------------------------------------------------------------------------


def order_lines() -> pd.DataFrame:
    """Order lines and returns of five people in the first quarter of 2024 (numbers in the tests)."""
    rows = [
        (1, "o1", "2024-01-05", 40.0),
        (1, "o1", "2024-01-05", 10.0),
        (1, "o2", "2024-02-10", 25.0),
        (1, "r1", "2024-03-01", -15.0),
        (2, "o3", "2024-01-20", 100.0),
        (2, "o3", "2024-01-21", 200.0),  # a line a day later: the order is dated by its first line
        (3, "o4", "2024-02-01", 20.0),
        (3, "o5", "2024-03-30", 20.0),
        (3, "o5", "2024-03-30", 5.0),
        (3, "r2", "2024-03-31", -45.0),  # the return is the last event: not a purchase
        (4, "r3", "2024-02-01", -10.0),  # only a return: not a customer
        (5, "o6", "2024-03-15", 15.0),
    ]
    tx = pd.DataFrame(rows, columns=["customer_id", "order_id", "date", "amount"])
    tx["date"] = pd.to_datetime(tx["date"])
    return tx


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


def test_customer_features_count_orders_and_net_returns_by_hand() -> None:
    features = rt.customer_features(
        order_lines(), order_id="order_id", observation_end="2024-03-31"
    )
    expected = pd.DataFrame(
        {
            "days_since_last_purchase": [50, 71, 1, 16],
            "tenure_days": [86, 71, 59, 16],
            "orders": [2, 1, 2, 1],
            "revenue": [60.0, 300.0, 0.0, 15.0],
            "average_order_value": [30.0, 300.0, 0.0, 15.0],
            "complaints": [0, 0, 0, 0],
            "open_complaints": [0, 0, 0, 0],
            "refused": [False] * 4,
        },
        index=pd.Index([1, 2, 3, 5], name="customer_id"),
    )
    pd.testing.assert_frame_equal(features, expected)
    lines = rt.customer_features(order_lines(), observation_end="2024-03-31")
    assert lines["orders"].tolist() == [3, 2, 3, 1]
    assert lines["average_order_value"].tolist() == [20.0, 150.0, 0.0, 15.0]
    # A table without an amount column: no returns can be told, no revenue.
    plain = rt.customer_features(order_lines().drop(columns="amount"), order_id="order_id")
    assert "revenue" not in plain.columns
    assert plain["orders"].tolist() == [3, 1, 3, 1, 1]  # r1 .. r3 are orders now


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


@st.composite
def orders(draw: st.DrawFn) -> list[tuple[int, int, int, int, int, int]]:
    """Orders in cents of up to 6 customers within 90 days: purchases and returns, 1 to 3 lines each."""
    return draw(
        st.lists(
            st.tuples(
                st.integers(1, 6),  # customer
                st.integers(0, 90),  # day
                st.one_of(st.integers(1, 50_000), st.integers(-30_000, -1)),  # cents
                st.integers(1, 3),  # lines
                st.integers(-20_000, 20_000),  # moved from the first line to the last
                st.integers(0, 5),  # days from the first line to the others
            ),
            min_size=1,
            max_size=30,
        )
    )


START = pd.Timestamp("2024-01-01")


def one_row_per_order(orders: list[tuple[int, int, int, int, int, int]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [o[0] for o in orders],
            "order_id": [f"o{k}" for k in range(len(orders))],
            "date": [START + pd.Timedelta(days=o[1]) for o in orders],
            "amount": [o[2] / 100 for o in orders],
        }
    )


def lines_of_orders(orders: list[tuple[int, int, int, int, int, int]]) -> pd.DataFrame:
    """The same orders as lines whose amounts add up to the order's, dated on or after the order."""
    rows = []
    for k, (customer, day, cents, lines, moved, later) in enumerate(orders):
        parts = [cents // lines] * (lines - 1) + [cents - (lines - 1) * (cents // lines)]
        if lines > 1:
            parts[0] += moved
            parts[-1] -= moved
        for j, part in enumerate(parts):
            rows.append(
                (
                    customer,
                    f"o{k}",
                    START + pd.Timedelta(days=day + (later if j else 0)),
                    part / 100,
                )
            )
    tx = pd.DataFrame(rows, columns=["customer_id", "order_id", "date", "amount"])
    return tx.iloc[::-1].reset_index(drop=True)


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


def test_segment_conditions_refuse_missing_values() -> None:
    features = pd.DataFrame({"orders": [1.0, np.nan, 3.0]}, index=["a", "b", "c"])
    with pytest.raises(InvalidValueError, match="the first 'b'"):
        rt.segment(features, [("many", "orders >= 2")])
