"""Gradient checking: finite differences, their step sizes and precision, and the planted bugs they catch."""

import numpy as np
import pytest

import reluprop as rp
from reluprop import finite_differences as fd
from reluprop.gradcheck import numerical_gradient, rel_error


# ---------------------------------------------------------------- gradcheck module
def test_rel_error_has_a_floor():
    assert rel_error(np.array([1e-20]), np.array([-1e-20])) < 1e-11
    assert rel_error(np.array([1.0]), np.array([1.0 + 1e-9])) == pytest.approx(5e-10, rel=1e-3)


def test_central_difference_is_second_order_and_forward_first_order():
    f = lambda t: float(np.sum(np.sin(t)))  # noqa: E731
    theta = np.array([0.7])
    exact = np.cos(0.7)
    e_c = [abs(numerical_gradient(f, theta, h)[0] - exact) for h in (1e-2, 1e-3)]
    e_f = [abs(numerical_gradient(f, theta, h, method="forward")[0] - exact) for h in (1e-2, 1e-3)]
    assert np.log10(e_c[0] / e_c[1]) == pytest.approx(2.0, abs=0.1)
    assert np.log10(e_f[0] / e_f[1]) == pytest.approx(1.0, abs=0.1)


def test_check_network_passes_and_catches_a_broken_backward():
    rng = np.random.default_rng(3)
    net = rp.Network(rp.init_layers([3, 4, 2], rng=rng, bias_std=0.2), output_activation="identity")
    x = rp.gradcheck.kink_free_inputs(net, 4, rng=rng, margin=1e-3)
    y = rng.standard_normal((4, 2))
    report = rp.gradcheck.check_network(net, x, y)
    assert report.passed and report.max_error < 1e-7 and not report.near_kink

    def broken(net, x, y):  # forgets the 1/batch of the cost's gradient
        g = net.gradients(x, y)
        return rp.Gradients([d * x.shape[0] for d in g.dW], [d * x.shape[0] for d in g.db], g.dz, g.dr)

    bad = rp.gradcheck.check_network(net, x, y, backward=broken)
    assert not bad.passed and bad.max_error > 0.5
    assert "FAILED" in str(bad)


def test_kink_free_inputs_keep_away_from_zero():
    rng = np.random.default_rng(5)
    net = rp.Network(rp.init_layers([2, 6, 6, 1], rng=rng, bias_std=0.1))
    x = rp.gradcheck.kink_free_inputs(net, 10, rng=rng, margin=1e-2)
    assert x.shape == (10, 2)
    assert rp.gradcheck.min_abs_preactivation(net, x) > 1e-2


def test_check_network_flags_inputs_on_the_kink():
    net = rp.Network([rp.Layer([[1.0]], [0.0]), rp.Layer([[1.0]], [0.0])], output_activation="identity")
    report = rp.gradcheck.check_network(net, np.array([[0.0]]), np.array([[1.0]]))
    assert report.near_kink and report.min_abs_z == 0.0
    assert "NEAR THE KINK" in str(report)


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
