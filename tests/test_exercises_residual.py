"""The checkers of the residual chapters: each accepts the answer and names the usual slips."""

import numpy as np
import pytest

import reluprop as rp
ex = rp.exercises


def test_residual_backward_checker():
    assert ex.check_residual_backward(lambda dr, J, a: dr @ (np.eye(len(dr)) + a * J).T).passed
    for fn, kind in [
        (lambda dr, J, a: a * dr @ J.T, "no_identity"),
        (lambda dr, J, a: dr + a * dr @ J, "transpose"),
        (lambda dr, J, a: dr + dr @ J.T, "missing_alpha"),
        (lambda dr, J, a: 2 * dr, "wrong"),
        (lambda dr, J, a: dr[:1], "shape"),
        (lambda dr, J, a: 1 / 0, "error"),
    ]:
        d = ex.check_residual_backward(fn)
        assert not d.passed and d.kind == kind, (kind, str(d))


def test_residual_backward_checker_agrees_with_the_library():
    """The answer key is the library's backward through one block."""
    rng = np.random.default_rng(3)
    block = rp.residual.init_residual_blocks(4, 1, branch_width=3, alpha=0.7, rng=rng)[0]
    r, dr = rng.standard_normal((1, 4)), rng.standard_normal((1, 4))
    z, out, h = block.forward(r, "relu")
    _, dr_prev, _ = block.backward(dr, z, out, r, h, "relu")
    J = rp.residual.branch_jacobian(block, r)[0]
    np.testing.assert_allclose(dr[0] @ (np.eye(4) + 0.7 * J).T, dr_prev[0], rtol=1e-12)


def test_residual_variance_checker():
    assert ex.check_residual_variance(lambda a, L: (1 + a * a) ** L).passed
    for fn, kind in [
        (lambda a, L: (1 + a) ** L, "not_squared"),
        (lambda a, L: 1 + L * a * a, "additive"),
        (lambda a, L: a ** (2 * L), "no_identity"),
        (lambda a, L: 2.0 ** L, "wrong"),
        (lambda a, L: "x", "shape"),
    ]:
        d = ex.check_residual_variance(fn)
        assert not d.passed and d.kind == kind, (kind, str(d))


def test_branch_scale_checker():
    assert ex.check_branch_scale(lambda L, B: np.sqrt(B ** (1 / L) - 1)).passed
    for fn, kind in [
        (lambda L, B: np.sqrt(np.log(B) / L), "approximation"),
        (lambda L, B: np.sqrt(B / L), "additive"),
        (lambda L, B: 1 / np.sqrt(L), "wrong"),
    ]:
        d = ex.check_branch_scale(fn)
        assert not d.passed and d.kind == kind, (kind, str(d))
    ratio = np.sqrt(np.log(2) / 10) / np.sqrt(2 ** 0.1 - 1)
    assert 1 - ratio == pytest.approx(0.017, abs=5e-4)  # the 1.7 % of the hint
    assert "1.7 %" in str(ex.check_branch_scale(lambda L, B: np.sqrt(np.log(B) / L)))
