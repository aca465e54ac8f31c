"""Tests of contact schedules and matching (retention.core.contacts)."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from scipy.sparse import csr_array
from scipy.sparse.csgraph import maximum_bipartite_matching

from retention.core.contacts import compliance_counts, contact_schedule, match_contacts


def test_schedule_by_hand() -> None:
    # July 2024 (31 days from day 19905) and August (31 days): 1 contact and 2 contacts a month.
    s = contact_schedule(np.array([1, 2]), np.array([19905, 19936]), np.array([31, 31]))
    np.testing.assert_array_equal(s.customer, [0, 0, 1, 1, 1, 1])
    # 2 in 31 days: day 0 and floor(31 / 2) = 15
    np.testing.assert_array_equal(s.due, [19905, 19936, 19905, 19920, 19936, 19951])
    np.testing.assert_array_equal(s.number, [0, 1, 0, 1, 2, 3])


def test_schedule_more_contacts_than_days() -> None:
    s = contact_schedule(np.array([5]), np.array([100]), np.array([2]))
    # slots of 2/5 day: floor(0, 0.4, 0.8, 1.2, 1.6) = 0, 0, 0, 1, 1
    np.testing.assert_array_equal(s.due, [100, 100, 100, 101, 101])


def test_schedule_of_nobody() -> None:
    s = contact_schedule(np.empty(0, dtype=np.int64), np.array([0]), np.array([30]))
    assert len(s.customer) == len(s.due) == len(s.number) == 0


@given(
    st.lists(st.integers(1, 8), min_size=1, max_size=10),
    st.lists(st.integers(1, 40), min_size=1, max_size=4),
)
def test_schedule_counts_and_spread(per_period: list[int], lengths: list[int]) -> None:
    n_days = np.array(lengths, dtype=np.int64)
    first_day = 1000 + np.concatenate([[0], np.cumsum(n_days)[:-1]])
    s = contact_schedule(np.array(per_period), first_day, n_days)
    period = np.searchsorted(first_day, s.due, side="right") - 1
    for c, n in enumerate(per_period):
        mine = s.customer == c
        # exactly n contacts in every period, in order, inside the period
        np.testing.assert_array_equal(np.bincount(period[mine], minlength=len(lengths)), n)
        assert (np.diff(s.due[mine]) >= 0).all()
        np.testing.assert_array_equal(s.number[mine], np.arange(n * len(lengths)))
    assert (s.due < first_day[-1] + n_days[-1]).all()
    assert (s.due >= first_day[0]).all()


def test_match_by_hand() -> None:
    # customer 0: due 10, 20, 30; logged 9 and 13 (both within 7 days of due 10), 29
    # customer 1: due 10; logged 25 (too late)
    # customer 2: logged only
    met = match_contacts(
        np.array([0, 0, 0, 1]),
        np.array([10, 20, 30, 10]),
        np.array([0, 0, 0, 1, 2]),
        np.array([9, 13, 29, 25, 10]),
        7,
    )
    # due 10 takes the earliest, 9; due 20 takes 13 (exactly 7 days early); due 30 takes 29
    np.testing.assert_array_equal(met, [True, True, True, False])


def test_match_just_outside_the_window() -> None:
    # 12 is 8 days before due 20: it meets due 10 only, and 9 is then left over
    met = match_contacts(
        np.array([0, 0]), np.array([10, 20]), np.array([0, 0]), np.array([9, 12]), 7
    )
    np.testing.assert_array_equal(met, [True, False])


def test_match_one_contact_meets_one_plan() -> None:
    met = match_contacts(np.array([0, 0, 0]), np.array([5, 5, 5]), np.array([0]), np.array([5]), 3)
    assert met.sum() == 1


def test_match_greedy_keeps_late_contacts_for_later_plans() -> None:
    # due 0 and 10, tolerance 5: the contact on day 6 is too late for due 0 and must stay for due 10
    met = match_contacts(np.array([0, 0]), np.array([0, 10]), np.array([0, 0]), np.array([6, 4]), 5)
    np.testing.assert_array_equal(met, [True, True])


def test_match_window_is_inclusive() -> None:
    met = match_contacts(
        np.array([0, 1, 2]), np.array([10, 10, 10]), np.array([0, 1, 2]), np.array([3, 17, 18]), 7
    )
    np.testing.assert_array_equal(met, [True, True, False])


def test_match_input_order_is_kept() -> None:
    met = match_contacts(np.array([1, 0]), np.array([50, 10]), np.array([0]), np.array([10]), 1)
    np.testing.assert_array_equal(met, [False, True])


def test_match_nothing() -> None:
    empty = np.empty(0, dtype=np.int64)
    assert len(match_contacts(empty, empty, np.array([0]), np.array([1]), 3)) == 0
    assert not match_contacts(np.array([0]), np.array([1]), empty, empty, 3).any()


def maximum_matching(
    plan_c: list[int], plan_d: list[int], done_c: list[int], done_d: list[int], tol: int
) -> int:
    """The size of a maximum matching, by scipy's Hopcroft-Karp."""
    if not plan_c or not done_c:
        return 0
    edges = [
        (i, j)
        for (i, (pc, pd_)), (j, (dc, dd)) in itertools.product(
            enumerate(zip(plan_c, plan_d, strict=True)),
            enumerate(zip(done_c, done_d, strict=True)),
        )
        if pc == dc and abs(pd_ - dd) <= tol
    ]
    if not edges:
        return 0
    rows, cols = zip(*edges, strict=True)
    graph = csr_array(
        (np.ones(len(edges)), (np.array(rows), np.array(cols))), shape=(len(plan_c), len(done_c))
    )
    return int((maximum_bipartite_matching(graph, perm_type="column") >= 0).sum())


events = st.lists(st.tuples(st.integers(0, 3), st.integers(0, 40)), max_size=25)


@given(events, events, st.integers(1, 8))
def test_match_is_maximum_and_order_free(
    planned: list[tuple[int, int]], logged: list[tuple[int, int]], tol: int
) -> None:
    plan_c = np.array([c for c, _ in planned], dtype=np.int64)
    plan_d = np.array([d for _, d in planned], dtype=np.int64)
    done_c = np.array([c for c, _ in logged], dtype=np.int64)
    done_d = np.array([d for _, d in logged], dtype=np.int64)
    kept = [a.copy() for a in (plan_c, plan_d, done_c, done_d)]
    met = match_contacts(plan_c, plan_d, done_c, done_d, tol)
    assert met.sum() == maximum_matching(
        list(plan_c), list(plan_d), list(done_c), list(done_d), tol
    )
    # per customer, never more met than logged
    for c in range(4):
        assert met[plan_c == c].sum() <= (done_c == c).sum()
    # reversing both tables changes nothing but the order
    back_p, back_d = np.arange(len(planned))[::-1], np.arange(len(logged))[::-1]
    again = match_contacts(plan_c[back_p], plan_d[back_p], done_c[back_d], done_d[back_d], tol)
    for c in range(4):
        assert again[plan_c[back_p] == c].sum() == met[plan_c == c].sum()
    for before, after in zip(kept, (plan_c, plan_d, done_c, done_d), strict=True):
        np.testing.assert_array_equal(before, after)


def test_compliance_counts_by_hand() -> None:
    c = compliance_counts(
        np.array([0, 0, 1, 2]), np.array([True, False, False, True]), np.array([0, 0, 2]), 3
    )
    np.testing.assert_array_equal(c.planned, [2, 1, 1, 4])
    np.testing.assert_array_equal(c.done, [2, 0, 1, 3])
    np.testing.assert_array_equal(c.met, [1, 0, 1, 2])
    np.testing.assert_array_equal(c.compliance, [0.5, 0.0, 1.0, 0.5])


def test_compliance_of_nothing_is_nan() -> None:
    empty = np.empty(0, dtype=np.int64)
    c = compliance_counts(empty, np.empty(0, dtype=np.bool_), empty, 1)
    np.testing.assert_array_equal(c.planned, [0, 0])
    assert np.isnan(c.compliance).all()
