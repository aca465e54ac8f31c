"""Benchmark: ``rt.forecast`` (and the tracking expectation) against the ``lifetimes`` recipes, one table.

Usage::

    python benchmarks/bench_forecast.py [--runs 3] [--quick] [--peer-python PATH] [--data ../shared/data]
                                        [--only TEXT] [--case-timeout 900] [--peer-budget 60]
                                        [--blas-threads 1]

Every measurement runs in a fresh worker process (this script with ``--worker``), as in the other worker
scripts (benchmarks/README.md, "How timing works"). ``lifetimes`` is an optional peer, never a dependency
of the project: it runs under ``--peer-python``, by default this interpreter if it can import
``lifetimes``, else ``.venv-peers`` in the project. Without it the peer columns say "n/a".

Cases, on the weekly RFM summary (``rt.rfm_summary(tx, time_unit="W")``) of 1M simulated customers
(``--quick``: 100k) and, when ``--data`` holds it, the CDNOW sample:

- **point**: the expected repeat orders of every existing customer in each of the next 52 weeks, summed
  (BG/NBD r=0.243, alpha=4.414, a=0.793, b=2.426). Ours: ``rt.forecast(model, summary, periods=52,
  freq="W", time_unit="W", interval=None)``. The peer's recipe (lifetimes has no aggregate forecast):
  ``BetaGeoFitter.conditional_expected_number_of_purchases_up_to_time(k, ...)`` for k = 1 .. 52 weeks,
  each summed over customers, differenced.
- **1,000 draws**: the same forecast with a 90% interval from 1,000 parameter draws and the count noise,
  the model fitted on the summary (the fit is not timed). lifetimes has no forecast interval: no peer.
- **tracking, CDNOW**: the expected cumulative repeat transactions of the CDNOW sample, week by week for
  77 weeks from the first purchase. Ours: ``rt.tracking_table(model, tx, time_unit="W", freq="D")``
  (every day; the weekly values are read from it); the peer: ``lifetimes.utils.
  expected_cumulative_transactions(model, tx, "date", "customer_id", t=539, freq="D",
  freq_multiplier=7)``.

The results are compared before the table is printed: the largest relative difference of the weekly
totals ("max rel diff"; "-" without a peer).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import _harness
from _harness import Case, Record

BG = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
WEEKS = 52
TRACKED_WEEKS = 77  # lifetimes measures week j at the first purchase day + 7 (j + 1) days


# --- the two contenders, in the worker ---------------------------------------------------------------------


def _ours(task: str, data: dict[str, Any]) -> Callable[[], Any]:
    import numpy as np
    import pandas as pd

    import retention as rt

    model = rt.BetaGeo(**BG)
    if task == "tracking":
        tx = pd.DataFrame(
            {"customer_id": data["customer_id"], "date": data["date"].astype("datetime64[ns]")}
        )
        first = tx["date"].min()
        days = pd.PeriodIndex(
            first + pd.to_timedelta(7 * np.arange(1, TRACKED_WEEKS + 1), unit="D"), freq="D"
        )
        return lambda: rt.tracking_table(model, tx, time_unit="W", freq="D").loc[
            days, "expected_cumulative"
        ]
    summary = pd.DataFrame(data)
    if task == "point":
        return lambda: rt.forecast(
            model, summary, periods=WEEKS, freq="W", time_unit="W", interval=None
        )["orders"]
    fitted = rt.BetaGeo.fit(summary)
    return lambda: rt.forecast(fitted, summary, periods=WEEKS, freq="W", time_unit="W", seed=1)[
        "orders"
    ]


def _lifetimes(task: str, data: dict[str, Any]) -> Callable[[], Any]:
    import numpy as np
    import pandas as pd
    from lifetimes import BetaGeoFitter

    fitter = BetaGeoFitter()
    fitter.params_ = pd.Series(BG)
    if task == "tracking":
        from lifetimes.utils import expected_cumulative_transactions

        tx = pd.DataFrame(
            {"customer_id": data["customer_id"], "date": data["date"].astype("datetime64[ns]")}
        )
        return lambda: expected_cumulative_transactions(
            fitter, tx, "date", "customer_id", t=7 * TRACKED_WEEKS, freq="D", freq_multiplier=7
        )["predicted"]
    if task == "draws":
        msg = "lifetimes has no forecast interval"
        raise NotImplementedError(msg)
    f, r, T = data["frequency"], data["recency"], data["T"]

    def recipe() -> Any:
        cumulative = [
            fitter.conditional_expected_number_of_purchases_up_to_time(k, f, r, T).sum()
            for k in range(1, WEEKS + 1)
        ]
        return np.diff(np.concatenate([[0.0], cumulative]))

    return recipe


def _build(impl: str, task: str, path: str) -> Callable[[], Any]:
    data = _harness.load_arrays(path)
    return (_ours if impl == "ours" else _lifetimes)(task, data)


def _describe(impl: str, task: str, path: str, result: Any) -> dict[str, Any]:
    import numpy as np

    saved = Path(path).parent / f"{task}-{impl}.npy"
    np.save(saved, np.asarray(result, dtype=float))
    return {"path": str(saved)}


# --- the agreement check and the cases, in the driver -------------------------------------------------------


def _check(case: Case, ours: Record | None, peer: Record | None) -> str:
    import numpy as np

    if peer is None:
        return "-"
    if ours is None or not _harness.succeeded(ours, peer):
        return "n/a"
    x, y = np.load(ours["result"]["path"]), np.load(peer["result"]["path"])
    return f"{float(np.max(np.abs(x - y) / np.maximum(np.abs(y), 1e-300))):.0e}"


def _cases(folder: Path, n: int, data: Path) -> tuple[list[Case], list[Case]]:
    """Write every case's data to ``folder``: the cases with a peer, and those without."""
    import pandas as pd

    import retention as rt

    columns = ("frequency", "recency", "T")
    tx = rt.simulate_transactions(n, seed=3)
    summary = rt.rfm_summary(tx, time_unit="W")
    path = _harness.save_arrays(
        folder, "simulated", {c: summary[c].to_numpy(dtype=float) for c in columns}
    )
    with_peer = [Case(f"point, {n:,} simulated x {WEEKS} weeks", "point", path)]
    without = [Case(f"1,000 draws, {n:,} simulated x {WEEKS} weeks", "draws", path)]
    cdnow = data / "cdnow_sample.csv"
    if cdnow.is_file():
        sample = pd.read_csv(cdnow, parse_dates=["date"])
        calibration = rt.rfm_summary(sample, time_unit="W", observation_end="1997-09-30")
        small = _harness.save_arrays(
            folder, "cdnow", {c: calibration[c].to_numpy(dtype=float) for c in columns}
        )
        with_peer.append(Case(f"point, CDNOW sample (2,357) x {WEEKS} weeks", "point", small))
        log = _harness.save_arrays(
            folder,
            "cdnow-log",
            {
                "customer_id": sample["customer_id"].to_numpy(),
                "date": sample["date"].to_numpy().astype("datetime64[D]"),
            },
        )
        with_peer.append(Case(f"tracking, CDNOW sample x {TRACKED_WEEKS} weeks", "tracking", log))
    return with_peer, without


def main() -> None:
    parser = _harness.worker_parser(__doc__, runs=3, peer_budget=60.0)
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
        with_peer, without = _cases(Path(tmp), n, Path(args.data))
        rows = _harness.compare(__file__, with_peer, _check, args, peer=peer)
        rows += _harness.compare(__file__, without, _check, args, peer=None)
    _harness.print_table(
        "rt.forecast and the tracking expectation vs lifetimes",
        rows,
        check="max rel diff",
        options=args,
        peer=peer,
        about=about,
    )


if __name__ == "__main__":
    main()
