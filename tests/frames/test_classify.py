"""Tests of ABC / XYZ classification on pandas objects and transaction tables (retention.frames.classify)."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import retention as rt
from retention.errors import (
    ColumnNotFoundError,
    ColumnTypeError,
    InvalidParameterError,
    InvalidValueError,
)

ABC_XYZ = [a + x for a in "ABC" for x in "XYZ"]

# --- abc -----------------------------------------------------------------------------------------


def test_abc_of_a_series_is_categorical_on_the_same_index() -> None:
    revenue = pd.Series([2.0, 40, 10, 3, 25, 5, 15], index=list("gadfbec"), name="revenue")
    before = revenue.copy()
    result = rt.abc(revenue)
    assert isinstance(result.dtype, pd.CategoricalDtype)
    assert list(result.cat.categories) == ["A", "B", "C"]
    assert result.name == "abc"
    pd.testing.assert_index_equal(result.index, revenue.index)
    # Total 100; ahead of 40, 25, 15, 10, 5, 3, 2: 0, 40, 65, 80, 90, 95, 98.
    assert result.to_dict() == {
        "g": "C",
        "a": "A",
        "d": "B",
        "f": "C",
        "b": "A",
        "e": "B",
        "c": "A",
    }
    pd.testing.assert_series_equal(revenue, before)


def test_abc_of_an_array_is_an_array_of_letters() -> None:
    result = rt.abc([40, 25, 15, 10, 5, 3, 2])
    assert isinstance(result, np.ndarray)
    assert result.tolist() == ["A", "A", "A", "B", "B", "C", "C"]
    assert rt.abc(np.array([5, 1, 5, 5, 1]), method="count").tolist() == ["A", "C", "A", "A", "C"]
    assert rt.abc([]).tolist() == []


def test_abc_methods_on_a_series() -> None:
    values = pd.Series([10, 15, 40, 10, 15, 10])
    assert rt.abc(values, method="computed").tolist() == ["C", "B", "A", "C", "B", "C"]
    assert rt.abc(values, method="count", thresholds=(0.5, 0.5)).tolist() == list("CAACAC")


def test_abc_reads_nullable_and_integer_series() -> None:
    assert rt.abc(pd.Series([9, 1], dtype="Int64")).tolist() == ["A", "B"]
    with pytest.raises(InvalidValueError, match="missing"):
        rt.abc(pd.Series([3, None], dtype="Int64"))


@pytest.mark.parametrize(
    ("values", "error", "match"),
    [
        (pd.Series(["a", "b"]), ColumnTypeError, "must hold numbers; the Series"),
        (pd.Series([True, False]), ColumnTypeError, "must hold numbers"),
        (pd.DataFrame({"x": [1.0]}), ColumnTypeError, "got a DataFrame"),
        (pd.Series([1.0, -1.0]), InvalidValueError, "negative"),
        ([1.0, np.nan], InvalidValueError, "missing"),
    ],
)
def test_abc_refuses_bad_values(values: object, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        rt.abc(values)  # type: ignore[call-overload]


def test_abc_refuses_bad_options() -> None:
    with pytest.raises(InvalidParameterError, match="'method' parameter of abc"):
        rt.abc([1.0], method="pareto")
    with pytest.raises(InvalidParameterError, match="'thresholds' parameter of abc"):
        rt.abc([1.0], thresholds=(0.95, 0.8))


# --- xyz -----------------------------------------------------------------------------------------


def test_xyz_of_a_frame_by_hand() -> None:
    monthly = pd.DataFrame(
        {
            "2024-01": [10.0, 30, np.nan, np.nan, 4],
            "2024-02": [12.0, 0, np.nan, 2, 5],
            "2024-03": [11.0, 0, 20, 2, 6],
        },
        index=pd.Index([101, 102, 103, 104, 105], name="customer_id"),
    )
    before = monthly.copy()
    result = rt.xyz(monthly)
    # 101: mean 11, sigma sqrt(2/3) = 0.816: CV 0.074 -> X. 102: 30, 0, 0: CV sqrt(2) -> Z.
    # 103: one month -> Z. 104: 2, 2: CV 0 -> X. 105: 4, 5, 6: CV 0.816 / 5 = 0.163 -> Y.
    assert result.to_dict() == {101: "X", 102: "Z", 103: "Z", 104: "X", 105: "Y"}
    assert result.name == "xyz"
    assert list(result.cat.categories) == ["X", "Y", "Z"]
    assert rt.xyz(monthly, thresholds=(0.05, 2.0)).tolist() == ["Y", "Y", "Z", "X", "Y"]
    assert rt.xyz(monthly, min_periods=1).tolist() == ["X", "Z", "X", "X", "Y"]
    pd.testing.assert_frame_equal(monthly, before)
    array = rt.xyz(monthly.to_numpy())
    assert isinstance(array, np.ndarray)
    assert array.tolist() == ["X", "Z", "Z", "X", "Y"]


def test_xyz_refuses_bad_input() -> None:
    with pytest.raises(ColumnTypeError, match="column\\(s\\) 'b' do not"):
        rt.xyz(pd.DataFrame({"a": [1.0], "b": ["x"]}))
    with pytest.raises(ColumnTypeError, match="two-dimensional"):
        rt.xyz([1.0, 2.0])
    with pytest.raises(InvalidValueError, match="finite"):
        rt.xyz(pd.DataFrame({"a": [1.0], "b": [np.inf]}))
    with pytest.raises(InvalidParameterError, match="'thresholds' parameter of xyz"):
        rt.xyz([[1.0, 2.0]], thresholds=(1.0, 0.5))
    with pytest.raises(InvalidParameterError, match="'min_periods' parameter of xyz"):
        rt.xyz([[1.0, 2.0]], min_periods=0)


# --- abc_xyz: hand-computed tables ---------------------------------------------------------------


def shop() -> pd.DataFrame:
    """Five customers from January to April 2024; April is incomplete unless the observation end says so."""
    rows = [
        (1, "2024-01-05", 100.0),
        (1, "2024-02-03", 110.0),
        (1, "2024-03-09", 60.0),
        (1, "2024-03-20", 60.0),
        (2, "2024-01-20", 25.0),
        (2, "2024-03-15", 25.0),
        (3, "2024-02-11", 15.0),
        (4, "2024-03-30", 3.0),
        (4, "2024-03-30", 2.0),
        (5, "2024-04-02", 10.0),
    ]
    return pd.DataFrame(rows, columns=["customer_id", "date", "amount"]).assign(
        date=lambda d: pd.to_datetime(d["date"])
    )


def test_abc_xyz_by_hand() -> None:
    tx = shop()
    before = copy.deepcopy(tx)
    result = rt.abc_xyz(tx, xyz_thresholds=(0.25, 0.5))
    pd.testing.assert_frame_equal(tx, before)
    assert result.index.name == "customer_id"
    assert result.index.tolist() == [1, 2, 3, 4, 5]
    assert list(result.columns) == [
        "value",
        "share",
        "cumulative_share",
        "abc",
        "periods",
        "cv",
        "xyz",
        "abc_xyz",
    ]
    # Totals 330, 50, 15, 5, 10 of 410. In ranking order 330, 50, 15, 10, 5 the value ahead is
    # 0, 330, 380, 395, 405: 330 is A; 50 has 80.49% ahead -> B; 15 has 92.68% -> B;
    # 10 has 96.34% -> C; 5 has 98.78% -> C.
    np.testing.assert_array_equal(result["value"], [330.0, 50.0, 15.0, 5.0, 10.0])
    np.testing.assert_allclose(result["share"], np.array([330, 50, 15, 5, 10]) / 410, rtol=1e-15)
    np.testing.assert_allclose(
        result["cumulative_share"], np.array([330, 380, 395, 410, 405]) / 410, rtol=1e-15
    )
    assert result["abc"].tolist() == ["A", "B", "B", "C", "C"]
    # The data end on 2 April: April is incomplete, so XYZ uses January to March.
    # 1: 100, 110, 120 -> mean 110, sigma 8.165, CV 0.0742 (X).
    # 2: 25, 0, 25 -> mean 16.67, sigma 11.79, CV 0.7071 (Z).
    # 3: 15, 0 (from February) -> CV 1 (Z). 4: one month (March) -> NaN (Z). 5: no complete month.
    np.testing.assert_array_equal(result["periods"], [3, 3, 2, 1, 0])
    np.testing.assert_allclose(
        result["cv"],
        [math.sqrt(200 / 3) / 110, math.sqrt(2) / 2, 1.0, np.nan, np.nan],
        rtol=1e-14,
    )
    assert result["xyz"].tolist() == ["X", "Z", "Z", "Z", "Z"]
    assert result["abc_xyz"].tolist() == ["AX", "BZ", "BZ", "CZ", "CZ"]
    assert list(result["abc_xyz"].cat.categories) == ABC_XYZ
    assert result["value"].dtype == np.float64
    assert result["periods"].dtype == np.int64


def test_abc_xyz_counts_orders_and_uses_complete_periods() -> None:
    tx = shop().drop(columns="amount")  # orders need no amount column
    result = rt.abc_xyz(tx, metric="orders", observation_end="2024-04-30")
    # Orders 4, 2, 1, 2, 1 of 10: ahead 0 (A), 4 (40%: A), 6 (60%, the 2s tie: both A), 8 (80%: B).
    assert result["value"].tolist() == [4, 2, 1, 2, 1]
    assert result["value"].dtype == np.int64
    assert result["abc"].tolist() == ["A", "A", "B", "A", "B"]
    # April is complete now: customer 1 has 1, 1, 2, 0 orders (mean 1, sigma 0.707).
    np.testing.assert_array_equal(result["periods"], [4, 4, 3, 2, 1])
    assert result["cv"].iloc[0] == pytest.approx(math.sqrt(0.5), rel=1e-14)
    # Customer 4: 2 orders in March, 0 in April: CV 1.
    assert result["cv"].iloc[3] == pytest.approx(1.0, rel=1e-14)


def test_abc_xyz_observation_end_drops_later_customers_and_purchases() -> None:
    result = rt.abc_xyz(shop(), observation_end="2024-03-31", freq="ME")
    assert result.index.tolist() == [1, 2, 3, 4]
    np.testing.assert_array_equal(result["periods"], [3, 3, 2, 1])
    # Quarterly: one complete quarter for everyone -> too short for a CV.
    quarterly = rt.abc_xyz(shop(), observation_end="2024-03-31", freq="Q")
    np.testing.assert_array_equal(quarterly["periods"], [1, 1, 1, 1])
    assert quarterly["xyz"].tolist() == ["Z"] * 4
    assert quarterly["cv"].isna().all()
    assert (
        rt.abc_xyz(shop(), observation_end="2024-03-31", freq="Q", min_periods=1)["xyz"].tolist()
        == ["X"] * 4
    )


def test_abc_xyz_weekly_by_hand() -> None:
    tx = pd.DataFrame(
        {
            "customer_id": ["b", "b", "b", "a"],
            "date": pd.to_datetime(["2024-01-01", "2024-01-09", "2024-01-21", "2024-01-03"]),
            "amount": [10.0, 10.0, 10.0, 5.0],
        }
    )
    # Weeks run Monday to Sunday; 21 January is a Sunday, so the third week is complete.
    result = rt.abc_xyz(tx, freq="W")
    assert result.index.tolist() == ["a", "b"]
    np.testing.assert_array_equal(result["periods"], [3, 3])
    assert result["cv"].tolist() == [pytest.approx(math.sqrt(2)), 0.0]
    # b brings 30 of 35; a has 85.7% ahead: B.
    assert result["abc_xyz"].tolist() == ["BZ", "AX"]


def test_abc_xyz_computed_and_count_methods() -> None:
    tx = pd.DataFrame(
        {
            "customer_id": [1, 2, 3, 4, 5, 6],
            "date": pd.to_datetime(["2024-01-01"] * 6),
            "amount": [10.0, 15, 40, 10, 15, 10],
        }
    )
    assert rt.abc_xyz(tx, abc_method="computed")["abc"].tolist() == list("CBACBC")
    counted = rt.abc_xyz(tx, abc_method="count", abc_thresholds=(0.2, 0.6))
    # 6 customers: A while fewer than 1.2 are ahead (the 40, and the 15s with 1 ahead), B while fewer
    # than 3.6 (the 10s, with 3 ahead).
    assert counted["abc"].tolist() == list("BAABAB")


def test_abc_xyz_refuses_negative_totals() -> None:
    tx = shop()
    tx.loc[len(tx)] = [3, pd.Timestamp("2024-03-01"), -40.0]
    with pytest.raises(
        InvalidValueError,
        match=r"1 customer\(s\) have a negative revenue net of returns.*customer 3 \(-25\)\. Pass returns='drop'",
    ):
        rt.abc_xyz(tx)
    # Counting orders, the refund is a return, not an order: customer 3 still has one order.
    assert rt.abc_xyz(tx, metric="orders")["value"].loc[3] == 1
    # Ignoring returns, customer 3 is worth their purchase again.
    assert rt.abc_xyz(tx, returns="drop")["value"].loc[3] == 15.0


def test_abc_xyz_a_refund_that_cancels_a_purchase_is_zero() -> None:
    # 0.1 + 0.2 - 0.3 is 5.6e-17 in floating point, or -2.8e-17 in another order: zero on paper.
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 2],
            "date": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-01"]),
            "amount": [-0.3, 0.2, 0.1, 10.0],
        }
    )
    result = rt.abc_xyz(tx)
    assert result["value"].tolist() == [0.0, 10.0]
    assert result["abc"].tolist() == ["C", "A"]


def test_abc_xyz_refuses_bad_options() -> None:
    tx = shop()
    with pytest.raises(InvalidParameterError, match="'metric' parameter of abc_xyz must be one of"):
        rt.abc_xyz(tx, metric="amount")
    with pytest.raises(InvalidParameterError, match="'freq' parameter of abc_xyz"):
        rt.abc_xyz(tx, freq="H")
    with pytest.raises(InvalidParameterError, match="'abc_thresholds' parameter of abc_xyz"):
        rt.abc_xyz(tx, abc_thresholds=(0.9, 0.1))
    with pytest.raises(InvalidParameterError, match="'abc_thresholds' parameter of abc_xyz"):
        rt.abc_xyz(tx, abc_method="computed", abc_thresholds=(0.8, 0.9))
    with pytest.raises(InvalidParameterError, match="'xyz_thresholds' parameter of abc_xyz"):
        rt.abc_xyz(tx, xyz_thresholds=(-1, 0.5))
    with pytest.raises(InvalidParameterError, match="'method' parameter of abc_xyz"):
        rt.abc_xyz(tx, abc_method="pareto")
    with pytest.raises(InvalidParameterError, match="'min_periods' parameter of abc_xyz"):
        rt.abc_xyz(tx.iloc[0:0], min_periods=0)
    with pytest.raises(ColumnNotFoundError, match="amount"):
        rt.abc_xyz(tx.drop(columns="amount"))


def test_abc_xyz_of_an_empty_table_and_of_zero_amounts() -> None:
    empty = rt.abc_xyz(shop().iloc[0:0])
    assert len(empty) == 0
    assert list(empty.columns)[3] == "abc"
    assert isinstance(empty["abc_xyz"].dtype, pd.CategoricalDtype)
    zeros = rt.abc_xyz(shop().assign(amount=0.0))
    assert zeros["abc"].tolist() == ["C"] * 5
    assert zeros["share"].isna().all()
    assert zeros["xyz"].tolist() == ["Z"] * 5  # mean 0: no CV


# --- abc_xyz: properties -------------------------------------------------------------------------

days = pd.date_range("2024-01-01", "2024-06-30", freq="D")
transactions = st.lists(
    st.tuples(st.integers(1, 8), st.integers(0, len(days) - 1), st.integers(1, 500)),
    min_size=1,
    max_size=40,
)


def table(rows: list[tuple[int, int, int]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [c for c, _, _ in rows],
            "date": days[[d for _, d, _ in rows]],
            "amount": [float(a) for _, _, a in rows],
        }
    )


def pandas_reference(tx: pd.DataFrame, freq: str = "M") -> pd.DataFrame:
    """Value and CV the plain pandas way: groupby, a full customer x period grid, std / mean."""
    value = tx.groupby("customer_id")["amount"].sum()
    period = tx["date"].dt.to_period(freq)
    end = tx["date"].max()
    last = (
        end.to_period(freq)
        if (end + pd.Timedelta(days=1)).to_period(freq) != end.to_period(freq)
        else end.to_period(freq) - 1
    )
    grid = tx.assign(period=period).groupby(["customer_id", "period"])["amount"].sum()
    grid = grid.unstack(fill_value=0.0)  # noqa: PD010 - the idiom the reference stands for
    grid = grid.reindex(
        columns=pd.period_range(period.min(), max(last, period.min()), freq=freq), fill_value=0.0
    )
    grid = grid.loc[:, grid.columns <= last]
    first = period.groupby(tx["customer_id"]).min()
    observed = pd.DataFrame(
        {p: first <= p for p in grid.columns}, index=grid.index, columns=grid.columns
    )
    grid = grid.where(observed)
    periods = observed.sum(axis=1)
    mean = grid.mean(axis=1)
    cv = (grid.std(axis=1, ddof=0) / mean).where((periods >= 2) & (mean > 0))
    return pd.DataFrame({"value": value, "periods": periods, "cv": cv})


@given(transactions, st.sampled_from(["M", "W", "Q"]))
def test_abc_xyz_agrees_with_pandas(rows: list[tuple[int, int, int]], freq: str) -> None:
    tx = table(rows)
    result = rt.abc_xyz(tx, freq=freq)
    expected = pandas_reference(tx, freq)
    np.testing.assert_array_equal(result["value"], expected["value"])
    np.testing.assert_array_equal(result["periods"], expected["periods"])
    np.testing.assert_allclose(result["cv"], expected["cv"], rtol=1e-12, atol=1e-15)


@given(transactions, st.randoms(use_true_random=False))
def test_abc_xyz_ignores_row_order(rows: list[tuple[int, int, int]], random: object) -> None:
    shuffled = list(rows)
    random.shuffle(shuffled)  # type: ignore[attr-defined]
    pd.testing.assert_frame_equal(rt.abc_xyz(table(rows)), rt.abc_xyz(table(shuffled)))


@given(
    st.lists(
        st.tuples(st.integers(1, 8), st.integers(0, len(days) - 1), st.integers(1, 99_999)),
        min_size=1,
        max_size=40,
    ),
    st.randoms(use_true_random=False),
)
def test_abc_xyz_ignores_row_order_with_decimal_amounts(
    rows: list[tuple[int, int, int]], random: object
) -> None:
    # Amounts in cents are not binary fractions: their sums depend on the order of the rows in the last
    # bits, but the classes and the cumulative shares must not.
    shuffled = list(rows)
    random.shuffle(shuffled)  # type: ignore[attr-defined]
    a = rt.abc_xyz(table(rows).assign(amount=lambda d: d["amount"] / 100))
    b = rt.abc_xyz(table(shuffled).assign(amount=lambda d: d["amount"] / 100))
    # The sums are exact, so every column agrees to the last bit.
    pd.testing.assert_frame_equal(a, b, check_exact=True)


@given(transactions, st.integers(-10, 10))
def test_abc_xyz_ignores_scaling_all_amounts(rows: list[tuple[int, int, int]], power: int) -> None:
    tx = table(rows)
    base = rt.abc_xyz(tx)
    scaled = rt.abc_xyz(tx.assign(amount=tx["amount"] * 2.0**power))
    for column in ("abc", "xyz", "abc_xyz", "periods", "share", "cumulative_share", "cv"):
        pd.testing.assert_series_equal(base[column], scaled[column])


@given(transactions, st.integers(1, 8), st.integers(-10, 10))
def test_xyz_ignores_scaling_one_customers_amounts(
    rows: list[tuple[int, int, int]], who: int, power: int
) -> None:
    tx = table(rows)
    factor = np.where(tx["customer_id"] == who, 2.0**power, 1.0)
    base = rt.abc_xyz(tx)
    scaled = rt.abc_xyz(tx.assign(amount=tx["amount"] * factor))
    pd.testing.assert_series_equal(base["cv"], scaled["cv"])
    pd.testing.assert_series_equal(base["xyz"], scaled["xyz"])


@given(transactions)
def test_every_customer_gets_one_cell_and_shares_sum_to_one(
    rows: list[tuple[int, int, int]],
) -> None:
    tx = table(rows)
    result = rt.abc_xyz(tx)
    assert len(result) == tx["customer_id"].nunique()
    assert result[["abc", "xyz", "abc_xyz"]].notna().all().all()
    assert (
        result["abc_xyz"].astype(str) == result["abc"].astype(str) + result["xyz"].astype(str)
    ).all()
    assert math.fsum(result["share"]) == pytest.approx(1.0, rel=1e-12)
    assert result["cumulative_share"].max() == 1.0
    matrix = rt.abc_xyz_matrix(result)
    assert matrix["customers"].to_numpy().sum() == len(result)
    assert matrix["value_share"].to_numpy().sum() == pytest.approx(1.0, rel=1e-12)
    assert matrix["customer_share"].to_numpy().sum() == pytest.approx(1.0, rel=1e-12)


# --- abc_xyz_matrix ------------------------------------------------------------------------------


def test_abc_xyz_matrix_by_hand() -> None:
    result = rt.abc_xyz(shop(), xyz_thresholds=(0.25, 0.5))
    # Cells: 1 AX (330), 2 BZ (50), 3 BZ (15), 4 CZ (5), 5 CZ (10); total 410.
    matrix = rt.abc_xyz_matrix(result)
    assert matrix.index.name == "abc"
    assert matrix.index.tolist() == ["A", "B", "C"]
    assert matrix.columns.names == ["measure", "xyz"]
    assert matrix.columns.get_level_values(0).unique().tolist() == [
        "customers",
        "customer_share",
        "value",
        "value_share",
    ]
    np.testing.assert_array_equal(matrix["customers"], [[1, 0, 0], [0, 0, 2], [0, 0, 2]])
    assert (matrix["customers"].dtypes == np.int64).all()
    np.testing.assert_allclose(matrix["customer_share"], [[0.2, 0, 0], [0, 0, 0.4], [0, 0, 0.4]])
    np.testing.assert_array_equal(matrix["value"], [[330, 0, 0], [0, 0, 65], [0, 0, 15]])
    np.testing.assert_allclose(
        matrix["value_share"], np.array([[330, 0, 0], [0, 0, 65], [0, 0, 15]]) / 410, rtol=1e-15
    )
    # The same from the transaction table, with the options passed on.
    pd.testing.assert_frame_equal(rt.abc_xyz_matrix(shop(), xyz_thresholds=(0.25, 0.5)), matrix)


def test_abc_xyz_matrix_refuses_options_with_a_result_and_foreign_labels() -> None:
    result = rt.abc_xyz(shop())
    with pytest.raises(InvalidParameterError, match="options \\('freq'\\) together with a result"):
        rt.abc_xyz_matrix(result, freq="W")
    bad = result.assign(abc=result["abc"].astype(str).replace("A", "D"))
    with pytest.raises(InvalidValueError, match=r"Column 'abc' .* holds 'D'"):
        rt.abc_xyz_matrix(bad)
    with pytest.raises(ColumnTypeError, match="DataFrame"):
        rt.abc_xyz_matrix({"customer_id": [1]})  # type: ignore[arg-type]


def test_abc_xyz_matrix_of_nothing() -> None:
    matrix = rt.abc_xyz_matrix(shop().iloc[0:0])
    assert matrix.shape == (3, 12)
    assert (matrix["customers"].to_numpy() == 0).all()
    assert matrix["value_share"].isna().all().all()


# --- abc_xyz: orders, returns and breakdowns -----------------------------------------------------


def order_lines() -> pd.DataFrame:
    """Order lines and returns over January to March 2024 (see the test below for the numbers)."""
    rows = [
        (1, "o1", "2024-01-05", 60.0),
        (1, "o1", "2024-01-05", 40.0),
        (1, "o2", "2024-02-03", 110.0),
        (1, "o3", "2024-03-09", 70.0),
        (1, "o3", "2024-03-10", 50.0),  # a line a day later: the order is dated by its first line
        (1, "r1", "2024-03-20", -30.0),
        (2, "o4", "2024-01-20", 25.0),
        (2, "r2", "2024-02-10", -5.0),
        (2, "o5", "2024-03-15", 25.0),
        (2, "o5", "2024-03-15", 10.0),
        (3, "r3", "2024-01-25", -5.0),  # before the customer's first purchase
        (3, "o6", "2024-02-11", 15.0),
        (4, "r4", "2024-03-01", -20.0),  # only a return: not a customer
        (5, "o7", "2024-03-30", 3.0),
        (5, "o7", "2024-03-30", 2.0),
    ]
    return pd.DataFrame(rows, columns=["customer_id", "order_id", "date", "amount"]).assign(
        date=lambda d: pd.to_datetime(d["date"])
    )


def test_abc_xyz_of_orders_and_returns_by_hand() -> None:
    tx = order_lines()
    result = rt.abc_xyz(tx, order_id="order_id", observation_end="2024-03-31")
    assert result.index.tolist() == [1, 2, 3, 5]  # customer 4 only returned goods
    # Revenue net of returns: 100 + 110 + 120 - 30, 25 - 5 + 35, 15 - 5, 5; 370 in all.
    np.testing.assert_array_equal(result["value"], [300.0, 55.0, 10.0, 5.0])
    # Ahead of 300, 55, 10, 5: 0, 300 (81.1%), 355 (95.9%), 365.
    assert result["abc"].tolist() == ["A", "B", "C", "C"]
    # Per month, returns subtracting where they happen: 1 -> 100, 110, 90; 2 -> 25, -5, 35;
    # 3 -> the January return counts in February, its first month: 10, 0; 5 -> one month.
    np.testing.assert_array_equal(result["periods"], [3, 3, 2, 1])
    mean2 = 55 / 3
    cv2 = math.sqrt(((25 - mean2) ** 2 + (-5 - mean2) ** 2 + (35 - mean2) ** 2) / 3) / mean2
    np.testing.assert_allclose(
        result["cv"], [math.sqrt(200 / 3) / 100, cv2, 1.0, np.nan], rtol=1e-14
    )
    assert result["xyz"].tolist() == ["X", "Z", "Z", "Z"]

    orders = rt.abc_xyz(tx, order_id="order_id", observation_end="2024-03-31", metric="orders")
    # Orders: 3, 2, 1, 1; returns are not orders. Per month 1, 1, 1 / 1, 0, 1 / 1, 0 / 1.
    assert orders["value"].tolist() == [3, 2, 1, 1]
    np.testing.assert_allclose(orders["cv"], [0.0, math.sqrt(2) / 2, 1.0, np.nan], rtol=1e-14)

    lines = rt.abc_xyz(tx, observation_end="2024-03-31", metric="orders")
    # Without order_id every line is an order.
    assert lines["value"].tolist() == [5, 3, 1, 2]


def test_abc_xyz_sums_exactly_without_zeroing_small_totals() -> None:
    # 1e16 + 1 - 1e16 is 0 when added in row order; the exact January total is 1, the value 6.
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 1, 2],
            "date": pd.to_datetime(
                ["2024-01-02", "2024-01-03", "2024-01-04", "2024-02-05", "2024-01-10"]
            ),
            "amount": [1e16, 1.0, -1e16, 5.0, 4.0],
        }
    )
    result = rt.abc_xyz(tx, observation_end="2024-02-29")
    assert result["value"].tolist() == [6.0, 4.0]
    # Customer 1's months are 1 and 5: mean 3, sigma 2.
    assert result["cv"].iloc[0] == pytest.approx(2 / 3, rel=1e-15)


def test_abc_xyz_needs_an_amount_for_revenue() -> None:
    with pytest.raises(
        InvalidParameterError, match=r"'amount' parameter of abc_xyz.*metric='orders'"
    ):
        rt.abc_xyz(shop(), amount=None)
    assert rt.abc_xyz(shop(), amount=None, metric="orders")["value"].tolist() == [4, 2, 1, 2, 1]


def test_abc_xyz_by_a_series_and_by_a_column_by_hand() -> None:
    tx = shop()
    managers = pd.Series({1: "ann", 2: "bob", 3: "ann", 4: "bob"}, name="manager")
    result = rt.abc_xyz(tx, observation_end="2024-03-31", by=managers)
    assert result.index.names == ["manager", "customer_id"]
    assert result.index.tolist() == [("ann", 1), ("ann", 3), ("bob", 2), ("bob", 4)]
    # ann: 330 and 15 (the second has 95.7% ahead: C); bob: 50 and 5 (90.9% ahead: B).
    assert result["abc"].tolist() == ["A", "C", "A", "B"]
    np.testing.assert_allclose(result["share"], [330 / 345, 15 / 345, 50 / 55, 5 / 55], rtol=1e-15)
    # A customer missing from the Series is in a group of its own.
    partial = rt.abc_xyz(tx, by=pd.Series({1: "ann"}, name="manager"))
    assert partial.index.get_level_values("manager").isna().tolist() == [False] + [True] * 4
    # A column: each customer's value on the first purchase.
    channel = tx.assign(channel=np.where(tx["customer_id"] <= 2, "web", "shop"))
    channel.loc[1, "channel"] = "shop"  # customer 1's second purchase: their group stays "web"
    by_column = rt.abc_xyz(channel, by="channel")
    assert by_column.index.tolist() == [
        ("shop", 3),
        ("shop", 4),
        ("shop", 5),
        ("web", 1),
        ("web", 2),
    ]


def test_abc_xyz_matrix_per_group() -> None:
    tx = shop()
    managers = pd.Series({1: "ann", 2: "bob", 3: "ann", 4: "bob", 5: "bob"}, name="manager")
    result = rt.abc_xyz(tx, by=managers)
    matrix = rt.abc_xyz_matrix(result)
    assert matrix.index.names == ["manager", "abc"]
    pd.testing.assert_frame_equal(matrix, rt.abc_xyz_matrix(tx, by=managers))
    for manager in ("ann", "bob"):
        alone = rt.abc_xyz_matrix(result.xs(manager, level="manager"))
        pd.testing.assert_frame_equal(matrix.xs(manager, level="manager"), alone)
    with pytest.raises(InvalidParameterError, match="together with a result"):
        rt.abc_xyz_matrix(result, by=managers)
    empty = rt.abc_xyz_matrix(tx.iloc[0:0], by=managers)
    assert len(empty) == 0
    assert empty.index.names == ["manager", "abc"]


# Purchases (positive) and returns (negative) in cents; orders of one to three lines.
orders_strategy = st.lists(
    st.tuples(
        st.integers(1, 6),  # customer
        st.integers(0, len(days) - 1),  # day
        st.one_of(st.integers(1, 50_000), st.integers(-3_000, -1)),  # the order's amount in cents
        st.integers(1, 3),  # lines
        st.integers(-20_000, 20_000),  # moved from the first line to the last
        st.integers(0, 5),  # days from the first line to the others
    ),
    min_size=1,
    max_size=30,
)


def one_row_per_order(orders: list[tuple[int, int, int, int, int, int]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [o[0] for o in orders],
            "order_id": [f"o{k}" for k in range(len(orders))],
            "date": days[[o[1] for o in orders]],
            "amount": [o[2] / 100 for o in orders],
        }
    )


def lines_of_orders(orders: list[tuple[int, int, int, int, int, int]]) -> pd.DataFrame:
    """The same orders as several lines each: amounts that add up to the order's, dated on or after it."""
    rows = []
    for k, (customer, day, cents, lines, moved, later) in enumerate(orders):
        parts = [cents // lines] * (lines - 1) + [cents - (lines - 1) * (cents // lines)]
        if lines > 1:
            parts[0] += moved
            parts[-1] -= moved
        for j, part in enumerate(parts):
            when = days[min(day + (later if j else 0), len(days) - 1)]
            rows.append((customer, f"o{k}", when, part / 100))
    tx = pd.DataFrame(rows, columns=["customer_id", "order_id", "date", "amount"])
    return tx.iloc[::-1].reset_index(drop=True)  # and in another order


def outcome(call: Callable[[], pd.DataFrame]) -> pd.DataFrame | str:
    """The result, or the message of the error (some customers' returns exceed their purchases)."""
    try:
        return call()
    except InvalidValueError as e:
        return str(e)


def assert_same_outcome(a: pd.DataFrame | str, b: pd.DataFrame | str) -> None:
    if isinstance(a, str) or isinstance(b, str):
        assert a == b
    else:
        pd.testing.assert_frame_equal(a, b, check_exact=True)


@given(orders_strategy, st.sampled_from(["revenue", "orders"]), st.sampled_from(["M", "W"]))
def test_abc_xyz_splitting_an_order_into_lines_changes_nothing(
    orders: list[tuple[int, int, int, int, int, int]], metric: str, freq: str
) -> None:
    options = {"order_id": "order_id", "metric": metric, "freq": freq}
    whole = outcome(lambda: rt.abc_xyz(one_row_per_order(orders), **options))
    split = outcome(lambda: rt.abc_xyz(lines_of_orders(orders), **options))
    assert_same_outcome(whole, split)


@given(transactions, st.integers(0, 39), st.integers(1, 500))
def test_abc_xyz_a_return_lowers_the_value_and_changes_no_order_count(
    rows: list[tuple[int, int, int]], pick: int, size: int
) -> None:
    tx = table(rows)
    row = tx.iloc[pick % len(tx)]
    end = tx["date"].max()
    before = rt.abc_xyz(tx, observation_end=end)
    who = row["customer_id"]
    amount = -float(min(size, before.loc[who, "value"]))  # never more than the customer's revenue
    returned = pd.concat(
        [tx, pd.DataFrame({"customer_id": [who], "date": [row["date"]], "amount": [amount]})],
        ignore_index=True,
    )
    after = rt.abc_xyz(returned, observation_end=end)
    expected = before["value"].copy()
    expected.loc[who] += amount
    pd.testing.assert_series_equal(after["value"], expected)
    # Orders and periods of activity do not change at all.
    pd.testing.assert_frame_equal(
        rt.abc_xyz(returned, metric="orders", observation_end=end),
        rt.abc_xyz(tx, metric="orders", observation_end=end),
    )
    pd.testing.assert_series_equal(after["periods"], before["periods"])


managers_strategy = st.dictionaries(
    st.integers(1, 8), st.sampled_from(["ann", "bob", "cy"]), max_size=8
)


def groups_of(result: pd.DataFrame) -> list[tuple[object, pd.DataFrame]]:
    """Each group's rows of a result with ``by``, without the group level (a missing group included)."""
    labels = result.index.get_level_values(0)
    parts = []
    for label in pd.unique(labels):
        mask = labels.isna() if pd.isna(label) else labels == label
        parts.append((label, result[np.asarray(mask)].droplevel(0)))
    return parts


@given(transactions, managers_strategy, st.sampled_from(["revenue", "orders"]))
def test_abc_xyz_by_equals_each_groups_customers_alone(
    rows: list[tuple[int, int, int]], managers: dict[int, str], metric: str
) -> None:
    tx = table(rows)
    end = tx["date"].max()
    by = pd.Series(managers, name="manager", dtype=object)
    result = rt.abc_xyz(tx, by=by, observation_end=end, metric=metric, abc_method="count")
    assert len(result) == tx["customer_id"].nunique()
    group = tx["customer_id"].map(by)
    for label, part in groups_of(result):
        mine = group.isna() if pd.isna(label) else group == label
        alone = rt.abc_xyz(tx[mine], observation_end=end, metric=metric, abc_method="count")
        pd.testing.assert_frame_equal(part, alone, check_exact=True)


@given(
    transactions,
    st.lists(st.integers(1, 8), max_size=8),
    st.randoms(use_true_random=False),
)
def test_abc_xyz_by_a_column_equals_each_groups_customers_alone(
    rows: list[tuple[int, int, int]], in_shop: list[int], random: object
) -> None:
    tx = table(rows).assign(
        channel=lambda d: np.where(d["customer_id"].isin(in_shop), "shop", "web")
    )
    end = tx["date"].max()
    result = rt.abc_xyz(tx, by="channel", observation_end=end)
    for label, part in groups_of(result):
        alone = rt.abc_xyz(tx[tx["channel"] == label], observation_end=end)
        pd.testing.assert_frame_equal(part, alone, check_exact=True)
    shuffled = tx.sample(frac=1.0, random_state=random.randint(0, 2**31))  # type: ignore[attr-defined]
    pd.testing.assert_frame_equal(
        rt.abc_xyz(shuffled, by="channel", observation_end=end), result, check_exact=True
    )


# Amounts of very different magnitudes, and returns that cancel whole purchases.
mixed_amounts = st.sampled_from([1e16, 0.1, 1 / 3, 2.5e-7, 12345.678, 3.0, 1e-9, 7e12])
mixed_rows = st.lists(
    st.tuples(
        st.integers(1, 6),
        st.integers(0, len(days) - 1),
        mixed_amounts,
        st.booleans(),  # cancelled by a return
        st.integers(0, len(days) - 1),  # the day of the return
    ),
    min_size=1,
    max_size=40,
)


def mixed_table(rows: list[tuple[int, int, float, bool, int]]) -> pd.DataFrame:
    records = [(c, days[d], a) for c, d, a, _, _ in rows]
    records += [(c, days[r], -a) for c, _, a, cancelled, r in rows if cancelled]
    return pd.DataFrame(records, columns=["customer_id", "date", "amount"])


@given(mixed_rows, st.sampled_from(["M", "W"]), st.randoms(use_true_random=False))
def test_abc_xyz_row_order_changes_no_bit_with_cancelling_mixed_amounts(
    rows: list[tuple[int, int, float, bool, int]], freq: str, random: object
) -> None:
    tx = mixed_table(rows)
    shuffled = tx.sample(frac=1.0, random_state=random.randint(0, 2**31))  # type: ignore[attr-defined]
    expected = rt.abc_xyz(tx, freq=freq)
    pd.testing.assert_frame_equal(rt.abc_xyz(shuffled, freq=freq), expected, check_exact=True)
    assert (expected["value"] >= 0).all()  # the returns cancel purchases exactly


def test_abc_xyz_matrix_by_group_equals_each_group_alone_to_the_last_bit() -> None:
    # Team a's amounts are whole cents (0.1 + 0.2 adds as the decimal 0.3); team b's are not, and summed
    # together with them the exact sum takes another method, whose 0.1 + 0.2 is 0.30000000000000004.
    tx = pd.DataFrame(
        {
            "customer_id": [1, 2, 5, 3, 4],
            "date": pd.to_datetime(
                ["2024-01-05", "2024-01-09", "2024-02-05", "2024-01-10", "2024-03-01"]
            ),
            "amount": [0.1, 0.2, 100.0, 1e16 / 3, 1 / 3],
            "team": ["a", "a", "a", "b", "b"],
        }
    )
    end = "2024-03-31"
    grouped = rt.abc_xyz_matrix(tx, by="team", observation_end=end)
    for team in ("a", "b"):
        alone = rt.abc_xyz_matrix(tx[tx["team"] == team], observation_end=end)
        np.testing.assert_array_equal(grouped.xs(team, level="team").to_numpy(), alone.to_numpy())


def test_ragged_lists_are_refused_with_a_clear_error() -> None:
    with pytest.raises(
        ColumnTypeError, match=r"rows differ in length\. Pad the short rows with NaN"
    ):
        rt.xyz([[1.0, 2.0], [1.0]])
    with pytest.raises(ColumnTypeError, match="one per customer; it holds nested lists"):
        rt.abc([1.0, [2.0, 3.0]])  # type: ignore[list-item]


def test_matrix_names_itself_and_the_nearest_option() -> None:
    tx = rt.example_transactions()
    with pytest.raises(InvalidParameterError, match="abc_xyz_matrix got an unknown option 'bogus'"):
        rt.abc_xyz_matrix(tx, bogus=1)
    with pytest.raises(InvalidParameterError, match="Did you mean 'freq'"):
        rt.abc_xyz_matrix(tx, frq="M")
    with pytest.raises(InvalidParameterError, match="'freq' parameter of abc_xyz_matrix"):
        rt.abc_xyz_matrix(tx, freq="X")


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ({"value": "amount"}, {"metric": "revenue"}),
        ({"value": "orders"}, {"metric": "orders"}),
        ({"thresholds_abc": (0.5, 0.9)}, {"abc_thresholds": (0.5, 0.9)}),
        ({"thresholds_xyz": (0.25, 0.5)}, {"xyz_thresholds": (0.25, 0.5)}),
    ],
)
def test_abc_xyz_old_option_names_warn_and_give_the_same_result(
    old: dict[str, Any], new: dict[str, Any]
) -> None:
    tx = shop()
    (name,) = old
    with pytest.warns(
        DeprecationWarning, match=f"'{name}' option of abc_xyz is deprecated"
    ) as record:
        got = rt.abc_xyz(tx, **old)
    assert [w.filename for w in record] == [__file__]  # the caller's line, not the library's
    pd.testing.assert_frame_equal(got, rt.abc_xyz(tx, **new))
    with pytest.warns(DeprecationWarning, match=f"'{name}' option of abc_xyz_matrix") as record:
        matrix = rt.abc_xyz_matrix(tx, **old)
    assert [w.filename for w in record] == [__file__]
    pd.testing.assert_frame_equal(matrix, rt.abc_xyz_matrix(tx, **new))


def test_abc_xyz_refuses_unknown_keywords_as_python_does() -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument 'valu'"):
        rt.abc_xyz(shop(), valu="orders")
    with (
        pytest.warns(DeprecationWarning, match="pass metric='sales'"),
        pytest.raises(InvalidParameterError, match="'metric'"),
    ):
        rt.abc_xyz(shop(), value="sales")  # an unknown old value is refused in the new words
