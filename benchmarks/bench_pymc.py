"""Benchmark: ``rt.rfm_summary``, the BG/NBD, Pareto/NBD and Gamma-Gamma fits and predictions against PyMC-Marketing.

Usage::

    python benchmarks/bench_pymc.py [--runs 5] [--quick] [--pymc-python PATH] [--data ../shared/data]
                                    [--only TEXT] [--case-timeout 900] [--peer-budget 30]
                                    [--blas-threads 1]

Every measurement runs in a fresh worker process (this script with ``--worker``) with one BLAS thread: one
untimed call, then the median of ``--runs`` samples (calls shorter than 0.2 s timed in batches, as
``timeit`` does) and the ``tracemalloc`` peak of one more call; a case whose first call takes longer than
``--peer-budget`` seconds reports that one call. benchmarks/README.md, "How timing works", has the rules
and the options shared with the other worker scripts. PyMC-Marketing (``pymc_marketing.clv``) is an
optional peer, never a dependency of the project: it runs under ``--pymc-python`` (or ``--peer-python``),
by default this interpreter if it can import ``pymc_marketing``, else ``.venv-pymc/bin/python`` in the
project root (make it with ``python -m venv .venv-pymc && .venv-pymc/bin/pip install pymc-marketing``).
Without it the peer columns say "n/a".

Cases (``--only TEXT`` runs those whose name contains TEXT):

- the RFM summary of simulated transaction logs in date order (1M and 10M rows; ``--quick``: 100k and 1M),
  daily merging and times in weeks: ours ``rt.rfm_summary(tx, time_unit="W", amount=None)``, the peer
  ``pymc_marketing.clv.rfm_summary(tx, "customer_id", "date", time_unit="D", time_scaler=7)``;
- the BG/NBD, Pareto/NBD and Gamma-Gamma fits on the weekly summary of the CDNOW sample's calibration
  period (when ``--data`` holds it) and of 1M simulated customers (``--quick``: 100k): ours
  ``rt.BetaGeo.fit``, ``rt.ParetoNBD.fit`` and ``rt.GammaGamma.fit`` (maximum likelihood; the Gamma-Gamma
  fit leaves out the customers without repeat purchases itself), the peer ``BetaGeoModel``,
  ``ParetoNBDModel`` and ``GammaGammaModel`` with every parameter's prior ``Prior("HalfFlat")`` (flat on
  the positive half-line), ``model.fit(data, method="map")``: ``pymc.find_MAP``, whose objective has no
  Jacobian term, so with flat priors its maximum is the maximum-likelihood estimate. The peer's call is
  what a user calls: it makes the model, compiles its log-density and optimises; its data gets a
  ``customer_id`` column (and, for Gamma-Gamma, only the repeat buyers, as its documentation says) before
  the timing;
- the BG/NBD and Pareto/NBD predictions for every customer on the fitted parameters (each side fits
  first, untimed): the expected purchases in the next 39 weeks and the probability of being alive, ours
  ``conditional_expected_purchases(summary, t=39)`` and ``p_alive(summary)``, the peer
  ``expected_purchases(data, future_t=39)`` and ``expected_probability_alive(data)``.

The "agreement" column: the summaries' sums and rows (to 1e-9); for the fits, the largest relative
difference of the parameters (to 1e-3) and of the log-likelihood at the fit (to 1e-6; the peer's is its
model's log-density without the Jacobian, which with flat priors is the log-likelihood); for the
predictions, the largest relative difference of any customer's value (to 1e-3: the two sides predict on
their own fitted parameters). "same" when all are within their tolerance, else "DIFFERENT".
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import _harness
import bench_clv
from _harness import Case, Record

HORIZON = 39.0  # weeks of predictions: the CDNOW sample's holdout period
PARAMETERS = {
    "bg": ("r", "alpha", "a", "b"),
    "pareto": ("r", "alpha", "s", "beta"),
    "gg": ("p", "q", "gamma"),
}
PEER_NAMES = {"gamma": "v"}  # PyMC-Marketing's name of a Gamma-Gamma parameter, where it differs
TOLERANCE = {"summary": 1e-9, "params": 1e-3, "loglik": 1e-6, "predict": 1e-3}


# --- the two contenders, in the worker ---------------------------------------------------------------------


def _ours(task: str, data: Any) -> Callable[[], Any]:
    import retention as rt

    if task == "summary":
        return lambda: rt.rfm_summary(data, time_unit="W", amount=None)
    kind, name = task.split(":")
    model: Any = {"bg": rt.BetaGeo, "pareto": rt.ParetoNBD, "gg": rt.GammaGamma}[name]
    if kind == "fit":
        return lambda: model.fit(data)
    fitted = model.fit(data)
    return lambda: (fitted.conditional_expected_purchases(data, t=HORIZON), fitted.p_alive(data))


def _pymc(task: str, data: Any) -> Callable[[], Any]:
    import numpy as np

    if task == "summary":
        from pymc_marketing.clv import rfm_summary

        return lambda: rfm_summary(data, "customer_id", "date", time_unit="D", time_scaler=7)
    from pymc_extras.prior import Prior
    from pymc_marketing.clv import BetaGeoModel, GammaGammaModel, ParetoNBDModel

    kind, name = task.split(":")
    model = {"bg": BetaGeoModel, "pareto": ParetoNBDModel, "gg": GammaGammaModel}[name]
    names = [PEER_NAMES.get(k, k) for k in PARAMETERS[name]]
    data = data.assign(customer_id=np.arange(len(data)))
    if name == "gg":
        data = data[data["frequency"] > 0]

    def fit() -> Any:
        flat = {k: Prior("HalfFlat") for k in names}
        fitted = model(model_config=flat)
        fitted.fit(data, method="map", progressbar=False)
        return fitted

    if kind == "fit":
        return fit
    fitted = fit()
    return lambda: (
        fitted.expected_purchases(data, future_t=HORIZON),
        fitted.expected_probability_alive(data),
    )


def _build(impl: str, task: str, path: str) -> Callable[[], Any]:
    import pandas as pd

    data = pd.DataFrame(_harness.load_arrays(path))
    return (_ours if impl == "ours" else _pymc)(task, data)


def _pymc_loglik(fitted: Any) -> float:
    """The peer's log-density at its fit, without the Jacobian (with flat priors: the log-likelihood)."""
    import numpy as np

    model, posterior = fitted.model, fitted.idata.posterior
    point = {}
    for variable in model.free_RVs:
        value = np.asarray(posterior[variable.name].to_numpy().ravel()[0])
        transform = model.rvs_to_transforms.get(variable)
        if transform is not None:
            value = transform.forward(value, *variable.owner.inputs).eval()
        point[model.rvs_to_values[variable].name] = value
    return float(model.compile_logp(jacobian=False)(point))


def _describe(impl: str, task: str, path: str, result: Any) -> Any:
    """The summary's sums; the parameters and log-likelihood; or the path of the saved predictions."""
    import numpy as np

    if task == "summary":
        return bench_clv._describe(impl, task, path, result)
    kind, name = task.split(":")
    if kind == "fit":
        if impl == "ours":
            return {k: float(v) for k, v in result.params.items()} | {"loglik": result.loglik}
        posterior = result.idata.posterior
        params = {
            k: float(posterior[PEER_NAMES.get(k, k)].to_numpy().ravel()[0])
            for k in PARAMETERS[name]
        }
        return params | {"loglik": _pymc_loglik(result)}
    saved = Path(path).with_name(f"{Path(path).stem}-{name}-{impl}.npz")
    purchases, alive = (np.asarray(x, dtype=float).ravel() for x in result)
    np.savez(saved, purchases=purchases, alive=alive)
    return {"path": str(saved)}


# --- the agreement check and the cases, in the driver -------------------------------------------------------


def _relative(a: Any, b: Any) -> float:
    import numpy as np

    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(x - y) / np.maximum(np.abs(x), 1e-300)))


def _check(case: Case, ours: Record | None, peer: Record | None) -> str:
    if ours is None or peer is None or not _harness.succeeded(ours, peer):
        return "n/a"
    a, b = ours["result"], peer["result"]
    if case.task == "summary":
        worst = max(abs(a[k] - b[k]) / max(1.0, abs(a[k])) for k in a)
        return "same" if worst <= TOLERANCE["summary"] else f"DIFFERENT ({worst:.0e})"
    if case.task.startswith("fit:"):
        params = max(_relative(a[k], b[k]) for k in a if k != "loglik")
        loglik = _relative(a["loglik"], b["loglik"])
        same = params <= TOLERANCE["params"] and loglik <= TOLERANCE["loglik"]
        verdict = "same" if same else "DIFFERENT"
        return f"{verdict} (params {params:.0e}, loglik {loglik:.0e})"
    import numpy as np

    x, y = np.load(a["path"]), np.load(b["path"])
    worst = max(_relative(x[k], y[k]) for k in ("purchases", "alive"))
    return f"{'same' if worst <= TOLERANCE['predict'] else 'DIFFERENT'} ({worst:.0e})"


def _summary_cases(folder: Path, summary: Any, label: str, name: str) -> list[Case]:
    path = bench_clv._save(summary, folder, name)
    return [
        Case(f"{what}, {label}", task, path)
        for task, what in (
            ("fit:bg", "BetaGeo.fit"),
            ("fit:pareto", "ParetoNBD.fit"),
            ("fit:gg", "GammaGamma.fit"),
            ("predict:bg", "BetaGeo predictions"),
            ("predict:pareto", "ParetoNBD predictions"),
        )
    ]


def _cases(folder: Path, rows_sizes: tuple[int, ...], customers: int, data: Path) -> list[Case]:
    """Write every case's data to ``folder``."""
    import pandas as pd

    import retention as rt

    cases: list[Case] = []
    for n in rows_sizes:
        tx = bench_clv._transactions(n, seed=1)
        path = bench_clv._save(tx, folder, f"tx{n}")
        cases.append(Case(f"rfm_summary, {len(tx):,} transactions", "summary", path))
    cdnow = data / "cdnow_sample.csv"
    if cdnow.is_file():
        summary = rt.rfm_summary(pd.read_csv(cdnow), time_unit="W", observation_end="1997-09-30")
        cases += _summary_cases(folder, summary, f"CDNOW sample ({len(summary):,})", "cdnow")
    summary = rt.rfm_summary(rt.simulate_transactions(customers, seed=2), time_unit="W")
    cases += _summary_cases(folder, summary, f"{customers:,} simulated customers", "simulated")
    return cases


def main() -> None:
    peer_library = _harness.PYMC_MARKETING
    parser = _harness.worker_parser(__doc__, runs=5, peer_budget=30.0, peer=peer_library)
    parser.add_argument("--quick", action="store_true", help="smaller data (100k / 1M rows, 100k)")
    args = parser.parse_args()
    if args.worker:
        _harness.serve(args.worker, _build, _describe)
        return

    about = _harness.machine()
    peer = _harness.peer_python(args.peer_python, peer_library)
    rows_sizes = (100_000, 1_000_000) if args.quick else (1_000_000, 10_000_000)
    customers = 100_000 if args.quick else 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        cases = _cases(Path(tmp), rows_sizes, customers, Path(args.data))
        rows = _harness.compare(__file__, cases, _check, args, peer=peer)
    _harness.print_table(
        "rfm_summary, BetaGeo, ParetoNBD and GammaGamma fits and predictions vs PyMC-Marketing",
        rows,
        check="agreement",
        options=args,
        peer=peer,
        about=about,
        peer_library=peer_library,
    )


if __name__ == "__main__":
    main()
