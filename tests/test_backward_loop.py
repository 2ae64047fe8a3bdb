"""The one backward loop: Network.backward_from, its hooks, and the block protocol."""

import numpy as np
import pytest

import reluprop as rp
from reluprop.gradcheck import numerical_gradient, rel_error


def _net(rng, sizes=(3, 5, 4, 2), output="identity"):
    return rp.Network(rp.init_layers(list(sizes), rng=rng, bias_std=0.1), "tanh", output)


def test_backward_is_backward_from_the_cost_gradient(rng):
    net = _net(rng)
    x, y = rng.standard_normal((6, 3)), rng.standard_normal((6, 2))
    trace = net.forward(x)
    a = net.backward(trace, y)
    b = net.backward_from(trace, rp.squared_error_grad(trace.y_hat, y))
    for name in ("dW", "db", "dz", "dr"):
        for u, v in zip(getattr(a, name), getattr(b, name)):
            assert (u is None and v is None) or np.array_equal(u, v)


def test_backward_from_is_the_gradient_of_a_linear_readout(rng):
    """dr_L = G is the gradient of C = sum(G * yhat): compare dW[0] with finite differences."""
    net = _net(rng)
    x, G = rng.standard_normal((4, 3)), rng.standard_normal((4, 2))
    grads = net.backward_from(net.forward(x), G)
    W = net.W

    def readout(W0):
        return float(np.sum(G * net.with_params([W0] + W[1:], net.b).predict(x)))

    num = numerical_gradient(readout, W[0], h=1e-6)
    assert rel_error(grads.dW[0], num) < 1e-7
    assert grads.params[0]["W"] is grads.dW[0] and grads.params[0]["b"] is grads.db[0]


def test_hook_sees_every_block_once_from_the_top_and_keep_false_keeps_only_the_ends(rng):
    net = _net(rng)
    trace = net.forward(rng.standard_normal((5, 3)))
    G = rng.standard_normal((5, 2))
    full = net.backward_from(trace, G)
    seen = {}

    def record(k, dz, dr_prev, grads):
        seen[k] = (np.linalg.norm(dr_prev), np.linalg.norm(grads["W"]))

    lean = net.backward_from(trace, G, on_block=record, keep=False)
    assert list(seen) == [2, 1, 0]
    for k, (dr_n, dW_n) in seen.items():
        assert dr_n == np.linalg.norm(full.dr[k]) and dW_n == np.linalg.norm(full.dW[k])
    assert np.array_equal(lean.dr[0], full.dr[0]) and lean.dr[1] is None and lean.dW[0] is None


def test_step_hook_replaces_the_per_layer_step(rng):
    net = _net(rng)
    trace = net.forward(rng.standard_normal((5, 3)))
    G = rng.standard_normal((5, 2))

    def doubled(k, block, dr, z, r, r_prev, cache, activation):
        dz, dr_prev, grads = block.backward(dr, z, r, r_prev, cache, activation)
        return dz, 2.0 * dr_prev, grads

    plain = net.backward_from(trace, G)
    twice = net.backward_from(trace, G, step=doubled)
    np.testing.assert_allclose(twice.dr[0], 8.0 * plain.dr[0], rtol=1e-14)


class _Residual:
    """A residual block r + alpha * (f(r W1 + b1) W2 + b2) written against the block protocol."""

    def __init__(self, W1, b1, W2, b2, alpha):
        self.params = {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
        self.alpha = alpha
        self.n_in = self.n_out = W1.shape[0]

    def forward(self, r_prev, activation):
        p = self.params
        z, h = rp.forward_step(r_prev, p["W1"], p["b1"], activation)
        return z, r_prev + self.alpha * (h @ p["W2"] + p["b2"]), h

    def backward(self, dr, z, r, r_prev, cache, activation):
        p, h = self.params, cache
        du = self.alpha * dr
        dh = du @ p["W2"].T
        dz, dr_branch, dW1, db1 = rp.backward_step(dh, z, r_prev, p["W1"], activation)
        return dz, dr + dr_branch, {"W1": dW1, "b1": db1, "W2": h.T @ du, "b2": du.sum(axis=0)}


def test_a_new_block_plugs_into_the_same_loop(rng):
    n, m = 3, 4
    res = _Residual(rng.standard_normal((n, m)), rng.standard_normal(m),
                    rng.standard_normal((m, n)), rng.standard_normal(n), 0.5)
    net = rp.Network([res, rp.Layer(rng.standard_normal((n, 2)))], "tanh", "identity")
    assert net.W[0] is None and net.sizes == [3, 3, 2]
    x, y = rng.standard_normal((5, n)), rng.standard_normal((5, 2))
    trace = net.forward(x)
    grads = net.backward(trace, y)
    assert grads.dW[0] is None and set(grads.params[0]) == {"W1", "b1", "W2", "b2"}
    for name, value in res.params.items():
        def cost(theta, name=name, value=value):
            res.params[name] = theta
            try:
                return net.cost(x, y)
            finally:
                res.params[name] = value

        assert rel_error(grads.params[0][name], numerical_gradient(cost, value, h=1e-6)) < 1e-7, name


def test_backward_from_rejects_bad_input(rng):
    net = _net(rng)
    trace = net.forward(rng.standard_normal((5, 3)))
    with pytest.raises(ValueError, match="dr_L must have shape"):
        net.backward_from(trace, np.ones((5, 3)))
    with pytest.raises(TypeError, match="dr_L must be a numeric array"):
        net.backward_from(trace, "up")
    with pytest.raises(TypeError, match="trace must be the Trace"):
        net.backward_from(trace.r, np.ones((5, 2)))
    with pytest.raises(TypeError, match=r"layers\[1\] must be a Layer"):
        rp.Network([rp.Layer(np.ones((2, 2))), object()])
