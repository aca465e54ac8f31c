"""The exact total of amounts, as ``retention.core.sums.group_sums`` defines it: an independent reference."""

from __future__ import annotations

import math
from collections.abc import Iterable
from fractions import Fraction


def _cents(value: float) -> int | None:
    """The integer c when the float is the one nearest to c / 100, else None."""
    if not math.isfinite(value):
        return None
    c = round(Fraction(value) * 100)
    return c if float(Fraction(c, 100)) == value else None


def exact_total(values: Iterable[float]) -> float:
    """Whole cents: the decimal total, correctly rounded; other floats: their exact sum (math.fsum)."""
    values = [float(v) for v in values]
    cents = [_cents(v) for v in values]
    if all(c is not None for c in cents):
        return float(sum((Fraction(c, 100) for c in cents if c is not None), Fraction(0)))
    return math.fsum(values)
