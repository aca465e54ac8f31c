"""Benchmark: ``rt.BetaGeoBetaBinom.fit`` and ``rt.ShiftedBetaGeometric.fit`` against their peers, one table.

Usage::

    python benchmarks/bench_sbg_bgbb.py [--runs 5] [--quick] [--peer-python PATH] [--data ../shared/data]
                                        [--blas-threads 1] [--only TEXT] [--case-timeout 900]
                                        [--peer-budget 120]

Every measurement runs in a fresh worker process (this script with ``--worker``): one untimed call, then
the median of ``--runs`` samples (calls shorter than 0.2 s timed in batches, as ``timeit`` does) and the
``tracemalloc`` peak of one more call; a case whose first call takes longer than ``--peer-budget`` seconds
reports that one call. benchmarks/README.md, "How timing works", has the rules and the options shared with
the other worker scripts. Workers run with ``--blas-threads`` BLAS threads, 1 unless told (0 leaves the
environment alone): on a busy machine with few cores OpenBLAS's threads make the tiny vector operations
inside SciPy's L-BFGS-B an order of magnitude slower, which dominates the fits of small data (ours and the
peers' alike).

Peers:

- BG/BB: ``lifetimes.BetaGeoBetaBinomFitter`` (optional, never a dependency of the project). It runs under
  ``--peer-python``, by default this interpreter if it can import ``lifetimes``, else
  ``.venv-peers/bin/python`` in the project root (see benchmarks/README.md); without it the peer columns
  say "n/a". Both libraries get the same arrays: the 22 weighted patterns of the donation data, and one
  row per customer for the simulated data (``lifetimes`` does not group identical customers itself;
  ``retention`` does).
- sBG: ``lifetimes`` has none, so the peer is the direct implementation a careful user would write with
  ``scipy.optimize`` (in this script: the log-likelihood over the whole cohort table with ``betaln``,
  L-BFGS-B on the log parameters with numerical gradients).

Cases: BG/BB on the donations of Fader, Hardie & Shang (2010) (when ``--data`` holds them), on 1M simulated
customers with 6 opportunities and on 100k with 52 (``--quick``: 100k and 20k); sBG on the "regular" cohort
of Fader & Hardie (2007) and on 120 simulated monthly cohorts of 100k customers each observed for up to 120
months (``--quick``: 10k each). The fitted parameters of ours and the peer are compared (relative difference
below 1e-3: "same").
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import _harness
from _harness import Case, Record

BGBB_TRUTH = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}
SBG_TRUTH = {"alpha": 0.704, "beta": 1.182}


# --- the direct scipy implementation of the sBG (the sBG peer) ----------------------------------------


def sbg_direct(counts: Any) -> dict[str, float]:
    """Fit the sBG to a cohort table (NaN where unobserved) with scipy.optimize, as a user would."""
    import numpy as np
    from scipy.optimize import minimize
    from scipy.special import betaln

    periods = np.arange(counts.shape[1], dtype=float)
    churned = counts[:, :-1] - counts[:, 1:]
    observed = np.isfinite(churned)
    churned = np.where(observed, churned, 0.0)
    last = np.isfinite(counts).sum(axis=1) - 1
    survivors = counts[np.arange(len(counts)), last]

    def negative_loglik(theta: Any) -> float:
        a, b = np.exp(theta)
        log_churn = betaln(a + 1, b + periods[1:] - 1) - betaln(a, b)
        log_alive = betaln(a, b + last) - betaln(a, b)
        return -float((churned * log_churn).sum() + survivors @ log_alive)

    res = minimize(negative_loglik, np.zeros(2), method="L-BFGS-B")
    a, b = np.exp(res.x)
    return {"alpha": float(a), "beta": float(b)}


# --- the two contenders, in the worker ---------------------------------------------------------------------


def _call(impl: str, task: str, arrays: dict[str, Any]) -> Callable[[], dict[str, float]]:
    if task == "sbg":
        counts = arrays["counts"]
        if impl == "ours":
            import retention as rt

            return lambda: rt.ShiftedBetaGeometric.fit(counts).params
        return lambda: sbg_direct(counts)
    weights = arrays.get("weights")
    x, tx, n = arrays["frequency"], arrays["recency"], arrays["n_periods"]
    if impl == "ours":
        import retention as rt

        return lambda: (
            rt.BetaGeoBetaBinom.fit(frequency=x, recency=tx, n_periods=n, weights=weights).params
        )
    import pandas as pd
    from lifetimes import BetaGeoBetaBinomFitter

    frame = pd.DataFrame({"frequency": x, "recency": tx, "n_periods": n})

    def peer() -> dict[str, float]:
        fitter = BetaGeoBetaBinomFitter().fit(
            frame["frequency"],
            frame["recency"],
            frame["n_periods"],
            weights=None if weights is None else pd.Series(weights),
        )
        return {k: float(v) for k, v in fitter.params_.items()}

    return peer


def _build(impl: str, task: str, path: str) -> Callable[[], dict[str, float]]:
    return _call(impl, task, _harness.load_arrays(path))


# --- data ----------------------------------------------------------------------------------------------


def simulate_bgbb(n_customers: int, n: int, seed: int) -> dict[str, Any]:
    """One row per customer from the BG/BB process (FHS 2010 timing), chunked to bound memory."""
    import numpy as np

    rng = np.random.default_rng(seed)
    xs, txs = [], []
    for start in range(
        0, n_customers, 200_000
    ):  # chunks of customers, to bound the n-column matrix
        size = min(200_000, n_customers - start)
        p = rng.beta(BGBB_TRUTH["alpha"], BGBB_TRUTH["beta"], size)
        death = rng.geometric(rng.beta(BGBB_TRUTH["gamma"], BGBB_TRUTH["delta"], size))
        t = np.arange(1, n + 1)
        buys = (rng.random((size, n)) < p[:, None]) & (t[None, :] < death[:, None])
        x = buys.sum(axis=1)
        xs.append(x)
        txs.append(np.where(x > 0, n - np.argmax(buys[:, ::-1], axis=1), 0))
    x = np.concatenate(xs).astype(float)
    return {
        "frequency": x,
        "recency": np.concatenate(txs).astype(float),
        "n_periods": np.full(len(x), float(n)),
    }


def simulate_cohorts(n_cohorts: int, size: int, seed: int) -> dict[str, Any]:
    """Monthly cohorts of the sBG process; cohort c is observed for n_cohorts - c months after acquisition."""
    import numpy as np

    rng = np.random.default_rng(seed)
    counts = np.full((n_cohorts, n_cohorts), np.nan)
    for c in range(n_cohorts):  # one cohort at a time, each vectorised over its customers
        lifetime = rng.geometric(rng.beta(SBG_TRUTH["alpha"], SBG_TRUTH["beta"], size))
        horizon = n_cohorts - c
        # survivors at t = customers with lifetime > t, from the histogram of lifetimes
        histogram = np.bincount(np.minimum(lifetime, horizon), minlength=horizon + 1)
        counts[c, :horizon] = size - np.cumsum(histogram)[:horizon]
    return {"counts": counts}


# --- the agreement check and the cases, in the driver -------------------------------------------------------


def _check(case: Case, ours: Record | None, peer: Record | None) -> str:
    if ours is None or peer is None or not _harness.succeeded(ours, peer):
        return "n/a"
    a, b = ours["result"], peer["result"]
    return "same" if all(abs(a[k] - b[k]) <= 1e-3 * abs(a[k]) for k in a) else "DIFFERENT"


def _cases(folder: Path, *, quick: bool, data: Path) -> list[Case]:
    """Write every case's arrays to ``folder``; the sBG cases name this interpreter as their peer's."""
    import numpy as np
    import pandas as pd

    big, wide = (100_000, 20_000) if quick else (1_000_000, 100_000)
    cohort_size = 10_000 if quick else 100_000
    save = _harness.save_arrays
    cases: list[Case] = []
    donations = data / "donations.csv"
    if donations.is_file():
        d = pd.read_csv(donations)
        arrays = {
            "frequency": d["frequency"].to_numpy(float),
            "recency": d["recency"].to_numpy(float),
            "n_periods": d["periods"].to_numpy(float),
            "weights": d["weights"].to_numpy(float),
        }
        path = save(folder, "donations", arrays)
        cases.append(Case("BG/BB, donations (22 patterns)", "bgbb", path, peer_name="lifetimes"))
    path = save(folder, "bgbb6", simulate_bgbb(big, 6, seed=1))
    cases.append(Case(f"BG/BB, {big:,} customers, n = 6", "bgbb", path, peer_name="lifetimes"))
    path = save(folder, "bgbb52", simulate_bgbb(wide, 52, seed=2))
    cases.append(Case(f"BG/BB, {wide:,} customers, n = 52", "bgbb", path, peer_name="lifetimes"))
    regular = np.array([[1000, 631, 468, 382, 326, 289, 262, 241]], dtype=float)
    path = save(folder, "regular", {"counts": regular})
    cases.append(Case("sBG, regular cohort (8 years)", "sbg", path, sys.executable, "scipy"))
    path = save(folder, "cohorts", simulate_cohorts(120, cohort_size, seed=3))
    name = f"sBG, 120 cohorts, {120 * cohort_size:,} customers"
    cases.append(Case(name, "sbg", path, sys.executable, "scipy"))
    return cases


def main() -> None:
    parser = _harness.worker_parser(__doc__, runs=5, peer_budget=120.0)
    parser.add_argument("--quick", action="store_true", help="smaller simulated data")
    args = parser.parse_args()
    if args.worker:
        _harness.serve(args.worker, _build)
        return

    about = _harness.machine()
    peer = _harness.peer_python(args.peer_python)
    with tempfile.TemporaryDirectory() as tmp:
        cases = _cases(Path(tmp), quick=args.quick, data=Path(args.data))
        rows = _harness.compare(__file__, cases, _check, args, peer=peer)
    _harness.print_table(
        "BetaGeoBetaBinom.fit and ShiftedBetaGeometric.fit vs peers",
        rows,
        check="params",
        options=args,
        peer=peer,
        about=about,
    )


if __name__ == "__main__":
    main()
