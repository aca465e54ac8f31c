"""Benchmark: ``rt.ParetoNBD.fit`` against ``lifetimes.ParetoNBDFitter``, one table per run.

Usage::

    python benchmarks/bench_pareto_nbd.py [--runs 3] [--sizes 100000 1000000] [--peer-python PATH]
                                          [--peer-budget 300] [--data ../shared/data] [--only TEXT]
                                          [--case-timeout 900] [--blas-threads 1]

Every measurement runs in a fresh worker process (this script with ``--worker``) with one BLAS thread that
loads the summary, makes one untimed fit, then reports the median of ``--runs`` samples (fits shorter than
0.2 s timed in batches, as ``timeit`` does) and the fitted parameters; a case whose first fit takes longer
than ``--peer-budget`` seconds reports that one fit. No peak memory here: one more fit of lifetimes' 1M
customers would take another five minutes or more. benchmarks/README.md, "How timing works", has the
rules and the options shared with the other worker scripts. ``lifetimes`` is an optional peer, never a
dependency of the project: it runs under ``--peer-python``, by default this interpreter if it can import
``lifetimes``, else ``.venv-peers/bin/python`` in the project root (make one with ``python -m venv
.venv-peers && .venv-peers/bin/pip install lifetimes``).

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

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import _harness
from _harness import Case, Record

TRUTH = {"r": 0.55, "alpha": 10.5, "s": 0.6, "beta": 11.7}
COLUMNS = ("frequency", "recency", "T")


# --- the two contenders, in the worker ---------------------------------------------------------------------


def _build(impl: str, task: str, path: str) -> Callable[[], dict[str, float]]:
    import pandas as pd

    data = pd.DataFrame(_harness.load_arrays(path))
    if impl == "ours":
        import retention as rt

        def fit() -> dict[str, float]:
            return {k: float(v) for k, v in rt.ParetoNBD.fit(data).params.items()}

    else:
        from lifetimes import ParetoNBDFitter

        def fit() -> dict[str, float]:
            fitter = ParetoNBDFitter().fit(data["frequency"], data["recency"], data["T"])
            return {k: float(v) for k, v in fitter.params_.items()}

    return fit


# --- the agreement check and the cases, in the driver -------------------------------------------------------


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


def _check(case: Case, ours: Record | None, peer: Record | None) -> str:
    """Each side's log-likelihood and convergence, by ``retention``'s log-likelihood and gradient."""
    import numpy as np

    arrays = _harness.load_arrays(case.path)
    columns = tuple(np.asarray(arrays[c], dtype=float) for c in COLUMNS)

    def fit_quality(record: Record | None) -> str:
        if record is None:
            return f"{'n/a':>11} {'':>4}"
        if record["error"] or not record["result"]:
            return f"{'failed':>11} {'no':>4}"
        ll, worst = _quality(columns, record["result"])
        return f"{ll:11.1f} {'yes' if worst < 1e-4 else 'no':>4}"

    return f"{fit_quality(ours)} {fit_quality(peer)}"


def _cases(folder: Path, sizes: list[int], data: Path) -> list[Case]:
    """Write every case's summary to ``folder``."""
    import pandas as pd

    import retention as rt

    cases: list[Case] = []
    cdnow = data / "cdnow_sample.csv"
    if cdnow.is_file():
        summary = rt.rfm_summary(pd.read_csv(cdnow), time_unit="W", calibration_end="1997-09-30")
        columns = {c: summary[c].to_numpy() for c in COLUMNS}
        cases.append(
            Case("CDNOW sample (2,357)", "fit", _harness.save_arrays(folder, "cdnow", columns))
        )
    for n in sizes:
        path = _harness.save_arrays(folder, f"simulated{n}", _simulate(n, seed=n))
        cases.append(Case(f"simulated, {n:,} customers", "fit", path))
    return cases


def main() -> None:
    parser = _harness.worker_parser(__doc__, runs=3, peer_budget=300.0)
    parser.add_argument("--sizes", type=int, nargs="*", default=[100_000, 1_000_000])
    args = parser.parse_args()
    if args.worker:
        _harness.serve(args.worker, _build, memory=False)
        return

    about = _harness.machine()
    peer = _harness.peer_python(args.peer_python)
    with tempfile.TemporaryDirectory() as tmp:
        cases = _cases(Path(tmp), args.sizes, Path(args.data))
        rows = _harness.compare(__file__, cases, _check, args, peer=peer)
    _harness.print_table(
        "ParetoNBD.fit vs lifetimes ParetoNBDFitter",
        rows,
        check=f"{'ours loglik':>11} {'conv':>4} {'peer loglik':>11} {'conv':>4}",
        options=args,
        peer=peer,
        about=about,
        memory=False,
    )


if __name__ == "__main__":
    main()
