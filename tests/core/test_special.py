"""Tests of the shared log-gamma differences (retention.core.clv.special), against mpmath at 40 digits."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from retention.core.clv import special

mp = pytest.importorskip("mpmath")

positive = st.floats(1e-3, 1e4)


@given(x=st.floats(1e-3, 1e7), h=st.floats(1e-12, 1e5), negative=st.floats(0.0, 0.999))
@example(
    x=21.534, h=1.0, negative=0.941
)  # x + h close to 1: shifted up before the asymptotic series
def test_digamma_difference_against_mpmath(x: float, h: float, negative: float) -> None:
    step = -x * negative if negative > 0 else h
    with mp.workdps(40):
        expected = float(mp.digamma(mp.mpf(x) + mp.mpf(step)) - mp.digamma(x))
    assert special.digamma_difference(x, step) == pytest.approx(expected, rel=1e-13)


@given(a=positive, b=positive, t=st.one_of(st.integers(0, 100_000), st.floats(1e-8, 1e5)))
@example(a=6.6339, b=0.041564, t=10_000)  # betaln differences lost 3e-11 here
@example(a=1.0, b=1e4, t=1)  # log(b / (a + b)): first differences of log-gamma lose 1e-11 here
@example(a=2.0, b=39.0, t=3)
def test_log_beta_ratio_against_mpmath(a: float, b: float, t: float) -> None:
    with mp.workdps(40):
        expected = float(mp.log(mp.beta(a, mp.mpf(b) + t) / mp.beta(a, b)))
    got = float(special.log_beta_ratio(a, b, float(t)))
    assert got == pytest.approx(expected, rel=1e-13, abs=1e-300)


@given(x=st.floats(1e-3, 1e7))
def test_stirling_remainder_against_mpmath(x: float) -> None:
    with mp.workdps(40):
        xx = mp.mpf(x)
        expected = float(mp.loggamma(xx) - (xx - 0.5) * mp.log(xx) + xx - mp.log(2 * mp.pi) / 2)
    got = float(special.stirling_remainder(np.array([x]))[0])
    assert got == pytest.approx(expected, rel=1e-13, abs=1e-14)  # gammaln's digits below 15


@given(
    u=st.floats(-1.0, 1.0),
    coefficients=st.lists(st.floats(-10.0, 10.0), min_size=1, max_size=8),
)
def test_chebyshev_weights_interpolate_polynomials_of_degree_seven_exactly(
    u: float, coefficients: list[float]
) -> None:
    weights = special.chebyshev_weights(np.array([u]))[:, 0]
    values = np.polynomial.polynomial.polyval(special.CHEBYSHEV_NODES, coefficients)
    expected = np.polynomial.polynomial.polyval(u, coefficients)
    assert weights.sum() == pytest.approx(1.0, abs=1e-13)
    assert float(weights @ values) == pytest.approx(
        expected, abs=1e-12 * (1 + sum(map(abs, coefficients)))
    )


def test_broadcast_floats_gives_float_arrays_of_one_shape_and_leaves_inputs_alone() -> None:
    column = np.array([[1], [2]])
    row = [0.5, 1.5, 2.5]
    x, y, z = special.broadcast_floats(column, row, 3)
    assert x.shape == y.shape == z.shape == (2, 3)
    assert x.dtype == y.dtype == z.dtype == np.float64
    np.testing.assert_array_equal(x, [[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]])
    np.testing.assert_array_equal(y[1], row)
    np.testing.assert_array_equal(column, [[1], [2]])
    assert column.dtype.kind == "i"
    with pytest.raises(ValueError, match="broadcast"):
        special.broadcast_floats([1.0, 2.0], [1.0, 2.0, 3.0])
