"""Residual blocks: the branch Jacobian, the sum over paths, and the streamed variance measurement."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import reluprop as rp
from reluprop import residual as res
from reluprop.gradcheck import numerical_gradient


def _stack(seed, n, m, depth, alpha):
    rng = np.random.default_rng(seed)
    return [res.ResidualBlock(rng.standard_normal((n, m)), rng.standard_normal(m) * 0.3,
                              rng.standard_normal((m, n)), rng.standard_normal(n) * 0.3, alpha)
            for _ in range(depth)], rng


@settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 5), st.integers(1, 5), st.floats(0.0, 2.0), st.integers(0, 2**31))
def test_branch_jacobian_against_central_differences(n, m, alpha, seed):
    (block,), rng = _stack(seed, n, m, 1, alpha)
    r = rng.standard_normal((1, n))
    J = res.branch_jacobian(block, r, "tanh")[0]
    # Row i of J is the change of F when r moves along unit row i: dF = dr @ J.
    for i in range(n):
        def F(v):
            return (res.residual_forward(v, block.W1, block.b1, block.W2, block.b2, 1.0, "tanh")[2] - v)[0]
        num = np.array([numerical_gradient(lambda v: F(v)[j], r, h=1e-6)[0, i] for j in range(n)])
        np.testing.assert_allclose(J[i], num, rtol=1e-6, atol=1e-8)


@settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 5), st.integers(1, 5), st.integers(1, 4), st.floats(0.0, 2.0), st.integers(0, 2**31))
def test_paths_sum_to_the_backward_pass(n, m, depth, alpha, seed):
    blocks, rng = _stack(seed, n, m, depth, alpha)
    net = rp.Network(blocks, "relu", "relu")
    x = rng.standard_normal((1, n))
    dr_L = rng.standard_normal((1, n))
    trace = net.forward(x)
    grads = net.backward_from(trace, dr_L)
    J = [res.branch_jacobian(b, trace.r[k], "relu")[0] for k, b in enumerate(blocks)]
    terms = res.path_expansion(dr_L[0], J, [b.alpha for b in blocks])
    assert len(terms) == 2 ** depth
    np.testing.assert_array_equal(terms[()], dr_L[0])  # the identity path, untouched
    np.testing.assert_allclose(sum(terms.values()), grads.dr[0][0], rtol=1e-10, atol=1e-12)
    # One block: the two terms are dr and alpha dr J^T, i.e. dr (I + alpha J)^T.
    one = res.path_expansion(dr_L[0], J[-1:], [alpha])
    np.testing.assert_allclose(one[(0,)], alpha * dr_L[0] @ J[-1].T, rtol=1e-12, atol=1e-14)


def test_path_expansion_rejects_bad_input():
    with pytest.raises(ValueError, match="one entry per Jacobian"):
        res.path_expansion(np.ones(2), [np.eye(2)], [0.1, 0.2])
    with pytest.raises(ValueError, match=r"jacobians\[0\] must have shape \(2, 2\)"):
        res.path_expansion(np.ones(2), [np.eye(3)], [0.1])
    with pytest.raises(ValueError, match="alpha"):
        res.path_expansion(np.ones(2), [np.eye(2)], [-1.0])
    with pytest.raises(TypeError, match="ResidualBlock"):
        res.branch_jacobian(rp.Layer(np.eye(2)), np.ones((1, 2)))


def test_measured_residual_variance_follows_the_recursion():
    rng = np.random.default_rng(0)
    for alpha, depth in [(1.0, 6), (0.3, 20)]:
        m = res.measured_residual_variance(16, depth, alpha, draws=400, batch=8, rng=rng)
        assert m.shape == (400, depth + 1) and np.all(m[:, 0] == 1.0)
        ratio = m.mean(axis=0)[-1] / res.predicted_residual_variance(depth, alpha)[-1]
        assert 0.9 < ratio < 1.1, ratio  # the mean over 400 draws; the recursion is exact in the mean
    zero = res.measured_residual_variance(8, 50, 1.0, draws=2, batch=3, rng=rng, zero_last=True)
    np.testing.assert_allclose(zero, 1.0, rtol=1e-12)


def test_measured_residual_variance_is_reproducible_and_checks_arguments():
    a = res.measured_residual_variance(4, 3, draws=2, batch=2, rng=np.random.default_rng(5))
    b = res.measured_residual_variance(4, 3, draws=2, batch=2, rng=np.random.default_rng(5))
    assert np.array_equal(a, b)
    with pytest.raises(ValueError, match="draws"):
        res.measured_residual_variance(4, 3, draws=0, batch=2, rng=np.random.default_rng(5))
    with pytest.raises(ValueError, match="alpha"):
        res.measured_residual_variance(4, 3, -1.0, draws=1, batch=2, rng=np.random.default_rng(5))
