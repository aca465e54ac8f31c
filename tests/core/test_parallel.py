"""Passes on several threads: the results in block order, the thread count read from the environment."""

from __future__ import annotations

import multiprocessing
import os
import threading
import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from retention.core import parallel
from retention.core.arrays import readable
from retention.errors import InvalidParameterError


@pytest.fixture
def threads(monkeypatch: pytest.MonkeyPatch) -> None:
    """Three threads for any number of rows."""
    monkeypatch.setattr(parallel, "MIN_ROWS", 0)
    monkeypatch.setenv(parallel.THREADS_VARIABLE, "3")


@given(st.integers(0, 200), st.integers(1, 50))
def test_blocks_cover_the_rows_in_order(n: int, block: int) -> None:
    got = parallel.map_blocks(lambda lo, hi: (lo, hi), n, block=block)
    assert [lo for lo, _ in got] == list(range(0, n, block))
    assert all(hi - lo == min(block, n - lo) for lo, hi in got)


def test_blocks_run_on_the_pool_and_come_back_in_order(threads: None) -> None:
    names: list[str] = []
    barrier = threading.Barrier(3, timeout=10)  # only reached if three blocks run at once

    def block(lo: int, hi: int) -> int:
        names.append(threading.current_thread().name)
        if lo < 3:
            barrier.wait()
        return lo

    assert parallel.map_blocks(block, 6, block=1) == [0, 1, 2, 3, 4, 5]
    assert all(name.startswith("retention-pass") for name in names)


def test_a_pass_inside_a_pass_runs_on_its_thread(threads: None) -> None:
    def outer(lo: int, hi: int) -> list[str]:
        return parallel.map_blocks(lambda a, b: threading.current_thread().name, 4, block=1)

    for names in parallel.map_blocks(outer, 6, block=1):  # six passes on a pool of three: no wait
        assert len(set(names)) == 1


def test_small_passes_stay_on_the_calling_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(parallel.THREADS_VARIABLE, "3")
    caller = threading.current_thread().name
    got = parallel.map_blocks(lambda lo, hi: threading.current_thread().name, 100, block=10)
    assert got == [caller] * 10
    assert parallel.threads_for(parallel.MIN_ROWS - 1) == 1
    assert parallel.threads_for(parallel.MIN_ROWS) == 3


def test_thread_count_defaults_to_the_usable_processors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(parallel.THREADS_VARIABLE, raising=False)
    assert parallel.thread_count() >= 1
    monkeypatch.setenv(parallel.THREADS_VARIABLE, " 2 ")
    assert parallel.thread_count() == 2


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5"])
def test_a_bad_thread_count_is_refused(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(parallel.THREADS_VARIABLE, value)
    with pytest.raises(InvalidParameterError, match=r"RETENTION_NUM_THREADS .* at least 1\. Got"):
        parallel.thread_count()


def _blocks_in_child(queue: Any) -> None:
    inherited = len(parallel._pools)  # the parent's pools, whose threads the fork did not copy
    queue.put((inherited, parallel.map_blocks(lambda lo, hi: hi - lo, 10, block=4)))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_runs_blocks_on_pools_of_its_own(threads: None) -> None:
    # The parent's pool exists (its threads do not survive a fork): the child must not wait on them.
    assert parallel.map_blocks(lambda lo, hi: hi - lo, 10, block=4) == [4, 4, 2]
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork of a process with threads
        child = context.Process(target=_blocks_in_child, args=(queue,))
        child.start()
    try:
        assert queue.get(timeout=60) == (0, [4, 4, 2])
    finally:
        child.join(timeout=60)
        if child.is_alive():
            child.kill()
    assert child.exitcode == 0


def test_concurrently_runs_both_at_once_and_returns_both(threads: None) -> None:
    barrier = threading.Barrier(2, timeout=10)  # only passed if the two run at the same time

    def first() -> str:
        barrier.wait()
        return threading.current_thread().name

    def second() -> str:
        barrier.wait()
        return threading.current_thread().name

    on_pool, here = parallel.concurrently(first, second, rows=10)
    assert on_pool.startswith("retention-pass")
    assert here == threading.current_thread().name


def test_concurrently_runs_in_turn_on_one_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(parallel.THREADS_VARIABLE, "1")
    order: list[str] = []
    got = parallel.concurrently(
        lambda: order.append("first") or 1, lambda: order.append("second") or 2, rows=10**9
    )
    assert got == (1, 2)
    assert order == ["first", "second"]


@pytest.mark.parametrize("which", ["first", "second", "both"])
def test_concurrently_raises_what_either_raised(threads: None, which: str) -> None:
    def fail(name: str) -> Any:
        def run() -> Any:
            if which in (name, "both"):
                raise ValueError(name)
            return name

        return run

    with pytest.raises(ValueError, match="first" if which in ("first", "both") else "second"):
        parallel.concurrently(fail("first"), fail("second"), rows=10)


@given(
    st.lists(st.integers(-(2**63), 2**63 - 1) | st.integers(0, 3), max_size=300),
    st.sampled_from([np.int64, np.uint8, np.float64]),
)
def test_argsort_on_threads_is_the_stable_argsort(keys: list[int], dtype: Any) -> None:
    values = np.array(keys, dtype=np.int64)
    values = (values % 251).astype(dtype) if dtype is not np.int64 else values
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(parallel, "MIN_ROWS", 0)
        patch.setenv(parallel.THREADS_VARIABLE, "3")
        got = parallel.argsort(values)
    np.testing.assert_array_equal(got, np.argsort(values, kind="stable"), strict=True)


@given(
    values=st.lists(st.integers(0, 40), max_size=300),
    minlength=st.integers(0, 60),
    weighted=st.booleans(),
    dtype=st.sampled_from([np.int64, np.uint8, np.uint16, np.int32]),
    narrow_slice=st.sampled_from([1, 3, 1 << 18]),
    read_only=st.booleans(),
)
def test_bincount_on_threads_is_numpys(
    *,
    values: list[int],
    minlength: int,
    weighted: bool,
    dtype: Any,
    narrow_slice: int,
    read_only: bool,
) -> None:
    # Whole-number weights: their partial sums are exact, as the callers' are. Values of one or two bytes
    # are counted a slice at a time: slices of one and three rows, whose counts are of many lengths.
    # Read-only values and weights (the read tables') are read through core.arrays.readable.
    bins = np.array(values, dtype=dtype)
    weights = (bins * 7 - 100).astype(np.float64) if weighted else None
    if read_only:
        bins.flags.writeable = False
        if weights is not None:
            weights.flags.writeable = False
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(parallel, "MIN_ROWS", 0)
        patch.setattr(parallel, "_NARROW_SLICE", narrow_slice)
        patch.setenv(parallel.THREADS_VARIABLE, "3")
        got = parallel.bincount(bins, minlength=minlength, weights=weights)
    np.testing.assert_array_equal(
        got, np.bincount(bins, weights=weights, minlength=minlength), strict=True
    )


@given(
    st.lists(st.integers(-(2**63), 2**63 - 1), min_size=1, max_size=300),
    st.sampled_from([np.int64, np.uint64, np.int8, np.uint16]),
)
def test_min_max_on_threads_is_numpys(values: list[int], dtype: Any) -> None:
    # Blocks of 7 rows on 3 threads; any integer type, uint64 beyond int64 included.
    array = np.array(values, dtype=np.int64).astype(dtype)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(parallel, "MIN_ROWS", 0)
        patch.setattr(parallel, "_MIN_MAX_ROWS", 7)
        patch.setenv(parallel.THREADS_VARIABLE, "3")
        got = parallel.min_max(array)
    assert got == (int(array.min()), int(array.max()))
    assert all(type(v) is int for v in got)


@given(
    st.lists(st.floats(allow_nan=False) | st.just(-0.0), min_size=1, max_size=50),
    st.data(),
    st.integers(-1000, 1000),
    st.booleans(),
)
def test_take_on_threads_is_numpys(
    values: list[float], data: st.DataObject, start: int, read_only: bool
) -> None:
    table = np.array(values)
    at = data.draw(st.lists(st.integers(0, len(values) - 1), max_size=300))
    indices = np.array(at, dtype=np.int64) + start
    indices.flags.writeable = not read_only
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(parallel, "MIN_ROWS", 0)
        patch.setattr(parallel, "_GATHER_ROWS", 7)
        patch.setenv(parallel.THREADS_VARIABLE, "3")
        got = parallel.take(table, indices, start=start)
        scratch = np.full(len(indices) + 2, np.nan)
        out = scratch[1:-1]
        into = parallel.take(table, indices, start=start, out=out)
    np.testing.assert_array_equal(got, table[indices - start], strict=True)
    assert np.signbit(got).tolist() == np.signbit(table[indices - start]).tolist()  # bit for bit
    # Into the caller's array: written there (and nowhere else), the same values.
    assert into is out
    np.testing.assert_array_equal(scratch[1:-1], got, strict=True)
    assert np.isnan(scratch[[0, -1]]).all()


def test_readable_reads_a_read_only_array_in_place_and_leaves_it_read_only() -> None:
    codes = np.arange(6, dtype=np.int64)
    codes.flags.writeable = False
    view = readable(codes)
    assert view.flags.writeable
    assert np.shares_memory(view, codes)
    assert not codes.flags.writeable
    np.testing.assert_array_equal(np.bincount(view), np.ones(6, dtype=np.int64))
    del codes  # the view keeps the memory alive
    assert view.sum() == 15
    strided = np.arange(6)[::2]
    strided.flags.writeable = False
    assert readable(strided) is strided  # not contiguous: numpy copies it anyway
    own = np.arange(3)
    assert readable(own) is own
