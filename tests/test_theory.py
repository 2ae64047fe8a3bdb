"""Mean-field theory: gains, variance recursions, quadrature moments, the profile recursion."""

import math

import numpy as np
import pytest

import reluprop as rp
from reluprop import theory


# ------------------------------------------------------------ theory (exact)
def test_variance_gain_values():
    assert theory.variance_gain("relu") == 0.5
    assert theory.variance_gain("identity") == 1.0
    for a in (0.0, 0.01, 0.2, 1.0):
        assert theory.variance_gain("leaky_relu", slope=a) == pytest.approx(0.5 * (1 + a * a), rel=1e-15)
    for name in ("sigmoid", "tanh"):
        with pytest.raises(ValueError, match="positively homogeneous"):
            theory.variance_gain(name)


def test_predicted_forward_he_is_flat_and_xavier_halves():
    he = theory.predicted_forward_variance([50] * 31, "he")
    np.testing.assert_allclose(he, 2.0, rtol=1e-12)  # q_1 = n * 2/n * E[x^2] = 2, then kept
    xa = theory.predicted_forward_variance([50] * 31, "xavier")
    np.testing.assert_allclose(xa, 2.0 ** -np.arange(30), rtol=1e-12)
    assert xa[-1] / xa[0] == pytest.approx(2.0 ** -29, rel=1e-12)


def test_predicted_forward_unequal_widths_is_the_product_formula():
    sizes = [5, 40, 10, 70, 3]
    scale = 1.3
    q = theory.predicted_forward_variance(sizes, "lecun", scale, "relu", input_second_moment=2.0)
    var_w = [scale ** 2 / n for n in sizes[:-1]]
    expected = [sizes[0] * var_w[0] * 2.0]
    for k in range(1, 4):
        expected.append(expected[-1] * 0.5 * sizes[k] * var_w[k])
    np.testing.assert_allclose(q, expected, rtol=1e-12)


def test_leaky_relu_init_with_its_gain_is_flat():
    a = 0.3
    scale = 1 / np.sqrt(1 + a * a)  # He's std times 1/sqrt(1 + a^2): Var[W] = 2 / ((1 + a^2) n)
    q = theory.predicted_forward_variance([20] * 11, "he", scale, "leaky_relu", slope=a)
    np.testing.assert_allclose(q[1:], q[0], rtol=1e-12)
    g = theory.predicted_backward_variance([20] * 11, "he", scale, "leaky_relu", slope=a)
    np.testing.assert_allclose(g, 1.0, rtol=1e-12)


def test_quadrature_moments():
    # E[tanh(z)^2] <= E[z^2] and ~ E[z^2] for small variance; sigmoid's derivative <= 1/4.
    assert theory.activation_second_moment("tanh", 1e-4) == pytest.approx(1e-4, rel=1e-3)
    assert theory.activation_second_moment("tanh", 1.0) < 1.0
    assert theory.derivative_second_moment("sigmoid", 1e-6) == pytest.approx(1 / 16, rel=1e-5)
    assert theory.activation_second_moment("relu", 3.0) == 1.5


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "identity"])
@pytest.mark.parametrize("s", [0.5, 1.0, 3.0])
def test_vectorised_theory_equals_the_layer_by_layer_recursion(activation, s):
    act = rp.get_activation(activation, slope=0.3)
    args = (300, 64, 8, act, s, (math.log(64.0), 0.02), (math.log(1 / 8), -0.01))
    for fast, slow in zip(rp.theory.mean_field_profile(*args), rp.theory.mean_field_profile(*args, loop=True)):
        np.testing.assert_allclose(fast, slow, rtol=0, atol=1e-10)


# ------------------------------------------------------------ residual blocks
@pytest.mark.parametrize("activation, s, alpha", [("relu", 1.0, 0.3), ("relu", 1.7, 1.0), ("tanh", 1.2, 0.5),
                                                  ("sigmoid", 0.8, 2.0), ("leaky_relu", 0.9, 0.2)])
def test_residual_recursion_equals_the_scalar_recursions(activation, s, alpha):
    """Per-example norms of the batch recursion = q_{k+1} = q_k + alpha^2 E[f(z)^2], z ~ N(0, 2 s^2 q_k),
    and E||dr^(k)||^2 = (1 + alpha^2 2 s^2 E[f'(z)^2]) E||dr^(k+1)||^2, computed here one scalar at a time."""
    L, n, B = 60, 32, 1  # one example: no pair terms
    act = rp.get_activation(activation, slope=0.2)
    log_dr2, log_dW2, log_r2 = theory.residual_mean_field_profile(L, n, B, act, s, alpha, (math.log(n * 0.7), 0.0),
                                                                   (0.0, 0.0))
    q = [0.7]
    for _ in range(L):
        q.append(q[-1] + alpha ** 2 * theory.activation_second_moment(act, 2 * s * s * q[-1]))
    np.testing.assert_allclose(np.exp(log_r2), q, rtol=1e-10)
    g = [1.0]
    for k in range(L - 1, -1, -1):
        g.append(g[-1] * (1 + alpha ** 2 * 2 * s * s * theory.derivative_second_moment(act, 2 * s * s * q[k])))
    np.testing.assert_allclose(np.exp(log_dr2), g[::-1], rtol=1e-10)
    assert np.isfinite(log_dW2).all()


def test_residual_relu_recursion_is_the_chapters_variance():
    """ReLU at s = 1: (1 + alpha^2)^k forward and backward, as reluprop.residual.predicted_residual_variance."""
    L, n, B, alpha = 500, 64, 8, 0.05
    act = rp.get_activation("relu")
    log_dr2, _, log_r2 = theory.residual_mean_field_profile(L, n, B, act, 1.0, alpha, (math.log(n), 0.1),
                                                             (math.log(1 / B), -0.02))
    want = rp.residual.predicted_residual_variance(L, alpha)
    np.testing.assert_allclose(np.exp(log_r2), want, rtol=1e-10)
    np.testing.assert_allclose(np.exp(log_dr2 - log_dr2[L]), want[::-1], rtol=1e-10)


def test_residual_with_alpha_zero_is_the_identity():
    act = rp.get_activation("tanh")
    log_dr2, log_dW2, log_r2 = theory.residual_mean_field_profile(20, 8, 4, act, 1.0, 0.0, (1.0, 0.3), (-2.0, 0.1))
    np.testing.assert_allclose(log_r2, 1.0 - math.log(8), rtol=0, atol=1e-15)
    np.testing.assert_allclose(log_dr2, math.log(4) - 2.0, rtol=0, atol=1e-15)
    assert np.isneginf(log_dW2).all()
