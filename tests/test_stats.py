"""Tests of rt.stats: the public statistics on durations users bring, their input checks and their results.

The numerics are tested in tests/core/test_stats.py; here: the adapter reads every usual container, refuses
bad input with errors that name the argument, the problem and the fix, returns readable results, and its
Kaplan-Meier numbers are those of rt.survival_curve and lifelines.
"""

from __future__ import annotations

import re
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

import retention as rt
from retention.errors import ColumnTypeError, InvalidParameterError, InvalidValueError

DURATIONS = [5, 8, 12, 20, 30, 3, 4, 6, 9, 10]
EVENTS = [1, 1, 0, 1, 0, 1, 1, 1, 1, 0]
GROUPS = ["web"] * 5 + ["store"] * 5


def test_public_names() -> None:
    assert "stats" in rt.__all__
    assert rt.stats.logrank_test is not None
    for name in rt.stats.__all__:
        assert hasattr(rt.stats, name)


def test_import_does_not_load_optional_packages() -> None:
    code = "import retention, sys; print(sorted(m for m in ('lifelines', 'statsmodels') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- results ------------------------------------------------------------------------------------------------


def test_logrank_result() -> None:
    result = rt.stats.logrank_test(DURATIONS, EVENTS, GROUPS)
    assert isinstance(result, rt.stats.LogrankResult)
    assert type(result.statistic) is float
    assert type(result.df) is int
    assert type(result.p_value) is float
    assert repr(result).startswith("LogrankResult(statistic=1.6033")
    with pytest.raises(AttributeError):
        result.statistic = 0.0  # type: ignore[misc]  # frozen
    # Containers do not matter.
    for convert in (np.asarray, pd.Series, tuple):
        again = rt.stats.logrank_test(convert(DURATIONS), convert(EVENTS), convert(GROUPS))
        assert again == result


def test_rmst_result_is_a_tuple() -> None:
    result = rt.stats.rmst([1, 2, 3, 4], [True, True, False, True], tau=4)
    estimate, standard_error = result
    assert (estimate, result.estimate) == (2.75, 2.75)
    assert standard_error == pytest.approx(np.sqrt(1.75**2 / 12 + 1 / 6))
    assert type(estimate) is float
    assert repr(result).startswith("RmstResult(estimate=2.75, standard_error=0.649")


def test_rmst_difference_direction_and_labels() -> None:
    r = rt.stats.rmst_difference(
        [1, 2, 3, 4], [1, 1, 1, 1], ["store", "store", "web", "web"], tau=4
    )
    assert (r.group, r.reference, r.estimate, r.standard_error, r.tau) == (
        "web",
        "store",
        2.0,
        0.5,
        4.0,
    )
    # Sorted order decides, not row order: the same result with the rows reversed.
    assert (
        rt.stats.rmst_difference(
            [4, 3, 2, 1], [1, 1, 1, 1], ["web", "web", "store", "store"], tau=4
        )
        == r
    )
    # False then True, 0 then 1: True minus False.
    flipped = rt.stats.rmst_difference(
        [1, 2, 3, 4], [1, 1, 1, 1], [True, True, False, False], tau=4
    )
    assert (flipped.group, flipped.reference, flipped.estimate) == (True, False, -2.0)
    assert type(flipped.group) is bool
    assert "group='web', reference='store'" in repr(r)
    assert r.ci_lower < r.estimate < r.ci_upper
    wider = rt.stats.rmst_difference([1, 2, 3, 4], [1, 1, 1, 1], [0, 0, 1, 1], tau=4, alpha=0.01)
    assert wider.ci_upper - wider.ci_lower > r.ci_upper - r.ci_lower


def test_newcombe_interval_result() -> None:
    interval = rt.stats.newcombe_interval(56, 70, 48, 80)
    low, high = interval
    assert (round(low, 4), round(high, 4)) == (0.0524, 0.3339)  # Newcombe (1998), Table II (a)
    assert isinstance(interval, rt.stats.Interval)
    assert type(low) is float
    assert repr(interval).startswith("Interval(low=0.0524")
    # numpy integers and whole floats are counts too
    assert rt.stats.newcombe_interval(np.int64(56), 70.0, 48, np.int32(80)) == interval
    assert rt.stats.newcombe_interval(56, 70, 48, 80, alpha=0.1).low > low


# --- Kaplan-Meier: the numbers of survival_curve and of lifelines -----------------------------------------------


def test_kaplan_meier_equals_survival_curve() -> None:
    curve = rt.survival_curve(rt.example_transactions())
    time = curve.index.to_numpy()
    durations = np.concatenate(
        [np.repeat(time, curve["events"]), np.repeat(time, curve["censored"])]
    )
    events = np.repeat([True, False], [curve["events"].sum(), curve["censored"].sum()])
    order = np.random.default_rng(0).permutation(len(durations))
    km = rt.stats.kaplan_meier(durations[order], events[order])
    pd.testing.assert_frame_equal(km, curve)


def test_kaplan_meier_layout() -> None:
    km = rt.stats.kaplan_meier([0, 10, 0, 20], [True, True, False, True])
    assert km.index.name == "time"
    assert km.index.dtype == np.int64
    assert list(km.columns) == ["at_risk", "events", "censored", "survival", "ci_lower", "ci_upper"]
    assert_array_equal(km["survival"], [0.75, 0.375, 0.0])
    floats = rt.stats.kaplan_meier([0.5, 10.25, 0.5, 20.0], [True, True, False, True])
    assert floats.index.dtype == np.float64
    assert_array_equal(floats.index, [0.5, 10.25, 20.0])
    assert_array_equal(floats.to_numpy(), km.to_numpy())
    empty = rt.stats.kaplan_meier([], [])
    assert empty.shape == (0, 6)
    assert list(empty.columns) == list(km.columns)


# Thirty subjects (whole days, with ties); the survival and its 95% interval from lifelines 0.30.3
# (KaplanMeierFitter, default log(-log) interval) at the times 1 .. 24 that occur.
PEER_T = [15, 7, 24, 23, 2, 5, 5, 5, 14, 9, 12, 6, 23, 17, 16, 3, 4, 22, 8, 21, 19, 1, 12, 13, 12, 3, 18, 7, 9, 11]  # fmt: skip
PEER_E = [1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 1, 1, 1, 1, 0, 0]  # fmt: skip
LIFELINES_TIME = [1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 22, 23, 24]
LIFELINES_SURVIVAL = [0.9666666666666667, 0.9333333333333331, 0.8999999999999999, 0.8653846153846151, 0.8307692307692308, 0.7930069930069928, 0.7174825174825172, 0.6797202797202795, 0.6419580419580418, 0.6419580419580418, 0.599160839160839, 0.5492307692307691, 0.5492307692307691, 0.49430769230769217, 0.4393846153846151, 0.38446153846153824, 0.3295384615384614, 0.3295384615384614, 0.2636307692307691, 0.2636307692307691, 0.17575384615384604, 0.17575384615384604]  # fmt: skip
LIFELINES_LOWER = [0.7860836040193636, 0.758858785624848, 0.7211929022579643, 0.6798998927842005, 0.6399270503726773, 0.5952739128453748, 0.5122178032213177, 0.4730529654382781, 0.43519533160268753, 0.43519533160268753, 0.3912272765622296, 0.33899666963737773, 0.33899666963737773, 0.28349903982641694, 0.23288905557223982, 0.18656272542652347, 0.14424443789681454, 0.14424443789681454, 0.09510501063134105, 0.09510501063134105, 0.03776265438268922, 0.03776265438268922]  # fmt: skip
LIFELINES_UPPER = [0.9952363395766828, 0.9828977203539492, 0.9666070369914563, 0.9472602048621849, 0.9258868024406737, 0.9015031572594813, 0.8480932599920858, 0.8194491348744659, 0.7896741055692106, 0.7896741055692106, 0.7561027175633591, 0.7175281132354541, 0.7175281132354541, 0.6744601324881059, 0.6286895643854462, 0.5802845171825237, 0.5291910402633861, 0.5291910402633861, 0.46979221774767327, 0.46979221774767327, 0.397467523822803, 0.397467523822803]  # fmt: skip


def test_kaplan_meier_equals_lifelines_frozen() -> None:
    km = rt.stats.kaplan_meier(PEER_T, PEER_E)
    assert_array_equal(km.index, LIFELINES_TIME)
    assert_allclose(km["survival"], LIFELINES_SURVIVAL, rtol=1e-13)
    assert_allclose(km["ci_lower"], LIFELINES_LOWER, rtol=1e-10)
    assert_allclose(km["ci_upper"], LIFELINES_UPPER, rtol=1e-10)


@pytest.mark.filterwarnings("ignore")  # lifelines warns about pandas idioms it uses
def test_kaplan_meier_equals_lifelines_live() -> None:
    pytest.importorskip("lifelines")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from lifelines import KaplanMeierFitter

    rng = np.random.default_rng(4)
    for durations in (rng.integers(0, 30, 150).astype(float), rng.exponential(10.0, 150)):
        events = rng.random(150) < 0.6
        km = rt.stats.kaplan_meier(durations, events)
        fitted = KaplanMeierFitter().fit(durations, events)
        theirs = fitted.survival_function_.iloc[:, 0]
        bounds = fitted.confidence_interval_
        at = km.index.to_numpy()
        assert_allclose(km["survival"], theirs.loc[at], rtol=1e-12)
        defined = km["ci_lower"].notna().to_numpy()
        assert_allclose(km["ci_lower"][defined], bounds.iloc[:, 0].loc[at][defined], rtol=1e-9)
        assert_allclose(km["ci_upper"][defined], bounds.iloc[:, 1].loc[at][defined], rtol=1e-9)


# --- what is accepted ---------------------------------------------------------------------------------------------


def test_groups_of_any_labels() -> None:
    base = rt.stats.logrank_test(DURATIONS, EVENTS, [0] * 5 + [1] * 5)
    for labels in (
        GROUPS,
        pd.Categorical(GROUPS),
        [1.5] * 5 + [2.5] * 5,
        [("a", 1)] * 5 + [("b", 2)] * 5,
        [1] * 5 + ["x"] * 5,  # mixed types that do not sort: ordered by type, then text
    ):
        assert rt.stats.logrank_test(DURATIONS, EVENTS, labels).statistic == pytest.approx(
            base.statistic, rel=1e-12
        )
    # A missing label is a group of its own (sorted last).
    three = rt.stats.logrank_test(DURATIONS, EVENTS, ["a"] * 4 + [None] + ["b"] * 5)
    assert three.df == 2
    r = rt.stats.rmst_difference(DURATIONS, EVENTS, ["a"] * 5 + [np.nan] * 5, tau=10)
    assert r.reference == "a"
    assert np.isnan(r.group)


def test_pandas_nullable_and_boolean_inputs() -> None:
    base = rt.stats.logrank_test(DURATIONS, EVENTS, GROUPS)
    durations = pd.Series(DURATIONS, dtype="Int64")
    events = pd.Series([bool(e) for e in EVENTS], dtype="boolean")
    assert rt.stats.logrank_test(durations, events, pd.Series(GROUPS, dtype="string")) == base
    # A Series' index plays no part.
    shifted = pd.Series(DURATIONS, index=range(100, 110))
    assert rt.stats.logrank_test(shifted, EVENTS, pd.Series(GROUPS, index=range(10))) == base
    assert rt.stats.kaplan_meier(durations, events).index.dtype == np.int64


def test_inputs_are_not_modified() -> None:
    durations = np.array(DURATIONS, dtype=float)
    events = pd.Series(EVENTS)
    groups = np.array(GROUPS, dtype=object)
    copies = (durations.copy(), events.copy(), groups.copy())
    rt.stats.logrank_test(durations, events, groups, weightings="peto")
    rt.stats.kaplan_meier(durations, events)
    rt.stats.rmst(durations, events, 5)
    rt.stats.rmst_difference(durations, events, groups, 5)
    assert_array_equal(durations, copies[0])
    pd.testing.assert_series_equal(events, copies[1])
    assert_array_equal(groups, copies[2])


def test_tau_rules() -> None:
    # The curve is known up to the largest duration when that one is censored ...
    assert rt.stats.rmst([1, 2, 3], [1, 0, 0], tau=3).estimate == pytest.approx(1 + 2 * (2 / 3))
    with pytest.raises(
        InvalidParameterError,
        match=r"0 < tau <= 3 \(the largest duration, censored\)\. Got 3\.5\. .*Pass a smaller tau",
    ):
        rt.stats.rmst([1, 2, 3], [1, 0, 0], tau=3.5)
    # ... and for ever when the last duration ends the curve at 0.
    assert rt.stats.rmst([1, 2, 3], [1, 0, 1], tau=100) == rt.stats.rmst(
        [1, 2, 3], [1, 0, 1], tau=3
    )
    # Two groups: the group whose curve stops first sets the limit.
    with pytest.raises(
        InvalidParameterError,
        match=r"tau <= 4 \(the curve of group 'b' ends with a censored duration there\)",
    ):
        rt.stats.rmst_difference([1, 9, 2, 4], [1, 0, 1, 0], ["a", "a", "b", "b"], tau=5)
    r = rt.stats.rmst_difference([1, 9, 2, 4], [1, 0, 1, 1], ["a", "a", "b", "b"], tau=9)
    assert r.tau == 9.0
    for bad in (0, -1, np.nan, np.inf, "5", True, None):
        with pytest.raises(InvalidParameterError, match="The 'tau' parameter of rmst must be"):
            rt.stats.rmst([1, 2, 3], [1, 0, 0], tau=bad)  # type: ignore[arg-type]


# --- bad input --------------------------------------------------------------------------------------------------

BAD_DATA = [
    (
        {"durations": [1, -2, 3]},
        InvalidValueError,
        "'durations' argument of .* holds 1 value, the first at position 1 \\(-2\\) below 0",
    ),
    (
        {"durations": [1, np.nan, 3]},
        InvalidValueError,
        "position 1 \\(nan\\) that are missing or infinite",
    ),
    ({"durations": [1, np.inf, 3]}, InvalidValueError, "missing or infinite"),
    (
        {"durations": pd.Series([1, None, 3], dtype="Int64")},
        InvalidValueError,
        "missing or infinite",
    ),
    (
        {"durations": ["1", "2", "3"]},
        ColumnTypeError,
        "'durations' argument of .* must hold numbers",
    ),
    ({"durations": [True, False, True]}, ColumnTypeError, "must hold numbers; it has dtype bool"),
    (
        {"durations": pd.to_timedelta([1, 2, 3], unit="D")},
        ColumnTypeError,
        "holds timedeltas.*dt.days",
    ),
    # Ints too large for a float are not rounded (nor overflow): a duration above 2**53 is refused.
    ({"durations": [1, 10**400, 3]}, InvalidValueError, r"position 1 \(1e\+400\) above 2\*\*53"),
    ({"durations": [1, -(10**400), 3]}, InvalidValueError, r"position 1 \(-1e\+400\) below 0"),
    (
        {"durations": [1, 2**63 - 1, 3]},
        InvalidValueError,
        r"position 1 \(9223372036854775807\) above 2\*\*53 = 9,007,199,254,740,992.*coarser unit",
    ),
    (
        {"durations": np.array([1, 2**64 - 1, 3], dtype=np.uint64)},
        InvalidValueError,
        r"above 2\*\*53",
    ),
    (
        {"durations": pd.Series([1, 2**53 + 1, 2.5], dtype=object)},
        InvalidValueError,
        r"position 1 \(9007199254740993\) above 2\*\*53",
    ),
    ({"durations": [1 + 1j, 2, 3]}, ColumnTypeError, "'durations' argument of .* holds complex"),
    ({"durations": 5}, ColumnTypeError, "must be a one-dimensional sequence; got int"),
    (
        {"durations": np.ones((3, 1))},
        ColumnTypeError,
        "must be one-dimensional; got an array of shape \\(3, 1\\)",
    ),
    (
        {"durations": pd.DataFrame({"a": [1, 2, 3]})},
        ColumnTypeError,
        "one-dimensional sequence; got DataFrame",
    ),
    (
        {"events": [1, 0]},
        InvalidValueError,
        "'events' argument of .* has 2 values but 'durations' has 3. Pass one event flag per duration",
    ),
    ({"events": [1, 2, 0]}, InvalidValueError, "position 1 \\(2\\) that are not True/False or 0/1"),
    ({"events": [1, np.nan, 0]}, InvalidValueError, "not True/False or 0/1"),
    (
        {"events": ["yes", "no", "yes"]},
        ColumnTypeError,
        "'events' argument of .* must hold True/False or 0/1",
    ),
    (
        {"events": pd.Series([True, None, False], dtype="boolean")},
        InvalidValueError,
        "position 1 \\(<NA>\\)",
    ),
    (
        {"groups": ["a", "b"]},
        InvalidValueError,
        "'groups' argument of .* has 2 values but 'durations' has 3",
    ),
    ({"groups": [[1], [2], [1]]}, ColumnTypeError, "'groups' argument of .* cannot be grouped"),
]


@pytest.mark.parametrize(("change", "error", "message"), BAD_DATA)
def test_bad_data(change: dict[str, object], error: type[Exception], message: str) -> None:
    data: dict[str, object] = {
        "durations": [1, 2, 3],
        "events": [1, 0, 1],
        "groups": ["a", "b", "a"],
    }
    data |= change
    with pytest.raises(error, match=message):
        rt.stats.logrank_test(data["durations"], data["events"], data["groups"])
    if "groups" not in change:
        with pytest.raises(error, match=message):
            rt.stats.kaplan_meier(data["durations"], data["events"])
        with pytest.raises(error):
            rt.stats.rmst(data["durations"], data["events"], tau=1)
    with pytest.raises(error):
        rt.stats.rmst_difference(data["durations"], data["events"], data["groups"], tau=1)


def test_group_counts() -> None:
    with pytest.raises(
        InvalidValueError,
        match=re.escape(
            "logrank_test compares two or more groups; 'groups' holds only 'a'. Pass durations of at least two groups."
        ),
    ):
        rt.stats.logrank_test([1, 2], [1, 1], ["a", "a"])
    with pytest.raises(InvalidValueError, match="holds no values"):
        rt.stats.logrank_test([], [], [])
    with pytest.raises(
        InvalidValueError,
        match=r"rmst_difference compares exactly two groups; 'groups' holds 3 \('a', 'b', 'c'\)\. .*use logrank_test",
    ):
        rt.stats.rmst_difference([1, 2, 3], [1, 1, 1], ["c", "a", "b"], tau=1)
    with pytest.raises(InvalidValueError, match="holds 1 \\(1\\)"):
        rt.stats.rmst_difference([1, 2, 3], [1, 1, 1], [1, 1, 1], tau=1)
    with pytest.raises(InvalidValueError, match="rmst needs at least one duration"):
        rt.stats.rmst([], [], tau=1)
    # An unused category is not a group.
    categories = pd.Categorical(["a", "a", "b", "b"], categories=["a", "b", "never"])
    assert rt.stats.logrank_test([1, 2, 3, 4], [1, 1, 1, 1], categories).df == 1


def test_bad_parameters() -> None:
    args = (DURATIONS, EVENTS, GROUPS)
    with pytest.raises(
        InvalidParameterError,
        match=re.escape(
            "The 'weightings' parameter of logrank_test must be one of None, 'wilcoxon', 'tarone-ware', 'peto', 'fleming-harrington'. Got 'gehan'."
        ),
    ):
        rt.stats.logrank_test(*args, weightings="gehan")
    with pytest.raises(
        InvalidParameterError,
        match=re.escape(
            "The 'p' parameter of logrank_test applies only to weightings='fleming-harrington'; got p=1 with weightings=None"
        ),
    ):
        rt.stats.logrank_test(*args, p=1)
    with pytest.raises(
        InvalidParameterError,
        match=re.escape(
            "The 'q' parameter of logrank_test applies only to weightings='fleming-harrington'; got q=0.5 with weightings='peto'"
        ),
    ):
        rt.stats.logrank_test(*args, weightings="peto", q=0.5)
    for bad in (-1, np.nan, "1", None):
        with pytest.raises(
            InvalidParameterError, match="The 'p' parameter of logrank_test must be a"
        ):
            rt.stats.logrank_test(*args, weightings="fleming-harrington", p=bad)  # type: ignore[arg-type]
    for bad in (0, 1, 1.5, -0.1, np.nan, "0.05", True):
        with pytest.raises(
            InvalidParameterError, match="The 'alpha' parameter of rmst_difference must be a"
        ):
            rt.stats.rmst_difference(*args, tau=5, alpha=bad)  # type: ignore[arg-type]
        with pytest.raises(
            InvalidParameterError, match="The 'alpha' parameter of newcombe_interval"
        ):
            rt.stats.newcombe_interval(1, 2, 1, 2, alpha=bad)  # type: ignore[arg-type]


def test_whole_durations_up_to_2_to_the_53_stay_exact() -> None:
    # 2**53 is the last whole number a float holds exactly; it comes back as it went in.
    km = rt.stats.kaplan_meier([2**53, 5, 2**53 - 1], [1, 0, 1])
    assert km.index.tolist() == [5, 2**53 - 1, 2**53]
    assert km.index.dtype == np.int64
    with pytest.raises(InvalidValueError, match=r"position 0 \(9007199254740993\) above 2\*\*53"):
        rt.stats.kaplan_meier([2**53 + 1, 2**53], [1, 0])


def test_parameters_too_large_for_a_float() -> None:
    with pytest.raises(
        InvalidParameterError,
        match=r"^The 'tau' parameter of rmst must be a finite number with 0 < tau <= 30 .*Got 1e\+400\.$",
    ):
        rt.stats.rmst(DURATIONS, EVENTS, tau=10**400)
    with pytest.raises(InvalidParameterError, match=r"'tau' parameter of rmst .* Got 1e\+300\. "):
        rt.stats.rmst(DURATIONS, EVENTS, tau=10**300)
    for bad in (10**400, -(10**400)):
        with pytest.raises(
            InvalidParameterError,
            match=r"^The 'p' parameter of logrank_test must be a finite number >= 0\. Got -?1e\+400\.$",
        ):
            rt.stats.logrank_test(DURATIONS, EVENTS, GROUPS, weightings="fleming-harrington", p=bad)
    with pytest.raises(
        InvalidParameterError, match=r"'p' parameter of logrank_test .* Got -1e\+300\.$"
    ):
        rt.stats.logrank_test(DURATIONS, EVENTS, GROUPS, p=-(10**300))


@pytest.mark.parametrize(
    ("counts", "message"),
    [
        (
            (10**400, 10, 1, 10),
            "^The 'successes_1' parameter of newcombe_interval must be a whole number >= 0. Got 1e\\+400.$",
        ),
        ((1, 10, 1, -(10**400)), "^The 'n_2' parameter .* >= 1. Got -1e\\+400.$"),
        (
            (-1, 10, 1, 10),
            "The 'successes_1' parameter of newcombe_interval must be a whole number >= 0. Got -1.",
        ),
        (
            (1, 0, 1, 10),
            "The 'n_1' parameter of newcombe_interval must be a whole number >= 1. Got 0.",
        ),
        ((1, 10, 1.5, 10), "The 'successes_2' parameter .* Got 1.5."),
        ((1, 10, 1, np.nan), "The 'n_2' parameter .* Got nan."),
        ((True, 10, 1, 10), "The 'successes_1' parameter .* Got True."),
        (
            (11, 10, 1, 10),
            "The 'successes_1' parameter of newcombe_interval must be at most n_1 \\(10\\). Got 11.",
        ),
        (
            (1, 10, 5, 4),
            "The 'successes_2' parameter of newcombe_interval must be at most n_2 \\(4\\). Got 5.",
        ),
    ],
)
def test_bad_counts(counts: tuple[object, ...], message: str) -> None:
    with pytest.raises(InvalidParameterError, match=message):
        rt.stats.newcombe_interval(*counts)  # type: ignore[arg-type]


# --- properties through the public functions -----------------------------------------------------------------


@st.composite
def customers(draw: st.DrawFn):
    n = draw(st.integers(2, 30))
    durations = draw(st.lists(st.integers(0, 400), min_size=n, max_size=n))
    events = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    groups = draw(st.lists(st.sampled_from(["web", "store", "phone"]), min_size=n, max_size=n))
    groups[:2] = ["web", "store"]
    return durations, events, groups


@given(customers(), st.randoms(use_true_random=False))
def test_row_order_and_labels_do_not_matter(data, random) -> None:
    durations, events, groups = data
    order = list(range(len(durations)))
    random.shuffle(order)

    def shuffled(values: list) -> list:
        return [values[i] for i in order]

    test = rt.stats.logrank_test(durations, events, groups, weightings="tarone-ware")
    assert test.statistic >= 0.0
    assert 0.0 <= test.p_value <= 1.0
    assert (
        rt.stats.logrank_test(
            shuffled(durations), shuffled(events), shuffled(groups), weightings="tarone-ware"
        )
        == test
    )
    renamed = {"web": "z", "store": "a", "phone": "m"}
    relabelled = rt.stats.logrank_test(
        durations, events, [renamed[g] for g in groups], weightings="tarone-ware"
    )
    assert relabelled.statistic == pytest.approx(test.statistic, rel=1e-8, abs=1e-10)
    km = rt.stats.kaplan_meier(durations, events)
    pd.testing.assert_frame_equal(rt.stats.kaplan_meier(shuffled(durations), shuffled(events)), km)
    survival = km["survival"].to_numpy()
    assert np.all(np.diff(survival) <= 0)
    assert np.all((survival >= 0) & (survival <= 1))
    inside = km["ci_lower"].notna()
    assert np.all(km["ci_lower"][inside] <= km["survival"][inside])
    assert np.all(km["survival"][inside] <= km["ci_upper"][inside])
    tau = max(durations) or 1
    if max(durations) > 0:
        estimate, se = rt.stats.rmst(durations, events, tau)
        assert 0.0 <= estimate <= tau
        assert se >= 0.0
        assert rt.stats.rmst(shuffled(durations), shuffled(events), tau) == (estimate, se)
