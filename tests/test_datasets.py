"""Tests of the simulators, the example data and the published data sets that ship with the package.

The statistical tests compare a fixed-seed simulation with the closed forms of the BG/NBD model (Fader, Hardie
& Lee 2005) and of the Gamma-Gamma model (Fader & Hardie 2013). Each tolerance is four standard errors of the
simulated statistic, with the standard error computed from the model's own variance (not from the sample), so
a test fails only if the simulator does not follow the model (or, once in ~16,000 seeds, by chance).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import integrate, special, stats

import retention as rt
from retention.errors import InvalidParameterError
from tests.conftest import MISSING_DATA

R, ALPHA, A, B = 0.25, 4.0, 0.8, 2.5  # the defaults of simulate_transactions, weeks
P, Q, GAMMA = 6.25, 3.74, 15.44
Z = 4.0  # tolerance in standard errors


# --- the model's closed forms -------------------------------------------------------------------------------


def bgnbd_expected(
    t: float, r: float = R, alpha: float = ALPHA, a: float = A, b: float = B
) -> float:
    """E[X(t)], Fader, Hardie & Lee (2005), eq. 9."""
    z = t / (alpha + t)
    return (
        (a + b - 1)
        / (a - 1)
        * (1 - (alpha / (alpha + t)) ** r * special.hyp2f1(r, b, a + b - 1, z))
    )


def bgnbd_pmf(
    t: float, x_max: int = 4000, *, r: float = R, alpha: float = ALPHA, a: float = A, b: float = B
):
    """P(X(t) = x) for x = 0 .. x_max, Fader, Hardie & Lee (2005), eq. 8.

    The first term is "still active at t after x purchases", the second "dropped out after the x-th"; the
    negative binomial pmf and survival function are the gamma mixture of the Poisson counts.
    """
    x = np.arange(x_max + 1)
    nb = stats.nbinom(r, alpha / (alpha + t))
    log_beta_ab = special.betaln(a, b)
    alive = np.exp(special.betaln(a, b + x) - log_beta_ab) * nb.pmf(x)
    xs = np.maximum(x, 1)
    dropped = np.exp(special.betaln(a + 1, b + xs - 1) - log_beta_ab) * nb.sf(xs - 1)
    return alive + np.where(x > 0, dropped, 0.0)


def moments(pmf: np.ndarray) -> tuple[float, float]:
    x = np.arange(len(pmf))
    mean = float(np.sum(x * pmf))
    return mean, float(np.sum(x * x * pmf) - mean**2)


def repeat_counts(tx: pd.DataFrame, n: int, until: pd.Timestamp | None = None) -> np.ndarray:
    """Per customer (ids 1..n), the purchases before ``until`` (all if None) minus the first one."""
    keep = tx if until is None else tx[tx["date"] < until]
    return np.bincount(keep["customer_id"].to_numpy() - 1, minlength=n) - 1


# --- the closed forms agree with each other (a check of the test's own formulas) ----------------------------


@pytest.mark.parametrize("t", [1.0, 13.0, 52.0, 104.0])
def test_pmf_is_a_distribution_with_the_closed_form_mean(t):
    pmf = bgnbd_pmf(t)
    assert pmf.min() >= 0
    assert pmf.sum() == pytest.approx(1.0, abs=1e-10)
    assert moments(pmf)[0] == pytest.approx(bgnbd_expected(t), rel=1e-9)


# --- basic contract -----------------------------------------------------------------------------------------


def test_columns_dtypes_and_order():
    tx = rt.simulate_transactions(500, seed=3)
    assert list(tx.columns) == ["customer_id", "date", "amount"]
    assert tx["customer_id"].dtype == np.int64
    assert tx["date"].dtype == np.dtype("datetime64[ns]")
    assert tx["amount"].dtype == np.float64
    assert isinstance(tx.index, pd.RangeIndex)
    assert tx.index.equals(pd.RangeIndex(len(tx)))
    key = tx[["date", "customer_id"]]
    assert key.equals(key.sort_values(["date", "customer_id"], ignore_index=True))
    assert (tx["date"] == tx["date"].dt.normalize()).all()  # midnight
    assert set(tx["customer_id"]) == set(range(1, 501))


def test_dates_within_window_and_ids_follow_acquisition():
    tx = rt.simulate_transactions(2000, seed=4, start="2022-03-15", end="2022-09-30", id_start=100)
    assert tx["date"].min() >= pd.Timestamp("2022-03-15")
    assert tx["date"].max() <= pd.Timestamp("2022-09-30")
    first = tx.groupby("customer_id")["date"].min()
    assert list(first.index) == list(range(100, 2100))
    assert first.is_monotonic_increasing  # ids are given in order of the first purchase


def test_amounts_are_cents_and_positive():
    tx = rt.simulate_transactions(2000, seed=5)
    cents = tx["amount"].to_numpy() * 100
    np.testing.assert_allclose(cents, np.round(cents), atol=1e-6)
    assert tx["amount"].min() >= 0.01


def test_empty():
    tx = rt.simulate_transactions(0, seed=1)
    assert tx.empty
    assert list(tx.columns) == ["customer_id", "date", "amount"]
    assert tx.dtypes.tolist() == [
        np.dtype(np.int64),
        np.dtype("datetime64[ns]"),
        np.dtype(np.float64),
    ]


def test_numpy_integer_n_customers():
    assert rt.simulate_transactions(np.int64(7), seed=1).equals(rt.simulate_transactions(7, seed=1))


# --- determinism --------------------------------------------------------------------------------------------


def test_same_seed_same_table():
    one = rt.simulate_transactions(3000, seed=11)
    two = rt.simulate_transactions(3000, seed=11)
    pd.testing.assert_frame_equal(one, two)


def test_different_seeds_differ():
    one = rt.simulate_transactions(300, seed=11)
    two = rt.simulate_transactions(300, seed=12)
    assert not one.equals(two)


def test_seed_forms_agree():
    by_int = rt.simulate_transactions(300, seed=11)
    by_generator = rt.simulate_transactions(300, seed=np.random.Generator(np.random.PCG64(11)))
    by_sequence = rt.simulate_transactions(300, seed=np.random.SeedSequence(11))
    pd.testing.assert_frame_equal(by_int, by_generator)
    pd.testing.assert_frame_equal(by_int, by_sequence)


def test_generator_is_advanced():
    rng = np.random.Generator(np.random.PCG64(11))
    one = rt.simulate_transactions(50, seed=rng)
    two = rt.simulate_transactions(50, seed=rng)
    assert not one.equals(two)


def test_no_seed_gives_fresh_draws():
    draws = [rt.simulate_transactions(200) for _ in range(3)]
    assert not (draws[0].equals(draws[1]) and draws[1].equals(draws[2]))


# --- the example ----------------------------------------------------------------------------------------------


def _digest(tx: pd.DataFrame) -> str:
    h = hashlib.sha256()
    h.update(tx["customer_id"].to_numpy().astype("<i8").tobytes())
    h.update(tx["date"].to_numpy().astype("datetime64[ns]").astype("<i8").tobytes())
    h.update(tx["amount"].to_numpy().astype("<f8").tobytes())
    h.update("|".join(tx["channel"]).encode())
    return h.hexdigest()


def test_example_is_pinned():
    # The example must be the same on every machine and numpy version: its numbers appear in the docs.
    # If this fails after a numpy upgrade, the reproducibility promise of datasets.py is broken.
    tx = rt.example_transactions()
    assert list(tx.columns) == ["customer_id", "date", "amount", "channel", "manager"]
    assert len(tx) == 7533
    assert tx["customer_id"].nunique() == 3000
    assert (tx["customer_id"].min(), tx["customer_id"].max()) == (1, 3000)
    assert tx["date"].min() == pd.Timestamp("2023-01-01")
    assert tx["date"].max() == pd.Timestamp("2024-12-31")
    assert round(tx["amount"].sum(), 2) == 254014.03
    assert tx["channel"].value_counts().to_dict() == {"web": 3815, "store": 2100, "app": 1618}
    # The digest predates the manager column: adding it changed no other value.
    assert _digest(tx) == "e2cf72c6d12ec62b1775142f5412742c4c28c7ed6ec01e0b37192f859aada35e"
    managers = tx.groupby("customer_id")["manager"].first().value_counts().to_dict()
    assert managers == {
        "Avery": 466,
        "Blake": 508,
        "Casey": 519,
        "Drew": 504,
        "Emery": 491,
        "Finley": 512,
    }


def test_example_channel_is_per_customer():
    tx = rt.example_transactions()
    assert tx.groupby("customer_id")["channel"].nunique().max() == 1
    assert set(tx["channel"]) == {"web", "store", "app"}


def test_example_manager_is_per_customer_and_independent_of_channel():
    tx = rt.example_transactions()
    assert tx["manager"].dtype == tx["channel"].dtype  # str, like the channel
    assert tx["manager"].notna().all()
    assert tx.groupby("customer_id")["manager"].nunique().max() == 1
    per_customer = tx.groupby("customer_id")[["channel", "manager"]].first()
    # Six managers of ~500 customers each; drawn apart from the channel, so every pair occurs, and a
    # chi-square test of independence does not reject (a fixed draw: this pins it, it is not a gamble).
    table = pd.crosstab(per_customer["channel"], per_customer["manager"])
    assert table.shape == (3, 6)
    assert stats.chi2_contingency(table.to_numpy()).pvalue > 0.01


def test_example_returns_a_new_copy():
    one = rt.example_transactions()
    one.loc[0, "amount"] = -1.0
    one["extra"] = 1
    two = rt.example_transactions()
    assert "extra" not in two.columns
    assert two.loc[0, "amount"] != -1.0


def test_example_transactions_are_the_simulation():
    tx = rt.example_transactions()
    again = rt.simulate_transactions(3000, seed=20240101)
    pd.testing.assert_frame_equal(tx[["customer_id", "date", "amount"]], again)


# --- the published data sets -------------------------------------------------------------------------------

PACKAGED = ["cdnow_sample.csv.gz", "cdnow_master.csv.gz", "donations.csv", "sbg_survival.csv"]
LOADERS: dict[str, Callable[[], pd.DataFrame]] = {
    "cdnow_sample": rt.load_cdnow,
    "cdnow_master": lambda: rt.load_cdnow("master"),
    "donations": rt.load_donations,
    "sbg_survival": rt.load_sbg_survival,
}


@pytest.mark.parametrize("name", PACKAGED)
def test_packaged_files_are_installed(name):
    # Runs (never skips) wherever the package is installed, so in CI it checks the installed package:
    # a build that left the data out of the wheel fails here, not as a skipped model test.
    resource = resources.files("retention") / "data" / name
    assert resource.is_file()
    assert len(resource.read_bytes()) > 100


@pytest.mark.parametrize(
    ("kind", "rows", "customers", "cds", "amount"),
    [("sample", 6919, 2357, 16479, 244091.94), ("master", 69659, 23570, 167881, 2500315.63)],
)
def test_load_cdnow(kind, rows, customers, cds, amount):
    tx = rt.load_cdnow(kind)
    assert list(tx.columns) == ["customer_id", "date", "cds", "amount"]
    assert tx.dtypes.tolist() == [
        np.dtype(np.int64),
        np.dtype("datetime64[ns]"),
        np.dtype(np.int64),
        np.dtype(np.float64),
    ]
    assert tx.index.equals(pd.RangeIndex(rows))
    assert tx["customer_id"].nunique() == customers
    assert (tx["customer_id"].min(), tx["customer_id"].max()) == (1, customers)
    assert tx["cds"].sum() == cds
    assert round(tx["amount"].sum(), 2) == amount
    assert tx["amount"].min() >= 0  # no returns
    assert (tx["date"].min(), tx["date"].max()) == (
        pd.Timestamp("1997-01-01"),
        pd.Timestamp("1998-06-30"),
    )
    # One cohort: every first purchase in the first quarter of 1997.
    assert tx.groupby("customer_id")["date"].min().max() <= pd.Timestamp("1997-03-31")
    key = tx[["customer_id", "date"]]
    assert key.equals(key.sort_values(["customer_id", "date"], ignore_index=True))


def test_load_cdnow_defaults_to_the_sample():
    pd.testing.assert_frame_equal(rt.load_cdnow(), rt.load_cdnow("sample"))


def test_cdnow_sample_gives_the_published_summary():
    # Fader, Hardie & Lee (2005): 39 weeks of calibration, 2,357 customers, 2,457 repeat transactions.
    summary = rt.rfm_summary(rt.load_cdnow(), time_unit="W", calibration_end="1997-09-30")
    assert len(summary) == 2357
    assert summary["frequency"].sum() == 2457


def test_load_donations():
    donations = rt.load_donations()
    assert list(donations.columns) == ["frequency", "recency", "periods", "weights"]
    assert (donations.dtypes == np.int64).all()
    assert donations.shape == (22, 4)
    assert donations["weights"].sum() == 11104  # the 1995 cohort of Fader, Hardie & Shang (2010)
    assert (donations["periods"] == 6).all()
    # Every pattern (x, t_x) with 0 <= x <= t_x <= 6, x = 0 only with t_x = 0, exactly once.
    patterns = {(x, t) for t in range(1, 7) for x in range(1, t + 1)} | {(0, 0)}
    assert set(zip(donations["frequency"], donations["recency"], strict=True)) == patterns
    assert len(patterns) == len(donations)
    assert (donations["weights"] > 0).all()


def test_load_sbg_survival():
    survival = rt.load_sbg_survival()
    assert list(survival.columns) == ["regular", "high_end"]
    assert (survival.dtypes == np.int64).all()
    assert survival.index.name == "year"
    assert survival.index.dtype == np.int64
    assert survival.index.tolist() == list(range(13))
    assert survival.loc[0].tolist() == [1000, 1000]
    assert survival.loc[7].tolist() == [241, 491]  # the last year of the published fit
    assert survival.loc[12].tolist() == [173, 394]
    assert (survival.diff().dropna() <= 0).all().all()  # nobody comes back


@pytest.mark.parametrize("name", list(LOADERS))
def test_loaders_return_a_fresh_copy(name):
    load = LOADERS[name]
    one = load()
    reference = one.copy(deep=True)
    one.iloc[0, 0] = -999
    one["extra"] = 1
    two = load()
    assert two is not one
    pd.testing.assert_frame_equal(two, reference)


@pytest.mark.parametrize("kind", ["x", "Sample", "full", "", None, 1])
def test_load_cdnow_bad_kind(kind):
    message = f"The 'kind' parameter of load_cdnow must be one of 'sample', 'master'. Got {kind!r}."
    with pytest.raises(InvalidParameterError, match=f"^{re.escape(message)}$"):
        rt.load_cdnow(kind)


@pytest.mark.reference_copy
@pytest.mark.parametrize("name", list(LOADERS))
def test_packaged_data_equal_the_reference_copies(name, shared_data: Path):
    # The packaged files are the published reference data, unchanged (the CDNOW files only gzipped).
    path = shared_data / f"{name}.csv"
    expected = pd.read_csv(path, index_col="year" if name == "sbg_survival" else None)
    if name.startswith("cdnow"):
        expected["date"] = pd.to_datetime(expected["date"]).astype("datetime64[ns]")
    pd.testing.assert_frame_equal(LOADERS[name](), expected)


CI_RULE_TESTS = f"""
import pytest

def test_reads_missing_data():
    pytest.skip("{MISSING_DATA} at /nowhere")

@pytest.mark.reference_copy
def test_compares_copies():
    pytest.skip("{MISSING_DATA} at /nowhere")

def test_needs_an_optional_dependency():
    pytest.skip("matplotlib is not installed")
"""


@pytest.mark.parametrize("ci", ["", "1"])
def test_ci_fails_tests_that_skip_for_missing_data(pytester, monkeypatch, ci):
    # The rule of tests/conftest.py, run on a small test file: in CI, a skip for missing reference data
    # fails, unless the test only compares copies (reference_copy); other skips stay skips.
    monkeypatch.setenv("CI", ci)
    pytester.makeconftest(
        "from tests.conftest import pytest_configure, pytest_runtest_makereport\n"
    )
    pytester.makepyfile(test_rule=CI_RULE_TESTS)
    result = pytester.runpytest("-p", "no:cacheprovider")
    if ci:
        result.assert_outcomes(failed=1, skipped=2)
        result.stdout.fnmatch_lines(
            ["*test_reads_missing_data skipped for missing reference data in CI*"]
        )
    else:
        result.assert_outcomes(skipped=3)


# --- statistics against the closed forms ------------------------------------------------------------------


@pytest.fixture(scope="module")
def cohort() -> pd.DataFrame:
    """50,000 customers all acquired at midnight of 2023-01-01, observed for two years (104.3 weeks)."""
    return rt.simulate_transactions(50_000, seed=2005, acquisition="start")


@pytest.mark.parametrize("weeks", [1, 13, 52, 104])
def test_mean_repeat_purchases_match_bgnbd(cohort, weeks):
    n = 50_000
    # A purchase at time s (days after midnight of the start) is dated start + floor(s), so "date before
    # start + 7t days" is exactly "s < 7t": the count is X(t).
    x = repeat_counts(cohort, n, pd.Timestamp("2023-01-01") + pd.Timedelta(days=7 * weeks))
    mean, var = moments(bgnbd_pmf(weeks))
    assert mean == pytest.approx(bgnbd_expected(weeks), rel=1e-9)
    assert abs(x.mean() - mean) < Z * np.sqrt(var / n)


@pytest.mark.parametrize("weeks", [13, 52])
def test_share_without_repeat_purchases_matches_bgnbd(cohort, weeks):
    n = 50_000
    x = repeat_counts(cohort, n, pd.Timestamp("2023-01-01") + pd.Timedelta(days=7 * weeks))
    p0 = bgnbd_pmf(weeks)[0]
    assert abs((x == 0).mean() - p0) < Z * np.sqrt(p0 * (1 - p0) / n)


def test_distribution_of_repeat_purchases_matches_bgnbd(cohort):
    n = 50_000
    x = repeat_counts(cohort, n, pd.Timestamp("2023-01-01") + pd.Timedelta(days=7 * 52))
    pmf = bgnbd_pmf(52)
    edges = [
        0,
        1,
        2,
        3,
        4,
        5,
        7,
        10,
        15,
        25,
    ]  # bins [0], [1], ..., [25, inf): expected counts > 100 each
    expected = np.array(
        [pmf[lo:hi].sum() for lo, hi in zip(edges, [*edges[1:], len(pmf)], strict=True)]
    )
    observed = np.array(
        [((x >= lo) & (x < hi)).sum() for lo, hi in zip(edges, [*edges[1:], np.inf], strict=True)]
    )
    assert (expected * n).min() > 100
    result = stats.chisquare(observed, expected * n / expected.sum())
    assert result.pvalue > 1e-4


def test_uniform_acquisition_matches_bgnbd():
    # With uniform acquisition a customer is observed for T ~ Uniform(0, W] after the first purchase, so the
    # number of repeat purchases is the BG/NBD count X(T) mixed over T.
    n = 50_000
    tx = rt.simulate_transactions(n, seed=77, start="2023-01-01", end="2024-12-31")
    x = repeat_counts(tx, n)
    weeks = 731 / 7

    def second_moment(t: float) -> float:
        mean, var = moments(bgnbd_pmf(t, 2000))
        return var + mean**2

    mean = integrate.quad(bgnbd_expected, 0, weeks, limit=200)[0] / weeks
    var = integrate.quad(second_moment, 0, weeks, limit=200)[0] / weeks - mean**2
    assert abs(x.mean() - mean) < Z * np.sqrt(var / n)


def test_acquisition_days_are_uniform():
    n = 50_000
    tx = rt.simulate_transactions(n, seed=78, start="2023-01-01", end="2024-12-31")
    day = (tx.groupby("customer_id")["date"].min() - pd.Timestamp("2023-01-01")).dt.days.to_numpy()
    w = 731  # days; the first purchase day is uniform on 0 .. w - 1
    mean, var = (w - 1) / 2, (w * w - 1) / 12
    assert day.min() >= 0
    assert day.max() <= w - 1
    assert abs(day.mean() - mean) < Z * np.sqrt(var / n)


def test_mean_amount_matches_gamma_gamma(cohort):
    # One amount per customer (the first purchase) so that the draws are independent. With 1/nu inverse
    # gamma: E[z] = p gamma / (q - 1), Var[z] = (p + p^2) gamma^2 / ((q - 1)(q - 2)) - E[z]^2.
    n = 50_000
    first = cohort.groupby("customer_id")["amount"].first().to_numpy()
    mean = P * GAMMA / (Q - 1)
    var = (P + P**2) * GAMMA**2 / ((Q - 1) * (Q - 2)) - mean**2
    assert len(first) == n
    assert abs(first.mean() - mean) < Z * np.sqrt(var / n)


def test_amounts_of_one_customer_share_a_scale():
    # Gamma-Gamma: a customer's amounts share nu, so log z = log G_p - log nu for two purchases of one
    # customer have covariance Var(log nu) = trigamma(q); independent scales per purchase would give 0. The
    # cumulants of log G_k are polygamma(j - 1, k), which give the exact variance of the product of the
    # centred logs: polygamma(3, q) + 2 k2q^2 + 2 k2q k2p + k2p^2 with k2 = trigamma.
    tx = rt.simulate_transactions(20_000, seed=9, acquisition="start")
    ranked = tx.assign(k=tx.groupby("customer_id").cumcount())
    first = ranked[ranked["k"] == 0].set_index("customer_id")["amount"]
    second = ranked[ranked["k"] == 1].set_index("customer_id")["amount"]
    first = first.loc[second.index]  # customers with at least two purchases
    centre = special.digamma(P) - special.digamma(Q) + np.log(GAMMA)  # E[log z]
    product = (np.log(first.to_numpy()) - centre) * (np.log(second.to_numpy()) - centre)
    k2p, k2q, k4q = special.polygamma(1, P), special.polygamma(1, Q), special.polygamma(3, Q)
    var = k4q + 2 * k2q**2 + 2 * k2q * k2p + k2p**2
    assert len(product) > 5000
    assert abs(product.mean() - k2q) < Z * np.sqrt(var / len(product))


# --- options ----------------------------------------------------------------------------------------------


def test_acquisition_start_puts_every_first_purchase_on_start():
    tx = rt.simulate_transactions(
        200, seed=1, acquisition="start", start="2024-02-01", end="2024-06-30"
    )
    assert (tx.groupby("customer_id")["date"].min() == pd.Timestamp("2024-02-01")).all()


def test_acquisition_dates():
    dates = ["2023-05-01", "2023-01-01", "2024-12-31"]
    tx = rt.simulate_transactions(3, seed=1, acquisition=dates)
    first = tx.groupby("customer_id")["date"].min()
    assert first.tolist() == [pd.Timestamp(d) for d in dates]  # customer i gets the i-th date
    assert rt.simulate_transactions(3, seed=1, acquisition=pd.to_datetime(dates)).equals(tx)


def test_window_bounds_accept_dates_and_timestamps():
    a = rt.simulate_transactions(100, seed=1, start="2023-01-01", end="2023-12-31")
    b = rt.simulate_transactions(
        100, seed=1, start=pd.Timestamp("2023-01-01 15:00"), end=np.datetime64("2023-12-31")
    )
    pd.testing.assert_frame_equal(a, b)


def test_heavy_buyers_and_tiny_shapes():
    # Extreme but valid parameters: many purchases per customer, and shapes far below 1.
    heavy = rt.simulate_transactions(20, seed=1, r=20.0, alpha=1.0, a=0.05, b=50.0)
    assert len(heavy) > 20 * 100
    tiny = rt.simulate_transactions(200, seed=1, r=0.01, a=0.01, b=0.01, p=0.05, q=0.05)
    assert np.isfinite(tiny["amount"]).all()
    assert tiny["customer_id"].nunique() == 200


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_customers": -1}, "'n_customers'"),
        ({"n_customers": 2.0}, "'n_customers'"),
        ({"n_customers": True}, "'n_customers'"),
        ({"n_customers": "10"}, "'n_customers'"),
        ({"r": 0}, "'r'"),
        ({"alpha": -1.0}, "'alpha'"),
        ({"a": np.nan}, "'a'"),
        ({"b": np.inf}, "'b'"),
        ({"p": "6"}, "'p'"),
        ({"q": True}, "'q'"),
        ({"gamma": None}, "'gamma'"),
        ({"start": "2024-01-01", "end": "2024-01-01"}, "'end'"),
        ({"start": "2025-01-01"}, "'end'"),
        ({"start": "not a date"}, "'start'"),
        ({"end": 20241231}, "'end'"),
        ({"end": "NaT"}, "'end'"),
        ({"seed": -1}, "'seed'"),
        ({"seed": 1.5}, "'seed'"),
        ({"seed": "abc"}, "'seed'"),
        ({"acquisition": "cdnow"}, "'acquisition'"),
        ({"acquisition": ["2023-01-01"]}, "'acquisition'"),
        ({"acquisition": ["2022-12-31", "2023-01-01"]}, "'acquisition'"),
        ({"acquisition": ["x", "y"]}, "'acquisition'"),
        ({"acquisition": [None, "2023-01-01"]}, "'acquisition'"),
        ({"id_start": 1.0}, "'id_start'"),
        ({"id_start": 2**63 - 1}, "'id_start'"),
    ],
)
def test_bad_parameters(kwargs, match):
    kwargs = {"n_customers": 2, "seed": 1, **kwargs}
    n = kwargs.pop("n_customers")
    with pytest.raises(InvalidParameterError, match=match):
        rt.simulate_transactions(n, **kwargs)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("alpha", 1e-300),
        ("alpha", 1e-101),
        ("r", 1e101),
        ("a", 5e-324),
        ("b", 1.7e308),
        ("gamma", 1e300),
    ],
)
def test_parameters_outside_what_can_be_simulated(name, value):
    # alpha=1e-300 raised numpy's "repeats may not contain negative values"; subnormal shapes and values
    # near 1.8e308 overflowed with RuntimeWarnings. Each parameter must lie in [1e-100, 1e100].
    message = rf"'{name}' parameter of simulate_transactions .* between 1e-100 and 1e\+100. Got"
    with pytest.raises(InvalidParameterError, match=message):
        rt.simulate_transactions(10, seed=1, **{name: value})


@pytest.mark.parametrize(
    "kwargs",
    [
        {"alpha": 1e-20},  # failed: expected purchases beyond int64 (now every purchase on day one)
        {"r": 1e18},  # the same
        {"alpha": 1e-100, "r": 1e100},  # purchase rates of 1e200 a week
        {"a": 1e-100},
        {"b": 1e100},
        {"p": 1e-100, "q": 1e100, "gamma": 1e100},
        {"r": 1e-100, "alpha": 1e100, "a": 1e100, "b": 1e-100},
    ],
)
def test_extreme_parameters_within_the_range_simulate(kwargs):
    tx = rt.simulate_transactions(20, seed=1, **kwargs)
    assert tx["customer_id"].nunique() == 20
    assert np.isfinite(tx["amount"]).all()
    assert (tx["amount"] >= 0.01).all()


def test_logs_too_large_for_memory_are_refused(monkeypatch):
    # simulate_transactions(10**9) made numpy raise its _ArrayMemoryError; the size is checked before
    # allocating, against this machine's memory (set to 1 GiB here), and the message names the option.
    monkeypatch.setattr("retention.errors._memory_bytes", lambda: 1 << 30)
    with pytest.raises(
        InvalidParameterError, match=r"simulate_transactions: .*memory.*n_customers="
    ):
        rt.simulate_transactions(10**9, seed=1)
    # Customers who buy constantly and never drop out: the purchases, checked round by round.
    with pytest.raises(InvalidParameterError, match=r"simulated purchases .*memory.*alpha"):
        rt.simulate_transactions(50, seed=1, alpha=1e-6, a=1e-3, b=1e3)
    assert len(rt.simulate_transactions(1000, seed=1)) > 1000


# --- properties ---------------------------------------------------------------------------------------------


@given(
    n=st.integers(0, 40),
    seed=st.integers(0, 2**32),
    start_day=st.integers(0, 20_000),
    length=st.integers(1, 1500),
    options=st.fixed_dictionaries(
        {
            "r": st.floats(0.05, 5.0),
            "alpha": st.floats(0.5, 50.0),
            "a": st.floats(0.05, 20.0),
            "b": st.floats(0.05, 20.0),
            "q": st.floats(0.5, 20.0),
            "acquisition": st.sampled_from(["uniform", "start"]),
            "id_start": st.integers(-(10**12), 10**12),
        }
    ),
)
def test_properties(n, seed, start_day, length, options):
    start = pd.Timestamp("1970-01-01") + pd.Timedelta(days=start_day)
    end = start + pd.Timedelta(days=length)
    tx = rt.simulate_transactions(n, seed=seed, start=start, end=end, **options)
    dtypes = [np.dtype(np.int64), np.dtype("datetime64[ns]"), np.dtype(np.float64)]
    assert tx.dtypes.tolist() == dtypes
    first = tx.groupby("customer_id")["date"].min()
    # Every customer bought at least once, within the window.
    assert first.index.tolist() == list(range(options["id_start"], options["id_start"] + n))
    assert (first >= start).all()
    assert (first <= end).all()
    if options["acquisition"] == "start":
        assert (first == start).all()
    assert tx["date"].between(start, end).all()
    key = tx[["date", "customer_id"]]
    assert key.equals(key.sort_values(["date", "customer_id"], ignore_index=True))
    assert (tx["amount"] >= 0.01).all()
    assert np.isfinite(tx["amount"]).all()
    again = rt.simulate_transactions(n, seed=seed, start=start, end=end, **options)
    pd.testing.assert_frame_equal(tx, again)


# --- the campaign option (treated, treatment_start, lift) ----------------------------------------------------


def test_campaign_adds_purchases_only_to_the_treated_after_the_start():
    base = rt.simulate_transactions(800, seed=5)
    treated = np.arange(1, 801, 3)
    tx = rt.simulate_transactions(
        800, seed=5, treated=treated, treatment_start="2024-03-15", lift=0.7
    )
    is_treated = tx["customer_id"].isin(treated)
    before = tx["date"] < "2024-03-15"
    # Untreated customers, and everybody before the start, are the table without a campaign.
    untouched = tx[~is_treated | before].reset_index(drop=True)
    expected = base[~base["customer_id"].isin(treated) | (base["date"] < "2024-03-15")]
    pd.testing.assert_frame_equal(untouched, expected.reset_index(drop=True))
    assert len(tx[is_treated & ~before]) > len(
        base[base["customer_id"].isin(treated) & (base["date"] >= "2024-03-15")]
    )
    key = tx[["date", "customer_id"]]
    assert key.equals(key.sort_values(["date", "customer_id"], ignore_index=True))
    again = rt.simulate_transactions(
        800, seed=5, treated=treated, treatment_start="2024-03-15", lift=0.7
    )
    pd.testing.assert_frame_equal(tx, again)


def test_a_lift_of_zero_changes_nothing():
    base = rt.simulate_transactions(300, seed=8)
    same = rt.simulate_transactions(
        300, seed=8, treated=range(1, 301), treatment_start="2023-06-01"
    )
    pd.testing.assert_frame_equal(base, same)


def test_campaign_raises_the_purchase_rate_by_the_lift():
    # Without dropout (a tiny, b huge), a customer's purchases in the year from the start are Poisson with
    # mean (1 + lift) * lambda * weeks, lambda ~ Gamma(r, alpha): mean (1 + lift) * r / alpha * weeks and
    # variance mean + r / alpha**2 * ((1 + lift) * weeks)**2. Tolerance 4 standard errors.
    n, lift, weeks = 20_000, 1.0, 366 / 7
    tx = rt.simulate_transactions(
        n, seed=13, start="2023-01-01", end="2024-12-31", acquisition="start", a=1e-6, b=1e6,
        treated=np.arange(1, n // 2 + 1), treatment_start="2024-01-01", lift=lift,
    )  # fmt: skip
    after = tx[tx["date"] >= "2024-01-01"]
    counts = after.groupby("customer_id").size().reindex(range(1, n + 1), fill_value=0)
    for factor, part in ((1.0 + lift, counts.iloc[: n // 2]), (1.0, counts.iloc[n // 2 :])):
        mean = factor * R / ALPHA * weeks
        sd = np.sqrt(mean + R / ALPHA**2 * (factor * weeks) ** 2)
        assert abs(part.mean() - mean) < Z * sd / np.sqrt(len(part))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"lift": 0.5}, "need 'treated'"),
        ({"treatment_start": "2024-01-01"}, "need 'treated'"),
        ({"treated": [1, 2]}, "'treatment_start' parameter"),
        ({"treated": [1, 2], "treatment_start": "2024-01-01", "lift": -0.1}, "'lift' parameter"),
        ({"treated": [1, 2], "treatment_start": "2024-01-01", "lift": True}, "'lift' parameter"),
        ({"treated": [1, 2], "treatment_start": "2030-01-01", "lift": 1.0}, "between start"),
        (
            {"treated": [0, 2], "treatment_start": "2024-01-01", "lift": 1.0},
            "not simulated, e.g. 0",
        ),
        ({"treated": ["a"], "treatment_start": "2024-01-01", "lift": 1.0}, "integer customer ids"),
    ],
)
def test_campaign_bad_parameters(kwargs, match):
    with pytest.raises(InvalidParameterError, match=match):
        rt.simulate_transactions(10, seed=1, **kwargs)
