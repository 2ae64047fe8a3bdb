"""Orthogonal initialization and the input-output Jacobian's singular values."""

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import reluprop as rp
from reluprop import isometry as iso
from reluprop.gradcheck import numerical_gradient


# ---------------------------------------------------------------- orthogonal
@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.integers(1, 40), st.integers(1, 40), st.floats(0.0, 3.0), st.integers(0, 2**32 - 1))
def test_orthogonal_is_orthogonal(n_in, n_out, scale, seed):
    W = iso.orthogonal(n_in, n_out, rng=np.random.default_rng(seed), scale=scale)
    assert W.shape == (n_in, n_out)
    gram = W.T @ W if n_in >= n_out else W @ W.T
    np.testing.assert_allclose(gram, scale**2 * np.eye(min(n_in, n_out)), rtol=0, atol=1e-13 * max(1.0, scale**2))


def test_orthogonal_preserves_norms_and_is_deterministic():
    W = iso.orthogonal(7, 7, rng=np.random.default_rng(5), scale=np.sqrt(2))
    x = np.random.default_rng(6).standard_normal((3, 7))
    np.testing.assert_allclose(np.linalg.norm(x @ W, axis=1), np.sqrt(2) * np.linalg.norm(x, axis=1), rtol=1e-13)
    assert np.array_equal(W, iso.orthogonal(7, 7, rng=np.random.default_rng(5), scale=np.sqrt(2)))


def test_orthogonal_is_haar_distributed():
    """Haar measure is invariant under W -> -W on any column, so E[W] = 0 entrywise.

    QR without the sign correction fails this (its first column has a fixed sign
    pattern). 4000 draws of 3 x 3: every entry's mean within 4 standard errors of 0,
    and every entry's second moment 1/3 within 4 standard errors.
    """
    rng = np.random.default_rng(11)
    draws = np.stack([iso.orthogonal(3, 3, rng=rng) for _ in range(4000)])
    se_mean = np.sqrt(1 / 3 / 4000)
    assert np.all(np.abs(draws.mean(axis=0)) < 4 * se_mean), draws.mean(axis=0)
    sq = draws**2
    se_sq = sq.std(axis=0, ddof=1) / np.sqrt(4000)
    assert np.all(np.abs(sq.mean(axis=0) - 1 / 3) < 4 * se_sq)


def test_init_orthogonal_layers():
    layers = iso.init_orthogonal_layers([5, 8, 3], scale=2.0, rng=np.random.default_rng(0))
    assert [layer.W.shape for layer in layers] == [(5, 8), (8, 3)]
    np.testing.assert_allclose(layers[0].W @ layers[0].W.T, 4 * np.eye(5), atol=1e-13)
    np.testing.assert_allclose(layers[1].W.T @ layers[1].W, 4 * np.eye(3), atol=1e-13)
    assert all(not np.any(layer.b) for layer in layers)
    with_bias = iso.init_orthogonal_layers([20, 2000], rng=np.random.default_rng(1), bias_std=0.5)
    assert with_bias[0].b.std() == pytest.approx(0.5, rel=0.05)
    with pytest.raises(ValueError, match="bias_std"):
        iso.init_orthogonal_layers([2, 2], rng=np.random.default_rng(1), bias_std=-1.0)


# ---------------------------------------------------------------- the Jacobian
ACTS = {"relu": lambda z: anp.where(z > 0, z, 0.0), "tanh": anp.tanh, "identity": lambda z: z,
        "sigmoid": lambda z: 1.0 / (1.0 + anp.exp(-z))}


@st.composite
def dense_nets(draw):
    depth = draw(st.integers(1, 5))
    sizes = [draw(st.integers(1, 6)) for _ in range(depth + 1)]
    activation = draw(st.sampled_from(sorted(ACTS)))
    output_activation = draw(st.sampled_from(["identity", "relu", "tanh"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    layers = rp.init_layers(sizes, "he", rng=rng, bias_std=0.3)
    net = rp.Network(layers, activation, output_activation)
    x = rng.standard_normal((draw(st.integers(1, 4)), sizes[0]))
    return net, x


def _autograd_jacobian(net, x_row):
    f, f_out = ACTS[net.activation.name], ACTS[net.output_activation.name]

    def y(x):
        r = x
        for k, layer in enumerate(net.layers):
            z = anp.dot(r, layer.W) + layer.b
            r = f_out(z) if k == net.depth - 1 else f(z)
        return r

    return autograd.jacobian(y)(x_row)


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(dense_nets())
def test_jacobian_matches_autograd(case):
    net, x = case
    trace = net.forward(x)
    J = iso.input_output_jacobian(net.W, trace.z, net.activation, net.output_activation)
    assert J.shape == (x.shape[0], net.sizes[-1], net.sizes[0])
    for b in range(x.shape[0]):
        np.testing.assert_allclose(J[b], _autograd_jacobian(net, x[b]), rtol=1e-10, atol=1e-12)


@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(dense_nets())
def test_jacobian_matches_central_differences(case):
    net, x = case
    trace = net.forward(x)
    if net.activation.name == "relu" or net.output_activation.name == "relu":
        assume(all(np.min(np.abs(z)) > 1e-4 for z in trace.z[1:]))
    J = iso.input_output_jacobian(net.W, trace.z, net.activation, net.output_activation)
    for b in range(x.shape[0]):
        for i in range(net.sizes[-1]):
            num = numerical_gradient(lambda v: net.predict(v[None, :])[0, i], x[b], h=1e-6)
            np.testing.assert_allclose(J[b, i], num, rtol=1e-5, atol=1e-8)


def test_jacobian_rows_are_what_backward_computes():
    """dC/dx = dC/dyhat @ J (row convention), checked against the network's own backward."""
    rng = np.random.default_rng(8)
    net = rp.Network(rp.init_layers([4, 6, 5, 3], rng=rng), "relu", "identity")
    x, y = rng.standard_normal((5, 4)), rng.standard_normal((5, 3))
    trace = net.forward(x)
    grads = net.backward(trace, y)
    J = iso.input_output_jacobian(net.W, trace.z, "relu", "identity")
    dC_dyhat = rp.squared_error_grad(trace.y_hat, y)
    np.testing.assert_allclose(np.einsum("bi,bij->bj", dC_dyhat, J), grads.dr[0], rtol=1e-12, atol=1e-14)


def test_linear_orthogonal_network_is_an_exact_isometry():
    """Saxe et al. 2014: every singular value equals scale^L, at any depth."""
    rng = np.random.default_rng(9)
    layers = iso.init_orthogonal_layers([16] * 51, scale=1.0, rng=rng)
    net = rp.Network(layers, "identity", "identity")
    s = iso.jacobian_singular_values(net.W, net.forward(rng.standard_normal((2, 16))).z, "identity")
    np.testing.assert_allclose(s, 1.0, rtol=1e-11)


def _moments(activation, weights, n, L, draws, seed, batch=4):
    """Mean of lambda = s^2 and its normalized variance var/mean^2, per example, over draws."""
    rng = np.random.default_rng(seed)
    means, norm_vars = [], []
    for _ in range(draws):
        if weights == "orthogonal":
            layers = iso.init_orthogonal_layers([n] * (L + 1), np.sqrt(2) if activation == "relu" else 1.0, rng=rng)
        else:
            layers = rp.init_layers([n] * (L + 1), "he" if activation == "relu" else "lecun", rng=rng)
        net = rp.Network(layers, activation, activation)
        lam = iso.jacobian_singular_values(net.W, net.forward(rng.standard_normal((batch, n))).z, activation) ** 2
        means.extend(lam.mean(axis=1))
        norm_vars.extend(lam.var(axis=1) / lam.mean(axis=1) ** 2)
    return np.array(means), np.array(norm_vars)


def test_relu_he_mean_squared_singular_value_is_one():
    """mean(lambda) = ||J||_F^2 / n has expectation exactly 1 at He scale (any width).

    Width 32, depth 8, 60 draws x 4 examples; band: within 4 standard errors of 1.
    """
    for weights in ("gaussian", "orthogonal"):
        means, _ = _moments("relu", weights, 32, 8, 60, seed=10)
        se = means.std(ddof=1) / np.sqrt(means.size)
        assert abs(means.mean() - 1.0) < 4 * se, (weights, means.mean(), se)


@pytest.mark.parametrize("activation, weights", [("relu", "gaussian"), ("relu", "orthogonal"), ("identity", "gaussian")])
def test_spectrum_spread_matches_wide_network_theory(activation, weights):
    """var(lambda)/mean^2 at width 64, depth 4 (16 draws x 4 examples) within 10 % of eq-jacobian-spectrum.

    Theory (width to infinity): 2L (ReLU, Gaussian), L (ReLU, orthogonal), L (linear,
    Gaussian). At width 64 the measured values sit 5 to 7 % above it (finite width).
    """
    _, norm_vars = _moments(activation, weights, 64, 4, 16, seed=1)
    mean, var, _ = iso.predicted_jacobian_spectrum(4, activation, weights)
    assert norm_vars.mean() == pytest.approx(var / mean**2, rel=0.10)


def test_predicted_spectrum_special_cases():
    for L in (1, 10, 1000):
        assert iso.predicted_jacobian_spectrum(L, "relu", "gaussian")[:2] == pytest.approx((1.0, 2.0 * L))
        assert iso.predicted_jacobian_spectrum(L, "relu", "orthogonal")[:2] == pytest.approx((1.0, 1.0 * L))
        assert iso.predicted_jacobian_spectrum(L, "identity", "orthogonal")[:2] == pytest.approx((1.0, 0.0))
        assert iso.predicted_jacobian_spectrum(L, "identity", "gaussian")[:2] == pytest.approx((1.0, 1.0 * L))
    # tanh with tiny pre-activations is nearly linear: orthogonal weights give near-isometry
    mean, var, q = iso.predicted_jacobian_spectrum(100, "tanh", "orthogonal", q1=1e-4)
    assert mean == pytest.approx(1.0, abs=0.03) and var < 1e-3
    assert np.all(np.diff(q) < 0)  # without biases the pre-activations shrink with depth
    mean, var, _ = iso.predicted_jacobian_spectrum(100, "tanh", "gaussian", q1=1e-4)
    assert var / mean**2 == pytest.approx(100, rel=0.01)  # Gaussian weights alone add 1 per layer


@pytest.mark.parametrize("q_star", [1e-3, 0.01, 0.1, 1.0])
def test_critical_tanh(q_star):
    """chi = 1 and q* a fixed point; the theory then keeps mean(lambda) = 1 and q constant at any depth."""
    sw2, sb2 = iso.critical_tanh(q_star)
    assert sw2 > 1 and sb2 >= 0
    z = np.sqrt(q_star) * np.random.default_rng(0).standard_normal(2_000_000)
    assert sw2 * np.mean((1 - np.tanh(z) ** 2) ** 2) == pytest.approx(1.0, rel=2e-3)  # Monte Carlo, 2e6 samples
    assert sw2 * np.mean(np.tanh(z) ** 2) + sb2 == pytest.approx(q_star, rel=2e-3)
    mean, var, q = iso.predicted_jacobian_spectrum(500, "tanh", "orthogonal", sigma_w2=sw2, q1=q_star, sigma_b2=sb2)
    assert mean == pytest.approx(1.0, rel=1e-9)
    np.testing.assert_allclose(q, q_star, rtol=1e-9)
    assert iso.predicted_jacobian_spectrum(1, "tanh", "orthogonal", sigma_w2=sw2, q1=q_star, sigma_b2=sb2)[1] * 500 \
        == pytest.approx(var, rel=1e-9)  # the normalized variance grows linearly in L


# ---------------------------------------------------------------- bad input
def test_bad_input():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="n_in"):
        iso.orthogonal(0, 3, rng=rng)
    with pytest.raises(TypeError, match="n_out"):
        iso.orthogonal(3, 2.5, rng=rng)
    with pytest.raises(TypeError, match="rng"):
        iso.orthogonal(3, 3, rng=1)
    with pytest.raises(ValueError, match="scale"):
        iso.orthogonal(3, 3, rng=rng, scale=-1.0)
    W = [np.ones((3, 4)), np.ones((5, 2))]
    with pytest.raises(ValueError, match="chain"):
        iso.input_output_jacobian(W, [None, np.ones((1, 4)), np.ones((1, 2))])
    with pytest.raises(ValueError, match="z"):
        iso.input_output_jacobian([np.ones((3, 4))], [None, np.ones((1, 3))])
    with pytest.raises(ValueError, match="L \\+ 1"):
        iso.input_output_jacobian([np.ones((3, 4))], [None])
    with pytest.raises(TypeError, match="W"):
        iso.input_output_jacobian(np.ones((3, 4)), [None, np.ones((1, 4))])
    with pytest.raises(ValueError, match="weights"):
        iso.predicted_jacobian_spectrum(3, "relu", "uniform")
    with pytest.raises(ValueError, match="activation"):
        iso.predicted_jacobian_spectrum(3, "sigmoid")
    with pytest.raises(ValueError, match="sigma_w2"):
        iso.predicted_jacobian_spectrum(3, "relu", sigma_w2=0.0)
    with pytest.raises(ValueError, match="depth"):
        iso.predicted_jacobian_spectrum(0)
    with pytest.raises(ValueError, match="q_star"):
        iso.critical_tanh(0.0)
