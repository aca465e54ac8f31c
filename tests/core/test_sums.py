"""Tests of the order-independent per-group sums."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from retention.core import parallel, sums
from retention.core.sums import (
    add_partials,
    group_sums,
    group_sums_of,
    partial_sums,
    sums_of_partials,
)
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
    for g in range(5):
        if whole_cents(values[group == g]):  # a group of cents reads as decimals (tests below)
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


# --- sums of pieces (group_sums_of) ---------------------------------------------------------------------

mixed_amounts = st.one_of(
    amounts,
    st.integers(-(10**7), 10**7).map(lambda c: c / 100),  # whole cents, so groups add as cents
    st.sampled_from([1e16, -1e16, 2.0**53, 1e300, -1e300, 5e-324]),
)


@given(rows=st.lists(st.tuples(st.integers(0, 3), mixed_amounts), min_size=0, max_size=60))
def test_group_sums_on_threads_are_those_of_one_thread(rows: list[tuple[int, float]]) -> None:
    # Each thread tallies a run of rows and the runs' tallies are added: exact, so the same to the bit.
    group = np.array([g for g, _ in rows], dtype=np.int64)
    values = np.array([v for _, v in rows], dtype=np.float64)
    one = group_sums(group, values, 4)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(parallel, "MIN_ROWS", 0)
        patch.setenv(parallel.THREADS_VARIABLE, "3")
        many = group_sums(group, values, 4)
        patch.setattr(sums, "_BLOCK", 4)  # the cents of each thread's run, 4 rows at a time
        blocks = group_sums(group, values, 4)
    np.testing.assert_array_equal(many, one, strict=True)
    np.testing.assert_array_equal(blocks, one, strict=True)


@given(
    rows=st.lists(st.tuples(st.integers(0, 3), mixed_amounts), min_size=0, max_size=60),
    cuts=st.lists(st.integers(0, 60), max_size=3),
)
def test_pieces_sum_as_the_pieces_put_together(
    rows: list[tuple[int, float]], cuts: list[int]
) -> None:
    group = np.array([g for g, _ in rows], dtype=np.int64)
    values = np.array([v for _, v in rows], dtype=np.float64)
    edges = [0, *sorted(min(c, len(rows)) for c in cuts), len(rows)]
    pieces = [(group[a:b], values[a:b]) for a, b in itertools.pairwise(edges)]
    expected = group_sums(group, values, 4)
    np.testing.assert_array_equal(group_sums_of(pieces, 4), expected)
    # A grand total: pieces without group codes give the sum of everything, as one group.
    total = group_sums(np.zeros(len(values), dtype=np.int64), values, 1)
    np.testing.assert_array_equal(group_sums_of([(None, v) for _, v in pieces], 1), total)
    mixed = [(None if k % 2 else np.zeros(len(v), np.int64), v) for k, (_, v) in enumerate(pieces)]
    np.testing.assert_array_equal(group_sums_of(mixed, 1), total)


@given(
    rows=st.lists(st.tuples(st.integers(0, 3), mixed_amounts), min_size=0, max_size=60),
    cuts=st.lists(st.integers(0, 60), max_size=3),
    on_threads=st.booleans(),
)
def test_sums_that_may_overwrite_their_values_are_the_same(
    rows: list[tuple[int, float]], cuts: list[int], on_threads: bool
) -> None:
    # overwrite=True rounds the whole cents in place: groups of cents, of floats (their values restored
    # from the cents) and both, in pieces, on one thread or on three in runs of 4-row blocks.
    group = np.array([g for g, _ in rows], dtype=np.int64)
    values = np.array([v for _, v in rows], dtype=np.float64)
    edges = [0, *sorted(min(c, len(rows)) for c in cuts), len(rows)]
    pieces = [(group[a:b], values[a:b]) for a, b in itertools.pairwise(edges)]
    expected = group_sums_of(pieces, 4)
    with pytest.MonkeyPatch.context() as patch:
        if on_threads:
            patch.setattr(parallel, "MIN_ROWS", 0)
            patch.setenv(parallel.THREADS_VARIABLE, "3")
            patch.setattr(sums, "_BLOCK", 4)
        scratch = [(g, v.copy()) for g, v in pieces]
        overwritten = group_sums_of(scratch, 4, overwrite=True)
        totals = [(None, v.copy()) for _, v in pieces]
        total = group_sums_of(totals, 1, overwrite=True)
    np.testing.assert_array_equal(overwritten, expected, strict=True)
    np.testing.assert_array_equal(total, group_sums_of([(None, values)], 1), strict=True)


def test_sums_that_may_overwrite_round_whole_cents_in_place_only() -> None:
    values = np.array(
        [10.25, 0.1 + 0.2, -3.0]
    )  # 0.30000000000000004 is not a whole number of cents
    np.testing.assert_array_equal(
        group_sums_of([(np.array([0, 1, 0]), values)], 2, overwrite=True), [7.25, 0.1 + 0.2]
    )
    np.testing.assert_array_equal(values, [1025.0, 0.1 + 0.2, -300.0])


def test_pieces_by_hand() -> None:
    purchases = (np.array([0, 1, 0]), np.array([10.0, 5.5, 0.1]))
    returns = (np.array([0, 1]), np.array([-0.1, -5.5]))
    np.testing.assert_array_equal(group_sums_of([purchases, returns], 3), [10.0, 0.0, 0.0])
    np.testing.assert_array_equal(group_sums_of([], 2), [0.0, 0.0])
    # One piece of floats that are not cents, one of cents: the group adds as floats, exactly.
    np.testing.assert_array_equal(
        group_sums_of([(None, np.array([1e-20])), (None, np.array([0.1]))], 1),
        [math.fsum([1e-20, 0.1])],
    )


# --- partial sums: the tallies of a table split into parts -----------------------------------------------

_amounts = st.one_of(
    st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
    st.integers(-(10**8), 10**8).map(lambda c: c / 100),  # whole cents
    st.sampled_from([0.1, 0.2, 0.3, -0.6, 1e-300, 1e15, -1e15]),
)


@given(
    st.lists(st.tuples(st.integers(0, 3), _amounts, st.integers(0, 2)), max_size=40),
)
def test_partial_sums_of_parts_add_up_to_the_sums_of_the_whole(
    rows: list[tuple[int, float, int]],
) -> None:
    group = np.array([r[0] for r in rows], dtype=np.int64)
    values = np.array([r[1] for r in rows], dtype=np.float64)
    part = np.array([r[2] for r in rows], dtype=np.int64)
    whole = group_sums_of([(group, values)], 4)
    tallies = [partial_sums([(group[part == k], values[part == k])], 4) for k in range(3)]
    for order in itertools.permutations(tallies):
        total = add_partials(add_partials(order[0], order[1]), order[2])
        np.testing.assert_array_equal(sums_of_partials(total), whole)


def test_partial_sums_keep_the_decimal_total_of_cents_split_across_parts() -> None:
    a = partial_sums([(None, np.array([1000.01]))], 1)
    b = partial_sums([(None, np.array([-1000.0]))], 1)
    assert sums_of_partials(add_partials(a, b))[0] == 0.01  # not 0.0099999999999909
    c = partial_sums([(None, np.array([0.1 + 1e-17, 1e-3 / 3]))], 1)  # not whole cents: float path
    exact = math.fsum([1000.01, -1000.0, 0.1 + 1e-17, 1e-3 / 3])
    assert sums_of_partials(add_partials(add_partials(a, b), c))[0] == exact
