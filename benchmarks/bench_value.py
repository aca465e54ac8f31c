"""Benchmark: ``rt.GammaGamma.fit`` and ``rt.customer_lifetime_value`` against ``lifetimes``, one table.

Usage::

    python benchmarks/bench_value.py [--runs 5] [--quick] [--peer-python PATH] [--data ../shared/data]

Every measurement runs in a fresh worker process (this script with ``--worker``) that loads the data, times
``--runs`` calls and reports the median, then measures the peak memory of one more call with
``tracemalloc``. ``lifetimes`` is an optional peer, never a dependency of the project: it runs under
``--peer-python``, by default this interpreter if it can import ``lifetimes``, else ``.venv-peers`` in the
project (see benchmarks/README.md). Without it the peer columns say "n/a".

Cases, on the weekly RFM summary (``rt.rfm_summary(tx, time_unit="W", amount="amount")``) of simulated
customers (1M; ``--quick``: 100k) and, when ``--data`` holds it, of the CDNOW sample's calibration period:

- the Gamma-Gamma fit: ours on the whole summary (it leaves out the customers without repeat purchases
  itself), ``GammaGammaFitter().fit`` on the repeat buyers, as its documentation says to call it;
- the 12-month CLV of every customer with fixed parameters (BG/NBD r=0.243, alpha=4.414, a=0.793,
  b=2.426; Gamma-Gamma p=6.25, q=3.74, gamma=15.44), months of 4.345 weeks at 1% a month: ours
  ``customer_lifetime_value(..., horizon=12, freq=4.345, discount_rate=0.01)``, the peer
  ``GammaGammaFitter.customer_lifetime_value(BetaGeoFitter, ..., time=12, discount_rate=0.01, freq="W")``.

Workers run with one BLAS thread (``OPENBLAS_NUM_THREADS=1`` and friends), for both libraries. The results
are compared before the table is printed: the fitted parameters (relative difference) and the
CLVs (largest relative difference). A peer case whose first run takes longer than ``--peer-budget``
seconds is timed once.
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
PEERS = (HERE.parents[1] / ".venv-peers" / "bin" / "python",)
_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
BG = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
GG = {"p": 6.25, "q": 3.74, "gamma": 15.44}


# --- worker: one implementation, one case, in its own process --------------------------------------------


def _ours(task: str, data: Any) -> Callable[[], Any]:
    import retention as rt

    if task == "fit":
        return lambda: rt.GammaGamma.fit(data)
    purchases, spend = rt.BetaGeo(**BG), rt.GammaGamma(**GG)
    return lambda: rt.customer_lifetime_value(
        purchases, spend, data, horizon=12, freq=4.345, discount_rate=0.01
    )


def _lifetimes(task: str, data: Any) -> Callable[[], Any]:
    import pandas as pd
    from lifetimes import BetaGeoFitter, GammaGammaFitter

    if task == "fit":
        repeat = data[data["frequency"] > 0]
        return lambda: GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])
    bgf = BetaGeoFitter()
    bgf.params_ = pd.Series(BG)
    bgf.predict = bgf.conditional_expected_number_of_purchases_up_to_time  # what fit() would set
    ggf = GammaGammaFitter()
    ggf.params_ = pd.Series({"p": GG["p"], "q": GG["q"], "v": GG["gamma"]})
    return lambda: ggf.customer_lifetime_value(
        bgf,
        data["frequency"],
        data["recency"],
        data["T"],
        data["monetary_value"],
        time=12,
        discount_rate=0.01,
        freq="W",
    )


def _describe(task: str, result: Any, folder: Path, impl: str) -> dict[str, Any]:
    """The fitted parameters, or the path of the saved CLVs, for the agreement check."""
    import numpy as np

    if task == "fit":
        params = result.params_.to_dict() if hasattr(result, "params_") else result.params
        return {("gamma" if k == "v" else k): float(v) for k, v in params.items()}
    path = folder / f"clv-{impl}.npy"
    np.save(path, np.asarray(result, dtype=float))
    return {"path": str(path)}


def worker(impl: str, task: str, path: str, runs: int, budget: float) -> None:
    import numpy as np
    import pandas as pd

    with np.load(path) as arrays:
        data = pd.DataFrame({name: arrays[name] for name in arrays.files})
    call = (_ours if impl == "ours" else _lifetimes)(task, data)
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
    described = _describe(task, result, Path(path).parent, impl)
    print(json.dumps({"times": times, "peak": peak, "result": described}))


# --- driver ----------------------------------------------------------------------------------------------


def _run(
    python: str, impl: str, task: str, path: Path, *, runs: int, budget: float
) -> dict[str, Any] | None:
    cmd = [python, str(HERE), "--worker", impl, task, str(path), str(runs), str(budget)]
    # One BLAS thread for both libraries: the fits make tiny BLAS calls (L-BFGS-B on 3 parameters), and
    # on a busy machine OpenBLAS threads waiting for a core cost milliseconds per call.
    env = os.environ | {"PYTHONWARNINGS": "ignore"} | dict.fromkeys(_THREAD_VARIABLES, "1")
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        print(f"  {impl} {task} failed: {done.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
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


def _save(frame: Any, folder: Path, name: str) -> Path:
    """Write the summary's columns as plain numpy arrays (no pickled pandas internals)."""
    import numpy as np

    path = folder / f"{name}.npz"
    columns = ("frequency", "recency", "T", "monetary_value")
    np.savez(path, **{c: frame[c].to_numpy(dtype=float) for c in columns})
    return path


def _agree(task: str, ours: dict[str, Any], peer: dict[str, Any]) -> str:
    import numpy as np

    a, b = ours["result"], peer["result"]
    if task == "fit":
        worst = max(abs(a[k] - b[k]) / abs(a[k]) for k in a)
    else:
        x, y = np.load(a["path"]), np.load(b["path"])
        worst = float(np.max(np.abs(x - y) / np.maximum(np.abs(x), 1e-12)))
    return f"{worst:.0e}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--quick", action="store_true", help="100k simulated customers instead of 1M"
    )
    parser.add_argument("--peer-python", default=None)
    parser.add_argument("--peer-budget", type=float, default=120.0)
    parser.add_argument("--data", default=str(HERE.parents[2] / "shared" / "data"))
    parser.add_argument("--worker", nargs=5, metavar=("IMPL", "TASK", "PATH", "RUNS", "BUDGET"))
    args = parser.parse_args()
    if args.worker:
        impl, task, path, runs, budget = args.worker
        worker(impl, task, path, int(runs), float(budget))
        return

    import pandas as pd

    import retention as rt

    peer = _peer_python(args.peer_python)
    n = 100_000 if args.quick else 1_000_000
    table: list[tuple[str, dict[str, Any] | None, dict[str, Any] | None, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        summaries: list[tuple[str, Path]] = []
        cdnow = Path(args.data) / "cdnow_sample.csv"
        if cdnow.is_file():
            summary = rt.rfm_summary(
                pd.read_csv(cdnow), time_unit="W", observation_end="1997-09-30", amount="amount"
            )
            summaries.append(("CDNOW sample (2,357)", _save(summary, folder, "cdnow")))
        tx = rt.simulate_transactions(n, seed=3)
        summary = rt.rfm_summary(tx, time_unit="W", amount="amount")
        summaries.append((f"{n:,} simulated", _save(summary, folder, "simulated")))
        del tx, summary
        for label, path in summaries:
            for task, what in (("fit", "GammaGamma.fit"), ("clv", "customer_lifetime_value")):
                name = f"{what}, {label}"
                print(f"running: {name}", file=sys.stderr)
                ours = _run(
                    sys.executable, "ours", task, path, runs=args.runs, budget=args.peer_budget
                )
                theirs = (
                    _run(peer, "lifetimes", task, path, runs=args.runs, budget=args.peer_budget)
                    if peer
                    else None
                )
                check = _agree(task, ours, theirs) if ours and theirs else "n/a"
                table.append((name, ours, theirs, check))

    def seconds(r: dict[str, Any] | None) -> str:
        return f"{statistics.median(r['times']):9.3f}" if r else f"{'n/a':>9}"

    def memory(r: dict[str, Any] | None) -> str:
        return f"{r['peak'] / 2**20:8.0f}" if r else f"{'n/a':>8}"

    header = (
        f"{'case':<46} {'ours s':>9} {'peer s':>9} {'ratio':>7} {'ours MiB':>8} {'peer MiB':>8} "
        f"{'runs':>5} {'max rel diff':>12}"
    )
    print(
        f"GammaGamma.fit and customer_lifetime_value vs lifetimes (peer: {peer or 'not installed'}); "
        "median seconds"
    )
    print(header)
    print("-" * len(header))
    for name, ours, theirs, check in table:
        ratio = (
            f"{statistics.median(theirs['times']) / statistics.median(ours['times']):6.1f}x"
            if ours and theirs
            else f"{'n/a':>7}"
        )
        runs = f"{len(ours['times']) if ours else 0}/{len(theirs['times']) if theirs else 0}"
        print(
            f"{name:<46} {seconds(ours)} {seconds(theirs)} {ratio:>7} {memory(ours)} {memory(theirs)} {runs:>5} {check:>12}"
        )


if __name__ == "__main__":
    main()
