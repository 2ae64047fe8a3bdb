"""reluprop.optimizers (Adam, eq-optimizers-adam) and train(optimizer=...).

Adam is checked against a second, independent implementation written out
step by step with Python floats, for a few steps on random gradients; then
its two properties the chapter Training deep networks relies on: the first
step moves every parameter by lr (times g / (|g| + eps)), and multiplying
every gradient by a constant c > 0 leaves the steps unchanged when eps = 0.
"""

import math

import numpy as np
import pytest

import reluprop as rp
from reluprop.optimizers import Adam, AdamState, adam_update


def _params(rng, sizes=(3, 4, 2)):
    W = [rng.standard_normal((a, b)) for a, b in zip(sizes[:-1], sizes[1:])]
    b = [rng.standard_normal(n) for n in sizes[1:]]
    return W, b


def _reference_adam(theta, grads, lr, b1, b2, eps):
    """Adam for one scalar parameter, written out with floats (Kingma and Ba, Algorithm 1)."""
    m = v = 0.0
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat = m / (1 - b1**t)
        v_hat = v / (1 - b2**t)
        theta = theta - lr * m_hat / (math.sqrt(v_hat) + eps)
    return theta


def test_adam_matches_a_scalar_reference_over_several_steps():
    rng = np.random.default_rng(0)
    W, b = _params(rng)
    opt = Adam(lr=0.01, beta1=0.8, beta2=0.99, eps=1e-6)
    state = opt.init(W, b)
    steps = [(_params(rng)) for _ in range(5)]  # (dW, db) per step
    W_t, b_t = W, b
    for dW, db in steps:
        W_t, b_t, state = opt.step(W_t, b_t, dW, db, state)
    assert state.t == 5
    for k in range(len(W)):
        for idx in np.ndindex(W[k].shape):
            ref = _reference_adam(W[k][idx], [s[0][k][idx] for s in steps], 0.01, 0.8, 0.99, 1e-6)
            assert W_t[k][idx] == pytest.approx(ref, rel=1e-12, abs=1e-14)
        for idx in np.ndindex(b[k].shape):
            ref = _reference_adam(b[k][idx], [s[1][k][idx] for s in steps], 0.01, 0.8, 0.99, 1e-6)
            assert b_t[k][idx] == pytest.approx(ref, rel=1e-12, abs=1e-14)


def test_first_step_moves_every_parameter_by_lr():
    rng = np.random.default_rng(1)
    W, b = _params(rng)
    dW, db = _params(rng)
    opt = Adam(lr=1e-3, eps=0.0)
    W1, b1, _ = opt.step(W, b, dW, db, opt.init(W, b))
    for new, old, g in zip(W1 + b1, W + b, dW + db):
        np.testing.assert_allclose(new - old, -1e-3 * np.sign(g), rtol=1e-12, atol=0)


@pytest.mark.parametrize("c", [2.0**-17, 1e-5, 3.0, 1e4])
def test_steps_do_not_depend_on_the_gradient_scale(c):
    rng = np.random.default_rng(2)
    W, b = _params(rng)
    grads = [_params(rng) for _ in range(4)]
    opt = Adam(lr=0.05, eps=0.0)
    runs = []
    for factor in (1.0, c):
        W_t, b_t, state = W, b, opt.init(W, b)
        for dW, db in grads:
            W_t, b_t, state = opt.step(W_t, b_t, [factor * g for g in dW], [factor * g for g in db], state)
        runs.append(W_t + b_t)
    for x1, x2 in zip(*runs):
        np.testing.assert_allclose(x1, x2, rtol=1e-13, atol=1e-15)


def test_sgd_steps_do_depend_on_the_gradient_scale():
    # the contrast the chapter draws: plain SGD moves c times as far
    rng = np.random.default_rng(3)
    W, b = _params(rng)
    dW, db = _params(rng)
    W1, _ = rp.training.sgd_step(W, b, dW, db, 0.1)
    W2, _ = rp.training.sgd_step(W, b, [1e-5 * g for g in dW], db, 0.1)
    np.testing.assert_allclose(W2[0] - W[0], 1e-5 * (W1[0] - W[0]), rtol=1e-9)


def test_bias_correction_makes_the_running_mean_unbiased():
    # eq-optimizers-adam-bias: with a constant gradient mu, m_hat = mu at every step
    m = np.zeros(1)
    v = np.zeros(1)
    theta = np.zeros(1)
    for t in range(1, 6):
        theta_new, m, v = adam_update(theta, np.array([0.3]), m, v, t, 1.0, 0.9, 0.999, 0.0)
        assert m[0] / (1 - 0.9**t) == pytest.approx(0.3, rel=1e-12)
        np.testing.assert_allclose(theta_new - theta, -1.0, rtol=1e-12)
        theta = theta_new


def test_step_modifies_nothing():
    rng = np.random.default_rng(4)
    W, b = _params(rng)
    dW, db = _params(rng)
    copies = [a.copy() for a in W + b + dW + db]
    opt = Adam()
    state = opt.init(W, b)
    opt.step(W, b, dW, db, state)
    for a, c in zip(W + b + dW + db, copies):
        np.testing.assert_array_equal(a, c)
    assert state.t == 0 and all(np.all(m == 0) for m in state.mW)


@pytest.mark.parametrize("kwargs, match", [
    (dict(lr=0.0), "lr"), (dict(lr=-1.0), "lr"), (dict(beta1=1.0), "beta1"),
    (dict(beta2=1.5), "beta2"), (dict(beta1=-0.1), "beta1"), (dict(eps=-1e-8), "eps"),
])
def test_bad_hyperparameters_are_rejected(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Adam(**kwargs)


def test_bad_state_and_shapes_are_rejected():
    rng = np.random.default_rng(5)
    W, b = _params(rng)
    dW, db = _params(rng)
    opt = Adam()
    with pytest.raises(TypeError, match="state"):
        opt.step(W, b, dW, db, None)
    with pytest.raises(ValueError, match="one entry per layer"):
        opt.step(W, b, dW[:1], db, opt.init(W, b))
    with pytest.raises(ValueError, match="shape"):
        opt.step(W, b, [g.T for g in dW], db, opt.init(W, b))
    assert isinstance(opt.init(W, b), AdamState)


# ----------------------------------------------------- train(optimizer=...)
def _task_and_net(scheme="xavier", depth=12, width=16):
    rng = np.random.default_rng(6)
    x, y = rp.training.make_regression_task(4, 1, 128, rng=rng)
    sizes = [4] + [width] * (depth - 1) + [1]
    net = rp.Network(rp.init_layers(sizes, scheme, rng=np.random.default_rng(1)), "relu", "identity")
    return x, y, net


def test_train_with_adam_is_deterministic_and_leaves_the_input_alone():
    x, y, net = _task_and_net()
    W0 = [w.copy() for w in net.W]
    runs = [rp.training.train(net, x, y, optimizer=Adam(1e-3), steps=30, batch_size=16,
                              rng=np.random.default_rng(7), record_grad_norms=True) for _ in range(2)]
    np.testing.assert_array_equal(runs[0].history.loss, runs[1].history.loss)
    np.testing.assert_array_equal(runs[0].history.grad_norms, runs[1].history.grad_norms)
    for w, w0 in zip(net.W, W0):
        np.testing.assert_array_equal(w, w0)
    assert runs[0].history.grad_norms.shape == (len(runs[0].history.steps), net.depth)


def test_adam_trains_a_network_whose_gradients_sgd_cannot_use():
    # a deep Xavier ReLU net: tiny weight gradients, an output bias whose gradient is not small
    x, y, net = _task_and_net(depth=20)
    sgd = rp.training.train(net, x, y, lr=1.0, steps=300, batch_size=32, rng=np.random.default_rng(7))
    adam = rp.training.train(net, x, y, optimizer=Adam(1e-3), steps=300, batch_size=32,
                             rng=np.random.default_rng(7))
    assert adam.history.final_loss < 0.5 * sgd.history.final_loss
    assert sgd.history.final_loss > 0.4  # about the cost 1/2 of predicting the mean


def test_train_needs_exactly_one_of_lr_and_optimizer():
    x, y, net = _task_and_net(depth=3)
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="neither"):
        rp.training.train(net, x, y, steps=1, batch_size=4, rng=rng)
    with pytest.raises(ValueError, match="not both"):
        rp.training.train(net, x, y, lr=0.1, optimizer=Adam(), steps=1, batch_size=4, rng=rng)
    with pytest.raises(TypeError, match="optimizer"):
        rp.training.train(net, x, y, optimizer="adam", steps=1, batch_size=4, rng=rng)


def test_a_parameter_that_never_had_a_gradient_does_not_move_even_with_eps_zero():
    W = [np.ones((2, 2))]
    b = [np.ones(2)]
    dW = [np.array([[0.0, 1.0], [0.0, -2.0]])]
    db = [np.zeros(2)]
    opt = Adam(lr=0.1, eps=0.0)
    with np.errstate(all="raise"):
        W1, b1, _ = opt.step(W, b, dW, db, opt.init(W, b))
    np.testing.assert_array_equal(W1[0], [[1.0, 0.9], [1.0, 1.1]])
    np.testing.assert_array_equal(b1[0], [1.0, 1.0])
