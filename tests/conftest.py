"""Shared test set-up: hypothesis profiles, the reference data and the rule that CI never skips for data.

The published data sets ship with the package (``rt.load_cdnow()`` and the like), so no test needs the
folder ``../shared/data`` beside the project. Only tests marked ``reference_copy``, which compare the packaged
files with that folder, may skip when it is absent; in CI (``CI`` set in the environment) any other test that
skips for missing reference data fails instead, so that a published result can never go unchecked there.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

pytest_plugins = ["pytester"]  # tests/test_datasets.py runs the CI rule below on a small test file

# Extend hypothesis's built-in `ci` profile (derandomized, no deadline, print the blob) rather than replace it.
settings.register_profile(
    "ci",
    parent=settings.get_profile("ci"),
    max_examples=60,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=100, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
# Every skip for absent reference data says this, so that the CI rule below can recognise it.
MISSING_DATA = "reference data not found"


@pytest.fixture
def shared_data() -> Path:
    """The folder of published reference data beside the project; skips the test when it is absent.

    Tests that reproduce published results use the packaged copies (``rt.load_cdnow()`` etc.) instead.
    """
    if not SHARED_DATA.is_dir():
        pytest.skip(f"{MISSING_DATA} at {SHARED_DATA} (../shared/data beside the project)")
    return SHARED_DATA


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "reference_copy: compares packaged data with ../shared/data; may skip when that folder is absent",
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """In CI, turn a skip for missing reference data into a failure (except in ``reference_copy`` tests)."""
    report = yield
    if (
        os.environ.get("CI")
        and report.skipped
        and not hasattr(report, "wasxfail")
        and MISSING_DATA in str(report.longrepr)
        and item.get_closest_marker("reference_copy") is None
    ):
        # A skip's longrepr is (file, line, "Skipped: reason").
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = (
            f"{item.nodeid} skipped for missing reference data in CI ({reason}). Load the "
            "packaged copy instead (rt.load_cdnow(), rt.load_donations(), rt.load_sbg_survival()), or "
            "mark a test that only compares copies with @pytest.mark.reference_copy."
        )
    return report


# --- clusters: started once per test session, on the loopback address only, stopped at the end ----------


@pytest.fixture(scope="session")
def dask_client() -> Generator[Any, None, None]:
    """A Dask ``LocalCluster`` of two worker processes on 127.0.0.1, and its client."""
    pytest.importorskip("dask.dataframe")
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        # The scheduler's HTTP server (dashboard, metrics) on a free port of the loopback address.
        dashboard_address="127.0.0.1:0",
        worker_dashboard_address="127.0.0.1:0",
    )
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


@pytest.fixture(scope="session")
def spark_session() -> Generator[Any, None, None]:
    """A ``local[2]`` Spark session bound to 127.0.0.1, with a session time zone other than UTC."""
    pytest.importorskip("pyspark")
    os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    import warnings

    from pyspark.sql import SparkSession

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # "does not yet fully support pandas >= 3.0"
        spark = (
            SparkSession.builder.master("local[2]")
            .appName("retention-tests")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "3")
            .config("spark.sql.session.timeZone", "America/New_York")
            .getOrCreate()
        )
    spark.sparkContext.setLogLevel("ERROR")
    yield spark
    spark.stop()


@pytest.fixture
def dask_table(dask_client: Any) -> Any:
    """Put a pandas table on the Dask cluster, in three partitions (customers split across them)."""
    import dask.dataframe as dd

    return lambda tx: dd.from_pandas(tx, npartitions=3, sort=False)


@pytest.fixture
def spark_table(spark_session: Any) -> Any:
    """Put a pandas table on the Spark session (the extra ``note`` column left out as Spark types it)."""

    def make(tx: Any) -> Any:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            return spark_session.createDataFrame(tx)

    return make
