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


def whole_cents(values: Iterable[float]) -> bool:
    """Whether every value is a whole number of cents (prints with at most two decimals)."""
    return all(_cents(float(v)) is not None for v in values)


def decimal_total(values: Iterable[float]) -> float:
    """The sum of whole-cent values read as decimals, correctly rounded."""
    total = Fraction(0)
    for v in values:
        c = _cents(float(v))
        if c is None:
            msg = f"{v!r} is not a whole number of cents"
            raise ValueError(msg)
        total += Fraction(c, 100)
    return float(total)


def exact_total(values: Iterable[float]) -> float:
    """Whole cents: the decimal total, correctly rounded; other floats: their exact sum (math.fsum)."""
    values = [float(v) for v in values]
    return decimal_total(values) if whole_cents(values) else math.fsum(values)
