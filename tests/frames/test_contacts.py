"""Tests of contact plans and compliance (retention.frames.contacts)."""

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
    ColumnNotFoundError,
    ColumnTypeError,
    InvalidParameterError,
    InvalidValueError,
)

WORKING = ["loyal", "new", "dissatisfied", "refused", "inactive"]


def plan_frame(rows: list[tuple[Any, str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "segment": pd.array([r[1] for r in rows], dtype="str"),
            "due": pd.to_datetime([r[2] for r in rows]).astype("datetime64[ns]"),
            "goal": pd.array([r[3] for r in rows], dtype="str"),
        }
    )


# --- the default cadence ----------------------------------------------------------------------


def test_default_cadence() -> None:
    cadence = rt.default_contact_cadence()
    assert list(cadence.columns) == ["segment", "contacts_per_month", "goals"]
    table = cadence.set_index("segment")
    assert list(table.index) == [*WORKING, "other"]
    assert (table["contacts_per_month"] >= 1).all()
    assert 3 <= table.loc["loyal", "contacts_per_month"] <= 5
    assert table.loc["loyal", "goals"] == (
        "feedback",
        "service",
        "extra sale",
        "referral request",
        "news of offers",
    )
    complaint = ("feedback", "cause of the complaint", "gift", "fix")
    assert table.loc["dissatisfied", "goals"] == complaint
    assert table.loc["refused", "goals"] == complaint
    assert table.loc["inactive", "goals"] == ("feedback", "gift", "extra sale")
    assert table.loc["other", "goals"] == ("feedback", "extra sale")
    # a fresh table each time: changing one does not change the default
    cadence.loc[0, "contacts_per_month"] = 99
    assert rt.default_contact_cadence().loc[0, "contacts_per_month"] == 4


# --- contact_plan -----------------------------------------------------------------------------


def test_plan_by_hand() -> None:
    segments = pd.Series(["inactive", "loyal", "dissatisfied"], index=[30, 10, 20])
    got = rt.contact_plan(segments, start="2024-09-01")
    # September has 30 days: 4 contacts on days 0, 7, 15, 22; 1 contact on day 0.
    expected = plan_frame(
        [
            (10, "loyal", "2024-09-01", "feedback"),
            (10, "loyal", "2024-09-08", "service"),
            (10, "loyal", "2024-09-16", "extra sale"),
            (10, "loyal", "2024-09-23", "referral request"),
            (20, "dissatisfied", "2024-09-01", "feedback"),
            (20, "dissatisfied", "2024-09-08", "cause of the complaint"),
            (20, "dissatisfied", "2024-09-16", "gift"),
            (20, "dissatisfied", "2024-09-23", "fix"),
            (30, "inactive", "2024-09-01", "feedback"),
        ]
    )
    pd.testing.assert_frame_equal(got, expected)


def test_plan_goals_cycle_over_months_and_start_mid_month() -> None:
    segments = pd.Series(["loyal", "inactive"], index=["x", "y"])
    got = rt.contact_plan(segments, start="2024-02-16", periods=3)
    # February from the 16th: 14 days, 4 contacts on days 0, 3, 7, 10; March (31 days) and April (30).
    expected = plan_frame(
        [
            ("x", "loyal", "2024-02-16", "feedback"),
            ("x", "loyal", "2024-02-19", "service"),
            ("x", "loyal", "2024-02-23", "extra sale"),
            ("x", "loyal", "2024-02-26", "referral request"),
            ("x", "loyal", "2024-03-01", "news of offers"),
            ("x", "loyal", "2024-03-08", "feedback"),
            ("x", "loyal", "2024-03-16", "service"),
            ("x", "loyal", "2024-03-24", "extra sale"),
            ("x", "loyal", "2024-04-01", "referral request"),
            ("x", "loyal", "2024-04-08", "news of offers"),
            ("x", "loyal", "2024-04-16", "feedback"),
            ("x", "loyal", "2024-04-23", "service"),
            ("y", "inactive", "2024-02-16", "feedback"),
            ("y", "inactive", "2024-03-01", "gift"),
            ("y", "inactive", "2024-04-01", "extra sale"),
        ]
    )
    pd.testing.assert_frame_equal(got, expected)


def test_plan_by_quarter_with_a_custom_cadence() -> None:
    segments = pd.Series(pd.Categorical(["vip", "rest"], ["vip", "rest"]), index=[1, 2])
    cadence = {"vip": (2, ["call", "visit"]), "rest": (1, "newsletter")}
    got = rt.contact_plan(segments, cadence=cadence, start="2024-01-01", freq="Q")
    # Q1 2024 has 91 days; vip: 6 contacts, every floor(91 i / 6) days: 0, 15, 30, 45, 60, 75
    vip_days = pd.Timestamp("2024-01-01") + pd.to_timedelta([0, 15, 30, 45, 60, 75], unit="D")
    rest_days = pd.Timestamp("2024-01-01") + pd.to_timedelta([0, 30, 60], unit="D")
    assert list(got["due"]) == [*vip_days, *rest_days]
    assert list(got["goal"]) == ["call", "visit"] * 3 + ["newsletter"] * 3
    # a categorical segment stays categorical with its categories
    assert got["segment"].dtype == segments.dtype
    assert list(got["customer_id"]) == [1] * 6 + [2] * 3


def test_plan_of_nobody() -> None:
    got = rt.contact_plan(pd.Series([], dtype="str"), start="2024-01-01")
    assert list(got.columns) == ["customer_id", "segment", "due", "goal"]
    assert len(got) == 0


def test_plan_bad_input() -> None:
    good = pd.Series(["loyal"], index=[1])
    with pytest.raises(
        InvalidValueError, match="no cadence for the segments 'vip' \\(2 customers\\)"
    ):
        rt.contact_plan(pd.Series(["vip", "loyal", "vip"], index=[1, 2, 3]), start="2024-01-01")
    with pytest.raises(
        ColumnTypeError, match="'segments' argument of contact_plan must be a pandas Series"
    ):
        rt.contact_plan(["loyal"], start="2024-01-01")  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="duplicated customer ids"):
        rt.contact_plan(pd.Series(["loyal", "new"], index=[1, 1]), start="2024-01-01")
    with pytest.raises(
        InvalidParameterError, match="'start' parameter of contact_plan is not a date"
    ):
        rt.contact_plan(good, start="next monday")
    with pytest.raises(InvalidParameterError, match="'periods' parameter of contact_plan"):
        rt.contact_plan(good, start="2024-01-01", periods=0)
    with pytest.raises(InvalidParameterError, match="'periods' parameter"):
        rt.contact_plan(good, start="2024-01-01", periods=1.5)  # type: ignore[arg-type]
    with pytest.raises(
        InvalidParameterError, match="'freq' parameter of contact_plan must be one of 'M', 'Q', 'Y'"
    ):
        rt.contact_plan(good, start="2024-01-01", freq="W")
    with pytest.raises(ColumnTypeError, match="mix types that cannot be sorted"):
        rt.contact_plan(pd.Series(["loyal", "new"], index=[1, "a"]), start="2024-01-01")
    # A number is no date: pandas would read 20240701 as nanoseconds after 1970-01-01.
    with pytest.raises(
        InvalidParameterError, match="'start' parameter of contact_plan is a number"
    ):
        rt.contact_plan(good, start=20240701)  # type: ignore[arg-type]


@pytest.mark.parametrize("periods", [3000, 10**8, 10**30])
def test_plan_sizes_are_refused_before_allocating(periods: int) -> None:
    with pytest.raises(InvalidParameterError, match="after 2262-04-11"):
        rt.contact_plan(pd.Series(["loyal"], index=[1]), start="2024-01-01", periods=periods)


@pytest.mark.parametrize(
    "start", ["1677-09-21", "1600-01-01", pd.Timestamp("1000-06-15").as_unit("s")]
)
def test_plan_starting_before_the_dates_pandas_holds_is_refused(start: object) -> None:
    # Due dates in nanoseconds before 1677-09-22 would wrap around into the 22nd century.
    with pytest.raises(
        InvalidParameterError,
        match=r"'start' parameter of contact_plan is \d{4}-\d\d-\d\d: the plan would start before 1677-09-22",
    ):
        rt.contact_plan(pd.Series(["loyal"], index=[1]), start=start)


def test_plan_starting_on_the_first_day_pandas_holds() -> None:
    plan = rt.contact_plan(pd.Series(["loyal"], index=[1]), start="1677-09-22", periods=2)
    assert plan["due"].is_monotonic_increasing
    assert plan["due"].iloc[0] == pd.Timestamp("1677-09-22")
    assert plan["due"].iloc[-1] < pd.Timestamp("1677-11-01")


def test_plan_too_large_for_memory_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    # 1,000 customers for 200 years of monthly contacts: refused against the machine's memory.
    monkeypatch.setattr("retention.errors._memory_bytes", lambda: 1 << 20)
    segments = pd.Series(["loyal"] * 1000, index=range(1000))
    with pytest.raises(InvalidParameterError, match=r"values .*Pass fewer periods="):
        rt.contact_plan(segments, start="2024-01-01", periods=2400)


def test_plan_bad_cadence() -> None:
    good = pd.Series(["loyal"], index=[1])
    cadence = rt.default_contact_cadence()
    none_a_month = cadence.assign(contacts_per_month=[4, 2, 4, 0, 1, 1])
    with pytest.raises(InvalidValueError, match=r"whole numbers >= 1 .* segment 'refused' has 0"):
        rt.contact_plan(good, cadence=none_a_month, start="2024-01-01")
    fractional = cadence.assign(contacts_per_month=[4.5, 2, 4, 1, 1, 1])
    with pytest.raises(InvalidValueError, match=r"segment 'loyal' has 4.5"):
        rt.contact_plan(good, cadence=fractional, start="2024-01-01")
    with pytest.raises(ColumnNotFoundError, match="'goals'"):
        rt.contact_plan(good, cadence=cadence.drop(columns="goals"), start="2024-01-01")
    with pytest.raises(InvalidValueError, match=r"'goals' of segment 'loyal' .* non-empty list"):
        rt.contact_plan(good, cadence={"loyal": (4, [])}, start="2024-01-01")
    with pytest.raises(InvalidParameterError, match="maps each segment to a pair"):
        rt.contact_plan(good, cadence={"loyal": 4}, start="2024-01-01")  # type: ignore[dict-item]
    with pytest.raises(InvalidValueError, match="name each segment once"):
        rt.contact_plan(good, cadence=pd.concat([cadence, cadence]), start="2024-01-01")
    with pytest.raises(
        ColumnTypeError, match="'cadence' parameter of contact_plan must be a DataFrame"
    ):
        rt.contact_plan(good, cadence=[("loyal", 4, ["call"])], start="2024-01-01")  # type: ignore[arg-type]


working_segments = st.dictionaries(st.integers(0, 10_000), st.sampled_from(WORKING), max_size=30)


@given(
    working_segments,
    st.dates(
        min_value=pd.Timestamp("2020-01-01").date(), max_value=pd.Timestamp("2030-12-31").date()
    ),
    st.integers(1, 4),
    st.randoms(use_true_random=False),
)
def test_plan_invariants(segments_map: dict[int, str], start: Any, periods: int, rnd: Any) -> None:
    segments = pd.Series(list(segments_map.values()), index=list(segments_map), dtype="str")
    kept = segments.copy()
    plan = rt.contact_plan(segments, start=start, periods=periods)
    per_month = rt.default_contact_cadence().set_index("segment")["contacts_per_month"]
    first = pd.Timestamp(start)
    months = pd.period_range(first.to_period("M"), periods=periods, freq="M")
    month_of = plan["due"].dt.to_period("M")
    for customer, segment in segments_map.items():
        mine = month_of[plan["customer_id"] == customer]
        counts = mine.value_counts().reindex(months, fill_value=0)
        # exactly the cadence's number of contacts every month, and at least one
        assert (counts == per_month[segment]).all()
        assert (counts >= 1).all()
    assert len(plan) == sum(per_month[s] for s in segments_map.values()) * periods
    assert (plan["due"] >= first).all()
    assert (plan["due"] <= months[-1].end_time).all()
    assert plan["customer_id"].is_monotonic_increasing
    # the row order of the segments does not matter, and they are not modified
    shuffled = segments.iloc[rnd.sample(range(len(segments)), len(segments))]
    pd.testing.assert_frame_equal(rt.contact_plan(shuffled, start=start, periods=periods), plan)
    pd.testing.assert_series_equal(segments, kept)


# --- contact_compliance -----------------------------------------------------------------------


def compliance_frame(rows: list[tuple[int, int, int, float]], index: pd.Index) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "planned": np.array([r[0] for r in rows], dtype=np.int64),
            "done": np.array([r[1] for r in rows], dtype=np.int64),
            "met": np.array([r[2] for r in rows], dtype=np.int64),
            "compliance": np.array([r[3] for r in rows], dtype=np.float64),
        },
        index=index,
    )


def example_plan() -> pd.DataFrame:
    """Customer 1 loyal (due 1, 8, 16, 24 July), 2 inactive (due 1 July), 3 new (due 1 and 16 July)."""
    segments = pd.Series(["loyal", "inactive", "new"], index=[1, 2, 3])
    return rt.contact_plan(segments, start="2024-07-01")


def example_log() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 1, 2, 3, 9, 1],
            "date": pd.to_datetime(
                [
                    "2024-07-02",  # 1: meets due 1 July
                    "2024-07-03",  # 1: meets due 8 July (5 days early)
                    "2024-07-04",  # 1: nothing left within 7 days (due 16 July is 12 days away)
                    "2024-07-30",  # 1: meets due 24 July; due 16 July is missed
                    "2024-07-09",  # 2: 8 days after due 1 July: too late
                    "2024-07-16",  # 3: meets due 16 July; due 1 July is missed
                    "2024-07-05",  # 9: not in the plan
                    "2024-09-30",  # 1: after the plan's window (24 July + 7 days)
                ]
            ),
            "manager": ["ann", "ann", "bob", "ann", "bob", "bob", "ann", "bob"],
        }
    )


def test_compliance_overall_by_hand() -> None:
    got = rt.contact_compliance(example_plan(), example_log())
    # planned 4 + 1 + 2 = 7; counted log rows: 4 + 1 + 1 = 6; met 3 + 0 + 1 = 4
    expected = compliance_frame([(7, 6, 4, 4 / 7)], pd.Index(["(all)"], name="group"))
    pd.testing.assert_frame_equal(got, expected, rtol=1e-15, atol=0)


def test_compliance_by_owner_from_the_log() -> None:
    got = rt.contact_compliance(example_plan(), example_log(), owner="manager")
    # latest contact: customer 1 bob (30 September), 2 bob, 3 bob: all of bob's
    expected = compliance_frame(
        [(7, 6, 4, 4 / 7), (7, 6, 4, 4 / 7)], pd.Index(["bob", "(all)"], name="manager")
    )
    pd.testing.assert_frame_equal(got, expected, rtol=1e-15, atol=0)
    log = example_log().iloc[:-1]  # without the September call, customer 1 is ann's
    got = rt.contact_compliance(example_plan(), log, owner="manager")
    expected = compliance_frame(
        [(4, 4, 3, 0.75), (3, 2, 1, 1 / 3), (7, 6, 4, 4 / 7)],
        pd.Index(["ann", "bob", "(all)"], name="manager"),
    )
    pd.testing.assert_frame_equal(got, expected, rtol=1e-15, atol=0)


def test_compliance_by_owner_from_the_plan_and_segment() -> None:
    plan = example_plan().merge(
        pd.DataFrame({"customer_id": [1, 2, 3], "manager": ["cy", "cy", "dee"]}), on="customer_id"
    )
    got = rt.contact_compliance(plan, example_log(), owner="manager", by_segment=True)
    # segments are sorted (plain labels): inactive before loyal
    expected = compliance_frame(
        [(1, 1, 0, 0.0), (4, 4, 3, 0.75), (2, 1, 1, 0.5), (7, 6, 4, 4 / 7)],
        pd.MultiIndex.from_tuples(
            [("cy", "inactive"), ("cy", "loyal"), ("dee", "new"), ("(all)", "(all)")],
            names=["manager", "segment"],
        ),
    )
    pd.testing.assert_frame_equal(got, expected, rtol=1e-15, atol=0)


def test_compliance_by_segment_keeps_category_order() -> None:
    segments = pd.Series(pd.Categorical(["loyal", "inactive"], ["loyal", "inactive"]), index=[1, 2])
    plan = rt.contact_plan(segments, start="2024-07-01")
    got = rt.contact_compliance(plan, example_log(), by_segment=True)
    assert list(got.index) == ["loyal", "inactive", "(all)"]
    assert got.index.name == "segment"
    assert got["met"].tolist() == [3, 0, 3]


def test_compliance_tolerance() -> None:
    got = rt.contact_compliance(example_plan(), example_log(), tolerance="8D")
    # with 8 days customer 2's call on 9 July meets due 1 July as well; customer 1 still meets 3 (the
    # call of 4 July is 12 days before due 16 July) and customer 3 one.
    assert got.loc["(all)", "met"] == 5
    # with 1 day only 2 July (due 1 July, customer 1) and 16 July (customer 3) meet anything
    assert (
        rt.contact_compliance(example_plan(), example_log(), tolerance=1).loc["(all)", "met"] == 2
    )


def test_compliance_of_an_empty_plan_or_log() -> None:
    empty = rt.contact_compliance(example_plan().iloc[:0], example_log(), owner="manager")
    assert empty.index.tolist() == ["(all)"]
    assert empty[["planned", "done", "met"]].to_numpy().tolist() == [[0, 0, 0]]
    assert np.isnan(empty.loc["(all)", "compliance"])
    nothing_done = rt.contact_compliance(example_plan(), example_log().iloc[:0], owner="manager")
    expected = compliance_frame(
        [(7, 0, 0, 0.0), (7, 0, 0, 0.0)], pd.Index(["(unassigned)", "(all)"], name="manager")
    )
    pd.testing.assert_frame_equal(nothing_done, expected)


def test_compliance_bad_input() -> None:
    plan, log = example_plan(), example_log()
    with pytest.raises(
        ColumnNotFoundError,
        match="'boss' \\(the owner column\\) of contact_compliance is in neither",
    ):
        rt.contact_compliance(plan, log, owner="boss")
    two = plan.assign(manager=["a", "b", "a", "a", "a", "a", "a"])
    with pytest.raises(InvalidValueError, match="more than one owner for one customer"):
        rt.contact_compliance(two, log, owner="manager")
    with pytest.raises(ColumnNotFoundError, match="'segment'"):
        rt.contact_compliance(plan.drop(columns="segment"), log, by_segment=True)
    with pytest.raises(ColumnNotFoundError, match="'due'"):
        rt.contact_compliance(plan.drop(columns="due"), log)
    with pytest.raises(ColumnNotFoundError, match="'when'"):
        rt.contact_compliance(plan, log, date="when")
    with pytest.raises(InvalidParameterError, match="'tolerance' parameter of contact_compliance"):
        rt.contact_compliance(plan, log, tolerance="-3D")
    with pytest.raises(ColumnTypeError, match="DataFrame"):
        rt.contact_compliance(plan, log.to_dict())  # type: ignore[arg-type]
    # One rule for booleans, as for cohort_table(normalize=...): "yes" is not True.
    for flag in ("yes", 1, None):
        with pytest.raises(InvalidParameterError, match=r"'by_segment' parameter.*True or False"):
            rt.contact_compliance(plan, log, by_segment=flag)  # type: ignore[arg-type]
    bad = log.assign(date=log["date"].astype(object))
    bad.loc[2, "date"] = None
    with pytest.raises(InvalidValueError, match="missing dates"):
        rt.contact_compliance(plan, bad)


@pytest.mark.parametrize(
    ("owner", "shown"),
    [
        (["manager"], r"\['manager'\]"),
        ({"manager": "ann"}, r"\{'manager': 'ann'\}"),
        (np.array(["manager"]), "a value of type ndarray"),
    ],
)
def test_compliance_owner_must_be_a_column_label(owner: object, shown: str) -> None:
    with pytest.raises(
        InvalidParameterError,
        match=rf"'owner' parameter of contact_compliance must be a column label .* or a Series of "
        rf"owners indexed by customer id\. Got {shown}\.",
    ):
        rt.contact_compliance(example_plan(), example_log(), owner=owner)


def test_compliance_owners_that_cannot_be_grouped_are_refused() -> None:
    plan, log = example_plan(), example_log()
    match = r"owner column given to contact_compliance holds values that cannot be grouped \(unhashable type: 'list'\)"
    with pytest.raises(ColumnTypeError, match=match):
        rt.contact_compliance(plan, log.assign(manager=[["ann"]] * len(log)), owner="manager")
    with pytest.raises(ColumnTypeError, match=match):
        rt.contact_compliance(plan.assign(manager=[["ann"]] * len(plan)), log, owner="manager")


contact_log = st.lists(
    st.tuples(st.integers(0, 5), st.integers(0, 75), st.sampled_from(["ann", "bob"])), max_size=40
)


@given(working_segments, contact_log, st.integers(1, 10), st.randoms(use_true_random=False))
def test_compliance_invariants(
    segments_map: dict[int, str], calls: list[tuple[int, int, str]], tol: int, rnd: Any
) -> None:
    # customer ids 0..5 so that the log often meets the plan
    segments = pd.Series(
        list(segments_map.values()), index=[k % 6 + 100 * (k // 6 > 0) for k in segments_map]
    )
    segments = segments[~segments.index.duplicated()]
    plan = rt.contact_plan(segments, start="2024-05-01", periods=2)
    log = pd.DataFrame(
        {
            "customer_id": [c for c, _, _ in calls],
            "date": pd.Timestamp("2024-04-20")
            + pd.to_timedelta([d for _, d, _ in calls], unit="D"),
            "manager": [m for _, _, m in calls],
        }
    )
    kept = copy.deepcopy((plan, log))
    got = rt.contact_compliance(plan, log, owner="manager", by_segment=True, tolerance=tol)
    total = got.iloc[-1]
    assert total["planned"] == len(plan)
    assert (got["met"] <= got["planned"]).all()
    assert (got["met"] <= got["done"]).all()
    defined = got["compliance"].dropna()
    assert ((defined >= 0) & (defined <= 1)).all()
    body = got.iloc[:-1]
    assert (
        body[["planned", "done", "met"]].sum().tolist()
        == total[["planned", "done", "met"]].tolist()
    )
    # the order of the rows of either table does not matter; neither is modified
    shuffled_plan = plan.iloc[rnd.sample(range(len(plan)), len(plan))]
    shuffled_log = log.iloc[rnd.sample(range(len(log)), len(log))]
    again = rt.contact_compliance(
        shuffled_plan, shuffled_log, owner="manager", by_segment=True, tolerance=tol
    )
    pd.testing.assert_frame_equal(again, got)
    pd.testing.assert_frame_equal(plan, kept[0])
    pd.testing.assert_frame_equal(log, kept[1])


def test_plan_and_compliance_with_the_working_segments() -> None:
    tx = rt.simulate_transactions(200, start="2023-01-01", end="2023-12-31", seed=11)
    segments = rt.working_segments(rt.customer_features(tx, observation_end="2023-12-31"))
    plan = rt.contact_plan(segments, start="2024-01-01", periods=2)
    per_month = rt.default_contact_cadence().set_index("segment")["contacts_per_month"]
    expected = segments.astype(str).map(per_month).sum() * 2
    assert len(plan) == expected
    # a log that makes every planned contact on its due day meets all of them
    done = plan.rename(columns={"due": "date"})
    table = rt.contact_compliance(plan, done, by_segment=True)
    assert (table["compliance"] == 1.0).all()


def test_compliance_owner_series_equals_the_owner_merged_into_the_plan() -> None:
    # The assignment given as a Series keyed by customer id reads as the same assignment merged into the
    # plan as a column (the path the docs showed before), with customers it does not list unassigned.
    plan, log = example_plan(), example_log()
    assigned = pd.Series(["bob", "ann", "ann"], index=[3, 1, 9], name="manager")  # 2 unassigned
    got = rt.contact_compliance(plan, log, owner=assigned, by_segment=True)
    merged = plan.assign(manager=plan["customer_id"].map(assigned))
    expected = rt.contact_compliance(merged, log, owner="manager", by_segment=True)
    pd.testing.assert_frame_equal(got, expected)
    assert "(unassigned)" in got.index.get_level_values("manager")
    plain = rt.contact_compliance(plan, log, owner=assigned.rename(None))
    assert plain.index.name == "owner"
    assert plain.loc["ann", "planned"] == 4  # customer 1 (loyal): four contacts due


def test_compliance_owner_series_is_checked_like_by() -> None:
    plan, log = example_plan(), example_log()
    twice = pd.Series(["ann", "bob"], index=[1, 1])
    with pytest.raises(InvalidValueError, match=r"'owner' parameter.*customer 1 more than once"):
        rt.contact_compliance(plan, log, owner=twice)
    text = pd.Series(["ann", "bob"], index=["1", "2"])
    with pytest.raises(InvalidValueError, match=r"'owner' parameter.*none of the customer ids"):
        rt.contact_compliance(plan, log, owner=text)
    nobody = pd.Series([], dtype=object)  # nobody assigned yet: everyone unassigned
    table = rt.contact_compliance(plan, log, owner=nobody)
    assert list(table.index) == ["(unassigned)", "(all)"]
    pd.testing.assert_frame_equal(plan, example_plan())  # inputs untouched
