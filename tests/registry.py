"""The registry of public functions that read a transaction table.

`tests/frames/test_common.py` runs one battery over every entry: bad input raises an error from
`retention.errors`, the input is never modified, row order never changes the result, an empty table gives an
empty result, and one customer, huge integer ids and timezone-aware dates work. Add every new public function
that takes a transaction table here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import retention as rt  # noqa: F401  # the entries below call rt.<function>


@dataclass(frozen=True)
class Entry:
    """One public function and how to call it on a transaction table."""

    name: str
    call: Callable[..., Any]  # call(tx) -> result, with the columns `customer_id`, `date`, `amount`
    needs_amount: bool = False


REGISTRY: list[Entry] = [
    # rates (frames/rates.py)
    # cohorts and survival (frames/cohorts.py)
    # kpis (frames/kpis.py)
]
