"""What the benchmark scripts share: timing, peak memory, workers, the peer interpreter, the table.

The scripts import it as ``import _harness``: they run as ``python benchmarks/bench_x.py``, so their folder is
on ``sys.path``. It imports only the standard library at module level, because the peer interpreter
(``.venv-peers``, which has ``lifetimes`` and not ``retention``) runs the scripts' workers too.

Two kinds of script use it (benchmarks/README.md, "How timing works", states the rules once):

- in-process scripts (``bench_cohorts``, ``bench_classify``, ``bench_rfm``: ours against pandas in one
  process) time calls with `median_time` (``bench_engines``, ``bench_compare``, ``bench_orders``: with
  `alternating_medians`, the contenders taking turns), measure them with `peak_memory`, profile them
  with `profile` and date their table with `machine`;
- worker scripts (``bench_clv``, ``bench_value``, ``bench_pareto_nbd``, ``bench_sbg_bgbb``: ours against a
  peer library, every measurement in a fresh process) take their options from `worker_parser`, answer
  ``--worker`` with `serve`, run their cases with `compare` and print them with `print_table`. A script
  keeps only what is its own: its data, its two contenders (the ``build`` function that `serve` calls), its
  agreement check and its cases. The peer library is `LIFETIMES` unless the script passes another `Peer`
  (``bench_pymc``: `PYMC_MARKETING`) to `worker_parser`, `peer_python` and `print_table`.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import importlib.util
import io
import json
import math
import os
import platform
import pstats
import statistics
import subprocess
import sys
import time
import tracemalloc
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
MIN_SAMPLE = 0.2  # seconds: workers time shorter calls in batches, as timeit does
BLAS_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


@dataclass(frozen=True)
class Peer:
    """A peer library: how the tables name it, the module that shows it is installed, and its interpreter.

    ``venv`` is the virtual environment in the project root that benchmarks/README.md says how to make
    (never the project's own: the peers are not dependencies); ``option`` is the script's second name for
    ``--peer-python``, if any.
    """

    name: str
    module: str
    venv: str
    option: str = ""

    @property
    def python(self) -> Path:
        """The interpreter of ``venv``."""
        return ROOT / self.venv / "bin" / "python"


LIFETIMES = Peer("lifetimes", "lifetimes", ".venv-peers")
PYMC_MARKETING = Peer("PyMC-Marketing", "pymc_marketing", ".venv-pymc", option="--pymc-python")

# What a worker reports, as one JSON line: "times" (the samples, seconds), "peak" (bytes, or None),
# "result" (what the script's agreement check needs, or None) and "error" ("" unless a call raised).
Record = dict[str, Any]


# --- measuring, in this process ------------------------------------------------------------------------


def _samples(call: Callable[[], Any], count: int, batch: int = 1) -> list[float]:
    """``count`` samples, each the mean time of ``batch`` back-to-back calls, after ``gc.collect()``."""
    times = []
    for _ in range(count):
        gc.collect()
        began = time.perf_counter()
        for _ in range(batch):
            call()
        times.append((time.perf_counter() - began) / batch)
    return times


def median_time(call: Callable[[], Any], repeats: int, *, warm: bool = False) -> float:
    """The median of ``repeats`` timed calls (``time.perf_counter``, each after ``gc.collect()``).

    ``warm``: one untimed call first, so that the timed ones start from this contender's own steady
    state, not from what the one before it left (on a virtual machine, fresh memory).
    """
    if warm:
        call()
    return statistics.median(_samples(call, repeats))


def alternating_medians(
    calls: Mapping[str, Callable[[], Any]], repeats: int, *, warm: bool = False
) -> dict[str, float]:
    """The median of ``repeats`` timed calls of each contender, the contenders taking turns.

    Round ``r`` times each contender once (``time.perf_counter`` after ``gc.collect()``), the order
    rotated by one each round, so that a change in the machine's load falls on every contender alike and
    none is always timed right after the same other. ``warm``: each timed call comes right after an
    untimed call of the same contender (its own steady state, not what the one before it left: see
    benchmarks/README.md, "How timing works").
    """
    names = list(calls)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for r in range(repeats):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            if warm:
                calls[name]()
            samples[name] += _samples(calls[name], 1)
    return {name: statistics.median(times) for name, times in samples.items()}


def peak_memory(call: Callable[[], Any]) -> int:
    """The ``tracemalloc`` peak of one call, in bytes (numpy and pandas report their buffers to it)."""
    gc.collect()
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def profile(call: Callable[[], Any], title: str, *, lines: int = 20) -> str:
    """A Markdown section with the ``cProfile`` of one call, by cumulative time."""
    profiler = cProfile.Profile()
    profiler.runcall(call)
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(lines)
    return f"### cProfile: {title}\n\n```\n{out.getvalue().strip()}\n```"


def machine() -> str:
    """The date, the machine, the versions and the load average: the line that goes above a table."""
    import numpy as np
    import pandas as pd

    import retention as rt

    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "?"
    return (
        f"{date.today().isoformat()}, {platform.machine()} {platform.system()}, {os.cpu_count()} cores "
        f"({usable} usable), Python {platform.python_version()}, numpy {np.__version__}, "
        f"pandas {pd.__version__}, retention {rt.__version__}; load average before the run "
        f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )


# --- the worker: one contender, one case, in its own process ---------------------------------------------


def measure(
    call: Callable[[], Any], *, runs: int, budget: float, memory: bool = True
) -> tuple[Any, Record]:
    """Time ``call`` by the workers' rules; return the first call's result and the record.

    One untimed first call (imports, caches, first touch of memory); if it took longer than ``budget``
    seconds it is the only sample. Otherwise ``runs`` samples, each the mean of enough back-to-back calls
    to last `MIN_SAMPLE` seconds (judged by the first call), so that timer resolution and scheduler noise
    do not decide the ratio of short calls. Then the ``tracemalloc`` peak of one more call (``memory``).
    A call that raises ends the measurement: the record holds the error, the samples so far are dropped.
    """
    record: Record = {"times": [], "peak": None, "result": None, "error": ""}
    result = None
    gc.collect()
    began = time.perf_counter()
    try:
        result = call()
        first = time.perf_counter() - began
        if first > budget:
            record["times"] = [first]
        else:
            batch = max(1, math.ceil(MIN_SAMPLE / max(first, 1e-6)))
            record["times"] = _samples(call, runs, batch)
        if memory:
            record["peak"] = peak_memory(call)
    except Exception as e:  # a failed call (say a peer's ConvergenceError) is a result to report
        elapsed = time.perf_counter() - began
        record["times"] = []
        message = " ".join(str(e).split())[:160]
        record["error"] = f"{type(e).__name__} after {elapsed:.1f} s: {message}"
    return result, record


def serve(
    spec: Sequence[str],
    build: Callable[[str, str, str], Callable[[], Any]],
    describe: Callable[[str, str, str, Any], Any] | None = None,
    *,
    memory: bool = True,
) -> None:
    """Answer ``--worker IMPL TASK PATH RUNS BUDGET``: measure one contender, print one JSON line.

    ``build(impl, task, path)`` loads the case's data and returns the call to time (``impl`` is "ours" or
    "peer"); ``describe(impl, task, path, result)`` turns the call's result into what the script's
    agreement check needs (JSON), by default the result itself.
    """
    impl, task, path, runs, budget = spec
    warnings.simplefilter("ignore")  # a warning on stderr is not a failure, and it slows the loop
    call = build(impl, task, path)
    result, record = measure(call, runs=int(runs), budget=float(budget), memory=memory)
    if not record["error"]:
        record["result"] = describe(impl, task, path, result) if describe else result
    print(json.dumps(record))


def save_arrays(folder: Path, name: str, columns: Mapping[str, Any]) -> Path:
    """Write a case's data as plain numpy arrays (no pickled pandas internals) for the workers."""
    import numpy as np

    path = folder / f"{name}.npz"
    arrays: dict[str, Any] = {str(key): np.asarray(value) for key, value in columns.items()}
    np.savez(path, **arrays)
    return path


def load_arrays(path: str | Path) -> dict[str, Any]:
    """The arrays `save_arrays` wrote, by name."""
    import numpy as np

    with np.load(path) as data:
        return {name: data[name] for name in data.files}


# --- the driver: every case in fresh workers, one table ------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One row of the table: its name, the task the workers run, the file with its data.

    ``peer_python`` overrides the peer interpreter for this case (say ``sys.executable`` for a peer written
    in the script); ``peer_name`` fills the table's "peer" column when the peers differ between cases.
    """

    name: str
    task: str
    path: Path
    peer_python: str | None = None
    peer_name: str = ""


@dataclass(frozen=True)
class Row:
    """A case with its two records (None when the worker crashed or was stopped) and its check."""

    case: Case
    ours: Record | None
    peer: Record | None
    check: str


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        msg = f"must be at least 1, got {value}"
        raise argparse.ArgumentTypeError(msg)
    return value


def worker_parser(
    description: str, *, runs: int, peer_budget: float, peer: Peer = LIFETIMES
) -> argparse.ArgumentParser:
    """The options every worker script has; the script adds its own (``--quick``, ``--sizes``)."""
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--runs", type=_positive, default=runs, help="timed samples per worker (median)"
    )
    parser.add_argument(
        "--peer-python",
        *([peer.option] if peer.option else []),
        dest="peer_python",
        default=None,
        help=f"the interpreter with {peer.name} (default: this one if it imports {peer.module}, "
        f"else {peer.venv}/bin/python in the project root)",
    )
    parser.add_argument(
        "--peer-budget",
        type=float,
        default=peer_budget,
        help="a case whose first call takes longer than this many seconds reports that one call",
    )
    parser.add_argument(
        "--case-timeout",
        type=float,
        default=900.0,
        help="stop a peer worker after this many seconds; its columns then say n/a",
    )
    parser.add_argument(
        "--blas-threads",
        type=int,
        default=1,
        help="OPENBLAS/OMP/MKL_NUM_THREADS in every worker; 0 leaves the environment alone",
    )
    parser.add_argument(
        "--only", default=None, help="run only the cases whose name contains this text"
    )
    parser.add_argument(
        "--data", default=str(DATA), help="the folder with cdnow_sample.csv and donations.csv"
    )
    parser.add_argument(
        "--worker", nargs=5, metavar=("IMPL", "TASK", "PATH", "RUNS", "BUDGET"), help="internal"
    )
    return parser


def peer_python(requested: str | None, peer: Peer = LIFETIMES) -> str | None:
    """``requested``, else this interpreter if it has the peer's module, else its venv's, else None."""
    if requested:
        return requested
    if importlib.util.find_spec(peer.module) is not None:
        return sys.executable
    return str(peer.python) if peer.python.exists() else None


def run_worker(
    python: str,
    script: str,
    impl: str,
    case: Case,
    options: argparse.Namespace,
    *,
    timeout: float | None = None,
) -> Record | None:
    """Run ``script --worker`` under ``python`` for one contender and case; its record, or None."""
    command = [
        python,
        str(Path(script).resolve()),
        "--worker",
        impl,
        case.task,
        str(case.path),
        str(options.runs),
        str(options.peer_budget),
    ]
    env = os.environ | {"PYTHONWARNINGS": "ignore"}
    if options.blas_threads > 0:
        # The fits make tiny BLAS calls (L-BFGS-B on a few parameters); on a busy machine with few cores,
        # OpenBLAS threads waiting for a core make them an order of magnitude slower, ours and the peers'.
        env |= dict.fromkeys(BLAS_VARIABLES, str(options.blas_threads))
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, env=env, check=False, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        print(f"  {impl}: stopped after {timeout:.0f} s (--case-timeout)", file=sys.stderr)
        return None
    except OSError as e:  # say, a --peer-python that does not exist
        print(f"  {impl} failed: cannot run {python}: {e}", file=sys.stderr)
        return None
    if done.returncode != 0:
        print(f"  {impl} failed: {done.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
        return None
    record: Record = json.loads(done.stdout.strip().splitlines()[-1])
    if record["error"]:
        print(f"  {impl} failed: {record['error']}", file=sys.stderr)
    return record


def compare(
    script: str,
    cases: Iterable[Case],
    check: Callable[[Case, Record | None, Record | None], str],
    options: argparse.Namespace,
    *,
    peer: str | None,
) -> list[Row]:
    """Run ours and the peer on every case that ``--only`` selects, each in a fresh worker; check them.

    ``peer`` is the peer interpreter (`peer_python`); a case without one gets no peer record. Only the peer
    worker is stopped after ``--case-timeout`` seconds. ``check(case, ours, peer)`` runs while the cases'
    files still exist and returns the table's last cell.
    """
    rows = []
    for case in cases:
        if options.only and options.only not in case.name:
            continue
        print(f"running: {case.name}", file=sys.stderr)
        ours = run_worker(sys.executable, script, "ours", case, options)
        python = case.peer_python or peer
        theirs = (
            run_worker(python, script, "peer", case, options, timeout=options.case_timeout)
            if python
            else None
        )
        rows.append(Row(case, ours, theirs, check(case, ours, theirs)))
    return rows


def succeeded(*records: Record | None) -> bool:
    """Whether every record is there and no call in it raised."""
    return all(record is not None and not record["error"] for record in records)


def _median(record: Record | None) -> str:
    if record is None:
        return "n/a"
    if record["error"]:
        return "failed"
    seconds = statistics.median(record["times"])
    return f"{seconds:#.3g}" if seconds < 99.95 else f"{seconds:.0f}"  # three significant digits


def _mebibytes(record: Record | None) -> str:
    if record is None or record["peak"] is None:
        return "n/a"
    return f"{record['peak'] / 2**20:.1f}"


def print_table(
    title: str,
    rows: Sequence[Row],
    *,
    check: str,
    options: argparse.Namespace,
    peer: str | None,
    about: str,
    memory: bool = True,
    peer_library: Peer = LIFETIMES,
) -> None:
    """Print the machine line, the title and one table: a row per case, ``check`` heads the last column.

    Columns: the case (and the peer, when cases name one), the median seconds of ours and of the peer,
    peer / ours, the peak MiB of each (``memory``), the samples taken (ours/peer), and the check. The
    title line names ``peer`` (the interpreter) after ``peer_library`` (the library, `LIFETIMES` by default).
    """
    named = any(row.case.peer_name for row in rows)
    threads = options.blas_threads if options.blas_threads > 0 else "default"
    header = [
        "case",
        *(["peer"] if named else []),
        "ours s",
        "peer s",
        "ratio",
        *(["ours MiB", "peer MiB"] if memory else []),
        "runs",
        check,
    ]
    body = []
    for row in rows:
        ours, theirs = row.ours, row.peer
        ratio = (
            f"{statistics.median(theirs['times']) / statistics.median(ours['times']):.1f}x"
            if ours is not None and theirs is not None and succeeded(ours, theirs)
            else "n/a"
        )
        runs = "/".join(str(len(r["times"]) if r else 0) for r in (ours, theirs))
        body.append(
            [
                row.case.name,
                *([row.case.peer_name] if named else []),
                _median(ours),
                _median(theirs),
                ratio,
                *([_mebibytes(ours), _mebibytes(theirs)] if memory else []),
                runs,
                row.check,
            ]
        )
    widths = [max(len(cells[i]) for cells in [header, *body]) for i in range(len(header))]
    left = 2 if named else 1  # the case and the peer's name are text, the rest numbers

    def line(cells: Sequence[str]) -> str:
        return " ".join(
            cell.ljust(width) if i < left else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    print(about)
    print(
        f"{title} ({peer_library.name}: {peer or 'not installed'}; BLAS threads: {threads}); "
        f"median seconds of up to {options.runs} samples"
    )
    print(line(header))
    print("-" * len(line(header)))
    for cells in body:
        print(line(cells))
