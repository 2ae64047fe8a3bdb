"""Tests for Part I, chapters Three layers, The general layer and Gradient checking:
reluprop.cost_model, reluprop.finite_differences and exercises.check_central_difference."""

import numpy as np
import pytest

import reluprop as rp
from reluprop import cost_model, finite_differences as fd


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


# ---------------------------------------------------------------- finite_differences
def _smooth_net(seed=7):
    rng = np.random.default_rng(seed)
    net = rp.Network(rp.init_layers([3, 4, 2], rng=rng, bias_std=0.5), activation="sigmoid",
                     output_activation="identity")
    x = rng.standard_normal((5, 3))
    y = rng.standard_normal((5, 2))
    return net, x, y


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh"])
def test_cost_in_float64_equals_network_cost(activation):
    rng = np.random.default_rng(2)
    net = rp.Network(rp.init_layers([3, 5, 2], rng=rng, bias_std=0.3), activation=activation)
    x, y = rng.standard_normal((4, 3)), rng.standard_normal((4, 2))
    assert fd.cost_in_dtype(net, x, y) == pytest.approx(net.cost(x, y), rel=1e-14)


def test_cost_in_float32_is_rounded_like_float32():
    net, x, y = _smooth_net()
    c64 = fd.cost_in_dtype(net, x, y, np.float64)
    c32 = fd.cost_in_dtype(net, x, y, np.float32)
    assert c32 != c64
    assert abs(c32 - c64) / c64 < 1e-5  # a few float32 roundings, eps32 ~ 1.2e-7
    assert np.float32(c32) == c32  # the result is a float32 number


def test_cost_in_dtype_uses_given_parameters():
    net, x, y = _smooth_net()
    W = [2.0 * w for w in net.W]
    assert fd.cost_in_dtype(net, x, y, W=W) == pytest.approx(net.with_params(W, net.b).cost(x, y), rel=1e-14)


def test_error_vs_step_slopes_central_two_forward_one():
    """The truncation error has order 2 (central) and 1 (one-sided): slopes within 0.3."""
    net, x, y = _smooth_net()
    hs = 10.0 ** np.arange(-6.0, -0.99, 0.5)
    central = fd.error_vs_step(net, x, y, hs, "central")
    forward = fd.error_vs_step(net, x, y, hs, "forward")
    assert abs(fd.fit_slope(hs, central, 1e-4, 1e-1) - 2.0) < 0.3
    assert abs(fd.fit_slope(hs, forward, 1e-5, 1e-1) - 1.0) < 0.3
    # and the central difference is better at every step in the truncation regime
    sel = hs >= 1e-4
    assert np.all(central[sel] < forward[sel])


def test_error_vs_step_round_off_grows_for_tiny_steps():
    net, x, y = _smooth_net()
    hs = np.array([1e-13, 1e-11, 1e-9, 1e-5])
    err = fd.error_vs_step(net, x, y, hs, "central")
    assert err[0] > err[1] > err[2] > err[3]
    assert err[3] < 1e-8  # near the optimal step: a good check


def test_error_vs_step_float32_cannot_reach_float64_accuracy():
    net, x, y = _smooth_net()
    hs = 10.0 ** np.arange(-8.0, -0.49, 0.5)
    e32 = fd.error_vs_step(net, x, y, hs, "central", np.float32)
    e64 = fd.error_vs_step(net, x, y, hs, "central", np.float64)
    assert e32.min() > 1e-6
    assert e64.min() < 1e-8
    # float32's best step is larger, near eps32^(1/3) ~ 5e-3 (within a factor of 30)
    h_best = hs[np.argmin(e32)]
    assert fd.optimal_step("central", np.float32) / 30 < h_best < 30 * fd.optimal_step("central", np.float32)


def test_relu_network_central_difference_has_no_truncation_error_before_the_kink():
    """A ReLU network's cost is piecewise quadratic in each weight: central differences are exact
    up to round-off as long as the step does not cross a kink."""
    rng = np.random.default_rng(5)
    net = rp.Network(rp.init_layers([3, 4, 2], rng=rng, bias_std=0.5), output_activation="identity")
    x = rp.gradcheck.kink_free_inputs(net, 5, rng=rng, margin=0.1)
    y = rng.standard_normal((5, 2))
    hs = np.array([1e-4, 1e-3, 1e-2])
    assert np.all(fd.error_vs_step(net, x, y, hs, "central") < 1e-9)
    assert np.all(fd.error_vs_step(net, x, y, hs, "forward") > 1e-6)


def test_error_vs_step_norm_measure_has_clean_slopes_and_is_below_the_max_measure():
    net, x, y = _smooth_net(1986)
    hs = 10.0 ** np.arange(-7.0, -0.99, 0.5)
    for method, lo, expected in [("central", 1e-4, 2.0), ("forward", 1e-6, 1.0)]:
        norm = fd.error_vs_step(net, x, y, hs, method, measure="norm")
        worst = fd.error_vs_step(net, x, y, hs, method, measure="max")
        assert abs(fd.fit_slope(hs, norm, lo, 1e-2) - expected) < 0.3
        # the max measure is set by the smallest entries: never much below the norm measure
        assert np.all(worst >= 0.1 * norm)


def test_error_vs_step_norm_of_zero_gradient_is_an_error():
    W = [np.array([[-1.0]]), np.array([[1.0]])]
    net = rp.Network([rp.Layer(w) for w in W])  # first unit dead for x > 0: dW = 0
    with pytest.raises(ValueError, match="exactly 0"):
        fd.error_vs_step(net, [[1.0]], [[1.0]], [1e-3], measure="norm")


def test_error_vs_step_bias_parameter():
    net, x, y = _smooth_net()
    err = fd.error_vs_step(net, x, y, [1e-2, 1e-3], "central", param=("b", 0))
    assert err[1] < err[0] < 1e-3


@pytest.mark.parametrize("kwargs,exc", [
    (dict(hs=[0.0]), ValueError), (dict(hs=[]), ValueError), (dict(hs=[1e-3], method="backward"), ValueError),
    (dict(hs=[1e-3], dtype=np.float16), ValueError), (dict(hs=[1e-3], param=("W", 5)), ValueError),
    (dict(hs=[1e-3], param=("V", 0)), ValueError), (dict(hs=[1e-3], measure="mean"), ValueError),
])
def test_error_vs_step_rejects_bad_input(kwargs, exc):
    net, x, y = _smooth_net()
    with pytest.raises(exc):
        fd.error_vs_step(net, x, y, **kwargs)


def test_fit_slope_exact_power_law_and_errors():
    hs = 10.0 ** np.arange(-5.0, 0.0)
    assert fd.fit_slope(hs, 3.0 * hs ** 2, 1e-5, 1.0) == pytest.approx(2.0, abs=1e-12)
    assert fd.fit_slope(hs, 1e-16 / hs, 1e-5, 1.0) == pytest.approx(-1.0, abs=1e-12)
    with pytest.raises(ValueError, match="two steps"):
        fd.fit_slope(hs, hs, 1e-2, 2e-2)
    with pytest.raises(ValueError, match="same shape"):
        fd.fit_slope(hs, hs[:-1], 1e-5, 1.0)
    with pytest.raises(ValueError, match="> 0"):
        fd.fit_slope(hs, hs * 0, 1e-5, 1.0)


def test_optimal_step_and_best_error():
    eps64, eps32 = float(np.finfo(np.float64).eps), float(np.finfo(np.float32).eps)
    assert fd.optimal_step("central") == pytest.approx(eps64 ** (1 / 3), rel=1e-12)
    assert fd.optimal_step("forward", np.float32) == pytest.approx(eps32 ** 0.5, rel=1e-12)
    assert fd.best_possible_error("central", np.float32) == pytest.approx(eps32 ** (2 / 3), rel=1e-12)
    assert fd.best_possible_error("forward") == pytest.approx(eps64 ** 0.5, rel=1e-12)
    with pytest.raises(ValueError):
        fd.optimal_step("backward")
    with pytest.raises(ValueError):
        fd.best_possible_error("central", np.int32)


def _square_relu_net(seed=3):
    rng = np.random.default_rng(seed)
    net = rp.Network(rp.init_layers([3, 4, 4, 4], rng=rng, bias_std=0.1), output_activation="identity")
    x = rp.gradcheck.kink_free_inputs(net, 6, rng=rng, margin=1e-3)
    y = rng.standard_normal((6, 4))
    return net, x, y


def test_correct_backward_passes_the_check():
    net, x, y = _square_relu_net()
    report = rp.gradcheck.check_network(net, x, y, h=1e-5)
    assert report.passed and not report.near_kink


@pytest.mark.parametrize("bug", sorted(fd.BUGS))
def test_every_planted_bug_is_caught(bug):
    net, x, y = _square_relu_net()
    report = rp.gradcheck.check_network(net, x, y, h=1e-5, backward=fd.broken_backward(bug))
    assert not report.passed
    assert report.max_error > 1e-2  # far beyond any round-off


def test_broken_backward_differs_only_where_the_bug_acts():
    net, x, y = _square_relu_net()
    good = net.gradients(x, y)
    B = x.shape[0]
    no_mean = fd.broken_backward("no_batch_mean")(net, x, y)
    sign = fd.broken_backward("sign")(net, x, y)
    for k in range(net.depth):
        np.testing.assert_allclose(no_mean.dW[k], B * good.dW[k], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(sign.dW[k], -good.dW[k], rtol=1e-12, atol=1e-15)
    no_step = fd.broken_backward("no_step")(net, x, y)
    # The output layer is the identity: its gradient is unaffected.
    np.testing.assert_allclose(no_step.dW[-1], good.dW[-1], rtol=1e-12, atol=1e-15)
    no_t = fd.broken_backward("no_transpose")(net, x, y)
    np.testing.assert_allclose(no_t.dW[-1], good.dW[-1], rtol=1e-12, atol=1e-15)


def test_broken_backward_rejects_unknown_bug_and_non_square_transpose():
    with pytest.raises(ValueError, match="bug"):
        fd.broken_backward("typo")
    rng = np.random.default_rng(0)
    net = rp.Network(rp.init_layers([3, 4, 2], rng=rng))
    with pytest.raises(ValueError, match="square"):
        fd.broken_backward("no_transpose")(net, np.ones((2, 3)), np.ones((2, 2)))


# ---------------------------------------------------------------- exercise checker
def test_check_central_difference_right_answer_passes():
    d = rp.exercises.check_central_difference(lambda f, x, h: (f(x + h) - f(x - h)) / (2 * h))
    assert d.passed and d.kind == "ok"
    d = rp.exercises.check_central_difference(lambda f, x, h: 0.5 * (f(x + h) - f(x - h)) / h)
    assert d.passed


@pytest.mark.parametrize("wrong,kind", [
    (lambda f, x, h: (f(x + h) - f(x)) / h, "one_sided"),
    (lambda f, x, h: (f(x) - f(x - h)) / h, "one_sided"),
    (lambda f, x, h: (f(x + h) - f(x - h)) / h, "scale"),
    (lambda f, x, h: (f(x - h) - f(x + h)) / (2 * h), "sign"),
    (lambda f, x, h: (f(x + 2 * h) - f(x - h)) / (2 * h), "wrong"),
    (lambda f, x, h: 1 / 0, "error"),
    (lambda f, x, h: None, "shape"),
])
def test_check_central_difference_recognises_typical_slips(wrong, kind):
    d = rp.exercises.check_central_difference(wrong)
    assert not d.passed
    assert d.kind == kind


def test_check_central_difference_one_sided_message_names_the_order():
    d = rp.exercises.check_central_difference(lambda f, x, h: (f(x + h) - f(x)) / h)
    text = str(d)
    assert "one-sided: error O(h)" in text
    assert "10 times smaller" in text and "100 times smaller" in text


def test_check_chain_gradient_catches_x_instead_of_own_input():
    """The three-layers chapter's pre-filled attempt: x as the last factor instead of r^(k)."""
    def attempt(w, x, y):
        z, r = rp.scalar.chain_forward(w, x)
        L = len(w)
        out = []
        for k in range(L):
            g = (r[L] - y) * rp.activations.step(z[L])
            for m in range(k + 1, L):
                g = g * w[m] * rp.activations.step(z[m])
            out.append(g * x)
        return out

    d = rp.exercises.check_chain_gradient(attempt)
    assert not d.passed
    assert "r^(k)" in str(d)
