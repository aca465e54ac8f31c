"""Tests of migration matrices and segment histories (retention.frames.migration)."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import retention as rt
from retention.errors import (
    ColumnTypeError,
    InvalidParameterError,
    InvalidValueError,
)
from retention.frames.migration import (
    HistoryPeriods,
    HistoryTally,
    check_per_customer,
    history_of_tally,
    history_tally,
)
from retention.frames.schema import read_transactions

ORDER = ["loyal", "dissatisfied", "inactive"]


def labels(values: dict[Any, str], *, categorical: bool = True) -> pd.Series:
    s = pd.Series(list(values.values()), index=list(values.keys()))
    return s.astype(pd.CategoricalDtype(ORDER)) if categorical else s


def frame(rows: list[list[Any]], index: list[Any], columns: list[Any]) -> pd.DataFrame:
    return pd.DataFrame(
        rows, index=pd.Index(index, name="before"), columns=pd.Index(columns, name="after")
    )


# --- migration_matrix -------------------------------------------------------------------------

# a: loyal -> loyal, b: loyal -> inactive, c: loyal -> gone, d: dissatisfied -> loyal,
# e: inactive -> inactive, f: new -> loyal, g: new -> dissatisfied
BEFORE = {"a": "loyal", "b": "loyal", "c": "loyal", "d": "dissatisfied", "e": "inactive"}
AFTER = {
    "a": "loyal",
    "b": "inactive",
    "d": "loyal",
    "e": "inactive",
    "f": "loyal",
    "g": "dissatisfied",
}


def test_counts_by_hand() -> None:
    got = rt.migration_matrix(labels(BEFORE), labels(AFTER))
    expected = frame(
        [[1, 0, 1, 1], [1, 0, 0, 0], [0, 0, 1, 0], [1, 1, 0, 0]],
        [*ORDER, "(new)"],
        [*ORDER, "(gone)"],
    )
    pd.testing.assert_frame_equal(got, expected)
    assert (got.dtypes == np.int64).all()


def test_shares_of_rows_by_hand() -> None:
    got = rt.migration_matrix(labels(BEFORE), labels(AFTER), normalize="index")
    third = 1 / 3
    expected = frame(
        [[third, 0, third, third], [1.0, 0, 0, 0], [0, 0, 1.0, 0], [0.5, 0.5, 0, 0]],
        [*ORDER, "(new)"],
        [*ORDER, "(gone)"],
    )
    pd.testing.assert_frame_equal(got, expected.astype(float), rtol=1e-15, atol=0)


def test_shares_of_all_by_hand() -> None:
    got = rt.migration_matrix(labels(BEFORE), labels(AFTER), normalize="all")
    # 7 customers in all
    expected = frame(
        [[1, 0, 1, 1], [1, 0, 0, 0], [0, 0, 1, 0], [1, 1, 0, 0]],
        [*ORDER, "(new)"],
        [*ORDER, "(gone)"],
    )
    pd.testing.assert_frame_equal(got, expected / 7, rtol=1e-15, atol=0)


def test_normalize_as_a_flag_as_in_cohort_table_and_crosstab() -> None:
    before, after = labels(BEFORE), labels(AFTER)
    counts = rt.migration_matrix(before, after)
    pd.testing.assert_frame_equal(rt.migration_matrix(before, after, normalize=False), counts)
    pd.testing.assert_frame_equal(rt.migration_matrix(before, after, normalize=None), counts)
    everyone = rt.migration_matrix(before, after, normalize="all")
    pd.testing.assert_frame_equal(rt.migration_matrix(before, after, normalize=True), everyone)
    pd.testing.assert_frame_equal(rt.migration_matrix(before, after, normalize=np.True_), everyone)
    assert everyone.to_numpy().sum() == pytest.approx(1.0, abs=1e-15)
    for bad in (1, 0, "columns", "INDEX", 0.5):
        with pytest.raises(
            InvalidParameterError, match="must be one of False, True, 'index', 'all'"
        ):
            rt.migration_matrix(before, after, normalize=bad)  # type: ignore[arg-type]


def test_plain_labels_are_sorted() -> None:
    got = rt.migration_matrix(labels(BEFORE, categorical=False), labels(AFTER, categorical=False))
    order = ["dissatisfied", "inactive", "loyal"]
    expected = frame(
        [[0, 0, 1, 0], [0, 1, 0, 0], [0, 1, 1, 1], [1, 0, 1, 0]],
        [*order, "(new)"],
        [*order, "(gone)"],
    )
    pd.testing.assert_frame_equal(got, expected)


def test_unused_categories_keep_their_row_and_a_nan_share() -> None:
    before = labels({"a": "loyal"})
    after = labels({"a": "inactive"})
    got = rt.migration_matrix(before, after)
    expected = frame(
        [[0, 0, 1, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]],
        [*ORDER, "(new)"],
        [*ORDER, "(gone)"],
    )
    pd.testing.assert_frame_equal(got, expected)
    shares = rt.migration_matrix(before, after, normalize="index")
    assert shares.loc["loyal"].tolist() == [0.0, 0.0, 1.0, 0.0]
    assert shares.loc[["dissatisfied", "inactive", "(new)"]].isna().all().all()


def test_categories_of_both_sides_and_plain_labels() -> None:
    before = pd.Series(pd.Categorical(["b", "a"], ["b", "a"]), index=[1, 2])
    after = pd.Series(pd.Categorical(["c", "a"], ["c", "a"]), index=[1, 2])
    got = rt.migration_matrix(before, after)
    assert list(got.index) == ["b", "a", "c", "(new)"]
    assert list(got.columns) == ["b", "a", "c", "(gone)"]
    mixed = rt.migration_matrix(before, pd.Series(["z", "y"], index=[1, 2]))
    assert list(mixed.index) == ["b", "a", "y", "z", "(new)"]


def test_integer_labels() -> None:
    got = rt.migration_matrix(
        pd.Series([5, 1, 1], index=[10, 11, 12]), pd.Series([1, 5], index=[10, 11])
    )
    # 10: 5 -> 1, 11: 1 -> 5, 12: 1 -> gone
    expected = frame([[0, 1, 1], [1, 0, 0], [0, 0, 0]], [1, 5, "(new)"], [1, 5, "(gone)"])
    pd.testing.assert_frame_equal(got, expected)


def test_no_customers() -> None:
    got = rt.migration_matrix(pd.Series([], dtype="str"), pd.Series([], dtype="str"))
    pd.testing.assert_frame_equal(got, frame([[0]], ["(new)"], ["(gone)"]))


def test_bad_input() -> None:
    good = labels(BEFORE)
    with pytest.raises(
        ColumnTypeError, match="'before' argument of migration_matrix must be a pandas Series"
    ):
        rt.migration_matrix(dict(BEFORE), good)  # type: ignore[arg-type]
    with pytest.raises(ColumnTypeError, match=r"'after' argument .* got DataFrame"):
        rt.migration_matrix(good, good.to_frame())  # type: ignore[arg-type]
    twice = pd.Series(["loyal", "inactive"], index=["a", "a"])
    with pytest.raises(InvalidValueError, match=r"duplicated customer ids .* the first 'a'"):
        rt.migration_matrix(good, twice)
    missing = pd.Series(["loyal", None], index=["a", "b"])
    with pytest.raises(
        InvalidValueError, match="missing segment labels: 1 customer, the first 'b'"
    ):
        rt.migration_matrix(missing, good)
    no_id = pd.Series(["loyal"], index=[np.nan])
    with pytest.raises(InvalidValueError, match="missing customer ids"):
        rt.migration_matrix(good, no_id)
    with pytest.raises(InvalidValueError, match="include '\\(new\\)'"):
        rt.migration_matrix(pd.Series(["(new)"], index=["a"]), good)
    with pytest.raises(ColumnTypeError, match="mix types that cannot be sorted \\(int, str\\)"):
        rt.migration_matrix(pd.Series([1], index=["a"]), pd.Series(["x"], index=["a"]))
    with pytest.raises(InvalidParameterError, match="'normalize' parameter of migration_matrix"):
        rt.migration_matrix(good, good, normalize="columns")
    lists = pd.Series(["loyal", "new"], index=pd.Index([[1], [2]], dtype=object))
    with pytest.raises(
        ColumnTypeError, match=r"'before' argument .* customer ids that cannot be matched"
    ):
        rt.migration_matrix(lists, good)


@pytest.mark.parametrize("label", [["loyal"], {"loyal"}, {"segment": "loyal"}])
def test_labels_that_cannot_be_grouped_are_refused(label: object) -> None:
    good = pd.Series(["loyal"] * 3, index=["a", "b", "c"])
    odd = pd.Series([label] * 3, index=["a", "b", "c"])
    kind = type(label).__name__
    for side, pair in (("before", (odd, good)), ("after", (good, odd))):
        with pytest.raises(
            ColumnTypeError,
            match=rf"'{side}' argument of migration_matrix holds segment labels that cannot be "
            rf"grouped \(unhashable type: '{kind}'\)\. Convert them, e\.g\. labels\.astype\(str\)",
        ):
            rt.migration_matrix(*pair)


snapshot = st.dictionaries(
    st.integers(0, 30), st.sampled_from(["loyal", "new", "inactive", "refused"]), max_size=25
)


@given(snapshot, snapshot, st.booleans(), st.randoms(use_true_random=False))
def test_matrix_invariants(
    before_map: dict[int, str], after_map: dict[int, str], categorical: bool, rnd: Any
) -> None:
    order = ["loyal", "new", "inactive", "refused"]
    before = pd.Series(list(before_map.values()), index=list(before_map), dtype="str")
    after = pd.Series(list(after_map.values()), index=list(after_map), dtype="str")
    if categorical:
        before, after = (
            before.astype(pd.CategoricalDtype(order)),
            after.astype(pd.CategoricalDtype(order)),
        )
    kept = copy.deepcopy((before, after))
    counts = rt.migration_matrix(before, after)

    both = set(before_map) & set(after_map)
    new = set(after_map) - set(before_map)
    gone = set(before_map) - set(after_map)
    # every customer of either snapshot is counted once
    assert (
        counts.to_numpy().sum()
        == len(both) + len(new) + len(gone)
        == len(set(before_map) | set(after_map))
    )
    assert counts.loc["(new)"].sum() == len(new)
    assert counts["(gone)"].sum() == len(gone)
    assert counts.drop(index="(new)").to_numpy().sum() == len(before_map)
    assert counts.drop(columns="(gone)").to_numpy().sum() == len(after_map)
    assert counts.loc["(new)", "(gone)"] == 0
    stayed = sum(before_map[c] == after_map[c] for c in both)
    assert sum(counts.loc[s, s] for s in counts.index if s in counts.columns) == stayed

    rows = rt.migration_matrix(before, after, normalize="index")
    filled = counts.sum(axis=1) > 0
    np.testing.assert_allclose(rows[filled].sum(axis=1), 1.0, rtol=1e-12)
    assert rows[~filled].isna().all().all()
    if len(counts) and counts.to_numpy().sum():
        np.testing.assert_allclose(
            rt.migration_matrix(before, after, normalize="all").to_numpy().sum(), 1.0
        )

    # row order does not matter, and the inputs are not modified
    shuffled = [s.iloc[rnd.sample(range(len(s)), len(s))] for s in (before, after)]
    pd.testing.assert_frame_equal(rt.migration_matrix(*shuffled), counts)
    pd.testing.assert_series_equal(before, kept[0])
    pd.testing.assert_series_equal(after, kept[1])


# --- segment_history --------------------------------------------------------------------------


def history_tx() -> pd.DataFrame:
    """Four customers over January-April 2024."""
    return pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", "c", "b", "c", "d", "a"],
            "date": pd.to_datetime(
                [
                    "2024-01-05",
                    "2024-01-20",
                    "2024-01-31",
                    "2024-02-03",
                    "2024-02-14",
                    "2024-03-01",
                    "2024-03-09",
                    "2024-04-02",
                ]
            ),
            "amount": [10.0, 20.0, 5.0, 7.0, 8.0, 9.0, 30.0, 12.0],
        }
    )


def repeat_or_not(t: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
    orders = t.groupby("customer_id").size()
    return orders.map(lambda n: "repeat" if n > 1 else "one-time")


def long(period: str, rows: list[list[int]], order: list[str]) -> pd.DataFrame:
    before = [*order, "(new)"]
    after = [*order, "(gone)"]
    return pd.DataFrame(
        {
            "period": pd.PeriodIndex([period] * len(before) * len(after), freq="M"),
            "before": pd.Categorical([b for b in before for _ in after], categories=before),
            "after": pd.Categorical([a for _ in before for a in after], categories=after),
            "customers": np.array([n for row in rows for n in row], dtype=np.int64),
        }
    )


def test_history_by_hand() -> None:
    got = rt.segment_history(history_tx(), segmenter=repeat_or_not, observation_end="2024-03-31")
    # end of January: a repeat, b one-time; February: a, b repeat, c one-time;
    # March: a, b, c repeat, d one-time.
    order = ["one-time", "repeat"]
    february = long("2024-02", [[0, 1, 0], [0, 1, 0], [1, 0, 0]], order)
    march = long("2024-03", [[0, 1, 0], [0, 2, 0], [1, 0, 0]], order)
    expected = pd.concat([february, march], ignore_index=True)
    pd.testing.assert_frame_equal(got, expected)


def test_history_default_end_leaves_the_incomplete_month_out() -> None:
    # the data end on 2 April, so April is incomplete and March is the last period
    got = rt.segment_history(history_tx(), segmenter=repeat_or_not)
    assert got["period"].unique().tolist() == [pd.Period("2024-02", "M"), pd.Period("2024-03", "M")]
    with_april = rt.segment_history(
        history_tx(), segmenter=repeat_or_not, observation_end="2024-04-30"
    )
    april = with_april[with_april["period"] == pd.Period("2024-04", "M")]
    assert april["customers"].sum() == 4
    assert april.set_index(["before", "after"]).loc[("repeat", "repeat"), "customers"] == 3


def test_history_segmenter_sees_the_past_only() -> None:
    seen: list[tuple[pd.Timestamp, pd.Timestamp, int]] = []

    def spy(t: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
        seen.append((as_of, t["date"].max(), len(t)))
        return repeat_or_not(t, as_of)

    rt.segment_history(history_tx(), segmenter=spy, observation_end="2024-04-30")
    assert [s[0] for s in seen] == list(
        pd.to_datetime(["2024-01-31", "2024-02-29", "2024-03-31", "2024-04-30"])
    )
    assert [s[2] for s in seen] == [3, 5, 7, 8]
    assert all(last <= as_of for as_of, last, _ in seen)


def test_history_pivots_into_the_migration_matrix() -> None:
    tx = history_tx()
    got = rt.segment_history(tx, segmenter=repeat_or_not, observation_end="2024-03-31")
    march = got[got["period"] == pd.Period("2024-03", "M")]
    # the recipe of the docs; one row per cell, so nothing to aggregate
    pivot = march.pivot(index="before", columns="after", values="customers")  # noqa: PD010
    end_feb = repeat_or_not(tx[tx["date"] <= "2024-02-29"], pd.Timestamp("2024-02-29"))
    end_mar = repeat_or_not(tx[tx["date"] <= "2024-03-31"], pd.Timestamp("2024-03-31"))
    matrix = rt.migration_matrix(end_feb, end_mar)
    np.testing.assert_array_equal(pivot.to_numpy(), matrix.to_numpy())
    assert list(pivot.index) == list(matrix.index)
    assert list(pivot.columns) == list(matrix.columns)


def test_history_gone_and_weekly() -> None:
    tx = pd.DataFrame(
        {
            "customer_id": [1, 2, 2],
            "date": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-09"]),
        }
    )

    def active_this_week(t: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
        recent = t[t["date"] > as_of - pd.Timedelta(days=7)]
        return pd.Series("active", index=recent["customer_id"].unique())

    # weeks run Monday to Sunday: 1-7 January, 8-14 January
    got = rt.segment_history(tx, segmenter=active_this_week, freq="W", observation_end="2024-01-14")
    cells = got.set_index(["before", "after"])["customers"]
    assert cells[("active", "active")] == 1  # customer 2
    assert cells[("active", "(gone)")] == 1  # customer 1
    assert cells.sum() == 2
    assert got["period"].dtype == pd.PeriodDtype("W-SUN")


def test_history_with_fewer_than_two_periods_is_empty() -> None:
    tx = history_tx()
    for table in (tx.iloc[:2], tx.iloc[:0], pd.DataFrame({"customer_id": [], "date": []})):
        got = rt.segment_history(table, segmenter=repeat_or_not)
        assert list(got.columns) == ["period", "before", "after", "customers"]
        assert len(got) == 0
    before_data = rt.segment_history(tx, segmenter=repeat_or_not, observation_end="2023-12-31")
    assert len(before_data) == 0


def test_history_bad_input() -> None:
    tx = history_tx()
    with pytest.raises(
        InvalidParameterError, match="'segmenter' parameter of segment_history must be a function"
    ):
        rt.segment_history(tx, segmenter="working")  # type: ignore[arg-type]
    with pytest.raises(
        ColumnTypeError,
        match="segmenter's result for 2024-01 in segment_history must be a pandas Series",
    ):
        rt.segment_history(tx, segmenter=lambda t, as_of: list(t["customer_id"]))
    with pytest.raises(
        InvalidValueError, match=r"segmenter's result for 2024-01 .* duplicated customer ids"
    ):
        rt.segment_history(tx, segmenter=lambda t, as_of: pd.Series("x", index=t["customer_id"]))
    with pytest.raises(
        ColumnTypeError,
        match=r"segmenter's result for 2024-01 in segment_history holds segment labels that "
        r"cannot be grouped \(unhashable type: 'list'\)",
    ):
        rt.segment_history(
            tx, segmenter=lambda t, as_of: pd.Series([["x"]], index=t["customer_id"].unique()[:1])
        )
    with pytest.raises(InvalidParameterError, match="'freq' parameter of segment_history"):
        rt.segment_history(tx, segmenter=repeat_or_not, freq="fortnight")
    with pytest.raises(
        InvalidParameterError, match="'observation_end' parameter of segment_history"
    ):
        rt.segment_history(tx, segmenter=repeat_or_not, observation_end="someday")


def test_history_leaves_input_alone_and_ignores_row_order() -> None:
    tx = history_tx()
    kept = tx.copy()
    got = rt.segment_history(tx, segmenter=repeat_or_not, observation_end="2024-04-30")
    pd.testing.assert_frame_equal(tx, kept)
    shuffled = tx.sample(frac=1.0, random_state=3)
    pd.testing.assert_frame_equal(
        rt.segment_history(shuffled, segmenter=repeat_or_not, observation_end="2024-04-30"), got
    )


def test_history_with_the_working_segments() -> None:
    tx = rt.simulate_transactions(300, start="2023-01-01", end="2023-12-31", seed=5)

    def segmenter(t: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
        return rt.working_segments(rt.customer_features(t, observation_end=as_of))

    got = rt.segment_history(tx, segmenter=segmenter, freq="Q", amount="amount")
    assert got["period"].unique().tolist() == list(pd.period_range("2023Q2", "2023Q4", freq="Q"))
    assert {"loyal", "inactive", "new"} <= set(got["before"].cat.categories)
    # each quarter counts every customer seen by its end once
    days = pd.to_datetime(tx["date"])
    for period, rows in got.groupby("period", observed=True):
        end = period.end_time.normalize()
        assert rows["customers"].sum() == tx.loc[days <= end, "customer_id"].nunique()


# --- segment_history with orders and returns --------------------------------------------------------


def seen_rows(tx: pd.DataFrame, **options: Any) -> list[tuple[pd.Timestamp, list[float]]]:
    """Run segment_history with a segmenter that records the amounts it is given."""
    seen: list[tuple[pd.Timestamp, list[float]]] = []

    def spy(t: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
        seen.append((as_of, sorted(t["amount"].tolist())))
        return repeat_or_not(t, as_of)

    rt.segment_history(tx, segmenter=spy, **options)
    return seen


def with_returns() -> pd.DataFrame:
    """history_tx() and three returns: b in February, e (who never bought) on 10 April, a on 20 April."""
    refunds = pd.DataFrame(
        {
            "customer_id": ["b", "e", "a"],
            "date": pd.to_datetime(["2024-02-20", "2024-04-10", "2024-04-20"]),
            "amount": [-8.0, -3.0, -12.0],
        }
    )
    return pd.concat([history_tx(), refunds], ignore_index=True)


def test_history_periods_come_from_purchases() -> None:
    # The last purchase is on 2 April; the returns of 10 and 20 April, one of someone who never bought,
    # move neither the observation end nor the periods: March is still the last complete month.
    got = rt.segment_history(with_returns(), segmenter=repeat_or_not)
    assert got["period"].unique().tolist() == [pd.Period("2024-02", "M"), pd.Period("2024-03", "M")]
    # A return before the first purchase starts no period either.
    early = pd.DataFrame(
        {"customer_id": ["z"], "date": pd.to_datetime(["2023-11-15"]), "amount": [-5.0]}
    )
    got = rt.segment_history(pd.concat([early, history_tx()]), segmenter=repeat_or_not)
    assert got["period"].unique().tolist() == [pd.Period("2024-02", "M"), pd.Period("2024-03", "M")]
    # A return on 30 April would complete April if it were a purchase, as it is with amount=None.
    late = pd.DataFrame(
        {"customer_id": ["a"], "date": pd.to_datetime(["2024-04-30"]), "amount": [-1.0]}
    )
    tx = pd.concat([with_returns(), late], ignore_index=True)
    assert rt.segment_history(tx, segmenter=repeat_or_not)["period"].max() == pd.Period("2024-03")
    ignored = rt.segment_history(tx, segmenter=repeat_or_not, amount=None)
    assert ignored["period"].max() == pd.Period("2024-04", "M")


def test_history_segmenter_sees_raw_rows_or_no_returns_with_drop() -> None:
    tx = with_returns()
    net = seen_rows(tx, observation_end="2024-04-30")
    # "net": every row dated up to the period end, the return rows included (e never bought).
    assert [len(amounts) for _, amounts in net] == [3, 6, 8, 11]
    assert -8.0 in net[1][1]
    assert {-3.0, -12.0} <= set(net[3][1])
    drop = seen_rows(tx, observation_end="2024-04-30", returns="drop")
    assert [len(amounts) for _, amounts in drop] == [3, 5, 7, 8]
    assert all(a >= 0 for _, amounts in drop for a in amounts)
    # Nothing after the observation end reaches the segmenter.
    assert all(len(amounts) <= 10 for _, amounts in seen_rows(tx, observation_end="2024-04-15"))


def test_history_with_order_lines_and_the_options_passed_on() -> None:
    # Each purchase of history_tx() split into two lines of one order, on the same day.
    tx = history_tx().assign(order_id=[f"o{i}" for i in range(8)])
    lines = pd.concat([tx.assign(amount=tx["amount"] / 2)] * 2, ignore_index=True)

    def orders_so_far(t: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
        orders = t.groupby("customer_id")["order_id"].nunique()
        return orders.map(lambda n: "repeat" if n > 1 else "one-time")

    expected = rt.segment_history(tx, segmenter=repeat_or_not, observation_end="2024-04-30")
    got = rt.segment_history(
        lines, segmenter=orders_so_far, order_id="order_id", observation_end="2024-04-30"
    )
    pd.testing.assert_frame_equal(got, expected)
    # A segmenter that counts rows counts lines: every customer looks like a repeat buyer.
    rows = rt.segment_history(lines, segmenter=repeat_or_not, order_id="order_id")
    assert set(rows.loc[rows["customers"] > 0, "after"]) == {"repeat"}


def test_history_with_the_working_segments_and_returns() -> None:
    tx = rt.simulate_transactions(200, start="2023-01-01", end="2023-12-31", seed=7)
    refunds = tx.sample(n=20, random_state=1).assign(amount=lambda d: -d["amount"])

    def segmenter(t: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
        return rt.working_segments(rt.customer_features(t, observation_end=as_of))

    # customer_features reads the returns of each slice by the same rules: the refunds move no
    # customer out of a segment that counts purchases, and no period is added.
    plain = rt.segment_history(tx, segmenter=segmenter, freq="Q")
    with_refunds = rt.segment_history(pd.concat([tx, refunds]), segmenter=segmenter, freq="Q")
    assert with_refunds["period"].unique().tolist() == plain["period"].unique().tolist()
    dropped = rt.segment_history(
        pd.concat([tx, refunds]), segmenter=segmenter, freq="Q", returns="drop"
    )
    pd.testing.assert_frame_equal(dropped, plain)


# --- segment_history in parts (the cluster's path) ----------------------------------------------------


def working_segments(t: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
    return rt.working_segments(rt.customer_features(t, observation_end=as_of))


def tally_in_parts(tx: pd.DataFrame, parts: int, segmenter: Any, **options: Any) -> HistoryTally:
    """Tally the customers of ``tx`` in ``parts`` disjoint sets (by customer), over the whole's periods."""
    freq = options.pop("freq", "M")
    t = read_transactions(tx, **options, func="segment_history")
    options.pop("observation_end", None)
    periods = HistoryPeriods.of(int(t.days.min()), t.end_day, freq)
    codes = pd.factorize(tx["customer_id"], sort=True)[0] % parts
    tallies = [
        history_tally(tx[codes == k], periods, segmenter=segmenter, **options) for k in range(parts)
    ]
    total = tallies[0]
    for tally in tallies[1:]:
        total = total + tally
    return total


def test_history_tallies_of_disjoint_customers_add_up() -> None:
    # d first buys in March: the part of d alone is not segmented at the end of January or February.
    for tx, segmenter, options in [
        (history_tx(), repeat_or_not, {"observation_end": "2024-04-30"}),
        (with_returns(), repeat_or_not, {"returns": "drop", "observation_end": "2024-04-30"}),
        (with_returns(), repeat_or_not, {}),
        (
            rt.simulate_transactions(150, start="2023-01-01", end="2023-12-31", seed=2),
            working_segments,
            {"freq": "Q"},
        ),
    ]:
        expected = rt.segment_history(tx, segmenter=segmenter, **options)
        for parts in (1, 2, 4):
            total = tally_in_parts(tx, parts, segmenter, **options)
            pd.testing.assert_frame_equal(history_of_tally(total), expected, check_exact=True)
    seen = tally_in_parts(history_tx(), 4, repeat_or_not, observation_end="2024-04-30")
    assert seen.segments[0] is not None
    d_alone = history_tally(
        history_tx().iloc[[6]],
        HistoryPeriods.of(19727, 19843, "M"),  # 2024-01-05 to 2024-04-30
        segmenter=repeat_or_not,
    )
    assert d_alone.segments[:2] == (None, None)  # no rows by the end of January or February
    assert d_alone.moves[:1] == ({},)
    assert d_alone.moves[1] == {("(new)", "one-time"): 1}


def test_history_tallies_need_the_same_categories_in_every_part() -> None:
    tx = history_tx()
    periods = HistoryPeriods.of(19727, 19813, "M")  # January to March 2024

    def categorical(categories: list[str]) -> Any:
        def segmenter(t: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
            return repeat_or_not(t, as_of).astype(pd.CategoricalDtype(categories))

        return segmenter

    first, second = tx[tx["customer_id"] <= "b"], tx[tx["customer_id"] > "b"]
    same = history_tally(first, periods, segmenter=categorical(["one-time", "repeat"]))
    other = history_tally(second, periods, segmenter=categorical(["repeat", "one-time"]))
    with pytest.raises(InvalidValueError, match=r"results for 2024-02 .* different categories"):
        same + other
    plain = history_tally(second, periods, segmenter=repeat_or_not)
    with pytest.raises(ColumnTypeError, match="categorical on some partitions"):
        same + plain
    total = same + history_tally(second, periods, segmenter=categorical(["one-time", "repeat"]))
    expected = rt.segment_history(
        tx, segmenter=categorical(["one-time", "repeat"]), observation_end="2024-03-31"
    )
    pd.testing.assert_frame_equal(history_of_tally(total), expected, check_exact=True)


def test_history_per_customer_is_checked_and_ignored_for_pandas() -> None:
    tx = history_tx()
    expected = rt.segment_history(tx, segmenter=repeat_or_not)
    got = rt.segment_history(tx, segmenter=repeat_or_not, per_customer=True)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    with pytest.raises(InvalidParameterError, match="'per_customer' parameter of segment_history"):
        rt.segment_history(tx, segmenter=repeat_or_not, per_customer="yes")
    with pytest.raises(InvalidParameterError, match="Pass per_customer=True"):
        check_per_customer(False)
    check_per_customer(True)
