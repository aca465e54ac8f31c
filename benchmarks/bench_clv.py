"""Benchmark: ``rt.rfm_summary``, ``rt.BetaGeo.fit`` and ``rt.ParetoNBD.fit`` against ``lifetimes``, one table per run.

Usage::

    python benchmarks/bench_clv.py [--runs 5] [--quick] [--peer-python PATH] [--data ../shared/data]
                                   [--only rfm_summary] [--case-timeout 900]

Every measurement runs in a fresh worker process (this script with ``--worker``) that loads the data,
times ``--runs`` calls and reports the median, then measures the peak memory of one more call with
``tracemalloc`` (numpy and pandas report their buffers to it). ``lifetimes`` is an optional peer, never a
dependency of the project: it runs under ``--peer-python``, by default this interpreter if it can import
``lifetimes``, else ``.venv-peers/bin/python`` in the project root (make it with ``python -m venv .venv-peers &&
.venv-peers/bin/pip install lifetimes``). Without it the peer columns say "n/a".

Cases: the RFM summary of simulated transaction logs (1M and 10M rows in date order, and the 10M rows
shuffled; ``--quick``: 100k and 1M), with daily merging and times in weeks (``lifetimes``: ``freq="D",
freq_multiplier=7``); the BG/NBD and Pareto/NBD fits on the CDNOW sample summary (when ``--data`` holds it) and on the summary of 1M simulated customers (``--quick``: 100k).
The two libraries' summaries are checked to agree before they are timed. Each worker makes one untimed call
first; calls shorter than 0.2 s are then timed in batches (one sample is the mean of enough back-to-back
calls to last 0.2 s, as ``timeit`` does). A case whose first call takes longer than ``--peer-budget``
seconds reports that one call.
"""

from __future__ import annotations

import argparse
import json
import math
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
MIN_SAMPLE = 0.2  # seconds: shorter calls are timed in batches
DEFAULT_PEER = (
    HERE.parents[1] / ".venv-peers" / "bin" / "python"
)  # made as benchmarks/README.md says


# --- worker: one implementation, one case, in its own process --------------------------------------------


def _ours(task: str, data: Any) -> Callable[[], Any]:
    import retention as rt

    if task == "summary":
        return lambda: rt.rfm_summary(data, time_unit="W")
    model = rt.ParetoNBD if task == "pareto" else rt.BetaGeo
    return lambda: model.fit(data)


def _lifetimes(task: str, data: Any) -> Callable[[], Any]:
    if task == "summary":
        from lifetimes.utils import summary_data_from_transaction_data

        return lambda: summary_data_from_transaction_data(
            data, "customer_id", "date", freq="D", freq_multiplier=7
        )
    from lifetimes import BetaGeoFitter, ParetoNBDFitter

    fitter = ParetoNBDFitter if task == "pareto" else BetaGeoFitter
    return lambda: fitter().fit(data["frequency"], data["recency"], data["T"])


def _describe(task: str, result: Any) -> dict[str, Any]:
    """What the check compares: the summary's sums, or the fitted parameters."""
    if task == "summary":
        return {c: float(result[c].sum()) for c in ("frequency", "recency", "T")} | {
            "rows": len(result)
        }
    params = result.params_.to_dict() if hasattr(result, "params_") else result.params
    return {k: float(v) for k, v in params.items()}


def worker(impl: str, task: str, path: str, runs: int, budget: float) -> None:
    import numpy as np
    import pandas as pd

    # Plain arrays in the file, so that each library builds the frame it would see in practice.
    with np.load(path) as arrays:
        data = pd.DataFrame({name: arrays[name] for name in arrays.files})
    call = (_ours if impl == "ours" else _lifetimes)(task, data)
    start = time.perf_counter()
    result = call()  # a first call, untimed: imports and caches
    first = time.perf_counter() - start
    # Calls shorter than MIN_SAMPLE are timed in batches, as timeit does: one sample is the mean of
    # `batch` back-to-back calls, so that timer resolution and scheduler noise do not decide the ratio.
    batch = max(1, math.ceil(MIN_SAMPLE / max(first, 1e-6)))
    times = []
    for _ in range(runs if first <= budget else 0):
        start = time.perf_counter()
        for _ in range(batch):
            result = call()
        times.append((time.perf_counter() - start) / batch)
    if not times:
        times = [first]
    tracemalloc.start()
    call()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(json.dumps({"times": times, "peak": peak, "result": _describe(task, result)}))


# --- driver ----------------------------------------------------------------------------------------------


def _run(
    python: str,
    impl: str,
    task: str,
    path: Path,
    *,
    runs: int,
    budget: float,
    timeout: float | None = None,
) -> dict[str, Any] | None:
    cmd = [python, str(HERE), "--worker", impl, task, str(path), str(runs), str(budget)]
    env = os.environ | {"PYTHONWARNINGS": "ignore"}
    try:
        done = subprocess.run(
            cmd, capture_output=True, text=True, env=env, check=False, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        print(f"  {impl} {task} stopped after {timeout:.0f} s (--case-timeout)", file=sys.stderr)
        return None
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
        return str(DEFAULT_PEER) if DEFAULT_PEER.exists() else None


def _transactions(n_rows: int, seed: int) -> Any:
    """A simulated log of about ``n_rows`` purchases over two years (the simulator's defaults)."""
    import retention as rt

    pilot = rt.simulate_transactions(20_000, seed=seed)
    customers = max(1, round(n_rows * 20_000 / len(pilot)))
    return rt.simulate_transactions(customers, seed=seed)


def _save(frame: Any, folder: Path, name: str) -> Path:
    """Write the frame's columns as plain numpy arrays (no pickled pandas internals)."""
    import numpy as np

    path = folder / f"{name}.npz"
    np.savez(path, **{str(c): frame[c].to_numpy() for c in frame.columns})
    return path


def _agree(task: str, ours: dict[str, Any], peer: dict[str, Any]) -> str:
    a, b = ours["result"], peer["result"]
    if task == "summary":
        same = all(abs(a[k] - b[k]) <= 1e-9 * max(1.0, abs(a[k])) for k in a)
    else:
        same = all(abs(a[k] - b[k]) <= 1e-3 * abs(a[k]) for k in a)
    return "same" if same else "DIFFERENT"


def _cases(
    folder: Path, rows_sizes: tuple[int, ...], fit_customers: int, data: Path
) -> list[tuple[str, str, Path]]:
    """Write every case's data to ``folder``: (name, task, file) per case."""
    import pandas as pd

    import retention as rt

    cases: list[tuple[str, str, Path]] = []
    for n in rows_sizes:
        tx = _transactions(n, seed=1)
        cases.append(
            (f"rfm_summary, {len(tx):,} transactions", "summary", _save(tx, folder, f"tx{n}"))
        )
    # The simulated log is in date order, like most logs; the same rows shuffled take the path for
    # tables in no particular order.
    shuffled = tx.sample(frac=1.0, random_state=0).reset_index(drop=True)
    cases.append(
        (
            f"rfm_summary, {len(tx):,}, rows shuffled",
            "summary",
            _save(shuffled, folder, f"shuffled{n}"),
        )
    )
    del shuffled
    cdnow = data / "cdnow_sample.csv"
    if cdnow.is_file():
        summary = rt.rfm_summary(pd.read_csv(cdnow), time_unit="W", observation_end="1997-09-30")
        path = _save(summary, folder, "cdnow")
        cases.append(("BetaGeo.fit, CDNOW sample (2,357)", "fit", path))
        cases.append(("ParetoNBD.fit, CDNOW sample (2,357)", "pareto", path))
    tx = rt.simulate_transactions(fit_customers, seed=2)
    summary = rt.rfm_summary(tx, time_unit="W")
    path = _save(summary, folder, "fit")
    cases.append((f"BetaGeo.fit, {fit_customers:,} simulated customers", "fit", path))
    cases.append((f"ParetoNBD.fit, {fit_customers:,} simulated customers", "pareto", path))
    return cases


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="smaller data (100k / 1M)")
    parser.add_argument("--peer-python", default=None)
    parser.add_argument("--peer-budget", type=float, default=120.0)
    parser.add_argument(
        "--case-timeout",
        type=float,
        default=900.0,
        help="stop a peer case after this many seconds; its columns then say n/a",
    )
    parser.add_argument("--data", default=str(HERE.parents[2] / "shared" / "data"))
    parser.add_argument(
        "--only", default=None, help="run only the cases whose name contains this text"
    )
    parser.add_argument("--worker", nargs=5, metavar=("IMPL", "TASK", "PATH", "RUNS", "BUDGET"))
    args = parser.parse_args()
    if args.worker:
        impl, task, path, runs, budget = args.worker
        worker(impl, task, path, int(runs), float(budget))
        return

    peer = _peer_python(args.peer_python)
    rows_sizes = (100_000, 1_000_000) if args.quick else (1_000_000, 10_000_000)
    fit_customers = 100_000 if args.quick else 1_000_000
    table: list[tuple[str, dict[str, Any] | None, dict[str, Any] | None, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        cases = _cases(folder, rows_sizes, fit_customers, Path(args.data))
        for name, task, path in cases:
            if args.only and args.only not in name:
                continue
            print(f"running: {name}", file=sys.stderr)
            ours = _run(sys.executable, "ours", task, path, runs=args.runs, budget=args.peer_budget)
            theirs = (
                _run(
                    peer,
                    "lifetimes",
                    task,
                    path,
                    runs=args.runs,
                    budget=args.peer_budget,
                    timeout=args.case_timeout,
                )
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
        f"{'case':<44} {'ours s':>9} {'peer s':>9} {'ratio':>7} {'ours MiB':>8} {'peer MiB':>8} "
        f"{'runs':>5} {'results':>9}"
    )
    print(
        f"rfm_summary, BetaGeo.fit and ParetoNBD.fit vs lifetimes (peer: {peer or 'not installed'}); "
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
            f"{name:<44} {seconds(ours)} {seconds(theirs)} {ratio:>7} {memory(ours)} {memory(theirs)} {runs:>5} {check:>9}"
        )


if __name__ == "__main__":
    main()
