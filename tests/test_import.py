"""What `import retention` costs: no optional dependency and none of scipy's slow subpackages.

scipy.stats, scipy.optimize and scipy.signal together took two thirds of the package's import time; the
library imports them where they are used (a fit, a long convolution), and uses scipy.special's
distribution functions (ndtr, chdtrc, stdtr) elsewhere.
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


def test_the_first_fit_imports_the_optimiser() -> None:
    code = (
        "import sys, retention as rt; "
        "rt.BetaGeo.fit(rt.rfm_summary(rt.example_transactions(), time_unit='W')); "
        "print('scipy.optimize' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"
