"""Benchmark: ``rt.GammaGamma.fit`` and ``rt.customer_lifetime_value`` against ``lifetimes``, one table.

Usage::

    python benchmarks/bench_value.py [--runs 5] [--quick] [--peer-python PATH] [--data ../shared/data]
                                     [--only TEXT] [--case-timeout 900] [--peer-budget 120]
                                     [--blas-threads 1]

Every measurement runs in a fresh worker process (this script with ``--worker``) with one BLAS thread
(``OPENBLAS_NUM_THREADS=1`` and friends, for both libraries): one untimed call, then the median of
``--runs`` samples (calls shorter than 0.2 s timed in batches, as ``timeit`` does) and the ``tracemalloc``
peak of one more call; a case whose first call takes longer than ``--peer-budget`` seconds reports that one
call. benchmarks/README.md, "How timing works", has the rules and the options shared with the other worker
scripts. ``lifetimes`` is an optional peer, never a dependency of the project: it runs under
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

The results are compared before the table is printed: the fitted parameters (relative difference) and the
CLVs (largest relative difference), in the "max rel diff" column.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import _harness
from _harness import Case, Record

BG = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
GG = {"p": 6.25, "q": 3.74, "gamma": 15.44}


# --- the two contenders, in the worker ---------------------------------------------------------------------


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


def _build(impl: str, task: str, path: str) -> Callable[[], Any]:
    import pandas as pd

    data = pd.DataFrame(_harness.load_arrays(path))
    return (_ours if impl == "ours" else _lifetimes)(task, data)


def _describe(impl: str, task: str, path: str, result: Any) -> dict[str, Any]:
    """The fitted parameters, or the path of the saved CLVs, for the agreement check."""
    import numpy as np

    if task == "fit":
        params = result.params_.to_dict() if hasattr(result, "params_") else result.params
        return {("gamma" if k == "v" else k): float(v) for k, v in params.items()}
    saved = Path(path).parent / f"clv-{impl}.npy"
    np.save(saved, np.asarray(result, dtype=float))
    return {"path": str(saved)}


# --- the agreement check and the cases, in the driver -------------------------------------------------------


def _check(case: Case, ours: Record | None, peer: Record | None) -> str:
    import numpy as np

    if ours is None or peer is None or not _harness.succeeded(ours, peer):
        return "n/a"
    a, b = ours["result"], peer["result"]
    if case.task == "fit":
        worst = max(abs(a[k] - b[k]) / abs(a[k]) for k in a)
    else:
        x, y = np.load(a["path"]), np.load(b["path"])
        worst = float(np.max(np.abs(x - y) / np.maximum(np.abs(x), 1e-12)))
    return f"{worst:.0e}"


def _save(summary: Any, folder: Path, name: str) -> Path:
    columns = ("frequency", "recency", "T", "monetary_value")
    return _harness.save_arrays(
        folder, name, {c: summary[c].to_numpy(dtype=float) for c in columns}
    )


def _cases(folder: Path, n: int, data: Path) -> list[Case]:
    """Write every case's data to ``folder``: the two tasks on each summary."""
    import pandas as pd

    import retention as rt

    summaries: list[tuple[str, Path]] = []
    cdnow = data / "cdnow_sample.csv"
    if cdnow.is_file():
        summary = rt.rfm_summary(
            pd.read_csv(cdnow), time_unit="W", observation_end="1997-09-30", amount="amount"
        )
        summaries.append(("CDNOW sample (2,357)", _save(summary, folder, "cdnow")))
    tx = rt.simulate_transactions(n, seed=3)
    summary = rt.rfm_summary(tx, time_unit="W", amount="amount")
    summaries.append((f"{n:,} simulated", _save(summary, folder, "simulated")))
    return [
        Case(f"{what}, {label}", task, path)
        for label, path in summaries
        for task, what in (("fit", "GammaGamma.fit"), ("clv", "customer_lifetime_value"))
    ]


def main() -> None:
    parser = _harness.worker_parser(__doc__, runs=5, peer_budget=120.0)
    parser.add_argument(
        "--quick", action="store_true", help="100k simulated customers instead of 1M"
    )
    args = parser.parse_args()
    if args.worker:
        _harness.serve(args.worker, _build, _describe)
        return

    about = _harness.machine()
    peer = _harness.peer_python(args.peer_python)
    n = 100_000 if args.quick else 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        cases = _cases(Path(tmp), n, Path(args.data))
        rows = _harness.compare(__file__, cases, _check, args, peer=peer)
    _harness.print_table(
        "GammaGamma.fit and customer_lifetime_value vs lifetimes",
        rows,
        check="max rel diff",
        options=args,
        peer=peer,
        about=about,
    )


if __name__ == "__main__":
    main()
