"""Benchmark: ``rt.ParetoNBD.fit`` against ``lifetimes.ParetoNBDFitter``, one table per run.

Usage::

    python benchmarks/bench_pareto_nbd.py [--runs 3] [--sizes 100000 1000000] [--peer-python PATH]
                                          [--peer-budget 300] [--data ../shared/data]

Every measurement runs in a fresh worker process (this script with ``--worker``) that loads the summary,
times ``--runs`` fits and reports the median and the fitted parameters. ``lifetimes`` is an optional peer,
never a dependency of the project: it runs under ``--peer-python``, by default this interpreter if it can
import ``lifetimes``, else ``.venv-peers/bin/python`` in the project root
(make one with ``python -m venv .venv-peers && .venv-peers/bin/pip install lifetimes``). A peer case whose
first fit takes longer than ``--peer-budget`` seconds is timed once.

Cases: the CDNOW sample calibration summary (2,357 customers, when ``--data`` holds ``cdnow_sample.csv``),
and summaries of customers simulated from the Pareto/NBD process (r = 0.55, alpha = 10.5, s = 0.6,
beta = 11.7 per week, near the CDNOW fit) acquired over a year and observed daily for two, times in weeks
on the day grid, as ``rt.rfm_summary(..., time_unit="W")`` would give them. Both libraries get the same
frame. The table reports, for each fit, the log-likelihood at its parameters (both evaluated by
``retention``'s log-likelihood) and whether it converged: the largest gradient component of the mean
log-likelihood in the log parameters below 1e-4 (the same test for both, by ``retention``'s analytic
gradient).
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
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
PEERS = (HERE.parents[1] / ".venv-peers" / "bin" / "python",)
TRUTH = {"r": 0.55, "alpha": 10.5, "s": 0.6, "beta": 11.7}


# --- worker: one implementation, one case, in its own process --------------------------------------------


def worker(impl: str, path: str, runs: int, budget: float) -> None:
    import warnings

    import numpy as np
    import pandas as pd

    warnings.simplefilter("ignore")
    with np.load(path) as arrays:
        data = pd.DataFrame({name: arrays[name] for name in arrays.files})
    if impl == "ours":
        import retention as rt

        def fit() -> dict[str, float]:
            return rt.ParetoNBD.fit(data).params

    else:
        from lifetimes import ParetoNBDFitter

        def fit() -> dict[str, float]:
            fitter = ParetoNBDFitter().fit(data["frequency"], data["recency"], data["T"])
            return {k: float(v) for k, v in fitter.params_.items()}

    times = []
    params: dict[str, float] = {}
    error = ""
    for _ in range(runs):
        start = time.perf_counter()
        try:
            params = fit()
        except Exception as e:  # a failed fit is a result to report, not a crash
            error = f"{type(e).__name__}: {str(e)[:80]}"
        times.append(time.perf_counter() - start)
        if error or times[0] > budget:
            break
    print(json.dumps({"times": times, "params": params, "error": error}))


# --- driver ----------------------------------------------------------------------------------------------


def _run(python: str, impl: str, path: Path, *, runs: int, budget: float) -> dict[str, Any] | None:
    cmd = [python, str(HERE), "--worker", impl, str(path), str(runs), str(budget)]
    env = os.environ | {"PYTHONWARNINGS": "ignore"}
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        print(f"  {impl} failed: {done.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
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
        return next((str(p) for p in PEERS if p.exists()), None)


def _simulate(n: int, seed: int) -> dict[str, Any]:
    """A summary of ``n`` Pareto/NBD customers: acquired over a year, observed for two, in weeks by day."""
    import numpy as np

    rng = np.random.default_rng(seed)
    lam = rng.gamma(TRUTH["r"], 1 / TRUTH["alpha"], n)
    mu = rng.gamma(TRUTH["s"], 1 / TRUTH["beta"], n)
    age_days = rng.integers(365, 730, n)
    span = np.minimum(rng.exponential(1 / mu), age_days / 7.0)
    x = rng.poisson(lam * span)
    tx = np.where(x > 0, span * rng.beta(np.maximum(x, 1), 1.0), 0.0)
    return {"frequency": x, "recency": np.floor(tx * 7.0) / 7.0, "T": age_days / 7.0}


def _quality(columns: tuple[Any, ...], params: dict[str, float]) -> tuple[float, float]:
    """The log-likelihood at ``params`` and the largest gradient component (mean, log parameters)."""
    import numpy as np

    from retention.core.clv import pareto_nbd as core
    from retention.core.clv.fitting import compress

    packed = compress(columns)
    theta = np.array([params[k] for k in core.PARAMS])
    ll, grad = core.loglik_and_gradient(theta, core.prepare(packed.columns))
    total = float(np.dot(packed.weights, ll))
    worst = float(np.max(np.abs(grad @ packed.weights * theta))) / float(packed.weights.sum())
    return total, worst


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="*", default=[100_000, 1_000_000])
    parser.add_argument("--peer-python", default=None)
    parser.add_argument("--peer-budget", type=float, default=300.0)
    parser.add_argument("--data", default=str(HERE.parents[2] / "shared" / "data"))
    parser.add_argument("--worker", nargs=4, metavar=("IMPL", "PATH", "RUNS", "BUDGET"))
    args = parser.parse_args()
    if args.worker:
        impl, path, runs, budget = args.worker
        worker(impl, path, int(runs), float(budget))
        return

    import numpy as np
    import pandas as pd

    import retention as rt

    peer = _peer_python(args.peer_python)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        cases: list[tuple[str, dict[str, Any]]] = []
        cdnow = Path(args.data) / "cdnow_sample.csv"
        if cdnow.is_file():
            summary = rt.rfm_summary(
                pd.read_csv(cdnow), time_unit="W", calibration_end="1997-09-30"
            )
            cases.append(
                (
                    "CDNOW sample (2,357)",
                    {c: summary[c].to_numpy() for c in ("frequency", "recency", "T")},
                )
            )
        for n in args.sizes:
            cases.append((f"simulated, {n:,} customers", _simulate(n, seed=n)))
        for i, (name, columns) in enumerate(cases):
            print(f"running: {name}", file=sys.stderr)
            path = Path(tmp) / f"case{i}.npz"
            np.savez(path, **columns)
            ours = _run(sys.executable, "ours", path, runs=args.runs, budget=args.peer_budget)
            theirs = (
                _run(peer, "lifetimes", path, runs=args.runs, budget=args.peer_budget)
                if peer
                else None
            )
            cols = tuple(np.asarray(columns[c], dtype=float) for c in ("frequency", "recency", "T"))
            rows.append((name, ours, theirs, cols))

    def seconds(r: dict[str, Any] | None) -> str:
        return f"{statistics.median(r['times']):9.2f}" if r else f"{'n/a':>9}"

    def fit_quality(r: dict[str, Any] | None, cols: tuple[Any, ...]) -> str:
        if not r:
            return f"{'n/a':>10} {'':>4}"
        if r["error"] or not r["params"]:
            return f"{'failed':>10} {'no':>4}"
        ll, worst = _quality(cols, r["params"])
        return f"{ll:10.1f} {'yes' if worst < 1e-4 else 'no':>4}"

    print(
        f"ParetoNBD.fit vs lifetimes ParetoNBDFitter (peer: {peer or 'not installed'}); "
        f"median seconds of up to {args.runs} runs"
    )
    header = (
        f"{'case':<30} {'ours s':>9} {'peer s':>9} {'ratio':>7} {'runs':>5} "
        f"{'ours loglik':>11} {'conv':>4} {'peer loglik':>11} {'conv':>4}"
    )
    print(header)
    print("-" * len(header))
    for name, ours, theirs, cols in rows:
        ratio = (
            f"{statistics.median(theirs['times']) / statistics.median(ours['times']):6.1f}x"
            if ours and theirs
            else f"{'n/a':>7}"
        )
        runs = f"{len(ours['times']) if ours else 0}/{len(theirs['times']) if theirs else 0}"
        print(
            f"{name:<30} {seconds(ours)} {seconds(theirs)} {ratio:>7} {runs:>5} "
            f"{fit_quality(ours, cols):>16} {fit_quality(theirs, cols):>16}"
        )


if __name__ == "__main__":
    main()
