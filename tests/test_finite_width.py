"""The finite-width model of the log of the backpropagated signal (reluprop.finite_width)."""

import math

import numpy as np
import pytest

import reluprop as rp
from reluprop import finite_width as fw


def _model_draws(n, draws, rng):
    """ln of sqrt((2/n) chi^2_M), M ~ Binomial(n, 1/2) conditioned on M >= 1, by sampling."""
    m = rng.binomial(n, 0.5, size=draws)
    m = m[m >= 1]
    return 0.5 * np.log(2.0 / n * rng.chisquare(m))


@pytest.mark.parametrize("n", [1, 2, 3, 7, 20, 101])
def test_layer_moments_match_sampling(n):
    rng = np.random.default_rng(n)
    x = _model_draws(n, 400_000, rng)
    mean, var = fw.layer_log_factor_moments(n)
    se_mean = math.sqrt(var / x.size)
    assert abs(x.mean() - mean) < 5 * se_mean
    assert abs(x.var() - var) < 0.03 * var


def test_digamma_and_trigamma_closed_forms():
    # psi(1) = -gamma, psi(1/2) = -gamma - 2 ln 2, psi'(1) = pi^2/6, psi'(1/2) = pi^2/2
    m = np.array([2, 1, 4, 3])
    psi = fw._psi_half(m)
    tri = fw._trigamma_half(m)
    g = fw._EULER_GAMMA
    assert np.allclose(psi, [-g, -g - 2 * math.log(2), 1 - g, 2 - g - 2 * math.log(2)], atol=1e-14)
    assert np.allclose(tri, [math.pi**2 / 6, math.pi**2 / 2, math.pi**2 / 6 - 1,
                             math.pi**2 / 2 - 4], atol=1e-14)


def test_wide_layers_approach_five_quarters():
    for n in (1000, 4000):
        mean, var = fw.layer_log_factor_moments(n)
        assert abs(n * var - 1.25) < 2.5 / n * 10
        assert abs(-n * mean - 1.25) < 2.5 / n * 10
    # the finite-width constant decreases towards 5/4
    consts = [fw.layer_log_factor_moments(n)[1] * n for n in (10, 20, 50, 100, 200)]
    assert all(a > b > 1.25 for a, b in zip(consts, consts[1:]))


def test_predictions_sum_over_layers():
    widths = [20, 50, 50, 100]
    mean, var = fw.log_norm_prediction(widths)
    parts = [fw.layer_log_factor_moments(n) for n in widths]
    assert math.isclose(mean, sum(p[0] for p in parts))
    assert math.isclose(var, sum(p[1] for p in parts))
    wm, wv = fw.wide_layer_prediction(widths)
    beta = sum(1 / n for n in widths)
    assert math.isclose(wv, 1.25 * beta) and math.isclose(wm, -1.25 * beta)


def test_model_agrees_with_measured_networks():
    rng = np.random.default_rng(5)
    s = rp.variance.log_grad_spread(10, 20, 600, rng=rng)
    mean, var = fw.log_norm_prediction([20] * 10)
    # sampling error of the variance with 600 draws is about 6%; of the mean about 0.05
    assert abs(s.std**2 - var) < 0.25 * var
    assert abs(s.mean - mean) < 4 * math.sqrt(var / 600)


@pytest.mark.parametrize("bad, exc", [(0, ValueError), (2.5, TypeError), ("20", TypeError)])
def test_bad_width(bad, exc):
    with pytest.raises(exc, match="width"):
        fw.layer_log_factor_moments(bad)


def test_bad_widths():
    with pytest.raises(ValueError, match="widths"):
        fw.log_norm_prediction([])
    with pytest.raises(TypeError, match="widths"):
        fw.wide_layer_prediction(20)
    with pytest.raises(ValueError, match="widths"):
        fw.wide_layer_prediction([20, 0])
