"""Layer and batch normalization: the hand-derived backward against autograd and central differences."""

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import reluprop as rp
from block_stack import cost_of, gradients, stack_forward  # tests/ is on sys.path
from reluprop import normalization as nm
from reluprop.gradcheck import numerical_gradient

PAIRS = {"layer": (nm.layer_norm_forward, nm.layer_norm_backward),
         "batch": (nm.batch_norm_forward, nm.batch_norm_backward)}
AXIS = {"layer": 1, "batch": 0}


def _autograd_norm(z, gamma, beta, eps, axis):
    """Normalization written again in autograd.numpy, from its definition."""
    mu = anp.mean(z, axis=axis, keepdims=True)
    var = anp.mean((z - mu) ** 2, axis=axis, keepdims=True)
    return gamma * (z - mu) / anp.sqrt(var + eps) + beta


@st.composite
def norm_cases(draw):
    norm = draw(st.sampled_from(["layer", "batch"]))
    batch = draw(st.integers(2 if norm == "batch" else 1, 7))
    n = draw(st.integers(2 if norm == "layer" else 1, 7))
    eps = draw(st.sampled_from([1e-5, 1e-2, 1.0]))
    z_scale = draw(st.sampled_from([0.1, 1.0, 10.0]))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((batch, n)) * z_scale + rng.standard_normal(n)
    gamma, beta = rng.standard_normal(n), rng.standard_normal(n)
    du = rng.standard_normal((batch, n))
    return norm, z, gamma, beta, eps, du


@settings(max_examples=100, deadline=None, derandomize=True)
@given(norm_cases())
def test_backward_matches_autograd(case):
    norm, z, gamma, beta, eps, du = case
    forward, backward = PAIRS[norm]
    u, cache = forward(z, gamma, beta, eps)
    dz, dgamma, dbeta = backward(du, cache)

    def cost(z_, g_, b_):
        return anp.sum(du * _autograd_norm(z_, g_, b_, eps, AXIS[norm]))

    np.testing.assert_allclose(u, _autograd_norm(z, gamma, beta, eps, AXIS[norm]), rtol=1e-12, atol=1e-12)
    for got, argnum in ((dz, 0), (dgamma, 1), (dbeta, 2)):
        ref = autograd.grad(cost, argnum)(z, gamma, beta)
        np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-10)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(norm_cases())
def test_backward_matches_central_differences(case):
    norm, z, gamma, beta, eps, du = case
    forward, backward = PAIRS[norm]
    dz, dgamma, dbeta = backward(du, forward(z, gamma, beta, eps)[1])
    # h relative to the scale of z: the function is smooth, so the error is O(h^2)
    h = 1e-6 * max(1.0, float(np.std(z)))
    num_z = numerical_gradient(lambda v: forward(v, gamma, beta, eps)[0], z, h=h, upstream=du)
    num_g = numerical_gradient(lambda v: forward(z, v, beta, eps)[0], gamma, h=1e-6, upstream=du)
    num_b = numerical_gradient(lambda v: forward(z, gamma, v, eps)[0], beta, h=1e-6, upstream=du)
    np.testing.assert_allclose(dz, num_z, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(dgamma, num_g, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(dbeta, num_b, rtol=1e-5, atol=1e-7)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(norm_cases(), st.floats(0.01, 100.0))
def test_scale_invariance_and_the_two_blind_directions(case, c):
    """norm(c z) with eps c^2 equals norm(z) with eps (degree-0 homogeneity); dz sums to 0 along the axis."""
    norm, z, gamma, beta, eps, du = case
    forward, backward = PAIRS[norm]
    u, cache = forward(z, gamma, beta, eps)
    u_c, cache_c = forward(c * z, gamma, beta, eps * c * c)
    np.testing.assert_allclose(u_c, u, rtol=1e-10, atol=1e-12)
    dz = backward(du, cache)[0]
    dz_c = backward(du, cache_c)[0]
    # rounding is relative to the terms before cancellation, |du * gamma| / sigma
    scale = np.abs(du * gamma).max() / cache.sigma.min() * z.shape[AXIS[norm]]
    np.testing.assert_allclose(dz_c, dz / c, rtol=1e-9, atol=1e-12 * scale / c)
    assert np.all(np.abs(dz.sum(axis=AXIS[norm])) <= 1e-12 * scale)


def test_dz_orthogonal_to_x_hat_when_eps_is_tiny():
    rng = np.random.default_rng(0)
    z = rng.standard_normal((5, 9)) * 3
    du = rng.standard_normal((5, 9))
    for norm, (forward, backward) in PAIRS.items():
        u, cache = forward(z, np.ones(9), np.zeros(9), 1e-14)
        dz = backward(du, cache)[0]
        inner = np.sum(dz * cache.x_hat, axis=AXIS[norm])
        assert np.max(np.abs(inner)) < 1e-10 * np.abs(dz).max()


def test_normalized_values():
    rng = np.random.default_rng(1)
    z = rng.standard_normal((6, 5)) * 4 + 2
    for norm, (forward, _) in PAIRS.items():
        u, _ = forward(z, np.ones(5), np.zeros(5), 1e-12)
        np.testing.assert_allclose(u.mean(axis=AXIS[norm]), 0.0, atol=1e-12)
        np.testing.assert_allclose((u * u).mean(axis=AXIS[norm]), 1.0, rtol=1e-10)


def test_batch_norm_couples_examples_layer_norm_does_not():
    rng = np.random.default_rng(2)
    z, du = rng.standard_normal((4, 3)), np.zeros((4, 3))
    du[0] = rng.standard_normal(3)  # upstream gradient on example 0 only
    for norm, (forward, backward) in PAIRS.items():
        dz = backward(du, forward(z, np.ones(3), np.zeros(3), 1e-5)[1])[0]
        others = np.abs(dz[1:]).max()
        assert (others > 1e-3) if norm == "batch" else (others == 0.0)


# ---------------------------------------------------------------- the normalized layer as a block
def _act(name):
    return rp.get_activation(name, slope=0.1)


def _autograd_f(name):
    return {"relu": lambda z: anp.where(z > 0, z, 0.0), "tanh": anp.tanh, "identity": lambda z: z,
            "leaky_relu": lambda z: anp.where(z > 0, z, 0.1 * z)}[name]


@st.composite
def normalized_nets(draw):
    norm = draw(st.sampled_from(["layer", "batch"]))
    depth = draw(st.integers(1, 3))
    sizes = [draw(st.integers(2, 6)) for _ in range(depth + 1)]
    batch = draw(st.integers(2, 6))
    activation = draw(st.sampled_from(["relu", "tanh", "identity", "leaky_relu"]))
    eps = draw(st.sampled_from([1e-5, 0.1]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    layers = [nm.NormalizedLayer(rng.standard_normal((a, b)), rng.standard_normal(b), 1 + 0.3 * rng.standard_normal(b),
                                 rng.standard_normal(b), norm=norm, eps=eps)
              for a, b in zip(sizes[:-1], sizes[1:])]
    x = rng.standard_normal((batch, sizes[0]))
    y = rng.standard_normal((batch, sizes[-1]))
    return layers, x, y, activation


NAMES = ("W", "b", "gamma", "beta")


def _autograd_ref(layers, x, y, activation):
    f = _autograd_f(activation)

    def cost(flat, xx):
        r = xx
        for k, layer in enumerate(layers):
            W, b, g, be = flat[4 * k: 4 * k + 4]
            r = f(_autograd_norm(anp.dot(r, W) + b, g, be, layer.eps, AXIS[layer.norm]))
        return 0.5 * anp.sum((r - y) ** 2) / xx.shape[0]

    flat = [layer.params[name] for layer in layers for name in NAMES]
    return autograd.grad(cost, 0)(flat, x), autograd.grad(cost, 1)(flat, x)


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(normalized_nets())
def test_normalized_layers_match_autograd(case):
    layers, x, y, activation = case
    dx, grads = gradients(layers, x, y, _act(activation))
    flat_ref, dx_ref = _autograd_ref(layers, x, y, activation)
    for k, g in enumerate(grads):
        for i, name in enumerate(NAMES):
            assert g[name].shape == layers[k].params[name].shape
            np.testing.assert_allclose(g[name], flat_ref[4 * k + i], rtol=1e-9, atol=1e-10, err_msg=f"{name}[{k}]")
    np.testing.assert_allclose(dx, dx_ref, rtol=1e-9, atol=1e-10)


@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(normalized_nets())
def test_normalized_layers_match_central_differences(case):
    layers, x, y, activation = case
    act = _act(activation)
    if activation in ("relu", "leaky_relu"):
        assume(all(np.min(np.abs(rec[3][0])) > 1e-4 for rec in stack_forward(layers, x, act)))
    dx, grads = gradients(layers, x, y, act)

    def cost(ls, xx):
        return cost_of(ls, xx, y, act)

    for k, layer in enumerate(layers):
        for name in NAMES:
            def replaced(v, k=k, name=name, layer=layer):
                p = dict(layer.params)
                p[name] = v
                return layers[:k] + [nm.NormalizedLayer(**p, norm=layer.norm, eps=layer.eps)] + layers[k + 1:]
            num = numerical_gradient(lambda v: cost(replaced(v), x), layer.params[name], h=1e-6)
            np.testing.assert_allclose(grads[k][name], num, rtol=1e-5, atol=1e-7, err_msg=f"{name}[{k}]")
    np.testing.assert_allclose(dx, numerical_gradient(lambda xx: cost(layers, xx), x, h=1e-6), rtol=1e-5, atol=1e-7)


def test_batch_norm_cancels_the_bias():
    rng = np.random.default_rng(3)
    layer = nm.NormalizedLayer(rng.standard_normal((4, 5)), rng.standard_normal(5), norm="batch")
    x, dr = rng.standard_normal((8, 4)), rng.standard_normal((8, 5))
    z, r, cache = layer.forward(x, "relu")
    dz, _, grads = layer.backward(dr, z, r, x, cache, "relu")
    assert np.abs(grads["b"]).max() <= 1e-14 * np.abs(dz).max() * 8
    shifted = nm.NormalizedLayer(layer.W, layer.b + 7.0, norm="batch")
    np.testing.assert_allclose(shifted.forward(x, "relu")[1], r, rtol=1e-12, atol=1e-12)


def test_block_attributes():
    layer = nm.NormalizedLayer(np.ones((3, 4)))
    assert (layer.n_in, layer.n_out) == (3, 4)
    assert set(layer.params) == set(NAMES)
    assert np.array_equal(layer.gamma, np.ones(4)) and not np.any(layer.beta) and not np.any(layer.b)


# ---------------------------------------------------------------- bad input
def test_normalizing_over_one_value_is_refused():
    with pytest.raises(ValueError, match="one unit"):
        nm.layer_norm_forward(np.ones((4, 1)), np.ones(1), np.zeros(1))
    with pytest.raises(ValueError, match="one example"):
        nm.batch_norm_forward(np.ones((1, 4)), np.ones(4), np.zeros(4))
    with pytest.raises(ValueError, match="n_out"):
        nm.NormalizedLayer(np.ones((3, 1)), norm="layer")
    layer = nm.NormalizedLayer(np.ones((3, 2)), norm="batch")
    with pytest.raises(ValueError, match="one example"):
        layer.forward(np.ones((1, 3)), "relu")


@pytest.mark.parametrize("eps, exc", [(0.0, ValueError), (-1e-5, ValueError), (np.nan, ValueError),
                                      (np.inf, ValueError), ("1e-5", TypeError)])
def test_bad_eps(eps, exc):
    for forward, _ in PAIRS.values():
        with pytest.raises(exc, match="eps"):
            forward(np.ones((3, 3)), np.ones(3), np.zeros(3), eps)
    with pytest.raises(exc, match="eps"):
        nm.NormalizedLayer(np.ones((3, 3)), eps=eps)


def test_bad_shapes_and_names():
    z = np.ones((3, 4))
    with pytest.raises(ValueError, match="gamma"):
        nm.layer_norm_forward(z, np.ones(3), np.zeros(4))
    with pytest.raises(ValueError, match="beta"):
        nm.batch_norm_forward(z, np.ones(4), np.zeros((1, 4)))
    with pytest.raises(ValueError, match="z must be a 2-D"):
        nm.layer_norm_forward(np.ones(4), np.ones(4), np.zeros(4))
    u, cache = nm.layer_norm_forward(np.arange(12.0).reshape(3, 4), np.ones(4), np.zeros(4))
    with pytest.raises(ValueError, match="du"):
        nm.layer_norm_backward(np.ones((3, 3)), cache)
    with pytest.raises(ValueError, match="layer normalization"):
        nm.batch_norm_backward(np.ones((3, 4)), cache)
    with pytest.raises(TypeError, match="cache"):
        nm.layer_norm_backward(np.ones((3, 4)), None)
    with pytest.raises(ValueError, match="norm"):
        nm.NormalizedLayer(np.ones((3, 3)), norm="group")
    with pytest.raises(ValueError, match="gamma"):
        nm.NormalizedLayer(np.ones((3, 3)), gamma=np.ones(2))
