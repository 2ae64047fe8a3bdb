"""Variance at initialization: measurement against the theory, finite-width spread, dead units."""

import warnings

import numpy as np
import pytest

import reluprop as rp
from reluprop import variance as V


# --------------------------------------------------- theory vs measurement
@pytest.mark.parametrize(
    "activation, scheme, scale, slope",
    [("relu", "he", 1.0, 0.0), ("relu", "xavier", 1.0, 0.0), ("leaky_relu", "he", 1.0, 0.5),
     ("relu", "he", 1.3, 0.0)],
)
@pytest.mark.slow
def test_forward_variance_matches_measurement_at_several_widths(activation, scheme, scale, slope):
    rng = np.random.default_rng(11)
    exp = V.forward_variance_experiment(5, (16, 64, 256), scheme, scale, activation, rng=rng,
                                        slope=slope, batch=32, draws=32)
    log_err = np.max(np.abs(np.log(exp.measured / exp.predicted)), axis=1)
    # Finite width: the per-network value fluctuates more at small n; averages over 32 draws.
    assert np.all(log_err < [0.5, 0.25, 0.15]), log_err
    assert exp.max_log_error() == pytest.approx(log_err.max())


@pytest.mark.parametrize("activation, scheme, slope", [("relu", "he", 0.0), ("relu", "xavier", 0.0),
                                                       ("leaky_relu", "he", 0.5)])
def test_backward_variance_matches_measurement(activation, scheme, slope):
    rng = np.random.default_rng(12)
    sizes = [64] * 7
    p = V.predicted_backward_variance(sizes, scheme, 1.0, activation, slope=slope)
    m = V.measured_backward_variance(sizes, scheme, 1.0, activation, slope=slope, rng=rng,
                                     batch=32, draws=32)
    assert p.shape == m.shape == (7,)
    assert np.max(np.abs(np.log(m / p))) < 0.25


@pytest.mark.slow
def test_xavier_shrinks_a_30_layer_relu_signal_by_2_to_the_minus_29():
    rng = np.random.default_rng(13)
    m = V.measured_forward_variance([256] * 31, "xavier", rng=rng, batch=32, draws=8)
    ratio = m[-1] / m[0]
    assert 0.5 < ratio / 2.0 ** -29 < 2.0, ratio / 2.0 ** -29
    he = V.measured_forward_variance([256] * 31, "he", rng=rng, batch=32, draws=8)
    assert 0.5 < he[-1] / he[0] < 2.0


def test_sigmoid_prediction_is_an_approximation_but_close_when_wide():
    rng = np.random.default_rng(14)
    exp = V.forward_variance_experiment(6, (256,), "xavier", 1.0, "sigmoid", rng=rng, batch=64, draws=8)
    assert exp.max_log_error() < 0.2


# ------------------------------------------------------------ finite width
@pytest.mark.slow
def test_fluctuation_spread_increases_with_depth_over_width():
    rng = np.random.default_rng(15)
    spreads = [V.log_grad_spread(L, 20, 150, rng=rng) for L in (2, 20, 200)]  # L/n = 0.1, 1, 10
    stds = [s.std for s in spreads]
    assert stds[0] < stds[1] < stds[2], stds
    assert stds[1] > 2 * stds[0] and stds[2] > 2 * stds[1], stds
    # the typical (geometric-mean) size falls with L/n although E||.||^2 is preserved
    means = [s.mean for s in spreads]
    assert means[0] > means[1] > means[2]
    assert [s.depth_over_width for s in spreads] == [0.1, 1.0, 10.0]
    assert all(s.log_norms.shape == (150,) for s in spreads)


def test_mean_square_of_the_backward_signal_is_preserved_at_he_init():
    rng = np.random.default_rng(16)
    s = V.log_grad_spread(5, 50, 400, rng=rng)
    assert np.mean(np.exp(2 * s.log_norms)) == pytest.approx(1.0, abs=0.1)


def test_dead_draws_are_reported_without_warnings():
    rng = np.random.default_rng(17)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = V.log_grad_spread(30, 6, 30, rng=rng)
        everything_dead = V.log_grad_spread(60, 2, 5, rng=rng)
    assert s.n_dead > 0
    assert everything_dead.n_dead == 5 and np.isnan(everything_dead.std) and np.isnan(everything_dead.mean)
    assert np.all(np.isneginf(s.log_norms[~np.isfinite(s.log_norms)]))
    assert np.isfinite(s.std) and s.finite.size == 30 - s.n_dead


def test_backward_from_matches_network_backward():
    rng = np.random.default_rng(18)
    net = rp.Network(rp.init_layers([3, 5, 4, 2], rng=rng))
    x, y = rng.standard_normal((6, 3)), rng.standard_normal((6, 2))
    trace = net.forward(x)
    grads = net.backward(trace, y)
    dr = V.backward_from(net, trace, grads.dr[-1])
    for a, b in zip(dr, grads.dr):
        np.testing.assert_allclose(a, b, rtol=1e-14, atol=1e-15)


# ------------------------------------------------------------ dead units
def test_dead_unit_fraction_by_hand():
    W0 = np.array([[1.0, -1.0, 0.5], [1.0, -2.0, -0.5]])
    W1 = np.array([[1.0], [1.0], [-1.0]])
    net = rp.Network([rp.Layer(W0), rp.Layer(W1)])
    x = np.array([[1.0, 2.0], [0.5, 0.1]])  # positive inputs: unit 1 is always off
    f = V.dead_unit_fraction(net, x)
    assert f.shape == (2,)
    np.testing.assert_allclose(f, [1 / 3, 0.0])


def test_dead_units_zero_bias_vs_negative_bias():
    rng = np.random.default_rng(19)
    layers = rp.init_layers([32] * 11, rng=rng)
    x = rng.standard_normal((128, 32))
    zero = V.dead_unit_fraction(rp.Network(layers), x)
    neg = V.dead_unit_fraction(rp.Network([rp.Layer(l.W, np.full(l.n_out, -1.0)) for l in layers]), x)
    assert zero[0] == 0.0
    assert neg.mean() > zero.mean() + 0.3
    with pytest.raises(TypeError, match="Network"):
        V.dead_unit_fraction(layers, x)


# ------------------------------------------------------------ bad inputs
def test_variance_bad_inputs():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="sizes"):
        V.predicted_forward_variance([4], "he")
    with pytest.raises(ValueError, match="scheme"):
        V.predicted_forward_variance([4, 4], "kaiming")
    with pytest.raises(ValueError, match="scale"):
        V.predicted_forward_variance([4, 4], "he", -1.0)
    with pytest.raises(ValueError, match="activation"):
        V.predicted_forward_variance([4, 4], "he", 1.0, "softplus")
    with pytest.raises(TypeError, match="rng"):
        V.measured_forward_variance([4, 4], rng=0)
    with pytest.raises(ValueError, match="draws"):
        V.log_grad_spread(3, 4, 1, rng=rng)
    with pytest.raises(ValueError, match="width"):
        V.log_grad_spread(3, 0, 5, rng=rng)
    with pytest.raises(TypeError, match="depth"):
        V.log_grad_spread(2.5, 4, 5, rng=rng)
    net = rp.Network(rp.init_layers([2, 3], rng=rng))
    with pytest.raises(ValueError, match="dr_out"):
        V.backward_from(net, net.forward(np.ones((2, 2))), np.ones((1, 3)))
