"""Tests of retention.core.stats: hand-computed tables, a plain reference, published values, peers, simulations.

Peers: the log-rank statistics, the Kaplan-Meier numbers and the RMST estimate equal lifelines' (frozen numbers
below, produced with lifelines 0.30.3, and a live comparison when lifelines is installed); the Newcombe
interval equals the worked examples of Newcombe (1998) and statsmodels' ``confint_proportions_2indep``. The
RMST variance is checked against a direct computation of the Greenwood-type formula, not against lifelines
(whose variance is that of the truncated lifetime, lifelines issue #1682).
"""

from __future__ import annotations

import warnings
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from scipy import stats as scipy_stats

from retention.core.cohorts import kaplan_meier
from retention.core.stats import (
    WEIGHTINGS,
    km_on_times,
    logrank,
    newcombe_interval,
    rmst,
    rmst_difference,
    time_codes,
    wilson_interval,
)

# --- a plain reference: one loop per event time, written from the formulas --------------------------------


def reference_logrank(
    duration: np.ndarray,
    observed: np.ndarray,
    group: np.ndarray,
    k: int,
    *,
    weightings: str | None,
    p: float = 0.0,
    q: float = 0.0,
) -> float:
    """The weighted k-group log-rank statistic with explicit loops (Klein and Moeschberger, section 7.3)."""
    z = np.zeros(k)
    v = np.zeros((k, k))
    peto = 1.0
    km = 1.0  # pooled Kaplan-Meier just before the current time
    for t in np.unique(duration):
        at_risk = duration >= t
        dies = (duration == t) & observed
        n = at_risk.sum()
        d = dies.sum()
        if d == 0:
            continue
        n_g = np.array([(at_risk & (group == g)).sum() for g in range(k)], dtype=float)
        d_g = np.array([(dies & (group == g)).sum() for g in range(k)], dtype=float)
        peto *= 1 - d / (n + 1)
        w = {
            None: 1.0,
            "wilcoxon": float(n),
            "tarone-ware": float(np.sqrt(n)),
            "peto": peto,
            "fleming-harrington": km**p * (1 - km) ** q,
        }[weightings]
        z += w * (d_g - d * n_g / n)
        if n > 1:
            share = n_g / n
            v += w * w * d * (n - d) / (n - 1) * (np.diag(share) - np.outer(share, share))
        km *= 1 - d / n
    return float(z[:-1] @ np.linalg.inv(v[:-1, :-1]) @ z[:-1])


def reference_rmst(duration: np.ndarray, observed: np.ndarray, tau: float) -> tuple[float, float]:
    """RMST and its Greenwood-type variance, computed directly: a plain Kaplan-Meier, then for every event
    time t_j < tau the area A_j from t_j to tau by summing rectangles, and sum A_j^2 d_j / (n_j (n_j - d_j))."""
    times = sorted(set(duration.tolist()))
    steps = []  # (time, survival after it, n, d)
    s = 1.0
    for t in times:
        n = int((duration >= t).sum())
        d = int(((duration == t) & observed).sum())
        s *= 1 - d / n
        steps.append((t, s, n, d))

    def area(start: float) -> float:
        """Integral of the step curve from `start` to tau."""
        total = 0.0
        for i, (t, s_after, _, _) in enumerate(steps):
            end = steps[i + 1][0] if i + 1 < len(steps) else np.inf
            lo, hi = max(t, start), min(end, tau)
            if hi > lo:
                total += s_after * (hi - lo)
        first = steps[0][0]
        if start < first:
            total += min(first, tau) - start
        return total

    variance = 0.0
    for t, _, n, d in steps:
        if t < tau and d > 0 and n > d:
            variance += area(t) ** 2 * d / (n * (n - d))
    return area(0.0), float(np.sqrt(variance))


def random_survival(rng: np.random.Generator, n: int, k: int, *, ties: bool = True):
    duration = rng.exponential(10.0, n)
    if ties:
        duration = np.round(duration)
    observed = rng.random(n) < 0.7
    group = rng.integers(0, k, n)
    group[:k] = np.arange(k)  # every group occurs
    return duration, observed, group


# --- log-rank: a hand-computed table --------------------------------------------------------------------------

# Group A: 1, 3, 4+, 6; group B: 2, 3, 5, 7+ (+: censored). Per event time: n_A at risk in A, n at risk,
# d_A events in A, d events. Worked out by hand.
HAND = [  # t, n_A, n, d_A, d
    (1, 4, 8, 1, 1),
    (2, 3, 7, 0, 1),
    (3, 3, 6, 1, 2),
    (5, 1, 3, 0, 1),
    (6, 1, 2, 1, 1),
]
HAND_DURATION = np.array([1.0, 3, 4, 6, 2, 3, 5, 7])
HAND_OBSERVED = np.array([1, 1, 0, 1, 1, 1, 1, 0], dtype=bool)
HAND_GROUP = np.array([0, 0, 0, 0, 1, 1, 1, 1])
# Peto's S~(t_j) = prod (1 - d/(n + 1)) and the pooled Kaplan-Meier just before t_j, by hand.
HAND_PETO = [Fraction(8, 9), Fraction(7, 9), Fraction(5, 9), Fraction(5, 12), Fraction(5, 18)]
HAND_KM_LEFT = [Fraction(1), Fraction(7, 8), Fraction(3, 4), Fraction(1, 2), Fraction(1, 3)]


def hand_statistic(weights: list[Fraction]) -> float:
    z = sum(
        w * (d_a - Fraction(d * n_a, n))
        for w, (_, n_a, n, d_a, d) in zip(weights, HAND, strict=True)
    )
    v = sum(
        w * w * Fraction(d * (n - d), n - 1) * Fraction(n_a, n) * (1 - Fraction(n_a, n))
        for w, (_, n_a, n, _, d) in zip(weights, HAND, strict=True)
    )
    return float(z * z / v)


def test_logrank_by_hand() -> None:
    # log-rank: O_A = 3, E_A = 1/2 + 3/7 + 1 + 1/3 + 1/2 = 58/21.
    ones = [Fraction(1)] * 5
    assert hand_statistic(ones) == pytest.approx(
        float(Fraction(5, 21) ** 2 / (Fraction(1, 4) + Fraction(12, 49) + Fraction(2, 5) + Fraction(2, 9) + Fraction(1, 4))),
        rel=1e-15,
    )  # fmt: skip
    cases = {
        None: ones,
        "wilcoxon": [Fraction(n) for _, _, n, _, _ in HAND],  # Z = 1, V = 45.4
        "peto": HAND_PETO,
        "fleming-harrington": HAND_KM_LEFT,  # p = 1, q = 0
    }
    assert hand_statistic(cases["wilcoxon"]) == pytest.approx(1 / 45.4, rel=1e-14)
    for weightings, weights in cases.items():
        p = 1.0 if weightings == "fleming-harrington" else 0.0
        t = logrank(HAND_DURATION, HAND_OBSERVED, HAND_GROUP, 2, weightings=weightings, p=p)
        assert t.statistic == pytest.approx(hand_statistic(weights), rel=1e-12), weightings
        assert t.df == 1
        assert t.p_value == pytest.approx(scipy_stats.chi2.sf(t.statistic, 1), rel=1e-12)
    plain = logrank(HAND_DURATION, HAND_OBSERVED, HAND_GROUP, 2)
    assert_allclose(plain.observed, [3, 3])
    assert_allclose(plain.expected, [58 / 21, 6 - 58 / 21])


def test_fleming_harrington_zero_exponents_is_logrank() -> None:
    plain = logrank(HAND_DURATION, HAND_OBSERVED, HAND_GROUP, 2)
    fh = logrank(HAND_DURATION, HAND_OBSERVED, HAND_GROUP, 2, weightings="fleming-harrington")
    assert fh.statistic == pytest.approx(plain.statistic, rel=1e-14)


@pytest.mark.parametrize("weightings", WEIGHTINGS)
@pytest.mark.parametrize("k", [2, 3, 5])
def test_logrank_equals_plain_reference(weightings: str | None, k: int) -> None:
    rng = np.random.default_rng(k)
    for _ in range(5):
        duration, observed, group = random_survival(rng, 80, k)
        t = logrank(duration, observed, group, k, weightings=weightings, p=1.5, q=0.5)
        expected = reference_logrank(
            duration, observed, group, k, weightings=weightings, p=1.5, q=0.5
        )
        assert t.statistic == pytest.approx(expected, rel=1e-10)
        assert t.df == k - 1


def test_logrank_edge_cases() -> None:
    # No events: nothing to test; statistic 0, no degrees of freedom, p-value 1.
    t = logrank(np.array([1.0, 2, 3]), np.zeros(3, dtype=bool), np.array([0, 1, 1]), 2)
    assert (t.statistic, t.df, t.p_value) == (0.0, 0, 1.0)
    # Everybody fails at one time: no variance, no evidence.
    t = logrank(np.array([1.0, 1.0]), np.ones(2, dtype=bool), np.array([0, 1]), 2)
    assert (t.statistic, t.df, t.p_value) == (0.0, 0, 1.0)
    # A group whose members are censored before the first event is never at risk at an event time: it
    # adds nothing, and the test is the two-group test of the others (one degree of freedom).
    duration = np.array([0.5, 0.5, 1, 2, 3, 4, 2, 5])
    observed = np.array([0, 0, 1, 1, 1, 0, 1, 1], dtype=bool)
    group = np.array([2, 2, 0, 0, 1, 1, 0, 1])
    keep = group != 2
    for labels in (group, np.array([1, 2, 0])[group], np.array([0, 2, 1])[group]):
        t = logrank(duration, observed, labels, 3)
        two = logrank(
            duration[keep], observed[keep], (labels[keep] != labels[keep][0]).astype(np.int64), 2
        )
        assert t.df == 1
        assert t.statistic == pytest.approx(two.statistic, rel=1e-12)
        assert t.p_value == pytest.approx(two.p_value, rel=1e-12)


def test_logrank_found_by_hypothesis() -> None:
    # Group 1 (duration 0) is never at risk at an event time. At t = 1, 25 of group 0 and 1 of group 2 are
    # at risk and one of group 0 has the event: Z_0 = 1 - 25/26 = 1/26, V_00 = (25/26)(1/26); at t = 2
    # only group 0 is at risk. Statistic (1/26)^2 / (25/676) = 1/25 on one degree of freedom, whichever
    # group is left out of the quadratic form (a generalized inverse of the singular 3 x 3 V gave 0.0395
    # for one labelling).
    duration = np.array([0.0, 0.0, 1.0] + [0.0] * 12 + [1.0] * 22 + [2.0, 1.0, 2.0])
    observed = np.zeros(40, dtype=bool)
    observed[-2:] = True
    group = np.zeros(40, dtype=np.int64)
    group[1:3] = [1, 2]
    for relabel in ([0, 1, 2], [2, 0, 1], [1, 2, 0], [0, 2, 1]):
        t = logrank(duration, observed, np.array(relabel)[group], 3)
        assert t.df == 1
        assert t.statistic == pytest.approx(1 / 25, rel=1e-13)


# --- log-rank, Kaplan-Meier and RMST against lifelines ---------------------------------------------------------

# Thirty subjects in three groups (whole-day durations, with ties). The numbers were computed with lifelines
# 0.30.3 (multivariate_logrank_test, KaplanMeierFitter, restricted_mean_survival_time) and are frozen here so
# that the comparison runs without lifelines too.
PEER_T = np.array([15, 7, 24, 23, 2, 5, 5, 5, 14, 9, 12, 6, 23, 17, 16, 3, 4, 22, 8, 21, 19, 1, 12, 13, 12, 3, 18, 7, 9, 11], dtype=float)  # fmt: skip
PEER_E = np.array([1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 1, 1, 1, 1, 0, 0], dtype=bool)  # fmt: skip
PEER_G = np.array(["abc".index(c) for c in "accbbccbbbcccacabccccbacccbcba"])
LIFELINES_LOGRANK = {  # weightings: (statistic, p-value)
    None: (0.7130796515993602, 0.7000945890875435),
    "wilcoxon": (1.7497194525909634, 0.4169204985597105),
    "tarone-ware": (1.1586356453579525, 0.5602804468415835),
    "peto": (1.2446521607893881, 0.5366945897717503),
}
# lifelines' Fleming-Harrington test fails on tied times, so it is compared on PEER_T + position / 100.
LIFELINES_FH_1_HALF = (0.05852835914720708, 0.9711598699742348)
LIFELINES_RMST = {7.0: 6.2891608391608385, 12.5: 9.911818181818179, 20.0: 13.287090909090907}


@pytest.mark.parametrize("weightings", [None, "wilcoxon", "tarone-ware", "peto"])
def test_logrank_equals_lifelines_frozen(weightings: str | None) -> None:
    t = logrank(PEER_T, PEER_E, PEER_G, 3, weightings=weightings)
    assert_allclose((t.statistic, t.p_value), LIFELINES_LOGRANK[weightings], rtol=1e-12)


def test_fleming_harrington_equals_lifelines_frozen() -> None:
    untied = PEER_T + np.arange(30) / 100
    t = logrank(untied, PEER_E, PEER_G, 3, weightings="fleming-harrington", p=1.0, q=0.5)
    assert_allclose((t.statistic, t.p_value), LIFELINES_FH_1_HALF, rtol=1e-12)


def test_rmst_equals_lifelines_frozen() -> None:
    for tau, expected in LIFELINES_RMST.items():
        assert rmst(PEER_T, PEER_E, tau)[0] == pytest.approx(expected, rel=1e-13)


def _lifelines():
    pytest.importorskip("lifelines")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lifelines' own import-time deprecation warnings
        from lifelines import KaplanMeierFitter
        from lifelines.statistics import multivariate_logrank_test
        from lifelines.utils import restricted_mean_survival_time
    return KaplanMeierFitter, multivariate_logrank_test, restricted_mean_survival_time


@pytest.mark.filterwarnings("ignore")  # lifelines warns about pandas idioms it uses
def test_logrank_and_rmst_equal_lifelines_live() -> None:
    kmf, lifelines_logrank, lifelines_rmst = _lifelines()
    rng = np.random.default_rng(7)
    for k in (2, 3, 4):
        for ties in (True, False):
            duration, observed, group = random_survival(rng, 120, k, ties=ties)
            weightings_list = (
                [*WEIGHTINGS] if not ties else [None, "wilcoxon", "tarone-ware", "peto"]
            )
            for weightings in weightings_list:
                options = {"p": 0.5, "q": 2.0} if weightings == "fleming-harrington" else {}
                ours = logrank(duration, observed, group, k, weightings=weightings, **options)
                theirs = lifelines_logrank(
                    duration, group, observed, weightings=weightings, **options
                )
                assert ours.statistic == pytest.approx(theirs.test_statistic, rel=1e-9)
                assert ours.p_value == pytest.approx(theirs.p_value, rel=1e-9, abs=1e-15)
            fitted = kmf().fit(duration, observed)
            for tau in np.quantile(duration, [0.1, 0.5, 0.9]):
                assert rmst(duration, observed, float(tau))[0] == pytest.approx(
                    lifelines_rmst(fitted, t=float(tau)), rel=1e-12
                )


# --- RMST ---------------------------------------------------------------------------------------------------


def test_rmst_by_hand() -> None:
    duration = np.array([1.0, 2, 3, 4])
    observed = np.array([1, 1, 0, 1], dtype=bool)
    # S = 1 on [0, 1), 3/4 on [1, 2), 1/2 on [2, 4), 0 from 4.
    estimate, se = rmst(duration, observed, 4.0)
    assert estimate == 2.75
    # A_1 = 1.75 (n 4, d 1), A_2 = 1.0 (n 3, d 1); t = 4 is not before tau.
    assert se**2 == pytest.approx(1.75**2 / 12 + 1.0 / 6, rel=1e-15)
    estimate, se = rmst(duration, observed, 2.5)
    assert estimate == 2.0
    assert se**2 == pytest.approx(1.0 / 12 + 0.25**2 / 6, rel=1e-15)
    # Before the first time the curve is 1; an event at 0 counts from 0.
    assert rmst(np.array([5.0, 6.0]), np.array([True, True]), 3.0) == (3.0, 0.0)
    # (A_0 = 1 with n 2, d 1: variance 1 / 2.)
    assert rmst(np.array([0.0, 2.0]), np.array([True, False]), 2.0) == (1.0, np.sqrt(0.5))
    # The curve drops to 0: past it nothing is added.
    assert rmst(np.array([1.0, 1.0]), np.array([True, True]), 10.0) == (1.0, 0.0)


@pytest.mark.parametrize("seed", range(6))
def test_rmst_variance_equals_direct_formula(seed: int) -> None:
    rng = np.random.default_rng(seed)
    duration, observed, _ = random_survival(rng, 60, 1, ties=seed % 2 == 0)
    for tau in (np.quantile(duration, 0.3), np.quantile(duration, 0.8), duration.max()):
        expected = reference_rmst(duration, observed, float(tau))
        assert_allclose(rmst(duration, observed, float(tau)), expected, rtol=1e-12)


def test_rmst_difference_by_hand() -> None:
    duration = np.array([1.0, 2, 3, 4])
    observed = np.ones(4, dtype=bool)
    group = np.array([0, 0, 1, 1])
    r = rmst_difference(duration, observed, group, 4.0)
    # group 0: S 1/2 on [1, 2), 0 after: RMST 1.5, var (1/2)^2 * 1/(2*1); group 1: RMST 3.5, var 1/8.
    assert (r.estimate, r.standard_error) == (2.0, 0.5)
    assert (r.ci_lower, r.ci_upper) == pytest.approx(
        (2 - 1.959963984540054 * 0.5, 2 + 1.959963984540054 * 0.5)
    )
    assert r.p_value == pytest.approx(2 * scipy_stats.norm.sf(4.0), rel=1e-12)
    r = rmst_difference(duration, observed, group, 4.0, alpha=0.1)
    assert r.ci_upper - r.estimate == pytest.approx(1.6448536269514722 * 0.5)
    # No events: both RMSTs are tau, no standard error, no p-value.
    r = rmst_difference(duration, np.zeros(4, dtype=bool), group, 1.0)
    assert (r.estimate, r.standard_error) == (0.0, 0.0)
    assert np.isnan(r.p_value)


# --- Kaplan-Meier on any durations ------------------------------------------------------------------------------


def test_km_on_times_is_the_library_kaplan_meier() -> None:
    rng = np.random.default_rng(3)
    days = rng.integers(0, 40, 200)
    observed = rng.random(200) < 0.6
    times, km = km_on_times(days.astype(float), observed)
    direct = kaplan_meier(days, observed)
    assert_array_equal(times[km.time], direct.time)
    for field in ("at_risk", "events", "censored", "survival", "ci_lower", "ci_upper"):
        assert_array_equal(getattr(km, field), getattr(direct, field))
    # Scaling the times changes nothing but the times.
    times_scaled, km_scaled = km_on_times(days * 0.37 + 1.5, observed)
    assert_allclose(times_scaled[km_scaled.time], direct.time * 0.37 + 1.5)
    assert_array_equal(km_scaled.survival, direct.survival)


def test_time_codes_sort_once() -> None:
    times, code = time_codes(np.array([3.0, 1.0, 3.0, 2.0]))
    assert_array_equal(times, [1, 2, 3])
    assert_array_equal(code, [2, 0, 2, 1])
    assert code.dtype == np.int64


# --- Newcombe and Wilson ------------------------------------------------------------------------------------------

# Newcombe (1998), Statistics in Medicine 17, 873-890, Table II, method 10 (score interval without continuity
# correction), as published to four decimals: examples (a) 56/70 - 48/80, (b) 9/10 - 3/10, (d) 5/56 - 0/29.
NEWCOMBE_TABLE_II = [
    ((56, 70, 48, 80), (0.0524, 0.3339)),
    ((9, 10, 3, 10), (0.1705, 0.8090)),
    ((5, 56, 0, 29), (-0.0381, 0.1926)),
]
# Wilson intervals of the single proportions in Newcombe's companion paper (Statistics in Medicine 17,
# 857-872, 1998), method 3, to four decimals.
NEWCOMBE_WILSON = [
    ((15, 148), (0.0624, 0.1605)),
    ((0, 20), (0.0, 0.1611)),
    ((1, 29), (0.0061, 0.1718)),
]


@pytest.mark.parametrize(("counts", "published"), NEWCOMBE_TABLE_II)
def test_newcombe_published_examples(
    counts: tuple[int, ...], published: tuple[float, float]
) -> None:
    low, high = newcombe_interval(*(np.array([float(c)]) for c in counts))
    assert (round(float(low[0]), 4), round(float(high[0]), 4)) == published


@pytest.mark.parametrize(("counts", "published"), NEWCOMBE_WILSON)
def test_wilson_published_examples(counts: tuple[int, int], published: tuple[float, float]) -> None:
    low, high = wilson_interval(np.array([float(counts[0])]), np.array([float(counts[1])]))
    assert (round(float(low[0]), 4), round(float(high[0]), 4)) == published


def test_newcombe_equals_statsmodels() -> None:
    pytest.importorskip("statsmodels")
    from statsmodels.stats.proportion import confint_proportions_2indep

    rng = np.random.default_rng(11)
    n_1 = rng.integers(1, 300, 200).astype(float)
    n_2 = rng.integers(1, 300, 200).astype(float)
    x_1 = np.floor(rng.random(200) * (n_1 + 1))
    x_2 = np.floor(rng.random(200) * (n_2 + 1))
    # and the edges: none and all successes
    x_1[:4], x_2[:4] = [0, 0, n_1[2], n_1[3]], [0, n_2[1], 0, n_2[3]]
    for alpha in (0.05, 0.1, 0.01):
        low, high = newcombe_interval(x_1, n_1, x_2, n_2, alpha=alpha)
        for i in range(len(n_1)):
            expected = confint_proportions_2indep(
                x_1[i], n_1[i], x_2[i], n_2[i], method="newcomb", compare="diff", alpha=alpha
            )
            assert_allclose((low[i], high[i]), expected, rtol=1e-10, atol=1e-12)


def test_newcombe_limits_and_symmetry() -> None:
    x_1, n_1, x_2, n_2 = (np.array([v], dtype=float) for v in (0, 10, 10, 10))
    low, high = newcombe_interval(x_1, n_1, x_2, n_2)
    assert -1.0 <= low[0] < high[0] <= 1.0
    # Swapping the groups negates the difference and swaps the limits.
    low_swapped, high_swapped = newcombe_interval(x_2, n_2, x_1, n_1)
    assert_allclose((low_swapped[0], high_swapped[0]), (-high[0], -low[0]), rtol=1e-15)


# --- properties ---------------------------------------------------------------------------------------------------


@st.composite
def survival_data(draw: st.DrawFn, min_groups: int = 2, max_groups: int = 4):
    n = draw(st.integers(min_groups, 40))
    k = draw(st.integers(min_groups, min(max_groups, n)))
    duration = np.array(draw(st.lists(st.integers(0, 12), min_size=n, max_size=n)), dtype=float)
    observed = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    group = np.array(draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n)))
    group[:k] = np.arange(k)
    return duration, observed, group, k


@given(survival_data(), st.sampled_from(WEIGHTINGS), st.randoms(use_true_random=False))
def test_logrank_properties(data, weightings, random) -> None:
    duration, observed, group, k = data
    t = logrank(duration, observed, group, k, weightings=weightings, p=1.0, q=1.0)
    assert t.statistic >= 0.0
    assert 0.0 <= t.p_value <= 1.0
    assert 0 <= t.df <= k - 1
    # Row order: the same result to the last bit.
    order = list(range(len(duration)))
    random.shuffle(order)
    shuffled = logrank(
        duration[order], observed[order], group[order], k, weightings=weightings, p=1.0, q=1.0
    )
    assert (shuffled.statistic, shuffled.p_value) == (t.statistic, t.p_value)
    # Relabelling the groups: the same statistic (another group is left out of the quadratic form).
    relabel = np.array(random.sample(range(k), k))
    renamed = logrank(duration, observed, relabel[group], k, weightings=weightings, p=1.0, q=1.0)
    assert renamed.statistic == pytest.approx(t.statistic, rel=1e-8, abs=1e-10)
    assert renamed.df == t.df


@given(survival_data(min_groups=1, max_groups=1), st.floats(0.01, 1.0))
def test_rmst_properties(data, share) -> None:
    duration, observed, _, _ = data
    tau = max(float(duration.max()) * share, 0.01)
    estimate, se = rmst(duration, observed, tau)
    assert 0.0 <= estimate <= tau
    assert se >= 0.0
    # Less time, less area.
    assert rmst(duration, observed, tau / 2)[0] <= estimate


@given(st.integers(1, 60), st.integers(1, 60), st.data())
def test_newcombe_properties(n_1, n_2, data) -> None:
    x_1 = data.draw(st.integers(0, n_1))
    x_2 = data.draw(st.integers(0, n_2))
    low, high = newcombe_interval(*(np.array([float(v)]) for v in (x_1, n_1, x_2, n_2)))
    assert -1.0 <= low[0] <= x_1 / n_1 - x_2 / n_2 <= high[0] <= 1.0


# --- simulations ----------------------------------------------------------------------------------------------------


def test_logrank_rejects_at_the_nominal_rate_under_no_difference() -> None:
    # 2,000 pairs of groups of 60 drawn from one distribution (exponential lifetimes, uniform censoring).
    # The share of p-values below 0.05 must lie in the 99.9% binomial band around 5%: 1.4% of the draws
    # would fall outside it by chance if the test were exact; with this fixed seed it is deterministic.
    rng = np.random.default_rng(20240501)
    n_sim, n = 2000, 60
    group = np.repeat([0, 1], n)
    rejections = {None: 0, "wilcoxon": 0, "fleming-harrington": 0}
    for _ in range(n_sim):
        lifetime = rng.exponential(30.0, 2 * n)
        censor = rng.uniform(0, 60.0, 2 * n)
        duration = np.minimum(lifetime, censor).round()
        observed = lifetime <= censor
        for weightings in rejections:
            t = logrank(duration, observed, group, 2, weightings=weightings, p=0.0, q=1.0)
            rejections[weightings] += t.p_value < 0.05
    band = 3.29 * np.sqrt(0.05 * 0.95 / n_sim)
    for weightings, count in rejections.items():
        assert abs(count / n_sim - 0.05) < band, (weightings, count / n_sim)


def test_rmst_difference_interval_covers_the_truth() -> None:
    # Exponential lifetimes: RMST(tau) = (1 - exp(-rate tau)) / rate. 1,000 pairs of 150 customers.
    rng = np.random.default_rng(99)
    rate_0, rate_1, tau = 1 / 20, 1 / 30, 25.0
    truth = (1 - np.exp(-rate_1 * tau)) / rate_1 - (1 - np.exp(-rate_0 * tau)) / rate_0
    n_sim, n = 1000, 150
    group = np.repeat([0, 1], n)
    scale = np.repeat([1 / rate_0, 1 / rate_1], n)
    covered = 0
    for _ in range(n_sim):
        lifetime = rng.exponential(scale)
        censor = rng.uniform(10.0, 80.0, 2 * n)
        r = rmst_difference(np.minimum(lifetime, censor), lifetime <= censor, group, tau)
        covered += r.ci_lower <= truth <= r.ci_upper
    band = 3.29 * np.sqrt(0.95 * 0.05 / n_sim)
    assert abs(covered / n_sim - 0.95) < band, covered / n_sim


def test_newcombe_interval_covers_the_truth() -> None:
    rng = np.random.default_rng(5)
    n_sim = 20_000
    for n_1, p_1, n_2, p_2 in ((80, 0.3, 120, 0.2), (200, 0.55, 150, 0.5)):
        x_1 = rng.binomial(n_1, p_1, n_sim).astype(float)
        x_2 = rng.binomial(n_2, p_2, n_sim).astype(float)
        low, high = newcombe_interval(x_1, np.full(n_sim, n_1), x_2, np.full(n_sim, n_2))
        coverage = np.mean((low <= p_1 - p_2) & (p_1 - p_2 <= high))
        # The score interval is close to, not exactly at, its nominal level (Newcombe 1998, Table III).
        assert 0.935 < coverage < 0.965, coverage


# --- numerical edges: extreme alpha, counts and times -------------------------------------------------------------


def mp_wilson(x: float, n: float, z: float) -> tuple[float, float]:
    """Wilson's interval from its textbook formula, in 60 digits."""
    mp = pytest.importorskip("mpmath")
    with mp.workdps(60):
        x_, n_, z_ = mp.mpf(x), mp.mpf(n), mp.mpf(z)
        centre, half = x_ + z_**2 / 2, z_ * mp.sqrt(x_ * (n_ - x_) / n_ + z_**2 / 4)
        return float((centre - half) / (n_ + z_**2)), float((centre + half) / (n_ + z_**2))


@pytest.mark.filterwarnings("error")
def test_wilson_and_newcombe_at_an_infinite_quantile() -> None:
    # alpha = 5e-324: z = inf, and every Wilson interval is its limit [0, 1] ((x + z^2/2 -+ z^2/2) / z^2).
    x, n = np.array([0.0, 3.0, 5.0]), np.full(3, 5.0)
    assert_array_equal(wilson_interval(x, n, alpha=5e-324), ([0.0, 0.0, 0.0], [1.0, 1.0, 1.0]))
    # Newcombe's formula with l = 0, u = 1: 3/5 - 2/5 -+ sqrt(0.6^2 + 0.6^2), +sqrt(0.4^2 + 0.4^2).
    limit = (0.2 - 0.6 * np.sqrt(2.0), 0.2 + 0.4 * np.sqrt(2.0))
    low, high = newcombe_interval(
        np.array([3.0]), np.array([5.0]), np.array([2.0]), np.array([5.0]), 5e-324
    )
    assert (low[0], high[0]) == pytest.approx(limit, rel=1e-15)
    # A tiny alpha (1 - alpha / 2 rounds to 1 in floats) gives an interval between that of 1e-15 and the
    # limit: the intervals widen with the coverage.
    wide = newcombe_interval(
        np.array([3.0]), np.array([5.0]), np.array([2.0]), np.array([5.0]), 1e-17
    )
    narrow = newcombe_interval(
        np.array([3.0]), np.array([5.0]), np.array([2.0]), np.array([5.0]), 1e-15
    )
    slack = 1e-15  # the limit's own rounding
    assert (
        limit[0] - slack
        <= wide[0][0]
        <= narrow[0][0]
        < narrow[1][0]
        <= wide[1][0]
        <= limit[1] + slack
    )


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("n", [1e15, 2.0**53 + 2, 1e300, 1e308, 1.7e308])
def test_wilson_and_newcombe_with_counts_near_the_float_limit(n: float) -> None:
    z = 1.959963984540054
    x = np.array([0.0, 3.0, np.floor(n / 3), n - 3, n])
    low, high = wilson_interval(x, np.full(5, n))
    expected = np.array([mp_wilson(v, n, z) for v in x]).T
    assert_allclose((low, high), expected, rtol=1e-13, atol=0)
    assert (low[0], high[-1]) == (0.0, 1.0)
    # Newcombe: 3/n against 2/5 from the limits above.
    l_1, u_1 = mp_wilson(3.0, n, z)
    l_2, u_2 = mp_wilson(2.0, 5.0, z)
    delta = 3.0 / n - 0.4
    expected_diff = (
        delta - np.hypot(3.0 / n - l_1, u_2 - 0.4),
        delta + np.hypot(u_1 - 3.0 / n, 0.4 - l_2),
    )
    got = newcombe_interval(np.array([3.0]), np.array([n]), np.array([2.0]), np.array([5.0]))
    assert_allclose((got[0][0], got[1][0]), expected_diff, rtol=1e-14)


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("scale", [1e-300, 2.0**-1000, 1e-150, 1e200, 2.0**1000, 1e307, 5e307])
def test_rmst_scales_with_the_times(scale: float) -> None:
    # S = 1 on [0, 1), 2/3 from 1 (the censored 2 changes nothing before tau = 2): area 1 + 2/3; A_1 = 2/3
    # with n 3, d 1: variance (4/9) / 6. In any unit, RMST scales with the times and its error too.
    duration, observed = np.array([1.0, 2.0, 3.0]), np.array([True, False, True])
    estimate, se = rmst(duration * scale, observed, 2.0 * scale)
    assert estimate == pytest.approx(5 / 3 * scale, rel=1e-15, abs=0)
    assert se == pytest.approx(np.sqrt(4 / 54) * scale, rel=1e-15, abs=0)
