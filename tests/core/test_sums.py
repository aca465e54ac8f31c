"""Tests of the order-independent per-group sums."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from retention.core.sums import group_sums
from tests.exact import decimal_total, whole_cents


def test_group_sums_by_hand() -> None:
    group = np.array([0, 0, 0, 1, 2, 2])
    values = np.array([0.1, 0.2, 0.3, 0.6, -5.0, 2.5])
    np.testing.assert_array_equal(group_sums(group, values, 4), [0.6, 0.6, -2.5, 0.0])


def test_group_sums_is_the_correctly_rounded_sum_where_row_order_is_not() -> None:
    values = np.array([0.1, 0.2, 0.3])
    assert values.sum() != 0.6  # adding in row order gives 0.6000000000000001
    for order in ([0, 1, 2], [2, 1, 0], [1, 2, 0]):
        assert group_sums(np.zeros(3, dtype=np.int64), values[order], 1)[0] == 0.6


def test_group_sums_empty_and_extremes() -> None:
    np.testing.assert_array_equal(group_sums(np.empty(0, np.int64), np.empty(0), 2), [0.0, 0.0])
    huge = np.array([1e308, 1e308, -1e308])
    assert group_sums(np.zeros(3, np.int64), huge, 1)[0] == 1e308
    tiny = np.array([5e-324, 5e-324, 1e-310])
    assert group_sums(np.zeros(3, np.int64), tiny, 1)[0] == math.fsum(tiny)
    mixed = np.array([1e20, 1.0, -1e20, 1e-20])
    assert group_sums(np.zeros(4, np.int64), mixed, 1)[0] == math.fsum(mixed)


def test_group_sums_leaves_its_input_alone() -> None:
    values = np.array([0.1, 0.2, 0.3])
    group = np.array([0, 1, 0])
    group_sums(group, values, 2)
    np.testing.assert_array_equal(values, [0.1, 0.2, 0.3])
    np.testing.assert_array_equal(group, [0, 1, 0])


amounts = st.one_of(
    st.sampled_from([0.1, 0.2, 0.3, 0.7, 1.1, 2.2, 3.3, 1e-3, 19.99]),
    st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
    st.floats(-1e-300, 1e-300, allow_nan=False),
)


@given(
    rows=st.lists(st.tuples(st.integers(0, 4), amounts), min_size=1, max_size=60),
    seed=st.integers(0, 2**32 - 1),
)
def test_group_sums_do_not_depend_on_row_order_and_are_faithful(
    rows: list[tuple[int, float]], seed: int
) -> None:
    group = np.array([g for g, _ in rows], dtype=np.int64)
    values = np.array([v for _, v in rows])
    expected = group_sums(group, values, 5)
    order = np.random.default_rng(seed).permutation(len(rows))
    np.testing.assert_array_equal(group_sums(group[order], values[order], 5), expected)
    cents = whole_cents(values)
    for g in range(5):
        if cents:  # read as decimals: see the tests of cents below
            assert expected[g] == decimal_total(values[group == g])
            continue
        exact = math.fsum(values[group == g])
        # Faithful: the exact sum rounded to one of its two neighbouring floats.
        assert abs(expected[g] - exact) <= math.ulp(exact)


def test_group_sums_of_whole_cents_are_the_decimal_totals() -> None:
    values = np.array([1000.01, -1000.0, 0.1, 0.2, 19.99, 0.01])
    group = np.array([0, 0, 1, 1, 2, 2])
    # The floats' exact sum for group 0 is 0.0099999999999909...; as cents it is one cent.
    assert math.fsum(values[:2]) != 0.01
    np.testing.assert_array_equal(group_sums(group, values, 3), [0.01, 0.3, 20.0])


def test_group_sums_fall_back_to_the_exact_float_sums() -> None:
    # One value with more than two decimals: its group is added as floats, exactly; the other as cents.
    values = np.array([1000.01, -1000.0, 0.125, 1000.01, -1000.0])
    sums = group_sums(np.array([0, 0, 0, 1, 1]), values, 2)
    assert sums[0] == math.fsum(values[:3])
    assert sums[1] == 0.01
    # Cents too large to add exactly as integers are added as floats too.
    big = np.array([2.0**52, 2.0**52, 0.5])
    assert group_sums(np.zeros(3, np.int64), big, 1)[0] == math.fsum(big)


@given(
    rows=st.lists(
        st.tuples(st.integers(0, 4), st.integers(-(10**9), 10**9).map(lambda c: c / 100)),
        min_size=1,
        max_size=60,
    ),
    seed=st.integers(0, 2**32 - 1),
)
def test_group_sums_of_cents_are_correctly_rounded_in_any_order(
    rows: list[tuple[int, float]], seed: int
) -> None:
    group = np.array([g for g, _ in rows], dtype=np.int64)
    values = np.array([v for _, v in rows])
    expected = group_sums(group, values, 5)
    order = np.random.default_rng(seed).permutation(len(rows))
    np.testing.assert_array_equal(group_sums(group[order], values[order], 5), expected)
    for g in range(5):
        assert expected[g] == decimal_total(values[group == g])


@given(
    rows=st.lists(st.tuples(st.integers(0, 4), amounts), min_size=1, max_size=60),
    group=st.integers(0, 4),
)
def test_a_group_sum_depends_on_that_group_alone(rows: list[tuple[int, float]], group: int) -> None:
    # The sums of a breakdown's groups equal those of each group's values summed alone, to the last bit,
    # whatever the other groups hold (more decimals, other magnitudes, many more values).
    codes = np.array([g for g, _ in rows], dtype=np.int64)
    values = np.array([v for _, v in rows])
    alone = values[codes == group]
    expected = group_sums(np.zeros(len(alone), dtype=np.int64), alone, 1)[0]
    assert group_sums(codes, values, 5)[group] == expected


def test_a_group_sum_ignores_the_magnitude_and_decimals_of_other_groups() -> None:
    values = np.array([0.1, 0.2, 0.3, 1e300, 1e-300, 0.125])
    codes = np.array([0, 0, 0, 1, 1, 2])
    sums = group_sums(codes, values, 3)
    assert sums[0] == 0.6  # as cents, although other groups hold other floats
    assert sums[1] == 1e300
    assert sums[2] == 0.125


def test_group_sums_of_mixed_magnitudes_that_cancel() -> None:
    values = np.array([1e16, 1.0, -1e16, 5.0, 1e6, 1e-300, -1e6])
    codes = np.array([0, 0, 0, 0, 1, 1, 1])
    np.testing.assert_array_equal(group_sums(codes, values, 2), [6.0, 1e-300])
