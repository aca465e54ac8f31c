"""What `import retention` costs: nothing; a name costs what its module needs, on first use.

The public names are imported on first use (PEP 562), so `import retention` imports neither pandas nor
scipy. Using a function imports what it needs: never an optional dependency, and none of scipy's slow
subpackages (scipy.stats, scipy.optimize and scipy.signal took two thirds of the import time; the library
imports them where they are used, a fit or a long convolution, and uses scipy.special's distribution
functions elsewhere).
"""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("scipy.stats", "scipy.optimize", "scipy.signal")
OPTIONAL = (
    "matplotlib",
    "narwhals",
    "polars",
    "duckdb",
    "dask",
    "pyspark",
    "lifelines",
    "statsmodels",
)


def test_import_retention_imports_nothing_heavy() -> None:
    code = (
        f"import sys, retention; print(sorted(m for m in {HEAVY + OPTIONAL!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_command_answers_help_without_loading_pandas() -> None:
    # `retention --help` and usage errors answer at once: numpy, pandas and the library load when a
    # command runs.
    code = (
        "import sys, contextlib, io\n"
        "from retention.cli import main\n"
        "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['kpis', '--help'])\n"
        "print(sorted(m for m in ('numpy', 'pandas', 'scipy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_import_retention_imports_no_library_until_a_name_is_used() -> None:
    code = (
        "import sys, retention as rt; before = sorted(m for m in ('numpy', 'pandas', 'scipy') "
        "if m in sys.modules); rt.kpis; after = 'pandas' in sys.modules; print(before, after)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[] True"


def test_every_public_name_imports_without_optional_dependencies() -> None:
    names = "[getattr(rt, n) for n in rt.__all__]"
    code = (
        f"import sys, retention as rt; {names}; "
        f"print(sorted(m for m in {HEAVY + OPTIONAL!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_every_public_name_is_found_where_it_is_declared() -> None:
    import retention as rt

    assert set(rt._WHERE) == {*rt.__all__, "plot"}
    for name in rt.__all__:
        assert getattr(rt, name) is not None
        assert name in dir(rt)


def test_the_first_fit_imports_the_optimiser() -> None:
    code = (
        "import sys, retention as rt; "
        "rt.BetaGeo.fit(rt.rfm_summary(rt.example_transactions(), time_unit='W')); "
        "print('scipy.optimize' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"


def test_importing_the_report_module_keeps_the_report_function() -> None:
    code = (
        "import retention as rt; from retention.report import KPI_LABELS; import retention.report; "
        "print(callable(rt.report), rt.report.__module__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True retention.report"


def test_every_module_works_without_docstrings() -> None:
    # python -OO strips docstrings: the shared docstring entries are then not written, never required.
    code = (
        "import importlib, pkgutil, retention as rt\n"
        "for m in pkgutil.walk_packages(rt.__path__, 'retention.'):\n"
        "    importlib.import_module(m.name)\n"
        "tx = rt.example_transactions()\n"
        "s = rt.rfm_summary(tx)\n"
        "print(int(rt.kpis(tx)['customers']), rt.kpis.__doc__, round(rt.BetaGeo.fit(s).r, 3))\n"
    )
    out = subprocess.run(
        [sys.executable, "-OO", "-c", code], capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["3000", "None", "0.278"]
