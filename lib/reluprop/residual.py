"""Residual blocks: a clean identity path plus a scaled two-layer branch.

The block (pre-activation style, He et al. 2016, *Identity mappings in deep
residual networks*; the residual idea from He et al. 2016, *Deep residual
learning*) maps the stream ``r^(k)`` of shape ``(batch, n)`` to::

    z^(k+1) = r^(k) @ W1^(k) + b1^(k)                   (eq-residual-branch)
    h^(k+1) = f(z^(k+1))
    F(r^(k)) = h^(k+1) @ W2^(k) + b2^(k)
    r^(k+1) = r^(k) + alpha * F(r^(k))                  (eq-residual-block)

with ``W1`` of shape ``(n, m)``, ``b1`` of shape ``(m,)``, ``W2`` of shape
``(m, n)``, ``b2`` of shape ``(n,)`` (``m`` is the branch width) and a fixed,
untrained branch scale ``alpha >= 0``. Nothing is applied to the sum: the
path from ``r^(k)`` to ``r^(k+1)`` is exactly the identity.

Backward, given ``dr = dC/dr^(k+1)`` (eq-residual-backward)::

    du      = alpha * dr                       gradient at the branch output F
    dW2     = h.T @ du,   db2 = du summed over the batch
    dh      = du @ W2.T
    (dz, dr_branch, dW1, db1) = backward_step(dh, z, r^(k), W1, f)
    dr_prev = dr + dr_branch

The inner layer's equations are those of :func:`reluprop.layers.backward_step`
and are not written again here. For one example (a row), in the column
convention of calculus, ``dC/dr^(k) = (I + alpha J_k)^T dC/dr^(k+1)`` with
``J_k = W2^T diag(f'(z)) W1^T`` the branch's Jacobian. Multiplying these
factors over the blocks and expanding turns the product into a sum over
paths (each block either skipped or taken); the path that skips every
branch carries ``dC/dr^(L)`` to every block unchanged, however deep the
network, where a plain network has only the path through every layer.

Variance recursion (eq-residual-variance). Take ReLU, zero biases, ``W1``
entries i.i.d. N(0, 2/n) (He) and ``W2`` entries i.i.d. N(0, 1/m), all
independent of ``r = r^(k)`` (one example, a row of length ``n``).
Conditionally on ``r``, each ``z_j = r @ W1[:, j]`` is N(0, 2 ||r||^2 / n), so
``E[relu(z_j)^2] = ||r||^2 / n`` and ``E||h||^2 = (m / n) ||r||^2``. Then
``E||h @ W2||^2 = n (1/m) E||h||^2 = ||r||^2``: the branch preserves the mean
square, ``E||F(r)||^2 = ||r||^2``. The cross term ``E[r . F(r)]`` is 0
because ``F`` is linear in ``W2``, which has mean 0 and is independent of
``r`` and ``h``. Hence, exactly and at any width::

    E||r^(k+1)||^2 = (1 + alpha^2) E||r^(k)||^2,
    E||r^(L)||^2   = (1 + alpha^2)^L ||x||^2.          (eq-residual-variance)

Unscaled branches (``alpha = 1``) double the mean square per block; with
``alpha = 1/sqrt(L)`` the factor is ``(1 + 1/L)^L``, which increases with
``L`` towards ``e`` and never exceeds it. In general, with a scale
``alpha_k`` per block, the factor is ``prod_k (1 + alpha_k^2)``, bounded in
``L`` exactly when ``sum_k alpha_k^2`` is (Hanin and Rolnick 2018 show that
weighting the residual modules suitably keeps the mean size of the
activations from growing exponentially with depth); with the last layer of every
branch set to zero (SkipInit, De and Smith 2020; Fixup, Zhang, Dauphin and
Ma 2019) ``F = 0`` at initialization and ``r^(L) = x`` exactly. This is the
mean over draws; a single draw fluctuates around it.

Backward analogue (eq-residual-variance-backward). For an upstream ``dr``
independent of this block's weights, ``g = dr @ W2.T`` has i.i.d. entries of
variance ``||dr||^2 / m`` given ``W1``; the ReLU mask keeps column ``j`` of
``W1`` with probability 1/2, symmetrically in the sign of that column, so
``E||(g * step(z)) @ W1.T||^2 = m (||dr||^2 / m) (1/2) n (2/n) = ||dr||^2``,
and the cross term is again linear in ``W2``. So::

    E||dC/dr^(k)||^2 = (1 + alpha^2) E||dC/dr^(k+1)||^2.

For one block this is exact; across many blocks the upstream gradient does
depend on the block's weights (through later masks), and the recursion is
the usual mean-field approximation, which the tests measure.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from ._validate import as_float_array, require_finite, require_generator, require_int
from .activations import get_activation
from .layers import backward_step, forward_step

__all__ = [
    "ResidualBlock",
    "residual_forward",
    "residual_backward",
    "init_residual_blocks",
    "predicted_residual_variance",
    "measured_residual_variance",
    "branch_jacobian",
    "path_expansion",
]


def _check_alpha(alpha) -> float:
    """``alpha`` must be a finite real number >= 0."""
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real):
        raise TypeError(f"alpha (the branch scale) must be a real number, got {type(alpha).__name__}")
    alpha = float(alpha)
    if not np.isfinite(alpha):
        raise ValueError(f"alpha (the branch scale) must be finite, got {alpha}")
    if alpha < 0:
        raise ValueError(f"alpha (the branch scale) must be >= 0, got {alpha}")
    return alpha


def residual_forward(r_prev, W1, b1, W2, b2, alpha, activation):
    """One residual block forward (``eq-residual-branch``, ``eq-residual-block``).

    Parameters
    ----------
    r_prev : array, shape (batch, n)
        The stream r^(k).
    W1 : array, shape (n, m)
    b1 : array, shape (m,)
    W2 : array, shape (m, n)
    b2 : array, shape (n,)
    alpha : float
        Branch scale, >= 0.
    activation : Activation or str
        The branch's nonlinearity f.

    Returns
    -------
    z : array, shape (batch, m)
        Branch pre-activations r^(k) @ W1 + b1.
    h : array, shape (batch, m)
        Branch hidden units f(z).
    r : array, shape (batch, n)
        r^(k+1) = r^(k) + alpha * (h @ W2 + b2).
    """
    z, h = forward_step(r_prev, W1, b1, activation)
    F = h @ W2
    F += b2
    F *= alpha
    F += r_prev
    return z, h, F


def residual_backward(dr, z, h, r_prev, W1, W2, alpha, activation):
    """One residual block backward (``eq-residual-backward``).

    Parameters
    ----------
    dr : array, shape (batch, n)
        Upstream gradient dC/dr^(k+1).
    z, h : arrays, shape (batch, m)
        The branch's pre-activations and hidden units from the forward pass.
    r_prev : array, shape (batch, n)
        The block's input r^(k).
    W1 : array, shape (n, m)
    W2 : array, shape (m, n)
    alpha : float
    activation : Activation or str
        The branch's nonlinearity f (its derivative enters through
        :func:`reluprop.layers.backward_step`).

    Returns
    -------
    dz : array, shape (batch, m)
        dC/dz, the gradient at the branch's pre-activations.
    dr_prev : array, shape (batch, n)
        dC/dr^(k) = dr + (gradient through the branch).
    dW1 : array, shape (n, m)
    db1 : array, shape (m,)
    dW2 : array, shape (m, n)
    db2 : array, shape (n,)
    """
    du = alpha * dr
    dW2 = h.T @ du
    db2 = du.sum(axis=0)
    dh = du @ W2.T
    dz, dr_branch, dW1, db1 = backward_step(dh, z, r_prev, W1, activation)
    dr_branch += dr
    return dz, dr_branch, dW1, db1, dW2, db2


@dataclass(frozen=True, eq=False)
class ResidualBlock:
    """Parameters of one residual block r -> r + alpha * F(r) (a block of the network).

    As a block it uses the activation the network assigns to its position as
    the branch's nonlinearity f; a network of residual blocks ends with a
    dense readout layer, so every residual block sits at a hidden position.

    Parameters
    ----------
    W1 : array, shape (n, m)
        First branch layer.
    b1 : array, shape (m,), optional
        Zeros if omitted.
    W2 : array, shape (m, n)
        Second branch layer; its output width must equal the stream width n
        (there is no projection on the identity path).
    b2 : array, shape (n,), optional
        Zeros if omitted.
    alpha : float
        Branch scale, finite and >= 0 (fixed, not a trained parameter).

    Attributes
    ----------
    n_in, n_out : int
        Both equal ``n``.
    params : dict
        ``{"W1": W1, "b1": b1, "W2": W2, "b2": b2}``.

    Raises
    ------
    ValueError
        If a matrix is not 2-D, empty or non-finite, if the widths differ
        (``W2`` must have shape ``(m, n)`` for ``W1`` of shape ``(n, m)``), if
        a bias has the wrong shape, or if ``alpha`` is negative or not finite.
    TypeError
        If an argument is not numeric.
    """

    W1: np.ndarray
    b1: np.ndarray
    W2: np.ndarray
    b2: np.ndarray
    alpha: float

    def __init__(self, W1, b1=None, W2=None, b2=None, alpha=1.0):
        W1 = _matrix(W1, "W1")
        if W2 is None:
            raise TypeError("W2 is required: the branch's second layer, shape (m, n)")
        W2 = _matrix(W2, "W2")
        n, m = W1.shape
        if W2.shape != (m, n):
            raise ValueError(
                f"W2 must have shape (m, n) = ({m}, {n}) for W1 of shape {W1.shape}: a residual "
                f"block adds its branch to its input, so the widths must match; got W2 of shape {W2.shape}"
            )
        b1 = _bias(b1, m, "b1")
        b2 = _bias(b2, n, "b2")
        object.__setattr__(self, "W1", W1)
        object.__setattr__(self, "b1", b1)
        object.__setattr__(self, "W2", W2)
        object.__setattr__(self, "b2", b2)
        object.__setattr__(self, "alpha", _check_alpha(alpha))

    @classmethod
    def _unchecked(cls, W1, b1, W2, b2, alpha):
        """A block around float64 arrays and an ``alpha`` already known to be valid (no copy, no checks)."""
        block = object.__new__(cls)
        for name, value in (("W1", W1), ("b1", b1), ("W2", W2), ("b2", b2), ("alpha", alpha)):
            object.__setattr__(block, name, value)
        return block

    @property
    def n_in(self) -> int:
        """Stream width ``n``."""
        return self.W1.shape[0]

    @property
    def n_out(self) -> int:
        """Stream width ``n`` (the same: the identity path)."""
        return self.W1.shape[0]

    @property
    def branch_width(self) -> int:
        """Branch width ``m``."""
        return self.W1.shape[1]

    @property
    def params(self) -> dict:
        """The trained parameters, by name: W1, b1, W2, b2."""
        return {"W1": self.W1, "b1": self.b1, "W2": self.W2, "b2": self.b2}

    def forward(self, r_prev, activation):
        """Block forward: ``(z, r, cache)`` with ``cache = h``, the branch's hidden units.

        ``activation`` is used as the branch's nonlinearity f; the identity path
        applies none. ``z`` has shape (batch, m), ``r`` shape (batch, n).
        """
        z, h, r = residual_forward(r_prev, self.W1, self.b1, self.W2, self.b2, self.alpha, activation)
        return z, r, h

    def backward(self, dr, z, r, r_prev, cache, activation):
        """Block backward: ``(dz, dr_prev, grads)`` with grads keyed like :attr:`params`.

        ``r`` (the block's output) is not needed and is ignored.
        """
        dz, dr_prev, dW1, db1, dW2, db2 = residual_backward(
            dr, z, cache, r_prev, self.W1, self.W2, self.alpha, activation)
        return dz, dr_prev, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}

    def __repr__(self) -> str:
        return f"ResidualBlock(n={self.n_in}, m={self.branch_width}, alpha={self.alpha:g})"


def _matrix(W, name):
    W = as_float_array(W, name, ndim=2)
    if W.shape[0] < 1 or W.shape[1] < 1:
        raise ValueError(f"{name} must have at least one row and one column, got shape {W.shape}")
    require_finite(W, name)
    return W


def _bias(b, size, name):
    if b is None:
        return np.zeros(size)
    b = as_float_array(b, name)
    if b.shape != (size,):
        raise ValueError(f"{name} must have shape ({size},); got {b.shape}")
    require_finite(b, name)
    return b


def init_residual_blocks(width, depth, branch_width=None, alpha=None, *, rng, zero_last=False):
    """Draw ``depth`` residual blocks of stream width ``width`` for ReLU branches.

    ``W1`` entries are N(0, 2 / width) (He et al. 2015) and ``W2`` entries
    N(0, 1 / branch_width), so that the branch preserves the mean square,
    ``E||F(r)||^2 = ||r||^2``, and the stream obeys ``eq-residual-variance``:
    ``E||r^(L)||^2 = (1 + alpha^2)^L ||x||^2``. Biases are zero.

    Parameters
    ----------
    width : int >= 1
        Stream width n.
    depth : int >= 1
        Number of blocks L.
    branch_width : int >= 1, optional
        Branch width m; ``width`` if omitted.
    alpha : float, optional
        Branch scale (finite, >= 0); ``1 / sqrt(depth)`` if omitted, which
        keeps ``(1 + alpha^2)^L <= e``.
    rng : numpy.random.Generator
        Source of randomness (keyword-only, required).
    zero_last : bool
        If True, every ``W2`` is zero (SkipInit, De and Smith 2020; the
        zero-initialized last layer of Fixup, Zhang, Dauphin and Ma 2019), so
        each block is the identity at initialization. ``W1`` is still drawn.

    Returns
    -------
    list of ResidualBlock
    """
    width = require_int(width, "width", minimum=1)
    depth = require_int(depth, "depth", minimum=1)
    m = width if branch_width is None else require_int(branch_width, "branch_width", minimum=1)
    alpha = 1.0 / np.sqrt(depth) if alpha is None else _check_alpha(alpha)
    require_generator(rng)
    if not isinstance(zero_last, (bool, np.bool_)):
        raise TypeError(f"zero_last must be True or False, got {type(zero_last).__name__}")
    std1, std2 = np.sqrt(2.0 / width), np.sqrt(1.0 / m)
    blocks = []
    for _ in range(depth):
        W1 = rng.standard_normal((width, m)) * std1
        W2 = np.zeros((m, width)) if zero_last else rng.standard_normal((m, width)) * std2
        blocks.append(ResidualBlock(W1, None, W2, None, alpha))
    return blocks


def predicted_residual_variance(depth, alpha, zero_last=False) -> np.ndarray:
    """``E||r^(k)||^2 / ||x||^2`` for ``k = 0..depth`` (``eq-residual-variance``).

    ``(1 + alpha^2)^k`` for the initialization of :func:`init_residual_blocks`
    with ReLU branches; all ones when ``zero_last``. The same numbers give the
    backward recursion read from the top (``eq-residual-variance-backward``).
    Computed as ``exp(k log1p(alpha^2))``; values beyond the float range are
    ``inf``, as the measured forward pass would be.

    Returns
    -------
    array, shape (depth + 1,)
    """
    depth = require_int(depth, "depth", minimum=0)
    alpha = _check_alpha(alpha)
    if zero_last:
        return np.ones(depth + 1)
    with np.errstate(over="ignore"):
        return np.exp(np.arange(depth + 1) * np.log1p(alpha * alpha))


def measured_residual_variance(width, depth, alpha=None, *, draws, batch, rng, zero_last=False,
                               branch_width=None) -> np.ndarray:
    """Measured ``||r^(k)||^2 / ||x||^2`` for ``k = 0..depth``, one row per draw (``eq-residual-variance``).

    Each draw takes ``batch`` standard normal inputs ``x`` (shape (batch,
    width)) through ``depth`` ReLU residual blocks drawn as in
    :func:`init_residual_blocks` (same arguments), one block at a time: a
    block is drawn, applied and dropped, so memory does not grow with depth
    (depth 10,000 is fine). For each draw and depth ``k`` the ratio is
    averaged over the batch's examples.

    Parameters
    ----------
    width, depth : int >= 1
        Stream width n and number of blocks L.
    alpha : float, optional
        Branch scale; ``1 / sqrt(depth)`` if omitted.
    draws, batch : int >= 1
        Independent networks, and examples per network.
    rng : numpy.random.Generator
    zero_last : bool
        Zero second layers (the stream stays ``x``).
    branch_width : int, optional
        Branch width m; ``width`` if omitted.

    Returns
    -------
    array, shape (draws, depth + 1)
        Column 0 is 1. Where the stream overflows the float range the ratio is
        ``inf`` (or NaN after it), as it is: nothing is hidden. The mean over
        draws estimates ``predicted_residual_variance(depth, alpha)``.
    """
    width = require_int(width, "width", minimum=1)
    depth = require_int(depth, "depth", minimum=1)
    draws = require_int(draws, "draws", minimum=1)
    batch = require_int(batch, "batch", minimum=1)
    alpha = 1.0 / np.sqrt(depth) if alpha is None else _check_alpha(alpha)
    require_generator(rng)
    relu = get_activation("relu")
    out = np.empty((draws, depth + 1))
    with np.errstate(over="ignore", invalid="ignore"):
        for d in range(draws):
            x = rng.standard_normal((batch, width))
            x_sq = np.sum(x * x, axis=1)
            r = x
            out[d, 0] = 1.0
            for k in range(depth):
                block = init_residual_blocks(width, 1, branch_width, alpha, rng=rng, zero_last=zero_last)[0]
                _, r, _ = block.forward(r, relu)
                out[d, k + 1] = np.mean(np.sum(r * r, axis=1) / x_sq)
    return out


def branch_jacobian(block, r_prev, activation="relu") -> np.ndarray:
    """The branch's Jacobian ``J_k = W1 diag(f'(z)) W2`` at each example, for rows (``eq-residual-jacobian``).

    In the course's row convention a small change ``dr`` (a row) of the
    block's input changes the branch output by ``dr @ J_k``, so the block's
    output changes by ``dr @ (I + alpha J_k)`` and the gradient goes back as
    ``dC/dr^(k) = dC/dr^(k+1) @ (I + alpha J_k).T`` (``eq-residual-backward``).
    (The Jacobian of calculus, ``dF_i/dr_j``, is ``J_k.T``.)

    Parameters
    ----------
    block : ResidualBlock
    r_prev : array, shape (batch, n)
        The block's input r^(k).
    activation : Activation or str
        The branch's nonlinearity f.

    Returns
    -------
    array, shape (batch, n, n)
    """
    if not isinstance(block, ResidualBlock):
        raise TypeError(f"block must be a ResidualBlock, got {type(block).__name__}")
    r_prev = as_float_array(r_prev, "r_prev", ndim=2)
    if r_prev.shape[1] != block.n_in:
        raise ValueError(f"r_prev must have shape (batch, {block.n_in}); got {r_prev.shape}")
    act = get_activation(activation)
    z = r_prev @ block.W1 + block.b1
    return np.einsum("im,bm,mj->bij", block.W1, act.df(z), block.W2)


def path_expansion(dr_L, jacobians, alphas) -> dict:
    """The gradient ``dC/dr^(0)`` of a stack of residual blocks as a sum over paths (``eq-residual-paths``).

    Multiplying out ``dC/dr^(0) = dC/dr^(L) (I + a_{L-1} J_{L-1})^T ... (I + a_0 J_0)^T``
    gives one term per subset of blocks: the path that goes through the
    branches of those blocks and takes the identity everywhere else. A path
    through branches ``k_1 > k_2 > ...`` contributes
    ``a_{k_1} a_{k_2} ... dC/dr^(L) J_{k_1}^T J_{k_2}^T ...``; the empty path,
    the identity all the way, contributes ``dC/dr^(L)`` itself.

    Parameters
    ----------
    dr_L : array, shape (n,)
        dC/dr^(L) for one example (a row).
    jacobians : list of arrays, shape (n, n)
        ``J_k`` for k = 0..L-1, as returned by :func:`branch_jacobian` for
        that example (at the block's input in the forward pass).
    alphas : list of float
        The branch scales ``a_k``.

    Returns
    -------
    dict
        ``{path: term}`` with ``path`` the tuple of branch indices the path
        goes through, in the order the gradient meets them (from the output
        down), and ``term`` an array of shape (n,); ``2**L`` entries, whose
        sum is dC/dr^(0).
    """
    dr_L = as_float_array(dr_L, "dr_L", ndim=1)
    jacobians = [as_float_array(J, "jacobians[k]", ndim=2) for J in jacobians]
    alphas = [_check_alpha(a) for a in alphas]
    if len(alphas) != len(jacobians):
        raise ValueError(f"alphas must have one entry per Jacobian ({len(jacobians)}); got {len(alphas)}")
    n = dr_L.shape[0]
    for k, J in enumerate(jacobians):
        if J.shape != (n, n):
            raise ValueError(f"jacobians[{k}] must have shape ({n}, {n}); got {J.shape}")
    terms = {(): dr_L}
    for k in range(len(jacobians) - 1, -1, -1):
        step = {}
        for path, g in terms.items():
            step[path] = g                                  # the identity path of block k
            step[path + (k,)] = alphas[k] * (g @ jacobians[k].T)   # through block k's branch
        terms = step
    return terms
