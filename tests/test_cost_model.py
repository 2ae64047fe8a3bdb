"""The cost of a backward pass: multiply-adds counted, timings measured (never asserted)."""

import numpy as np
import pytest

import reluprop as rp
from reluprop import cost_model


# ---------------------------------------------------------------- cost_model
def test_multiply_adds_small_example_by_hand():
    c = cost_model.multiply_adds([4, 3, 2], batch=5)
    assert c.forward_per_layer == [60, 30]
    assert c.dW_per_layer == [60, 30]
    assert c.dr_per_layer == [0, 30]  # dr^(0) = dC/dx is not needed
    assert (c.forward, c.backward, c.backward_library) == (90, 120, 180)
    assert c.ratio == pytest.approx(120 / 90, rel=1e-15)
    assert c.elementwise_forward == 2 * 5 * (3 + 2)
    assert c.elementwise_backward == 2 * 5 * (3 + 2) + 5 * 2


@pytest.mark.parametrize("sizes,batch", [([1, 1], 1), ([3, 7, 7, 2], 11), ([10, 1, 10], 4), ([5] * 9, 2)])
def test_multiply_adds_identities(sizes, batch):
    c = cost_model.multiply_adds(sizes, batch)
    F = sum(batch * a * b for a, b in zip(sizes[:-1], sizes[1:]))
    assert c.forward == F
    assert c.backward_library == 2 * F
    assert c.backward == 2 * F - batch * sizes[0] * sizes[1]
    assert 1.0 <= c.ratio < 2.0
    assert c.sizes == tuple(sizes) and c.batch == batch


def test_multiply_adds_matches_the_shapes_of_the_library_products():
    """Each count is the product of the shapes of the matrices the library multiplies."""
    rng = np.random.default_rng(0)
    sizes, batch = [3, 5, 4, 2], 6
    net = rp.Network(rp.init_layers(sizes, rng=rng))
    x = rng.standard_normal((batch, sizes[0]))
    trace = net.forward(x)
    grads = net.backward(trace, rng.standard_normal((batch, sizes[-1])))
    c = cost_model.multiply_adds(sizes, batch)
    for k in range(net.depth):
        # r^(k) @ W^(k): (B, n_k) @ (n_k, n_{k+1}) costs B n_k n_{k+1}
        assert c.forward_per_layer[k] == trace.r[k].shape[0] * net.W[k].shape[0] * net.W[k].shape[1]
        # r^(k).T @ dz: (n_k, B) @ (B, n_{k+1})
        rT, dz = trace.r[k].T, grads.dz[k + 1]
        assert c.dW_per_layer[k] == rT.shape[0] * rT.shape[1] * dz.shape[1]
        # dz @ W^(k).T: (B, n_{k+1}) @ (n_{k+1}, n_k), not needed for k = 0
        if k >= 1:
            assert c.dr_per_layer[k] == dz.shape[0] * dz.shape[1] * net.W[k].T.shape[1]


@pytest.mark.parametrize("bad,exc", [([3], ValueError), ([3, 0], ValueError), ([3, 2.5], TypeError), (5, TypeError)])
def test_multiply_adds_rejects_bad_sizes(bad, exc):
    with pytest.raises(exc):
        cost_model.multiply_adds(bad, 2)


def test_multiply_adds_rejects_bad_batch():
    with pytest.raises(ValueError, match="batch"):
        cost_model.multiply_adds([2, 3], 0)
    with pytest.raises(TypeError, match="batch"):
        cost_model.multiply_adds([2, 3], 2.0)


def test_time_forward_backward_structure_only():
    """Wall-clock values are machine-dependent: check types and signs, never sizes."""
    rng = np.random.default_rng(1)
    net = rp.Network(rp.init_layers([4, 8, 3], rng=rng))
    x = rng.standard_normal((5, 4))
    y = rng.standard_normal((5, 3))
    out = cost_model.time_forward_backward(net, x, y, repeats=3)
    assert isinstance(out, tuple) and len(out) == 2
    assert all(isinstance(t, float) and t >= 0.0 for t in out)


def test_time_forward_backward_rejects_bad_input():
    rng = np.random.default_rng(1)
    net = rp.Network(rp.init_layers([2, 2], rng=rng))
    x, y = np.ones((1, 2)), np.ones((1, 2))
    with pytest.raises(TypeError, match="net"):
        cost_model.time_forward_backward("net", x, y)
    with pytest.raises(ValueError, match="repeats"):
        cost_model.time_forward_backward(net, x, y, repeats=0)
    with pytest.raises(ValueError, match="x"):
        cost_model.time_forward_backward(net, np.ones((1, 3)), y)
