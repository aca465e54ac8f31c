"""Tests of ABC / XYZ classification on pandas objects and transaction tables (retention.frames.classify)."""

from __future__ import annotations

import copy
import math

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
    result = rt.abc_xyz(tx, thresholds_xyz=(0.25, 0.5))
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
    result = rt.abc_xyz(tx, value="orders", observation_end="2024-04-30")
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
    counted = rt.abc_xyz(tx, abc_method="count", thresholds_abc=(0.2, 0.6))
    # 6 customers: A while fewer than 1.2 are ahead (the 40, and the 15s with 1 ahead), B while fewer
    # than 3.6 (the 10s, with 3 ahead).
    assert counted["abc"].tolist() == list("BAABAB")


def test_abc_xyz_refuses_negative_totals() -> None:
    tx = shop()
    tx.loc[len(tx)] = [3, pd.Timestamp("2024-03-01"), -40.0]
    with pytest.raises(
        InvalidValueError, match=r"1 customer\(s\) have a negative total.*customer 3"
    ):
        rt.abc_xyz(tx)
    # Counting orders, the refund is one more row.
    assert rt.abc_xyz(tx, value="orders")["value"].loc[3] == 2


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
    with pytest.raises(InvalidParameterError, match="'value' parameter of abc_xyz must be one of"):
        rt.abc_xyz(tx, value="revenue")
    with pytest.raises(InvalidParameterError, match="'freq' parameter of abc_xyz"):
        rt.abc_xyz(tx, freq="H")
    with pytest.raises(InvalidParameterError, match="'thresholds_abc' parameter of abc_xyz"):
        rt.abc_xyz(tx, thresholds_abc=(0.9, 0.1))
    with pytest.raises(InvalidParameterError, match="'thresholds_abc' parameter of abc_xyz"):
        rt.abc_xyz(tx, abc_method="computed", thresholds_abc=(0.8, 0.9))
    with pytest.raises(InvalidParameterError, match="'thresholds_xyz' parameter of abc_xyz"):
        rt.abc_xyz(tx, thresholds_xyz=(-1, 0.5))
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
    for column in ("abc", "xyz", "abc_xyz", "periods", "cumulative_share"):
        pd.testing.assert_series_equal(a[column], b[column])
    for column in ("value", "share", "cv"):
        pd.testing.assert_series_equal(a[column], b[column], rtol=1e-12)


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
    result = rt.abc_xyz(shop(), thresholds_xyz=(0.25, 0.5))
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
    pd.testing.assert_frame_equal(rt.abc_xyz_matrix(shop(), thresholds_xyz=(0.25, 0.5)), matrix)


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
