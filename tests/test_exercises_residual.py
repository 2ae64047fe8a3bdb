"""The answer keys of the residual chapters' checkers agree with the library.

Which slips each checker names, and how its diagnoses print, is tested with
every other checker in ``test_exercises.py``.
"""

import numpy as np

import reluprop as rp


def test_residual_backward_checker_agrees_with_the_library():
    """The answer key is the library's backward through one block."""
    rng = np.random.default_rng(3)
    block = rp.residual.init_residual_blocks(4, 1, branch_width=3, alpha=0.7, rng=rng)[0]
    r, dr = rng.standard_normal((1, 4)), rng.standard_normal((1, 4))
    z, out, h = block.forward(r, "relu")
    _, dr_prev, _ = block.backward(dr, z, out, r, h, "relu")
    J = rp.residual.branch_jacobian(block, r)[0]
    np.testing.assert_allclose(dr[0] @ (np.eye(4) + 0.7 * J).T, dr_prev[0], rtol=1e-12)
    assert rp.exercises.check_residual_backward(
        lambda dr, J, a: dr @ (np.eye(len(dr)) + a * J).T).passed
