"""The declared option constraints (src/retention/frames/options.py), enumerated.

As scikit-learn's `sklearn/utils/tests/test_param_validation.py` and its common tests do: every public
function declares the constraints of its options once, so a test can list them all and check that

- every option of every public function in ``rt.__all__`` is declared (and nothing else is),
- each constraint refuses values just outside it, with an error from `retention.errors` that names the
  option, the function and what to pass, and accepts values inside it,
- each function really checks its options through its declaration: the values just outside a constraint,
  passed to the public function itself, are refused with the function's name in the message.
"""

from __future__ import annotations

import inspect
import math
import re
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import retention as rt
from retention.errors import InvalidParameterError, RetentionError, shown_value
from retention.frames.options import (
    DECLARED,
    MAX_DAYS,
    Constraint,
    Days,
    Flag,
    Frequency,
    Given,
    Interval,
    Options,
    check_cut_points,
    is_number,
    is_whole,
)
from tests.registry import REGISTRY

# The options every transaction function shares: declared and checked once, by read_transactions.
TRANSACTION_OPTIONS = {"customer_id", "date", "amount", "order_id", "observation_end", "returns"}

CHECKED = [
    (func, name, constraint)
    for func, declaration in sorted(DECLARED.items())
    for name, constraint in declaration.constraints.items()
    if not isinstance(constraint, Given)
]
OUTSIDE = [
    pytest.param(func, name, constraint, value, id=f"{func}-{name}-{shown_value(value)}")
    for func, name, constraint in CHECKED
    for value in constraint.outside()
]
INSIDE = [
    pytest.param(func, name, constraint, value, id=f"{func}-{name}-{shown_value(value)}")
    for func, name, constraint in CHECKED
    for value in constraint.inside()
]


def _public_functions() -> list[tuple[str, Callable[..., Any]]]:
    return [
        (name, getattr(rt, name)) for name in rt.__all__ if inspect.isfunction(getattr(rt, name))
    ]


# --- the declarations are complete ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "function"), _public_functions(), ids=[name for name, _ in _public_functions()]
)
def test_every_option_of_every_public_function_is_declared(
    name: str, function: Callable[..., Any]
) -> None:
    parameters = inspect.signature(function).parameters
    options = {
        p
        for p, v in parameters.items()
        if v.kind is inspect.Parameter.KEYWORD_ONLY and p not in TRANSACTION_OPTIONS
    }
    if not options:
        return
    assert name in DECLARED, f"rt.{name} has options {sorted(options)} but no declaration"
    declared = set(DECLARED[name].constraints)
    assert options <= declared, f"rt.{name}: options not declared: {sorted(options - declared)}"
    assert declared <= set(parameters), (
        f"rt.{name}: declared but no such parameter: {sorted(declared - set(parameters))}"
    )


@pytest.mark.parametrize("func", sorted(DECLARED))
def test_every_declaration_names_a_public_function_and_its_parameters(func: str) -> None:
    owner, _, method = func.partition(".")
    target = getattr(rt, owner)
    if method:
        target = getattr(target, method)
    parameters = inspect.signature(target).parameters
    missing = set(DECLARED[func].constraints) - set(parameters)
    assert not missing, f"{func} has no parameter(s) {sorted(missing)}"


def test_given_arguments_say_who_reads_them() -> None:
    for func, declaration in DECLARED.items():
        for name, constraint in declaration.constraints.items():
            if isinstance(constraint, Given):
                assert len(constraint.what) > 10, (func, name)
                assert constraint.inside() == () == constraint.outside()


# --- each constraint, on its own -------------------------------------------------------------------------


@pytest.mark.parametrize(("func", "name", "constraint", "value"), OUTSIDE)
def test_a_value_just_outside_is_refused(
    func: str, name: str, constraint: Constraint[Any], value: object
) -> None:
    with pytest.raises(InvalidParameterError) as info:
        constraint.check(value, name, func)
    message = str(info.value)
    assert isinstance(info.value, RetentionError)
    assert f"{name!r}" in message
    assert func in message
    assert re.search(r"must be|Pass ", message), message


@pytest.mark.parametrize(("func", "name", "constraint", "value"), INSIDE)
def test_a_value_inside_is_accepted(
    func: str, name: str, constraint: Constraint[Any], value: object
) -> None:
    result = constraint.check(value, name, func)
    if isinstance(constraint, Interval | Flag | Frequency | Days | Options):
        # The canonical value is inside too (checking twice changes nothing).
        assert constraint.check(result, name, func) == result


def test_every_constraint_has_values_on_both_sides() -> None:
    for func, name, constraint in CHECKED:
        assert constraint.inside(), (func, name)
        assert constraint.outside(), (func, name)


def _float_or_nan(value: Any) -> float:
    try:
        return float(value)
    except OverflowError:  # an int too large for a float: no finite number
        return math.nan


def _in_interval(value: object, c: Interval) -> bool:
    """An independent statement of what an Interval accepts."""
    if value is None:
        return c.none
    if isinstance(value, bool | np.bool_):
        return False
    if c.kind == "integer" and not isinstance(value, int | np.integer):
        return False
    if not isinstance(value, int | float | np.integer | np.floating):
        return False
    # A Python int compares exactly with the edges, however large; as a real number it must fit a float.
    x: float = int(value) if c.kind == "integer" else _float_or_nan(value)
    if not -math.inf < x < math.inf:  # not math.isfinite, which would make a float of a huge int
        return False
    low_ok = c.low is None or (x >= c.low if c.closed in ("both", "left") else x > c.low)
    high_ok = c.high is None or (x <= c.high if c.closed in ("both", "right") else x < c.high)
    return low_ok and high_ok


INTERVALS = [c for _, _, c in CHECKED if isinstance(c, Interval)]
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**7), 10**7),
    st.sampled_from([10**400, -(10**400), 2**1024, 2**1024 - 1]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, 1.0, -0.0, 5e-324, 0.9999999999999999, 100, 1_000_000, 1_000_001]),
    st.text(max_size=3),
)


@given(value=VALUES, index=st.integers(0, len(INTERVALS) - 1))
def test_an_interval_accepts_exactly_its_values(value: object, index: int) -> None:
    constraint = INTERVALS[index]
    expected = _in_interval(value, constraint)
    try:
        result = constraint.check(value, "x", "f")
    except InvalidParameterError:
        assert not expected
    else:
        assert expected
        if value is not None:
            assert result == value
            assert type(result) is (int if constraint.kind == "integer" else float)


def test_number_helpers() -> None:
    assert [is_number(v) for v in (1, 1.5, np.int8(1), np.float32(2), True, np.True_, "1", None)] == [
        True, True, True, True, False, False, False, False,
    ]  # fmt: skip
    assert [is_whole(v) for v in (1, np.uint64(3), 1.0, True, np.False_, "1")] == [
        True, True, False, False, False, False,
    ]  # fmt: skip


def test_days_take_a_list_when_asked() -> None:
    assert Days(many=True).check(("30D", 2, "1W"), "horizons", "f") == [30, 2, 7]
    assert Days(many=True).check("90D", "horizons", "f") == [90]
    with pytest.raises(InvalidParameterError, match="'horizons' parameter of f is empty"):
        Days(many=True).check([], "horizons", "f")
    assert Days().check(MAX_DAYS, "d", "f") == MAX_DAYS


def test_an_int_too_large_for_a_float_is_shown_short() -> None:
    # float(10**400) overflows: the checker refuses it as not finite, and shows it short.
    for value in (10**400, -(10**400)):
        with pytest.raises(InvalidParameterError) as info:
            Interval("real", 0, None).check(value, "margin", "historical_value")
        message = str(info.value)
        assert message == (
            "The 'margin' parameter of historical_value must be a finite number >= 0. "
            f"Got {'-' if value < 0 else ''}1e+400."
        )
    with pytest.raises(InvalidParameterError, match=r"a whole number from 1 to 9\. Got 1e\+30\.$"):
        Interval("integer", 1, 9).check(10**30, "bins", "f")
    with pytest.raises(
        InvalidParameterError, match=r"strictly increasing\. Got \[1e\+400, 90\]\.$"
    ):
        check_cut_points({"recency": [10**400, 90]}, 3, ("recency",), "rfm_scores")
    with pytest.raises(
        InvalidParameterError, match=r"bins - 1 = 2 numbers.*Got \[3, 1e\+400, 90\]"
    ):
        check_cut_points({"recency": [3, 10**400, 90]}, 3, ("recency",), "rfm_scores")


BIG_CALLS: list[tuple[str, Callable[[Any], object]]] = [
    ("r", lambda v: rt.BetaGeo(r=v, alpha=4.414, a=0.793, b=2.426)),
    ("beta", lambda v: rt.ShiftedBetaGeometric(alpha=1.0, beta=v)),
    ("q", lambda v: rt.GammaGamma(p=6.25, q=v, gamma=15.44)),
    ("discount_rate", lambda v: rt.ShiftedBetaGeometric(alpha=1.0, beta=2.0).discounted_expected_lifetime(discount_rate=v)),
    ("alpha", lambda v: rt.stats.rmst_difference([1, 2, 3, 4], [1, 1, 0, 1], [0, 0, 1, 1], 2, alpha=v)),
    ("t", lambda v: rt.plot.frequency_recency_matrix(_bg(), t=v, max_frequency=3, max_recency=3, T=3)),
    ("T", lambda v: rt.plot.p_alive_matrix(_bg(), max_frequency=3, max_recency=3, T=v)),
    ("share", lambda v: rt.holdout_split(list(range(10)), share=v)),
    ("cut_points", lambda v: rt.rfm_scores(pd.DataFrame({"customer_id": [1], "date": ["2024-01-01"], "amount": [1.0]}), cut_points={"recency": [1, 2, 3, v]})),
]  # fmt: skip


@pytest.mark.parametrize(("name", "call"), BIG_CALLS, ids=[name for name, _ in BIG_CALLS])
@pytest.mark.parametrize("value", [10**400, -(10**400)], ids=["1e400", "-1e400"])
def test_an_int_too_large_for_a_float_is_refused_by_name(
    name: str, call: Callable[[Any], object], value: int
) -> None:
    with pytest.raises(InvalidParameterError) as info:
        call(value)
    message = str(info.value)
    assert repr(name) in message or f"{name}[" in message, message
    assert "1e+400" in message, message
    assert "0000000000" not in message, message


def test_a_size_too_large_for_a_float_is_refused_in_short(tx: pd.DataFrame) -> None:
    # The size guard once divided the byte count as a float, and 10**400 rows overflowed it.
    summary = rt.rfm_summary(tx)
    with pytest.raises(InvalidParameterError) as info:
        rt.calibration_holdout_table(_bg(), summary, max_frequency=10**400)
    message = str(info.value)
    assert "calibration_holdout_table: the table's rows" in message
    assert re.search(r"would hold 1e\+400 values \(\d\.\d+e\+39\d GiB\)", message), message
    assert "max_frequency=" in message


# --- each function checks its options through its declaration --------------------------------------------


@pytest.fixture(scope="module")
def tx() -> pd.DataFrame:
    table = rt.simulate_transactions(40, start="2024-01-01", end="2024-07-31", seed=3)
    table["order_id"] = np.arange(len(table))
    table["channel"] = np.where(table["customer_id"] % 2 == 0, "web", "shop")
    return table


def _bg() -> Any:
    return rt.BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)


def _gg() -> Any:
    return rt.GammaGamma(p=6.25, q=3.74, gamma=15.44)


def _weekly(tx: pd.DataFrame) -> pd.DataFrame:
    return rt.rfm_summary(tx, time_unit="W")


_WEEKLY: dict[str, Any] = {"periods": 2, "freq": "W", "time_unit": "W"}


def _plan(tx: pd.DataFrame) -> pd.DataFrame:
    segments = pd.Series(["new", "loyal"], index=[1, 2])
    return rt.contact_plan(segments, start="2024-01-01", periods=2)


CALLS: dict[str, Callable[..., Any]] = {
    "holdout_split": lambda tx, **o: rt.holdout_split([1, 2, 3, 4], **o),
    "contact_plan": lambda tx, **o: rt.contact_plan(
        pd.Series(["new", "loyal"], index=[1, 2]), start="2024-01-01", **o
    ),
    "contact_compliance": lambda tx, **o: rt.contact_compliance(
        _plan(tx), pd.DataFrame({"customer_id": [1], "date": ["2024-01-03"]}), **o
    ),
    "customer_lifetime_value": lambda tx, **o: rt.customer_lifetime_value(
        _bg(), _gg(), _weekly(tx), **({"horizon": 3, "freq": 1.0, "discount_rate": 0.01} | o)
    ),
    "calibration_holdout_table": lambda tx, **o: rt.calibration_holdout_table(
        _bg(), rt.rfm_summary(tx, calibration_end="2024-05-31", time_unit="W"), **o
    ),
    "forecast": lambda tx, **o: rt.forecast(_bg(), _weekly(tx), **(_WEEKLY | {"n_draws": 0} | o)),
    "forecast_customers": lambda tx, **o: rt.forecast_customers(
        _bg(), _weekly(tx), **(_WEEKLY | o)
    ),
    "survival_at": lambda tx, **o: rt.survival_at(rt.survival_curve(tx), **o),
    "working_segment_rules": lambda tx, **o: rt.working_segment_rules(**o),
    "working_segments": lambda tx, **o: rt.working_segments(rt.customer_features(tx), **o),
    "segment_history": lambda tx, **o: rt.segment_history(
        tx, segmenter=lambda t, as_of: rt.customer_features(t)["orders"].clip(upper=2), **o
    ),
    "simulate_transactions": lambda tx, **o: rt.simulate_transactions(3, **o),
    "xyz": lambda tx, **o: rt.xyz(pd.DataFrame({"jan": [1.0, 2.0], "feb": [3.0, 0.0]}), **o),
    "load_cdnow": lambda tx, **o: rt.load_cdnow(**o),
    "BetaGeoBetaBinom.discounted_expected_residual_transactions": lambda tx, **o: (
        rt.BetaGeoBetaBinom(
            alpha=1.2, beta=0.75, gamma=0.66, delta=2.8
        ).discounted_expected_residual_transactions(
            frequency=[0], recency=[0], n_periods=[6], **({"discount_rate": 0.1} | o)
        )
    ),
    "ShiftedBetaGeometric.discounted_expected_lifetime": lambda tx, **o: rt.ShiftedBetaGeometric(
        alpha=0.7, beta=1.2
    ).discounted_expected_lifetime(**({"discount_rate": 0.1} | o)),
    "ShiftedBetaGeometric.discounted_expected_residual_lifetime": lambda tx, **o: (
        rt.ShiftedBetaGeometric(alpha=0.7, beta=1.2).discounted_expected_residual_lifetime(
            [0], **({"discount_rate": 0.1} | o)
        )
    ),
    "ParetoNBD.discounted_expected_residual_transactions": lambda tx, **o: rt.ParetoNBD(
        r=0.55, alpha=10.6, s=0.61, beta=11.7
    ).discounted_expected_residual_transactions(
        frequency=[0], recency=[0.0], T=[38.9], **({"continuous_discount_rate": 0.01} | o)
    ),
}
# The registry's entries that fix an option themselves cannot be given it again.
FIXED = {
    ("tracking_table", "freq"),
    ("tracking_table", "time_unit"),
    ("backtest", "freq"),
    ("backtest", "n_draws"),
    ("campaign_effect", "randomized"),
}
# Options that are read only together with another: the seed only draws when there are resamples.
TOGETHER: dict[tuple[str, str], dict[str, Any]] = {("campaign_effect", "seed"): {"bootstrap": 100}}
for entry in REGISTRY:
    if entry.name == entry.function.__name__:
        CALLS.setdefault(entry.name, entry.call)

THROUGH = [
    pytest.param(func, name, value, id=f"{func}-{name}-{shown_value(value)}")
    for func, name, constraint in CHECKED
    if (func, name) not in FIXED
    for value in constraint.outside()
]


def test_every_checked_option_is_tried_through_its_function() -> None:
    untried = {(f, n) for f, n, _ in CHECKED if f not in CALLS} - FIXED
    assert not untried, sorted(untried)


@pytest.mark.parametrize(("func", "name", "value"), THROUGH)
def test_the_function_refuses_a_value_just_outside(
    tx: pd.DataFrame, func: str, name: str, value: object
) -> None:
    call = CALLS[func]
    options = TOGETHER.get((func, name), {}) | {name: value}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rt.errors.RetentionWarning)
        with pytest.raises(InvalidParameterError) as info:
            call(tx, **options)
    message = str(info.value)
    assert f"{name!r}" in message, message
    assert func.rpartition(".")[2] in message, message


def test_the_calls_accept_the_defaults(tx: pd.DataFrame) -> None:
    """The base calls above are valid, so that a refusal comes from the option tried."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rt.errors.RetentionWarning)
        for func, call in CALLS.items():
            if func in ("load_cdnow",):
                call(tx, kind="sample")
            elif func == "survival_at":
                call(tx, times=[0, 10])
            else:
                call(tx)
