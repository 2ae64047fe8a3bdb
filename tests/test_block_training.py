"""Networks of blocks: rebuilding with new parameters, gradient checking and training every block."""

import numpy as np
import pytest

import reluprop as rp
from reluprop import residual as res


def residual_net(seed=0, n_in=3, width=4, depth=3, alpha=0.5):
    """Input layer, ``depth`` residual blocks, linear output layer; small nonzero biases."""
    rng = np.random.default_rng(seed)
    blocks = [
        res.ResidualBlock(rng.standard_normal((width, 5)) * 0.6, rng.standard_normal(5) * 0.1,
                          rng.standard_normal((5, width)) * 0.4, rng.standard_normal(width) * 0.1, alpha)
        for _ in range(depth)
    ]
    layers = rp.init_layers([n_in, width], rng=rng) + blocks + rp.init_layers([width, 1], rng=rng)
    return rp.Network(layers, "relu", "identity")


def test_with_block_params_replaces_only_what_is_given():
    net = residual_net()
    new = [{} for _ in range(net.depth)]
    W2 = np.full((5, 4), 0.25)
    new[2] = {"W2": W2}
    for check in (True, False):
        other = net.with_block_params(new, check=check)
        assert other.layers[2].W2 is W2 or np.array_equal(other.layers[2].W2, W2)
        assert other.layers[2].alpha == 0.5 and other.layers[2].W1 is net.layers[2].W1
        assert net.layers[2].W2 is not W2  # the original is unchanged
        assert all(other.layers[k] is not net.layers[k] for k in range(net.depth))
        assert other.activation is net.activation and other.output_activation is net.output_activation


def test_with_block_params_unchecked_is_the_checked_network(rng):
    """check=False skips the checks, not the work: the same layers, parameters and predictions."""
    net = residual_net()
    new = [{name: v + 0.01 for name, v in block.params.items()} for block in net.layers]
    checked, unchecked = net.with_block_params(new, check=True), net.with_block_params(new, check=False)
    assert [type(b) for b in unchecked.layers] == [type(b) for b in checked.layers]
    assert unchecked.sizes == checked.sizes and repr(unchecked) == repr(checked)
    for a, b in zip(checked.layers, unchecked.layers):
        assert all(np.array_equal(a.params[k], b.params[k]) for k in a.params)
    x = rng.standard_normal((6, 3))
    assert np.array_equal(checked.predict(x), unchecked.predict(x))


def test_with_block_params_rejects_bad_input():
    net = residual_net()
    with pytest.raises(ValueError, match="one dict per block"):
        net.with_block_params([{}])
    with pytest.raises(TypeError, match=r"params\[1\]"):
        net.with_block_params([{}, ["W1"]] + [{}] * (net.depth - 2))
    with pytest.raises(ValueError, match=r"params\[1\] has names \['W'\]"):
        net.with_block_params([{}, {"W": np.ones((4, 4))}] + [{}] * (net.depth - 2))
    with pytest.raises(ValueError, match="W2 must have shape"):
        net.with_block_params([{}, {"W2": np.ones((4, 4))}] + [{}] * (net.depth - 2))


def test_check_network_checks_every_parameter_of_every_block():
    net = residual_net()
    x = rp.gradcheck.kink_free_inputs(net, 4, rng=np.random.default_rng(1), margin=1e-2)
    y = np.random.default_rng(2).standard_normal((4, 1))
    report = rp.gradcheck.check_network(net, x, y, h=1e-6, tol=1e-6)
    assert report.passed, str(report)
    names = {f"{name}[{k}]" for k, block in enumerate(net.layers) for name in block.params}
    assert set(report.errors) == names and "W1[2]" in names and "W[0]" in names

    def no_identity_path(k, block, dr, z, r, r_prev, cache, activation):
        dz, dr_prev, grads = block.backward(dr, z, r, r_prev, cache, activation)
        if isinstance(block, res.ResidualBlock):
            dr_prev = dr_prev - dr  # the planted bug: the gradient through the branch only
        return dz, dr_prev, grads

    def broken(net, x, y):
        trace = net.forward(x)
        return net.backward_from(trace, rp.squared_error_grad(trace.y_hat, y), step=no_identity_path)

    bad = rp.gradcheck.check_network(net, x, y, h=1e-6, tol=1e-6, backward=broken)
    assert not bad.passed
    assert bad.errors["W1[3]"] <= 1e-6  # the last block's own gradients are still right
    assert bad.errors["W1[1]"] > 1e-2 and bad.errors["W[0]"] > 1e-2


def test_train_updates_every_block_by_its_gradient():
    net = residual_net(seed=3)
    rng = np.random.default_rng(4)
    x, y = rng.standard_normal((6, 3)), rng.standard_normal((6, 1))
    lr = 0.05
    out = rp.training.train(net, x, y, lr=lr, steps=1, batch_size=6, rng=np.random.default_rng(5),
                            record_grad_norms=True)
    grads = net.gradients(x, y)  # batch = all examples, so the minibatch order does not matter
    for k, (old, new) in enumerate(zip(net.layers, out.net.layers)):
        assert type(new) is type(old)
        for name, value in old.params.items():
            np.testing.assert_allclose(new.params[name], value - lr * grads.params[k][name],
                                       rtol=1e-12, atol=1e-14, err_msg=f"{name}[{k}]")
            assert not np.array_equal(new.params[name], value), f"{name}[{k}] did not move"
    g0 = out.history.grad_norms[0]
    block = grads.params[2]
    assert g0[2] == pytest.approx(np.sqrt(np.sum(block["W1"] ** 2) + np.sum(block["W2"] ** 2)), rel=1e-12)
    assert g0[0] == pytest.approx(np.linalg.norm(grads.dW[0]), rel=1e-12)
    assert out.history.loss[1] < out.history.loss[0]


def test_train_of_dense_layers_is_the_sgd_step_loop():
    rng = np.random.default_rng(6)
    net = rp.Network(rp.init_layers([3, 5, 5, 1], rng=rng), "relu", "identity")
    x, y = rng.standard_normal((20, 3)), rng.standard_normal((20, 1))
    out = rp.training.train(net, x, y, lr=0.03, steps=5, batch_size=4, rng=np.random.default_rng(8))
    batches = np.random.default_rng(8)
    W, b = net.W, net.b
    for _ in range(5):
        idx = batches.choice(20, size=4, replace=False)
        grads = rp.Network([rp.Layer(w, v) for w, v in zip(W, b)], "relu", "identity").gradients(x[idx], y[idx])
        W, b = rp.training.sgd_step(W, b, grads.dW, grads.db, 0.03)
    for k in range(3):
        assert np.array_equal(out.net.W[k], W[k]) and np.array_equal(out.net.b[k], b[k])


def test_train_stops_on_a_diverging_residual_net():
    net = residual_net(seed=9, alpha=2.0)
    rng = np.random.default_rng(10)
    x, y = rng.standard_normal((8, 3)), rng.standard_normal((8, 1))
    out = rp.training.train(net, x, y, lr=1e6, steps=20, batch_size=8, rng=np.random.default_rng(11))
    assert out.history.diverged
    assert all(np.all(np.isfinite(a)) for block in out.net.layers for a in block.params.values())
