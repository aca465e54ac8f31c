"""Benchmark: ``rt.BetaGeoBetaBinom.fit`` and ``rt.ShiftedBetaGeometric.fit`` against their peers, one table.

Usage::

    python benchmarks/bench_sbg_bgbb.py [--runs 5] [--quick] [--peer-python PATH] [--data ../shared/data]

Every measurement runs in a fresh worker process (this script with ``--worker``) that loads the data,
times ``--runs`` calls and reports the median, then measures the peak memory of one more call with
``tracemalloc``. A peer case whose first run takes longer than ``--peer-budget`` seconds is timed once.
``--blas-threads 1`` runs every worker with one BLAS thread: on a busy machine with few cores OpenBLAS's
threads make the tiny vector operations inside SciPy's L-BFGS-B an order of magnitude slower, which
dominates the fits of small data (ours and the peers' alike).

Peers:

- BG/BB: ``lifetimes.BetaGeoBetaBinomFitter`` (optional, never a dependency of the project). It runs under
  ``--peer-python``, by default this interpreter if it can import ``lifetimes``, else
  ``.venv-peers/bin/python`` in the project root (see benchmarks/README.md); without it the peer columns say "n/a". Both libraries get the same
  arrays: the 22 weighted patterns of the donation data, and one row per customer for the simulated data
  (``lifetimes`` does not group identical customers itself; ``retention`` does).
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

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
DEFAULT_PEER = HERE.parents[1] / ".venv-peers" / "bin" / "python"  # see benchmarks/README.md
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


# --- worker: one implementation, one case, in its own process ------------------------------------------


def _call(impl: str, case: str, arrays: dict[str, Any]) -> Callable[[], dict[str, float]]:
    if case == "sbg":
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


def worker(impl: str, case: str, path: str, runs: int, budget: float) -> None:
    import warnings

    import numpy as np

    warnings.simplefilter("ignore")
    with np.load(path) as data:
        arrays = {name: data[name] for name in data.files}
    call = _call(impl, case, arrays)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - start)
        if times[0] > budget:
            break
    tracemalloc.start()
    call()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(json.dumps({"times": times, "peak": peak, "result": result}))


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


# --- driver --------------------------------------------------------------------------------------------


def _run(
    python: str,
    impl: str,
    case: str,
    path: Path,
    *,
    runs: int,
    budget: float,
    blas_threads: int | None,
) -> dict[str, Any] | None:
    cmd = [python, str(HERE), "--worker", impl, case, str(path), str(runs), str(budget)]
    env = os.environ | {"PYTHONWARNINGS": "ignore"}
    if blas_threads is not None:
        threads = str(blas_threads)
        env |= {
            "OPENBLAS_NUM_THREADS": threads,
            "OMP_NUM_THREADS": threads,
            "MKL_NUM_THREADS": threads,
        }
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        print(f"  {impl} {case} failed: {done.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
        return None
    out: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return out


def _peer_python(requested: str | None) -> str | None:
    if requested:
        return requested
    try:
        import lifetimes  # noqa: F401  # only to see whether this interpreter has the peer

        return sys.executable
    except ImportError:
        return str(DEFAULT_PEER) if DEFAULT_PEER.exists() else None


def _agree(ours: dict[str, Any] | None, peer: dict[str, Any] | None) -> str:
    if not ours or not peer:
        return "n/a"
    a, b = ours["result"], peer["result"]
    return "same" if all(abs(a[k] - b[k]) <= 1e-3 * abs(a[k]) for k in a) else "DIFFERENT"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="smaller simulated data")
    parser.add_argument("--peer-python", default=None)
    parser.add_argument("--peer-budget", type=float, default=120.0)
    parser.add_argument("--data", default=str(HERE.parents[2] / "shared" / "data"))
    parser.add_argument(
        "--blas-threads",
        type=int,
        default=None,
        help="set OPENBLAS/OMP/MKL_NUM_THREADS in every worker (default: leave the environment alone)",
    )
    parser.add_argument("--worker", nargs=5, metavar=("IMPL", "CASE", "PATH", "RUNS", "BUDGET"))
    args = parser.parse_args()
    if args.worker:
        impl, case, path, runs, budget = args.worker
        worker(impl, case, path, int(runs), float(budget))
        return

    import numpy as np
    import pandas as pd

    lifetimes_python = _peer_python(args.peer_python)
    big, wide = (100_000, 20_000) if args.quick else (1_000_000, 100_000)
    cohort_size = 10_000 if args.quick else 100_000
    # (name, case, data, peer interpreter, peer name)
    cases: list[tuple[str, str, dict[str, Any], str | None, str]] = []
    donations = Path(args.data) / "donations.csv"
    if donations.is_file():
        d = pd.read_csv(donations)
        arrays = {
            "frequency": d["frequency"].to_numpy(float),
            "recency": d["recency"].to_numpy(float),
            "n_periods": d["periods"].to_numpy(float),
            "weights": d["weights"].to_numpy(float),
        }
        cases.append(
            ("BG/BB, donations (22 patterns)", "bgbb", arrays, lifetimes_python, "lifetimes")
        )
    cases.append(
        (
            f"BG/BB, {big:,} customers, n = 6",
            "bgbb",
            simulate_bgbb(big, 6, seed=1),
            lifetimes_python,
            "lifetimes",
        )
    )
    cases.append(
        (
            f"BG/BB, {wide:,} customers, n = 52",
            "bgbb",
            simulate_bgbb(wide, 52, seed=2),
            lifetimes_python,
            "lifetimes",
        )
    )
    regular = np.array([[1000, 631, 468, 382, 326, 289, 262, 241]], dtype=float)
    cases.append(
        ("sBG, regular cohort (8 years)", "sbg", {"counts": regular}, sys.executable, "scipy")
    )
    cohorts = simulate_cohorts(120, cohort_size, seed=3)
    total = 120 * cohort_size
    cases.append(
        (f"sBG, 120 cohorts, {total:,} customers", "sbg", cohorts, sys.executable, "scipy")
    )

    table = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, (name, case, arrays, peer_python, peer_name) in enumerate(cases):
            path = Path(tmp) / f"case{i}.npz"
            np.savez(path, **arrays)
            print(f"running: {name}", file=sys.stderr)
            options = {
                "runs": args.runs,
                "budget": args.peer_budget,
                "blas_threads": args.blas_threads,
            }
            ours = _run(sys.executable, "ours", case, path, **options)
            peer = _run(peer_python, "peer", case, path, **options) if peer_python else None
            table.append((name, peer_name, ours, peer, _agree(ours, peer)))

    def seconds(r: dict[str, Any] | None) -> str:
        return f"{statistics.median(r['times']):9.4f}" if r else f"{'n/a':>9}"

    def memory(r: dict[str, Any] | None) -> str:
        return f"{r['peak'] / 2**20:8.1f}" if r else f"{'n/a':>8}"

    threads = args.blas_threads if args.blas_threads is not None else "default"
    print(
        "BetaGeoBetaBinom.fit and ShiftedBetaGeometric.fit vs peers "
        f"(lifetimes: {lifetimes_python or 'not installed'}; BLAS threads: {threads}); median seconds"
    )
    header = (
        f"{'case':<40} {'peer':<10} {'ours s':>9} {'peer s':>9} {'ratio':>8} {'ours MiB':>8} {'peer MiB':>8} "
        f"{'runs':>5} {'params':>9}"
    )
    print(header)
    print("-" * len(header))
    for name, peer_name, ours, peer, check in table:
        ratio = (
            f"{statistics.median(peer['times']) / statistics.median(ours['times']):7.1f}x"
            if ours and peer
            else f"{'n/a':>8}"
        )
        runs = f"{len(ours['times']) if ours else 0}/{len(peer['times']) if peer else 0}"
        print(
            f"{name:<40} {peer_name:<10} {seconds(ours)} {seconds(peer)} {ratio:>8} {memory(ours)} {memory(peer)} {runs:>5} {check:>9}"
        )


if __name__ == "__main__":
    main()
