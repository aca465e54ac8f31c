"""Set-up for every test and doctest (tests, the docstrings in src/retention, the pages in docs).

Figures are drawn off screen, and each test or doctest closes the figures it opened, so that an example of a
plot ends as a notebook cell does, with the check of what it drew, and no test leaks figures into the next.
matplotlib is never imported here: a run that plots nothing does not import it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import pytest


def pytest_configure(config: pytest.Config) -> None:
    """Draw with matplotlib's Agg backend, which needs no display; chosen before matplotlib is imported."""
    os.environ["MPLBACKEND"] = "Agg"
    matplotlib = sys.modules.get("matplotlib")
    if matplotlib is not None:  # imported already by a plugin: the variable comes too late for it
        matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    """Close the figures the test opened, if it imported matplotlib's pyplot (or one before it did)."""
    pyplot = sys.modules.get("matplotlib.pyplot")
    before = set(pyplot.get_fignums()) if pyplot is not None else set()
    yield
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        for number in set(pyplot.get_fignums()) - before:
            pyplot.close(number)
