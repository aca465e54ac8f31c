"""Tests of rt.complaint_outcomes: hand-computed lifetimes from the complaint date, the rules of the
groups, agreement with compare_retention on a table re-dated by hand, and bad input."""

from __future__ import annotations

import warnings
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import retention as rt
import retention.frames.complaints as module
from retention.errors import (
    ColumnNotFoundError,
    ColumnTypeError,
    InvalidParameterError,
    InvalidValueError,
    RetentionWarning,
)

END = "2024-06-30"


def small() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The docstring's six customers: 1 and 2 resolved, 3 and 4 unresolved, 5 and 6 never complained."""
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 2, 2, 2, 3, 3, 4, 5, 5, 6, 6],
            "date": pd.to_datetime(
                ["2024-01-10", "2024-03-20", "2024-05-01", "2024-02-01", "2024-04-15",
                 "2024-06-10", "2024-01-05", "2024-03-02", "2024-02-20", "2024-01-15",
                 "2024-02-10", "2024-01-20", "2024-06-01"]
            ),
        }
    )  # fmt: skip
    complaints = pd.DataFrame(
        {
            "customer_id": [1, 2, 3, 4],
            "date": pd.to_datetime(["2024-03-01", "2024-03-05", "2024-03-01", "2024-03-03"]),
            "resolved": [True, True, False, False],
        }
    )
    return tx, complaints


def run_small(**options: Any) -> rt.RetentionComparison:
    tx, complaints = small()
    settings = {"horizons": ["30D", "60D"], "inactive_after": "60D", "observation_end": END}
    return rt.complaint_outcomes(tx, complaints, **(settings | options))


# --- hand-computed --------------------------------------------------------------------------------------


def test_hand_computed_groups() -> None:
    """Lifetimes from the complaint, inactive after 60 days, end 30 June (July 1 is 122 days after Mar 1):

    resolved: 1 (Mar 1; buys Mar 20 = day 19, May 1 = day 61; lapsed, 61), 2 (Mar 5; Apr 15 = day 41,
    Jun 10 = day 97; censored, 97); unresolved: 3 (Mar 1; Mar 2 = day 1; lapsed, 1), 4 (Mar 3; never
    again; lapsed, 0); no complaint, from the first purchase: 5 (Jan 15, Feb 10; lapsed, 26), 6 (Jan 20,
    then 133 days to Jun 1; lapsed, 0).
    """
    g = run_small().groups
    assert list(g.index) == ["no complaint", "resolved", "unresolved"]
    assert g.index.name == "complaint"
    assert list(g["customers"]) == [2, 2, 2]
    # Kaplan-Meier: resolved 1 until day 61, then 1/2; unresolved 1/2 at 0, 0 at 1; no complaint 1/2
    # at 0, 0 at 26.
    assert list(g["survival_30D"]) == [0.0, 1.0, 0.0]
    assert list(g["survival_60D"]) == [0.0, 1.0, 0.0]
    assert list(g["median_lifetime"]) == [0.0, 61.0, 0.0]
    # RMST up to the largest time every group reaches: min(26, 97, 1) = 1 day.
    assert list(g["rmst"]) == [0.5, 1.0, 0.5]
    # Repurchase: gaps to the next purchase day 19 and 41 (resolved), 1 and none (unresolved), 26 and
    # 133 (no complaint); everybody observed for 60 days.
    assert list(g["observed_60D"]) == [2, 2, 2]
    assert list(g["repurchased_30D"]) == [1, 1, 1]
    assert list(g["repurchased_60D"]) == [1, 2, 1]


def test_differences_read_resolved_minus_unresolved() -> None:
    result = run_small()
    assert result.control == "unresolved"
    pairs = set(result.differences.index.droplevel(["measure", "days"]))
    assert pairs == {("no complaint", "unresolved"), ("resolved", "unresolved")}
    row = result.differences.loc[("resolved", "unresolved", "repurchase_share", 60)]
    assert row["estimate"] == 1.0 - 0.5
    low, high = rt.stats.newcombe_interval(2, 2, 1, 2)
    assert (row["ci_lower"], row["ci_upper"]) == (low, high)
    every_pair = run_small(control=None)
    assert every_pair.control is None
    assert len(set(every_pair.differences.index.droplevel(["measure", "days"]))) == 3


def test_group_and_clock_rules() -> None:
    tx, _ = small()
    complaints = pd.DataFrame(
        {
            # 1: two complaints on its first complaint day, one open -> unresolved; a later resolved
            # one changes nothing. 2: its first complaint is resolved, a later one open -> resolved.
            # 3: complains after the observation end -> no complaint. 99: never bought -> left out.
            "customer_id": [1, 1, 1, 2, 2, 3, 99],
            "date": pd.to_datetime(
                ["2024-03-01", "2024-03-01", "2024-04-01", "2024-03-05", "2024-03-06",
                 "2024-07-02", "2024-03-01"]
            ),
            "resolved": [True, False, True, True, False, False, True],
        }
    )  # fmt: skip
    result = rt.complaint_outcomes(
        tx, complaints, horizons=["60D"], inactive_after="60D", observation_end=END, control=None
    )
    assert result.groups["customers"].to_dict() == {
        "no complaint": 4,
        "resolved": 1,
        "unresolved": 1,
    }


def test_a_purchase_on_the_complaint_day_is_not_coming_back() -> None:
    tx = pd.DataFrame(
        {"customer_id": [1, 1, 2, 2], "date": pd.to_datetime(["2024-01-01", "2024-03-01"] * 2)}
    )
    complaints = pd.DataFrame(
        {
            "customer_id": [1, 2],
            "date": pd.to_datetime(["2024-03-01"] * 2),
            "resolved": [True, False],
        }
    )
    g = rt.complaint_outcomes(
        tx, complaints, horizons=["30D"], observation_end="2024-06-30", control=None
    ).groups
    assert list(g.index) == ["resolved", "unresolved"]  # nobody without a complaint: no such group
    assert list(g["repurchased_30D"]) == [0, 0]
    assert list(g["median_lifetime"]) == [0.0, 0.0]


# --- agreement with compare_retention on a table re-dated by hand ---------------------------------------


def redated(tx: pd.DataFrame, complaints: pd.DataFrame, end: pd.Timestamp) -> pd.DataFrame:
    """The purchases as the clock of the complaint sees them, built row by row with pandas."""
    bought = tx[tx["date"] <= end]
    customers = set(bought["customer_id"])
    kept = complaints[(complaints["date"] <= end) & complaints["customer_id"].isin(customers)]
    rows = []
    for customer in sorted(customers):
        mine = kept[kept["customer_id"] == customer]
        days = sorted(set(bought.loc[bought["customer_id"] == customer, "date"].dt.normalize()))
        if len(mine) == 0:
            rows += [(customer, day, "no complaint") for day in days]
            continue
        first = mine["date"].dt.normalize().min()
        on_first = mine[mine["date"].dt.normalize() == first]
        group = "resolved" if on_first["resolved"].all() else "unresolved"
        rows.append((customer, first, group))
        rows += [(customer, day, group) for day in days if day > first]
    return pd.DataFrame(rows, columns=["customer_id", "date", "complaint"])


ORIGIN = pd.Timestamp("2024-01-01")
purchases_drawn = st.lists(
    st.tuples(st.integers(1, 10), st.integers(0, 300)), min_size=1, max_size=35
)
complaints_drawn = st.lists(
    st.tuples(st.integers(1, 11), st.integers(0, 320), st.booleans()), min_size=1, max_size=10
)


def drawn(
    purchases: list[tuple[int, int]], events: list[tuple[int, int, bool]]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The purchases (customer, day) and complaints (customer, day, resolved), days from ORIGIN."""
    tx = pd.DataFrame(purchases, columns=["customer_id", "day"])
    tx["date"] = ORIGIN + pd.to_timedelta(tx["day"], unit="D")
    complaints = pd.DataFrame(events, columns=["customer_id", "day", "resolved"])
    complaints["date"] = ORIGIN + pd.to_timedelta(complaints["day"], unit="D")
    return tx, complaints


@given(purchases_drawn, complaints_drawn)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_equals_compare_retention_on_the_redated_table(
    purchases: list[tuple[int, int]], events: list[tuple[int, int, bool]]
) -> None:
    tx, complaints = drawn(purchases, events)
    end = ORIGIN + pd.Timedelta(days=300)
    options: dict[str, Any] = {"horizons": ["30D", "90D"], "inactive_after": "45D", "control": None}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RetentionWarning)  # crossing curves, warned by both
        ours = rt.complaint_outcomes(tx, complaints, observation_end=end, **options)
        theirs = rt.compare_retention(
            redated(tx, complaints, end), "complaint", observation_end=end, **options
        )
    pd.testing.assert_frame_equal(ours.groups, theirs.groups)
    pd.testing.assert_frame_equal(ours.differences, theirs.differences)
    pd.testing.assert_frame_equal(ours.test, theirs.test)


def test_row_order_and_unmodified_input() -> None:
    tx, complaints = small()
    before = (tx.copy(), complaints.copy())
    expected = run_small()
    tx2 = tx.sample(frac=1.0, random_state=3)
    c2 = complaints.sample(frac=1.0, random_state=4)
    shuffled = rt.complaint_outcomes(
        tx2, c2, horizons=["30D", "60D"], inactive_after="60D", observation_end=END
    )
    pd.testing.assert_frame_equal(expected.groups, shuffled.groups)
    pd.testing.assert_frame_equal(expected.differences, shuffled.differences)
    pd.testing.assert_frame_equal(tx, before[0])
    pd.testing.assert_frame_equal(complaints, before[1])


# --- whole-day shifts ----------------------------------------------------------------------------------


def moved(frame: pd.DataFrame, start: str, unit: str) -> pd.DataFrame:
    """``frame`` with every date moved by whole days, so that 2024-03-01 falls on ``start``."""
    shift = pd.Timestamp(start) - pd.Timestamp("2024-03-01")
    return frame.assign(date=frame["date"].astype(f"datetime64[{unit}]") + shift)


def same_comparison(got: rt.RetentionComparison, expected: rt.RetentionComparison) -> None:
    for name in ("groups", "differences", "test"):
        pd.testing.assert_frame_equal(getattr(got, name), getattr(expected, name), check_exact=True)
    assert (got.control, got.horizons, got.adjust) == (
        expected.control,
        expected.horizons,
        expected.adjust,
    )
    assert got.tau == expected.tau or (pd.isna(got.tau) and pd.isna(expected.tau))


# Out of the range of nanosecond timestamps (1677-09-22 to 2262-04-11), and across either end of it: the
# purchases from January to June of 2024 then fall on both sides.
MOVED_STARTS = ["2024-03-01", "2300-03-01", "1600-03-01", "2262-03-01", "1677-10-15"]


@pytest.mark.parametrize("unit", ["s", "us"])
@pytest.mark.parametrize("start", MOVED_STARTS)
def test_moving_every_date_by_whole_days_changes_nothing(start: str, unit: str) -> None:
    tx, complaints = small()
    shift = pd.Timestamp(start) - pd.Timestamp("2024-03-01")
    options: dict[str, Any] = {"horizons": ["30D", "60D"], "inactive_after": "60D", "control": None}
    # The observation end given, and by default (the last purchase day, 10 June).
    for end, moved_end in ((END, pd.Timestamp(END) + shift), (None, None)):
        expected = rt.complaint_outcomes(tx, complaints, observation_end=end, **options)
        assert list(expected.groups.index) == ["no complaint", "resolved", "unresolved"]
        got = rt.complaint_outcomes(
            moved(tx, start, unit),
            moved(complaints, start, unit),
            observation_end=moved_end,
            **options,
        )
        same_comparison(got, expected)


@given(purchases_drawn, complaints_drawn, st.sampled_from(MOVED_STARTS[1:]))
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_moving_every_date_by_whole_days_changes_no_comparison(
    purchases: list[tuple[int, int]], events: list[tuple[int, int, bool]], start: str
) -> None:
    tx, complaints = drawn(purchases, events)
    options: dict[str, Any] = {"horizons": ["30D", "90D"], "inactive_after": "45D", "control": None}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RetentionWarning)  # crossing curves, warned by both
        expected = rt.complaint_outcomes(tx, complaints, **options)
        got = rt.complaint_outcomes(moved(tx, start, "s"), moved(complaints, start, "s"), **options)
    same_comparison(got, expected)


# --- bad input ------------------------------------------------------------------------------------------


def test_bad_resolved_column() -> None:
    tx, complaints = small()
    with pytest.raises(ColumnNotFoundError, match=r"'resolved'.*complaint_outcomes compares"):
        rt.complaint_outcomes(tx, complaints.drop(columns="resolved"))
    with pytest.raises(ColumnNotFoundError, match="'fixed'"):
        rt.complaint_outcomes(tx, complaints, resolved="fixed")
    with pytest.raises(
        ColumnTypeError, match=r"'resolved'.*complaint_outcomes must hold True/False"
    ):
        rt.complaint_outcomes(tx, complaints.assign(resolved=["yes", "yes", "no", "no"]))
    flags = pd.array([True, True, None, False], dtype="boolean")
    with pytest.raises(InvalidValueError, match=r"'resolved'.*missing values.*first at index 2"):
        rt.complaint_outcomes(tx, complaints.assign(resolved=flags))
    with pytest.raises(InvalidParameterError, match="'resolved' parameter of complaint_outcomes"):
        rt.complaint_outcomes(tx, complaints, resolved=None)


def test_bad_complaints_table() -> None:
    tx, complaints = small()
    with pytest.raises(ColumnNotFoundError, match="complaints table passed to complaint_outcomes"):
        rt.complaint_outcomes(tx, complaints.drop(columns="date"))
    with pytest.raises(ColumnTypeError, match="different kinds"):
        rt.complaint_outcomes(tx, complaints.astype({"customer_id": str}))
    with pytest.raises(ColumnTypeError, match="DataFrame"):
        rt.complaint_outcomes(tx, complaints.to_dict())


def test_bad_options_name_the_function() -> None:
    tx, complaints = small()
    with pytest.raises(InvalidParameterError, match="'control' parameter of complaint_outcomes"):
        rt.complaint_outcomes(tx, complaints, control="happy")
    with pytest.raises(InvalidParameterError, match="'horizons' parameter of complaint_outcomes"):
        rt.complaint_outcomes(tx, complaints, horizons=[])
    with pytest.raises(InvalidParameterError, match="'alpha' parameter of complaint_outcomes"):
        rt.complaint_outcomes(tx, complaints, alpha=2.0)
    with pytest.raises(InvalidParameterError, match="'adjust' parameter of complaint_outcomes"):
        rt.complaint_outcomes(tx, complaints, adjust="sidak")
    # Every complaint resolved: no unresolved group to compare with.
    with pytest.raises(
        InvalidParameterError,
        match="'control' parameter of complaint_outcomes must be one of the groups",
    ):
        rt.complaint_outcomes(tx, complaints.assign(resolved=True), observation_end=END)
    # A tau past a group's censored curve.
    with pytest.raises(InvalidParameterError, match="'tau' parameter of complaint_outcomes"):
        run_small(tau="200D")


def test_warnings_name_the_function(monkeypatch: pytest.MonkeyPatch) -> None:
    """compare_retention's warnings (crossing curves) reach the caller under this function's name."""
    original = module.compare_retention

    def warning_comparison(*args: Any, **kwargs: Any) -> rt.RetentionComparison:
        warnings.warn(
            "compare_retention: the survival curves cross", RetentionWarning, stacklevel=2
        )
        return original(*args, **kwargs)

    monkeypatch.setattr(module, "compare_retention", warning_comparison)
    with pytest.warns(RetentionWarning, match=r"^complaint_outcomes: the survival curves cross"):
        run_small()
