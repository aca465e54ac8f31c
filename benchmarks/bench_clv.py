"""Benchmark: ``rt.rfm_summary`` and the BG/NBD and Pareto/NBD fits against ``lifetimes``; long CLV horizons.

Usage::

    python benchmarks/bench_clv.py [--runs 5] [--quick] [--peer-python PATH] [--data ../shared/data]
                                   [--only rfm_summary] [--case-timeout 900] [--peer-budget 120]
                                   [--blas-threads 1]

Every measurement runs in a fresh worker process (this script with ``--worker``) with one BLAS thread: one
untimed call, then the median of ``--runs`` samples (calls shorter than 0.2 s timed in batches, as
``timeit`` does) and the ``tracemalloc`` peak of one more call; a case whose first call takes longer than
``--peer-budget`` seconds reports that one call. benchmarks/README.md, "How timing works", has the rules
and the options shared with the other worker scripts. ``lifetimes`` is an optional peer, never a dependency
of the project: it runs under ``--peer-python``, by default this interpreter if it can import
``lifetimes``, else ``.venv-peers/bin/python`` in the project root (make it with ``python -m venv
.venv-peers && .venv-peers/bin/pip install lifetimes``). Without it the peer columns say "n/a".

Cases: the RFM summary of simulated transaction logs (1M and 10M rows in date order, and the 10M rows
shuffled; ``--quick``: 100k and 1M), with daily merging and times in weeks (``lifetimes``: ``freq="D",
freq_multiplier=7``); the BG/NBD and Pareto/NBD fits on the CDNOW sample summary (when ``--data`` holds it)
and on the summary of 1M simulated customers (``--quick``: 100k). ``--only TEXT`` runs the cases whose
name contains TEXT. The "results" column says whether the two libraries agree: the summaries' sums (to
1e-9), the fitted parameters (to 1e-3).

Horizon independence (``--only customer_lifetime_value``): ``rt.customer_lifetime_value`` of 400 simulated
customers (BG/NBD and Gamma-Gamma fitted on their daily summary) over daily periods at 0.03% a day, for
horizons of 100, 10,000 and 1,000,000 days. Its time must not grow with the horizon. The peer is the sum
period by period (one call of the model per day, as the library did before), run in this interpreter; it
grows with the horizon, and a million days outlasts ``--case-timeout`` ("n/a"). "results": every
customer's value agrees to 1e-10.
"""

from __future__ import annotations

import math
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import _harness
from _harness import Case, Record

# --- the two contenders, in the worker ---------------------------------------------------------------------


def _ours(task: str, data: Any) -> Callable[[], Any]:
    import retention as rt

    if task == "summary":
        return lambda: rt.rfm_summary(
            data, time_unit="W", amount=None
        )  # lifetimes gets no money column either
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


_CLV_CUSTOMERS = 400
_CLV_HORIZONS = (100, 10_000, 1_000_000)  # daily periods
_CLV_DISCOUNT = 0.0003  # a day: about 11.6% a year
_CLV_COLUMNS = ("frequency", "recency", "T", "monetary_value")


def _period_by_period(purchases: Any, spend: Any, summary: Any, horizon: int) -> Any:
    """The CLV sum as the library took it before: one call of the model per period, all customers."""
    import numpy as np
    import pandas as pd

    columns = {c: summary[c].to_numpy() for c in ("frequency", "recency", "T")}
    log_rate = math.log1p(_CLV_DISCOUNT)
    total = np.zeros(len(summary))
    previous = np.zeros(len(summary))
    for k in range(1, horizon + 1):
        current = purchases.conditional_expected_purchases(t=float(k), **columns)
        total += (current - previous) * math.exp(-k * log_rate)
        previous = current
    return pd.Series(spend.conditional_expected_spend(summary).to_numpy() * total, name="clv")


def _clv(impl: str, task: str, arrays: dict[str, Any]) -> Callable[[], Any]:
    import pandas as pd

    import retention as rt

    horizon = int(task.split(":")[1])
    purchases = rt.BetaGeo(**{k: float(arrays[k]) for k in ("r", "alpha", "a", "b")})
    spend = rt.GammaGamma(**{k: float(arrays[k]) for k in ("p", "q", "gamma")})
    summary = pd.DataFrame({c: arrays[c] for c in _CLV_COLUMNS})
    if impl == "ours":
        return lambda: rt.customer_lifetime_value(
            purchases,
            spend,
            summary,
            horizon=horizon,
            freq="D",
            time_unit="D",
            discount_rate=_CLV_DISCOUNT,
        )
    return lambda: _period_by_period(purchases, spend, summary, horizon)


def _build(impl: str, task: str, path: str) -> Callable[[], Any]:
    import pandas as pd

    arrays = _harness.load_arrays(path)
    if task.startswith("clv:"):
        return _clv(impl, task, arrays)
    # Plain arrays in the file, so that each library builds the frame it would see in practice.
    data = pd.DataFrame(arrays)
    return (_ours if impl == "ours" else _lifetimes)(task, data)


def _describe(impl: str, task: str, path: str, result: Any) -> Any:
    """What the check compares: the summary's sums, the fitted parameters, or every customer's CLV."""
    if task.startswith("clv:"):
        return [float(v) for v in result.to_numpy()]
    if task == "summary":
        return {c: float(result[c].sum()) for c in ("frequency", "recency", "T")} | {
            "rows": len(result)
        }
    params = result.params_.to_dict() if hasattr(result, "params_") else result.params
    return {k: float(v) for k, v in params.items()}


# --- the agreement check and the cases, in the driver -------------------------------------------------------


def _check(case: Case, ours: Record | None, peer: Record | None) -> str:
    if ours is None or peer is None or not _harness.succeeded(ours, peer):
        return "n/a"
    a, b = ours["result"], peer["result"]
    if case.task.startswith("clv:"):
        same = all(abs(x - y) <= 1e-10 * abs(y) for x, y in zip(a, b, strict=True))
    elif case.task == "summary":
        same = all(abs(a[k] - b[k]) <= 1e-9 * max(1.0, abs(a[k])) for k in a)
    else:
        same = all(abs(a[k] - b[k]) <= 1e-3 * abs(a[k]) for k in a)
    return "same" if same else "DIFFERENT"


def _transactions(n_rows: int, seed: int) -> Any:
    """A simulated log of about ``n_rows`` purchases over two years (the simulator's defaults)."""
    import retention as rt

    pilot = rt.simulate_transactions(20_000, seed=seed)
    customers = max(1, round(n_rows * 20_000 / len(pilot)))
    return rt.simulate_transactions(customers, seed=seed)


def _save(frame: Any, folder: Path, name: str) -> Path:
    return _harness.save_arrays(folder, name, {str(c): frame[c].to_numpy() for c in frame.columns})


def _cases(folder: Path, rows_sizes: tuple[int, ...], fit_customers: int, data: Path) -> list[Case]:
    """Write every case's data to ``folder``."""
    import pandas as pd

    import retention as rt

    cases: list[Case] = []
    for n in rows_sizes:
        tx = _transactions(n, seed=1)
        cases.append(
            Case(f"rfm_summary, {len(tx):,} transactions", "summary", _save(tx, folder, f"tx{n}"))
        )
    # The simulated log is in date order, like most logs; the same rows shuffled take the path for
    # tables in no particular order.
    shuffled = tx.sample(frac=1.0, random_state=0).reset_index(drop=True)
    path = _save(shuffled, folder, f"shuffled{n}")
    cases.append(Case(f"rfm_summary, {len(tx):,}, rows shuffled", "summary", path))
    del shuffled
    cdnow = data / "cdnow_sample.csv"
    if cdnow.is_file():
        summary = rt.rfm_summary(pd.read_csv(cdnow), time_unit="W", observation_end="1997-09-30")
        path = _save(summary, folder, "cdnow")
        cases.append(Case("BetaGeo.fit, CDNOW sample (2,357)", "fit", path))
        cases.append(Case("ParetoNBD.fit, CDNOW sample (2,357)", "pareto", path))
    tx = rt.simulate_transactions(fit_customers, seed=2)
    summary = rt.rfm_summary(tx, time_unit="W")
    path = _save(summary, folder, "fit")
    cases.append(Case(f"BetaGeo.fit, {fit_customers:,} simulated customers", "fit", path))
    cases.append(Case(f"ParetoNBD.fit, {fit_customers:,} simulated customers", "pareto", path))
    cases.extend(_clv_cases(folder))
    return cases


def _clv_cases(folder: Path) -> list[Case]:
    """The horizon-independence cases: one customer base, three horizons, the period-by-period peer."""
    import retention as rt

    tx = rt.simulate_transactions(_CLV_CUSTOMERS, seed=3)
    summary = rt.rfm_summary(tx, time_unit="D", amount="amount")
    purchases, spend = rt.BetaGeo.fit(summary), rt.GammaGamma.fit(summary)
    columns = {c: summary[c].to_numpy() for c in _CLV_COLUMNS} | purchases.params | spend.params
    path = _harness.save_arrays(folder, "clv", columns)
    return [
        Case(
            f"customer_lifetime_value, {_CLV_CUSTOMERS} customers, {days:,} days",
            f"clv:{days}",
            path,
            peer_python=sys.executable,
            peer_name="period by period",
        )
        for days in _CLV_HORIZONS
    ]


def main() -> None:
    parser = _harness.worker_parser(__doc__, runs=5, peer_budget=120.0)
    parser.add_argument("--quick", action="store_true", help="smaller data (100k / 1M)")
    args = parser.parse_args()
    if args.worker:
        _harness.serve(args.worker, _build, _describe)
        return

    about = _harness.machine()
    peer = _harness.peer_python(args.peer_python)
    rows_sizes = (100_000, 1_000_000) if args.quick else (1_000_000, 10_000_000)
    fit_customers = 100_000 if args.quick else 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        cases = _cases(Path(tmp), rows_sizes, fit_customers, Path(args.data))
        rows = _harness.compare(__file__, cases, _check, args, peer=peer)
    _harness.print_table(
        "rfm_summary, BetaGeo.fit and ParetoNBD.fit vs lifetimes; customer_lifetime_value by horizon",
        rows,
        check="results",
        options=args,
        peer=peer,
        about=about,
    )


if __name__ == "__main__":
    main()
