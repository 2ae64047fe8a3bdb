"""Residual blocks with a normalized branch, the chapter Normalization's initializer, and
orthogonal draws in the spread of log-norms."""

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import reluprop as rp
from reluprop import normalization as nm
from reluprop.gradcheck import numerical_gradient

AXIS = {"layer": 1, "batch": 0}
NAMES = ("W1", "b1", "gamma", "beta", "W2", "b2")


def _autograd_norm(z, gamma, beta, eps, axis):
    """Normalization written again in autograd.numpy, from its definition."""
    mu = anp.mean(z, axis=axis, keepdims=True)
    var = anp.mean((z - mu) ** 2, axis=axis, keepdims=True)
    return gamma * (z - mu) / anp.sqrt(var + eps) + beta


F = {"relu": lambda z: anp.where(z > 0, z, 0.0), "tanh": anp.tanh}


@st.composite
def residual_nets(draw):
    norm = draw(st.sampled_from(["layer", "batch"]))
    depth = draw(st.integers(1, 3))
    n, m = draw(st.integers(2, 5)), draw(st.integers(2, 5))
    batch = draw(st.integers(2, 5))
    activation = draw(st.sampled_from(["relu", "tanh"]))
    alpha = draw(st.sampled_from([0.0, 0.3, 1.0, 2.5]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    blocks = [nm.NormalizedResidualBlock(rng.standard_normal((n, m)), rng.standard_normal(m),
                                         rng.standard_normal((m, n)), rng.standard_normal(n),
                                         1 + 0.3 * rng.standard_normal(m), rng.standard_normal(m),
                                         norm=norm, alpha=alpha, eps=0.01)
              for _ in range(depth)]
    net = rp.Network(blocks, activation, activation)  # every branch uses the same f
    x, y = rng.standard_normal((batch, n)), rng.standard_normal((batch, n))
    return net, x, y, activation


def _autograd_cost(net, y, activation):
    f = F[activation]

    def cost(flat, x):
        r = x
        for k, block in enumerate(net.layers):
            W1, b1, g, be, W2, b2 = flat[6 * k: 6 * k + 6]
            h = f(_autograd_norm(anp.dot(r, W1) + b1, g, be, block.branch.eps, AXIS[block.branch.norm]))
            r = r + block.alpha * (anp.dot(h, W2) + b2)
        return 0.5 * anp.sum((r - y) ** 2) / x.shape[0]

    return cost


@settings(max_examples=50, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(residual_nets())
def test_normalized_residual_blocks_match_autograd(case):
    net, x, y, activation = case
    grads = net.backward(net.forward(x), y)
    cost = _autograd_cost(net, y, activation)
    flat = [block.params[name] for block in net.layers for name in NAMES]
    ref, dx_ref = autograd.grad(cost, 0)(flat, x), autograd.grad(cost, 1)(flat, x)
    for k, g in enumerate(grads.params):
        for i, name in enumerate(NAMES):
            np.testing.assert_allclose(g[name], ref[6 * k + i], rtol=1e-9, atol=1e-10, err_msg=f"{name}[{k}]")
    np.testing.assert_allclose(grads.dr[0], dx_ref, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(net.cost(x, y), cost(flat, x), rtol=1e-12)


@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(residual_nets())
def test_normalized_residual_blocks_match_central_differences(case):
    net, x, y, activation = case
    trace = net.forward(x)
    if activation == "relu":  # stay away from the kink of the branch's ReLU
        assume(all(np.min(np.abs(c[1][0])) > 1e-4 for c in trace.cache))  # cache = (h, (u, norm cache))
    grads = net.backward(trace, y)
    for k, block in enumerate(net.layers):
        for name in NAMES:
            def cost(v, k=k, name=name, block=block):
                p = dict(block.params)
                p[name] = v
                new = nm.NormalizedResidualBlock(p["W1"], p["b1"], p["W2"], p["b2"], p["gamma"], p["beta"],
                                                 norm=block.branch.norm, alpha=block.alpha, eps=block.branch.eps)
                layers = net.layers[:k] + [new] + net.layers[k + 1:]
                return rp.Network(layers, activation, activation).cost(x, y)
            num = numerical_gradient(cost, block.params[name], h=1e-6)
            np.testing.assert_allclose(grads.params[k][name], num, rtol=1e-5, atol=1e-7, err_msg=f"{name}[{k}]")
    np.testing.assert_allclose(grads.dr[0], numerical_gradient(lambda xx: net.cost(xx, y), x, h=1e-6),
                               rtol=1e-5, atol=1e-7)


def test_zero_branch_scale_is_the_identity():
    rng = np.random.default_rng(3)
    block = nm.NormalizedResidualBlock(rng.standard_normal((4, 6)), None, rng.standard_normal((6, 4)), alpha=0.0)
    x = rng.standard_normal((3, 4))
    net = rp.Network([block], "relu", "identity")
    np.testing.assert_array_equal(net.forward(x).y_hat, x)
    assert repr(block) == "NormalizedResidualBlock(n=4, m=6, norm='layer', alpha=0)"
    assert block.n_in == block.n_out == 4


@pytest.mark.parametrize("norm", ["layer", "batch"])
def test_normalized_residual_variance_grows_linearly(norm):
    """eq-normalized-residual-variance: E[||r^(k)||^2] / n = E[x^2] + k alpha^2, within a stated band."""
    rng = np.random.default_rng(11)
    depth, width, alpha = 30, 64, 0.7
    ratios = []
    for _ in range(8):
        net = rp.Network(nm.init_normalized_blocks(width, depth, norm, residual=True, alpha=alpha, rng=rng))
        x = rng.standard_normal((32, width))
        ratios.append([np.mean(r * r) / np.mean(x * x) for r in net.forward(x).r])
    measured = np.mean(ratios, axis=0)
    predicted = 1.0 + np.arange(depth + 1) * alpha**2
    np.testing.assert_allclose(measured, predicted, rtol=0.1)


def test_init_normalized_blocks_kinds():
    rng = np.random.default_rng(0)
    assert all(isinstance(b, rp.Layer) for b in nm.init_normalized_blocks(4, 3, None, rng=rng))
    assert all(isinstance(b, nm.NormalizedLayer) and b.norm == "batch"
               for b in nm.init_normalized_blocks(4, 3, "batch", rng=rng))
    assert all(isinstance(b, rp.residual.ResidualBlock) if hasattr(rp, "residual") else True
               for b in nm.init_normalized_blocks(4, 3, None, residual=True, alpha=0.5, rng=rng))
    blocks = nm.init_normalized_blocks(4, 3, "layer", residual=True, alpha=0.5, rng=rng)
    assert all(isinstance(b, nm.NormalizedResidualBlock) and b.alpha == 0.5 for b in blocks)


def test_normalization_makes_the_plain_net_scale_free():
    x = np.random.default_rng(5).standard_normal((8, 16))
    outs = [rp.Network(nm.init_normalized_blocks(16, 10, "layer", scale=s, rng=np.random.default_rng(1)))
            .forward(x).y_hat for s in (0.5, 1.0, 3.0)]
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-4, atol=1e-6)  # eps makes it approximate
    np.testing.assert_allclose(outs[2], outs[1], rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("kwargs, exc, word", [
    (dict(width=1, depth=2, norm="layer"), ValueError, "width"),
    (dict(width=4, depth=0, norm="layer"), ValueError, "depth"),
    (dict(width=4, depth=2, norm="group"), ValueError, "norm"),
    (dict(width=4, depth=2, norm="layer", residual=1), TypeError, "residual"),
    (dict(width=4, depth=2, norm="layer", residual=True, alpha=-1.0), ValueError, "alpha"),
    (dict(width=4, depth=2, norm="layer", scale=0.0), ValueError, "scale"),
    (dict(width=4, depth=2, norm=None, residual=True, scale=2.0), ValueError, "scale"),
])
def test_init_normalized_blocks_bad_input(kwargs, exc, word):
    with pytest.raises(exc, match=word):
        nm.init_normalized_blocks(**kwargs, rng=np.random.default_rng(0))


def test_normalized_residual_block_bad_input():
    rng = np.random.default_rng(0)
    with pytest.raises(TypeError, match="W2"):
        nm.NormalizedResidualBlock(rng.standard_normal((3, 4)))
    with pytest.raises(ValueError, match="W2"):
        nm.NormalizedResidualBlock(rng.standard_normal((3, 4)), None, rng.standard_normal((3, 4)))
    with pytest.raises(ValueError, match="alpha"):
        nm.NormalizedResidualBlock(rng.standard_normal((3, 4)), None, rng.standard_normal((4, 3)), alpha=np.inf)
    with pytest.raises(ValueError, match="n_out"):
        nm.NormalizedResidualBlock(rng.standard_normal((3, 1)), None, rng.standard_normal((1, 3)))


# ---------------------------------------------------------------- orthogonal draws in the spread of log-norms
def test_log_grad_spread_with_orthogonal_weights():
    rng = np.random.default_rng(4)
    s = rp.variance.log_grad_spread(10, 32, 300, rng=rng, weights="orthogonal")
    mean_square = float(np.mean(np.exp(2 * s.finite)))
    assert abs(mean_square - 1.0) < 0.15  # He's mean square, whatever the weights' distribution
    with pytest.raises(ValueError, match="weights"):
        rp.variance.log_grad_spread(10, 32, 3, rng=rng, weights="uniform")


def test_log_grad_spread_gaussian_default_is_unchanged():
    a = rp.variance.log_grad_spread(5, 8, 4, rng=np.random.default_rng(9))
    b = rp.variance.log_grad_spread(5, 8, 4, rng=np.random.default_rng(9), weights="gaussian")
    np.testing.assert_array_equal(a.log_norms, b.log_norms)


def test_plot_layer_profiles():
    fig = rp.plotting.plot_layer_profiles({"a": [1.0, 0.1, 0.01], "b": [1.0, 2.0, 4.0]}, title="t")
    ax = fig.axes[0]
    assert len(ax.lines) == 2 and ax.get_yscale() == "log" and ax.get_title() == "t"
    import matplotlib.pyplot as plt
    plt.close(fig)
