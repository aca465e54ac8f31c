"""The distinct (customer, period) pairs: ``activity`` and ``first_of_pair`` against a set of keys."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from retention.core import activity as act
from retention.core import parallel


def _pairs_of(customer: np.ndarray, period: np.ndarray) -> set[tuple[int, int]]:
    return {(int(c), int(p)) for c, p in zip(customer, period, strict=True)}


def _check_marks(customer: np.ndarray, period: np.ndarray, n_customers: int) -> None:
    mark = act.first_of_pair(customer, period, n_customers)
    assert mark.dtype == np.bool_
    assert len(mark) == len(customer)
    marked = list(zip(customer[mark].tolist(), period[mark].tolist(), strict=True))
    # Exactly one row of every distinct pair, and no other.
    assert len(marked) == len(set(marked))
    assert set(marked) == _pairs_of(customer, period)


@pytest.fixture(
    params=[
        "one block",
        "tiny blocks",
        "tiny blocks, two-byte groups",
        "tiny blocks on three threads",
        "period by period",
    ]
)
def blocks(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run with one block, with many small blocks (also on three threads, each with its scratch table,
    the unsorted rows sorted in pieces of 7 rows), with more blocks than one byte counts (as few pieces
    as threads: the cap on block-piece visits), and (for rows sorted by period) one period at a time, as
    logs with thousands of purchases per period are."""
    if request.param.startswith("tiny blocks"):
        monkeypatch.setattr(act, "_BLOCK_CELLS", 3)
        monkeypatch.setattr(act, "_CHECK_ROWS", 2)
        monkeypatch.setattr(act, "_CELL_ROWS", 2)
    if request.param.endswith("three threads"):
        monkeypatch.setattr(act, "_ROW_BLOCK", 4)
        monkeypatch.setattr(act, "_PIECE_ROWS", 7)
        monkeypatch.setattr(parallel, "MIN_ROWS", 0)
        monkeypatch.setenv(parallel.THREADS_VARIABLE, "3")
    if request.param.endswith("two-byte groups"):
        monkeypatch.setattr(act, "_BYTE_BLOCKS", 2)
        monkeypatch.setattr(act, "_LARGE_BLOCK_CELLS", 1)
        monkeypatch.setattr(act, "_PIECE_ROWS", 7)
        monkeypatch.setattr(act, "_PIECE_VISITS", 4)
    if request.param == "period by period":
        monkeypatch.setattr(act, "_ROWS_PER_PERIOD", 1)


@pytest.mark.usefixtures("blocks")
@pytest.mark.parametrize("order", ["by period", "by customer", "shuffled"])
def test_first_of_pair_marks_one_row_per_pair(order: str) -> None:
    rng = np.random.default_rng(7)
    n_customers = 40
    customer = rng.integers(0, n_customers, 500)
    period = rng.integers(-5, 30, 500)
    if order == "by period":
        sort = np.argsort(period, kind="stable")
    elif order == "by customer":
        sort = np.argsort(customer, kind="stable")
    else:
        sort = np.arange(500)
    _check_marks(customer[sort], period[sort], n_customers)


@pytest.mark.usefixtures("blocks")
@given(
    data=arrays(
        np.int64,
        st.integers(0, 60),
        elements=st.integers(0, 8 * 9 - 1),
    ),
    sort=st.sampled_from([None, "period", "customer"]),
)
def test_first_of_pair_property(data: np.ndarray, sort: str | None) -> None:
    customer, period = np.divmod(data, 9)
    period = period * 3 + 2**31  # an origin beyond 32 bits and gaps between periods
    if sort == "period":
        order = np.argsort(period, kind="stable")
        customer, period = customer[order], period[order]
    elif sort == "customer":
        order = np.argsort(customer, kind="stable")
        customer, period = customer[order], period[order]
    _check_marks(customer, period, 8)


def test_first_of_pair_agrees_with_activity() -> None:
    rng = np.random.default_rng(3)
    customer = rng.integers(0, 1000, 20_000)
    period = rng.integers(0, 400, 20_000)
    mark = act.first_of_pair(customer, period, 1000)
    pairs = act.activity(customer, period, 1000)
    np.testing.assert_array_equal(np.bincount(customer[mark], minlength=1000), pairs.periods_active)


def test_first_of_pair_empty_and_single() -> None:
    assert act.first_of_pair(np.empty(0, np.int64), np.empty(0, np.int64), 0).shape == (0,)
    assert int(act.first_of_pair(np.array([0, 0, 0]), np.array([4, 4, 4]), 1).sum()) == 1


def test_first_of_pair_does_not_modify_input() -> None:
    customer = np.array([2, 0, 2, 1])
    period = np.array([3, 1, 3, 0])
    before = customer.copy(), period.copy()
    act.first_of_pair(customer, period, 3)
    np.testing.assert_array_equal(customer, before[0])
    np.testing.assert_array_equal(period, before[1])


@pytest.mark.usefixtures("blocks")
def test_activity_pairs_are_sorted_and_distinct() -> None:
    rng = np.random.default_rng(11)
    customer = rng.integers(0, 30, 300)
    period = rng.integers(0, 12, 300)
    a = act.activity(customer, period, 30)
    keys = a.customer * 12 + a.period
    assert np.all(np.diff(keys) > 0)
    assert _pairs_of(a.customer, a.period) == _pairs_of(customer, period)
    first = np.full(30, 99)
    np.minimum.at(first, customer, period)
    np.testing.assert_array_equal(a.first_period, first)


@pytest.mark.usefixtures("blocks")
@given(
    rows=st.lists(
        st.tuples(st.integers(0, 5), st.one_of(st.integers(-(2**40), 2**40), st.integers(0, 9))),
        min_size=1,
        max_size=50,
    ),
    sort=st.sampled_from([None, 0, 1]),
)
def test_first_and_last_periods_match_a_plain_reduction(
    rows: list[tuple[int, int]], sort: int | None
) -> None:
    if sort is not None:  # sorted by customer (0) or by period (1), as logs often are
        rows = sorted(rows, key=lambda row: row[sort])
    present = sorted({c for c, _ in rows})
    code = {c: i for i, c in enumerate(present)}  # every code occurs
    customer = np.array([code[c] for c, _ in rows])
    period = np.array([p for _, p in rows])
    expected_first = [min(p for c, p in rows if code[c] == i) for i in range(len(present))]
    expected_last = [max(p for c, p in rows if code[c] == i) for i in range(len(present))]
    first, last = act.period_bounds(customer, period, len(present))
    np.testing.assert_array_equal(first, expected_first)
    np.testing.assert_array_equal(last, expected_last)
    np.testing.assert_array_equal(act.first_periods(customer, period, len(present)), first)
    np.testing.assert_array_equal(act.last_periods(customer, period, len(present)), last)


def test_period_bounds_of_nothing() -> None:
    first, last = act.period_bounds(np.empty(0, np.int64), np.empty(0, np.int64), 0)
    assert first.shape == last.shape == (0,)


@pytest.mark.usefixtures("blocks")
@pytest.mark.parametrize("order", ["by period", "by customer", "shuffled"])
def test_customer_periods_combine_marks_and_bounds(order: str) -> None:
    rng = np.random.default_rng(5)
    customer = np.repeat(np.arange(30), 8)  # every code occurs
    period = rng.integers(2**31 - 10, 2**31 + 20, len(customer))
    sort = {
        "by period": np.argsort(period, kind="stable"),
        "by customer": np.arange(len(customer)),
        "shuffled": rng.permutation(len(customer)),
    }[order]
    customer, period = customer[sort], period[sort]
    active, first, last = act.customer_periods(customer, period, 30)
    mark = act.first_of_pair(customer, period, 30)
    np.testing.assert_array_equal(active, np.bincount(customer[mark], minlength=30))
    expected_first = [min(period[customer == c]) for c in range(30)]
    expected_last = [max(period[customer == c]) for c in range(30)]
    np.testing.assert_array_equal(first, expected_first)
    np.testing.assert_array_equal(last, expected_last)
    np.testing.assert_array_equal(act.first_periods(customer, period, 30), expected_first)
    np.testing.assert_array_equal(act.last_periods(customer, period, 30), expected_last)
    pairs = {(int(c), int(p)) for c, p in zip(customer, period, strict=True)}
    np.testing.assert_array_equal(active, np.bincount([c for c, _ in pairs], minlength=30))


@pytest.mark.parametrize(("dense", "narrow"), [(0, 1 << 32), (0, 0)])
def test_activity_sorted_paths_equal_the_bitmap(
    dense: int, narrow: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The bitmap (small tables), the sort of 32-bit keys and the sort of 64-bit keys give one result.
    rng = np.random.default_rng(5)
    customer = np.concatenate([np.arange(40), rng.integers(0, 40, 400)])
    period = rng.integers(-30, 30, len(customer))
    expected = act.activity(customer, period, 40)
    monkeypatch.setattr(act, "_DENSE_LIMIT", dense)
    monkeypatch.setattr(act, "_NARROW_LIMIT", narrow)
    got = act.activity(customer, period, 40)
    for field in ("customer", "period", "first_period", "start"):
        np.testing.assert_array_equal(getattr(got, field), getattr(expected, field))
        assert getattr(got, field).dtype == np.int64


@pytest.mark.usefixtures("blocks")
@given(
    rows=st.lists(st.tuples(st.integers(0, 6), st.integers(0, 40)), min_size=1, max_size=60),
    width=st.integers(1, 9),
    dense=st.booleans(),
)
def test_activity_of_days_looked_up_is_that_of_their_codes(
    rows: list[tuple[int, int]], width: int, dense: bool
) -> None:
    # Days and a non-decreasing table of their codes (periods of ``width`` days from day -3, the table
    # starting at the earliest day) give the pairs of the codes themselves, on the bitmap and sorted.
    customer = np.array([c for c, _ in rows], dtype=np.int64)
    day = np.array([d for _, d in rows], dtype=np.int64) + 1000
    n = int(customer.max()) + 1
    customer = np.concatenate([customer, np.arange(n)])  # every code occurs
    day = np.concatenate([day, np.full(n, day[0])])
    low = int(day.min())
    table = (np.arange(low, int(day.max()) + 1) + 3) // width
    expected = act.activity(customer, table[day - low], n)
    with pytest.MonkeyPatch.context() as patch:
        if not dense:
            patch.setattr(act, "_DENSE_LIMIT", 0)
        got = act.activity(customer, day, n, lookup=(table, low))
    for field in ("customer", "period", "first_period", "start"):
        np.testing.assert_array_equal(getattr(got, field), getattr(expected, field), strict=True)


@pytest.mark.usefixtures("blocks")
@given(
    rows=st.lists(
        st.tuples(st.integers(0, 6), st.integers(-50, 50)), min_size=1, max_size=60, unique=False
    )
)
def test_customer_periods_match_plain_reductions(rows: list[tuple[int, int]]) -> None:
    # Rows in any order (mostly none: the bounds then come from the marking pass, block by block).
    customer = np.unique(np.array([c for c, _ in rows]), return_inverse=True)[1].astype(np.int64)
    period = np.array([p for _, p in rows], dtype=np.int64)
    n = int(customer.max()) + 1
    active, first, last = act.customer_periods(customer, period, n)
    pairs = set(zip(customer.tolist(), period.tolist(), strict=True))
    np.testing.assert_array_equal(active, np.bincount([c for c, _ in pairs], minlength=n))
    np.testing.assert_array_equal(first, [period[customer == c].min() for c in range(n)])
    np.testing.assert_array_equal(last, [period[customer == c].max() for c in range(n)])


@pytest.mark.usefixtures("blocks")
@given(
    rows=st.lists(st.tuples(st.integers(0, 6), st.integers(-50, 50)), min_size=1, max_size=60),
    wide=st.booleans(),
)
def test_repeat_customers_are_those_with_two_distinct_periods(
    rows: list[tuple[int, int]], wide: bool
) -> None:
    # On three threads in blocks of 4 rows, the threads' writes of each customer's period race: the
    # answer must not depend on which lands last. ``wide``: periods too far apart for 16-bit offsets.
    customer = np.unique(np.array([c for c, _ in rows]), return_inverse=True)[1].astype(np.int64)
    period = np.array([p for _, p in rows], dtype=np.int64) * (10**6 if wide else 1)
    n = int(customer.max()) + 1
    expected = [len(set(period[customer == c].tolist())) >= 2 for c in range(n)]
    got = act.repeat_customers(customer, period, n)
    np.testing.assert_array_equal(got, expected, strict=False)
    assert got.dtype == np.bool_
    first, last = act.period_bounds(customer, period, n)
    np.testing.assert_array_equal(got, last > first)


def test_repeat_customers_of_nothing_and_input_untouched() -> None:
    assert act.repeat_customers(np.empty(0, np.int64), np.empty(0, np.int64), 0).shape == (0,)
    customer, period = np.array([1, 0, 1]), np.array([3, 3, 4])
    customer.setflags(write=False)
    period.setflags(write=False)
    assert act.repeat_customers(customer, period, 2).tolist() == [False, True]
