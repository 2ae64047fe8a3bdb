"""Residual blocks: backward against autograd and central differences, homogeneity, the variance recursion."""

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import reluprop as rp
from block_stack import cost_of, gradients, stack_backward, stack_forward  # tests/ is on sys.path
from reluprop import residual as res
from reluprop.gradcheck import numerical_gradient

SLOPE = 0.1
ACTIVATIONS = ["relu", "tanh", "sigmoid", "leaky_relu", "identity"]
NAMES = ("W1", "b1", "W2", "b2")


def _autograd_f(name):
    """The branch nonlinearities written again in autograd.numpy, independently of the library."""
    return {
        "relu": lambda z: anp.where(z > 0, z, 0.0),
        "leaky_relu": lambda z: anp.where(z > 0, z, SLOPE * z),
        "tanh": anp.tanh,
        "sigmoid": lambda z: 1.0 / (1.0 + anp.exp(-z)),
        "identity": lambda z: z,
    }[name]


def _act(name):
    return rp.get_activation(name, slope=SLOPE)


@st.composite
def residual_nets(draw):
    n = draw(st.integers(1, 6))
    m = draw(st.integers(1, 6))
    depth = draw(st.integers(1, 4))
    batch = draw(st.integers(1, 5))
    alpha = draw(st.floats(0.0, 2.0))
    activation = draw(st.sampled_from(ACTIVATIONS))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    blocks = [
        res.ResidualBlock(rng.standard_normal((n, m)), rng.standard_normal(m) * 0.5,
                          rng.standard_normal((m, n)), rng.standard_normal(n) * 0.5, alpha)
        for _ in range(depth)
    ]
    x = rng.standard_normal((batch, n))
    y = rng.standard_normal((batch, n))
    return blocks, x, y, activation


def _autograd_reference(blocks, x, y, activation):
    f = _autograd_f(activation)
    alphas = [b.alpha for b in blocks]

    def cost(flat, xx):
        r = xx
        for k, a in enumerate(alphas):
            W1, b1, W2, b2 = flat[4 * k: 4 * k + 4]
            r = r + a * (anp.dot(f(anp.dot(r, W1) + b1), W2) + b2)
        return 0.5 * anp.sum((r - y) ** 2) / xx.shape[0]

    flat = [p for b in blocks for p in (b.W1, b.b1, b.W2, b.b2)]
    return autograd.grad(cost, 0)(flat, x), autograd.grad(cost, 1)(flat, x)


def _clear_of_kinks(blocks, x, activation, margin=1e-4):
    if activation not in ("relu", "leaky_relu"):
        return True
    return all(np.min(np.abs(z)) >= margin for _, z, _, _ in stack_forward(blocks, x, _act(activation)))


@settings(max_examples=80, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(residual_nets())
def test_backward_matches_autograd(case):
    blocks, x, y, activation = case
    dx, grads = gradients(blocks, x, y, _act(activation))
    flat_ref, dx_ref = _autograd_reference(blocks, x, y, activation)
    for k, g in enumerate(grads):
        for i, name in enumerate(NAMES):
            np.testing.assert_allclose(g[name], flat_ref[4 * k + i], rtol=1e-10, atol=1e-12, err_msg=f"{name}[{k}]")
    np.testing.assert_allclose(dx, dx_ref, rtol=1e-10, atol=1e-12)


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(residual_nets())
def test_backward_matches_central_differences(case):
    blocks, x, y, activation = case
    assume(_clear_of_kinks(blocks, x, activation))
    act = _act(activation)
    dx, grads = gradients(blocks, x, y, act)

    def with_param(k, name, value):
        p = dict(blocks[k].params)
        p[name] = value
        changed = res.ResidualBlock(p["W1"], p["b1"], p["W2"], p["b2"], blocks[k].alpha)
        return blocks[:k] + [changed] + blocks[k + 1:]

    for k in range(len(blocks)):
        for name in NAMES:
            num = numerical_gradient(lambda v: cost_of(with_param(k, name, v), x, y, act),
                                     blocks[k].params[name], h=1e-6)
            np.testing.assert_allclose(grads[k][name], num, rtol=1e-5, atol=1e-8, err_msg=f"{name}[{k}]")
    num_x = numerical_gradient(lambda xx: cost_of(blocks, xx, y, act), x, h=1e-6)
    np.testing.assert_allclose(dx, num_x, rtol=1e-5, atol=1e-8)


def test_pure_pair_and_block_agree():
    rng = np.random.default_rng(1)
    block = res.init_residual_blocks(5, 1, branch_width=3, alpha=0.4, rng=rng)[0]
    r_prev, dr = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    z, h, r = res.residual_forward(r_prev, block.W1, block.b1, block.W2, block.b2, block.alpha, "relu")
    z2, r2, cache = block.forward(r_prev, "relu")
    assert np.array_equal(z, z2) and np.array_equal(r, r2) and np.array_equal(h, cache)
    out = res.residual_backward(dr, z, h, r_prev, block.W1, block.W2, block.alpha, "relu")
    dz, dr_prev, grads = block.backward(dr, z, r, r_prev, cache, "relu")
    assert np.array_equal(dz, out[0]) and np.array_equal(dr_prev, out[1])
    for name, g in zip(NAMES, out[2:]):
        assert np.array_equal(grads[name], g)
        assert grads[name].shape == block.params[name].shape
    assert (block.n_in, block.n_out, block.branch_width) == (5, 5, 3)
    assert z.shape == (4, 3) and r.shape == (4, 5)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.integers(1, 8), st.integers(1, 8), st.integers(1, 5), st.floats(0.0, 3.0),
       st.floats(0.01, 100.0), st.integers(0, 2**32 - 1))
def test_positive_homogeneity(n, m, depth, alpha, c, seed):
    """Zero biases and ReLU: the stack maps c x to c r^(L); weight gradients of a linear readout scale by c."""
    rng = np.random.default_rng(seed)
    blocks = res.init_residual_blocks(n, depth, branch_width=m, alpha=alpha, rng=rng)
    x = rng.standard_normal((3, n))
    dr_L = rng.standard_normal((3, n))
    act = _act("relu")
    rec1, rec_c = stack_forward(blocks, x, act), stack_forward(blocks, c * x, act)
    np.testing.assert_allclose(rec_c[-1][2], c * rec1[-1][2], rtol=1e-12, atol=1e-300)
    dx1, g1 = stack_backward(blocks, rec1, dr_L, act)
    dxc, gc = stack_backward(blocks, rec_c, dr_L, act)
    np.testing.assert_allclose(dxc, dx1, rtol=1e-12, atol=1e-14)
    for a, b in zip(g1, gc):
        np.testing.assert_allclose(b["W1"], c * a["W1"], rtol=1e-11, atol=1e-13 * c)
        np.testing.assert_allclose(b["W2"], c * a["W2"], rtol=1e-11, atol=1e-13 * c)
        np.testing.assert_allclose(b["b1"], a["b1"], rtol=1e-11, atol=1e-13)


def test_zero_branch_scale_is_the_identity():
    rng = np.random.default_rng(2)
    blocks = res.init_residual_blocks(6, 3, alpha=0.0, rng=rng)
    x, dr = rng.standard_normal((4, 6)), rng.standard_normal((4, 6))
    records = stack_forward(blocks, x, "relu")
    assert np.array_equal(records[-1][2], x)
    dx, grads = stack_backward(blocks, records, dr, "relu")
    assert np.array_equal(dx, dr)
    assert all(not np.any(g[name]) for g in grads for name in NAMES)


def test_zero_last_starts_at_the_identity_and_still_learns_W2():
    rng = np.random.default_rng(3)
    blocks = res.init_residual_blocks(8, 50, alpha=1.0, rng=rng, zero_last=True)
    x, dr = rng.standard_normal((5, 8)), rng.standard_normal((5, 8))
    records = stack_forward(blocks, x, "relu")
    assert np.array_equal(records[-1][2], x)
    dx, grads = stack_backward(blocks, records, dr, "relu")
    assert np.array_equal(dx, dr)
    assert all(np.linalg.norm(g["W2"]) > 0 and not np.any(g["W1"]) for g in grads)


def test_gradient_through_the_identity_path_never_vanishes():
    """(I + alpha J)^T: even with every ReLU of every branch off, dC/dr^(0) = dC/dr^(L)."""
    n, m = 4, 3
    W1 = -np.ones((n, m))
    blocks = [res.ResidualBlock(W1, None, np.ones((m, n)), None, 0.5) for _ in range(200)]
    x = np.ones((2, n))  # every z = -n < 0: all branches are off
    dr = np.arange(8.0).reshape(2, 4)
    dx, _ = stack_backward(blocks, stack_forward(blocks, x, "relu"), dr, "relu")
    assert np.array_equal(dx, dr)


# ---------------------------------------------------------------- the variance recursion
@pytest.mark.parametrize("alpha, zero_last", [(1.0, False), (0.5, False), (10 ** -0.5, False), (1.0, True)])
def test_forward_variance_recursion(alpha, zero_last):
    """E||r^(k)||^2 / ||x||^2 = (1 + alpha^2)^k (eq-residual-variance), 200 draws, width 32, depth 10.

    Band: the measured mean of every block's ratio within 4 standard errors of the
    prediction, and within 12 % (it is exact in expectation at any width).
    """
    depth, width, draws = 10, 32, 200
    rng = np.random.default_rng(2024)
    ratios = np.empty((draws, depth + 1))
    for d in range(draws):
        blocks = res.init_residual_blocks(width, depth, alpha=alpha, rng=rng, zero_last=zero_last)
        x = rng.standard_normal((4, width))
        sq0 = np.sum(x * x, axis=1)
        rs = [x] + [rec[2] for rec in stack_forward(blocks, x, "relu")]
        ratios[d] = [np.mean(np.sum(r * r, axis=1) / sq0) for r in rs]
    predicted = res.predicted_residual_variance(depth, alpha, zero_last)
    mean = ratios.mean(axis=0)
    se = ratios.std(axis=0, ddof=1) / np.sqrt(draws)
    if zero_last:
        np.testing.assert_allclose(mean, 1.0, rtol=0, atol=1e-12)
        return
    assert np.all(np.abs(mean - predicted) <= 4 * se + 1e-12), (mean, predicted, se)
    np.testing.assert_allclose(mean, predicted, rtol=0.12)


@pytest.mark.parametrize("alpha", [1.0, 10 ** -0.5])
def test_backward_variance_recursion(alpha):
    """E||dC/dr^(0)||^2 / ||dC/dr^(L)||^2 ~ (1 + alpha^2)^L for an upstream gradient independent of the weights.

    200 draws, width 32, depth 10; band: within 15 % of the prediction at every
    block (the recursion is the mean-field approximation across blocks).
    """
    depth, width, draws = 10, 32, 200
    rng = np.random.default_rng(7)
    ratios = np.empty((draws, depth + 1))
    for d in range(draws):
        blocks = res.init_residual_blocks(width, depth, alpha=alpha, rng=rng)
        x = rng.standard_normal((4, width))
        dr_L = rng.standard_normal((4, width))
        records = stack_forward(blocks, x, "relu")
        sq_L = np.sum(dr_L * dr_L, axis=1)
        dr, row = dr_L, [1.0]
        for k in reversed(range(depth)):
            r_prev, z, r, cache = records[k]
            _, dr, _ = blocks[k].backward(dr, z, r, r_prev, cache, "relu")
            row.append(np.mean(np.sum(dr * dr, axis=1) / sq_L))
        ratios[d] = row
    predicted = res.predicted_residual_variance(depth, alpha)
    np.testing.assert_allclose(ratios.mean(axis=0), predicted, rtol=0.15)


def test_predicted_residual_variance():
    L = 1000
    v = res.predicted_residual_variance(L, 1 / np.sqrt(L))
    assert v[0] == 1.0 and np.all(np.diff(v) > 0)
    assert v[-1] == pytest.approx((1 + 1 / L) ** L, rel=1e-12) and v[-1] < np.e
    assert res.predicted_residual_variance(2000, 1.0)[-1] == np.inf  # 2^2000 is beyond float64
    assert np.array_equal(res.predicted_residual_variance(5, 3.0, zero_last=True), np.ones(6))


def test_init_scales():
    rng = np.random.default_rng(4)
    blocks = res.init_residual_blocks(200, 20, branch_width=100, rng=rng)
    W1 = np.stack([b.W1 for b in blocks])
    W2 = np.stack([b.W2 for b in blocks])
    assert W1.var() == pytest.approx(2 / 200, rel=0.02)
    assert W2.var() == pytest.approx(1 / 100, rel=0.02)
    assert blocks[0].alpha == pytest.approx(1 / np.sqrt(20))
    again = res.init_residual_blocks(200, 20, branch_width=100, rng=np.random.default_rng(4))
    assert all(np.array_equal(a.W1, b.W1) and np.array_equal(a.W2, b.W2) for a, b in zip(blocks, again))


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("alpha, exc", [(-0.1, ValueError), (np.inf, ValueError), (np.nan, ValueError),
                                        ("1", TypeError), (True, TypeError), (None, TypeError)])
def test_bad_alpha(alpha, exc):
    with pytest.raises(exc, match="alpha"):
        res.ResidualBlock(np.ones((3, 2)), None, np.ones((2, 3)), None, alpha)
    if alpha is not None:
        with pytest.raises(exc, match="alpha"):
            res.init_residual_blocks(3, 2, alpha=alpha, rng=np.random.default_rng(0))
        with pytest.raises(exc, match="alpha"):
            res.predicted_residual_variance(3, alpha)


def test_widths_must_match():
    with pytest.raises(ValueError, match="W2 must have shape"):
        res.ResidualBlock(np.ones((3, 2)), None, np.ones((2, 4)), None, 1.0)
    with pytest.raises(ValueError, match="W2 must have shape"):
        res.ResidualBlock(np.ones((3, 2)), None, np.ones((3, 2)), None, 1.0)
    with pytest.raises(TypeError, match="W2"):
        res.ResidualBlock(np.ones((3, 2)))


@pytest.mark.parametrize("kwargs, exc, name", [
    (dict(b1=np.ones(3)), ValueError, "b1"),
    (dict(b2=np.ones(2)), ValueError, "b2"),
    (dict(W1=np.ones(3)), ValueError, "W1"),
    (dict(W1=np.full((3, 2), np.nan)), ValueError, "W1"),
    (dict(W2="a"), TypeError, "W2"),
])
def test_bad_parameters(kwargs, exc, name):
    args = dict(W1=np.ones((3, 2)), b1=None, W2=np.ones((2, 3)), b2=None, alpha=1.0)
    args.update(kwargs)
    with pytest.raises(exc, match=name):
        res.ResidualBlock(**args)


def test_bad_init_arguments():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="width"):
        res.init_residual_blocks(0, 3, rng=rng)
    with pytest.raises(ValueError, match="depth"):
        res.init_residual_blocks(3, 0, rng=rng)
    with pytest.raises(ValueError, match="branch_width"):
        res.init_residual_blocks(3, 2, branch_width=0, rng=rng)
    with pytest.raises(TypeError, match="rng"):
        res.init_residual_blocks(3, 2, rng=0)
    with pytest.raises(TypeError, match="zero_last"):
        res.init_residual_blocks(3, 2, rng=rng, zero_last="yes")
