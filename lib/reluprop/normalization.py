"""Layer normalization and batch normalization: forward, backward by hand, and a normalized layer.

Both normalize a pre-activation array ``z`` of shape ``(batch, n)`` to zero
mean and unit variance along one axis, then scale and shift each unit with
``gamma`` and ``beta`` of shape ``(n,)``:

- layer normalization (Ba, Kiros and Hinton 2016) normalizes over the ``n``
  units of each example (axis 1), so every example is treated on its own;
- batch normalization (Ioffe and Szegedy 2015), in training mode, normalizes
  over the ``batch`` examples of each unit (axis 0), so an example's output
  depends on the other examples of the batch.

Write ``N`` for the number of values normalized together (``n`` for layer
norm, ``batch`` for batch norm) and let ``i, j`` run over them::

    mu      = (1/N) sum_j z_j
    sigma   = sqrt((1/N) sum_j (z_j - mu)^2 + eps)
    x_hat_j = (z_j - mu) / sigma                        (eq-layernorm-forward,
    u_j     = gamma * x_hat_j + beta                     eq-batchnorm-forward)

Backward by hand. Given ``du = dC/du``, first ``du_hat = du * gamma``, and
``dgamma``, ``dbeta`` are ``du * x_hat`` and ``du`` summed over the batch.
For ``dz`` every ``x_hat_j`` depends on every ``z_i`` through ``mu`` and
``sigma``::

    d mu / d z_i      = 1/N
    d sigma / d z_i   = (1 / (2 sigma)) (2/N) (z_i - mu) = x_hat_i / N
                        (the term through mu vanishes: sum_j (z_j - mu) = 0)
    d x_hat_j / d z_i = (delta_ij - 1/N) / sigma - (z_j - mu) x_hat_i / (N sigma^2)
                      = (1/sigma) (delta_ij - 1/N - x_hat_i x_hat_j / N)

and summing ``du_hat_j d x_hat_j / d z_i`` over ``j`` gives the compact form::

    dz_i = (1/sigma) (du_hat_i - mean_j(du_hat_j) - x_hat_i mean_j(du_hat_j x_hat_j))
                                                    (eq-layernorm-backward,
                                                     eq-batchnorm-backward)

exact for any ``eps`` (``sigma`` includes it). The two subtracted means are
the coupling: the gradient at one unit (layer norm) or one example (batch
norm) depends on the upstream gradient at all the others. They also remove
the two directions the normalization cannot see: ``sum_i dz_i = 0`` (adding a
constant to all ``z_i`` changes nothing) and, in the limit ``eps -> 0``,
``sum_i x_hat_i dz_i = 0`` (scaling ``z`` by ``c > 0`` changes nothing). One
consequence for batch normalization: a bias added to ``z`` before it is
cancelled, and its gradient (``dz`` summed over the batch) is exactly 0 up to
rounding.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validate import as_float_array, require_finite, require_generator, require_int, require_real
from .activations import get_activation
from .layers import backward_step, forward_step, init_layers

__all__ = [
    "NormCache",
    "layer_norm_forward",
    "layer_norm_backward",
    "batch_norm_forward",
    "batch_norm_backward",
    "NormalizedLayer",
    "NormalizedResidualBlock",
    "init_normalized_blocks",
    "NORMS",
]

NORMS = ("layer", "batch")
_AXIS = {"layer": 1, "batch": 0}
_OVER = {"layer": "units of each example", "batch": "examples of each unit"}
_IDENTITY = get_activation("identity")


@dataclass(frozen=True, eq=False)
class NormCache:
    """What the normalization backward needs from its forward pass.

    Attributes
    ----------
    x_hat : array, shape (batch, n)
        The normalized values (z - mu) / sigma.
    sigma : array, shape (batch, 1) for layer norm, (1, n) for batch norm
        sqrt(variance + eps) of each normalized group.
    gamma : array, shape (n,)
    norm : str
        ``"layer"`` or ``"batch"``.
    """

    x_hat: np.ndarray
    sigma: np.ndarray
    gamma: np.ndarray
    norm: str


def _check_eps(eps) -> float:
    return require_real(eps, "eps", minimum=0.0, strict=True)


def _normalize_forward(z, gamma, beta, eps, norm):
    z = as_float_array(z, "z", ndim=2)
    batch, n = z.shape
    axis = _AXIS[norm]
    if z.shape[axis] < 2:
        what = "unit" if norm == "layer" else "example"
        raise ValueError(
            f"{norm} normalization averages over the {_OVER[norm]}; z of shape {z.shape} has only "
            f"one {what} to average over, so every normalized value would be 0. "
            f"Need at least 2 along axis {axis}."
        )
    gamma = as_float_array(gamma, "gamma")
    beta = as_float_array(beta, "beta")
    for name, p in (("gamma", gamma), ("beta", beta)):
        if p.shape != (n,):
            raise ValueError(f"{name} must have shape (n,) = ({n},) to match z of shape {z.shape}; got {p.shape}")
    eps = _check_eps(eps)
    centred = z - z.mean(axis=axis, keepdims=True)
    sigma = np.sqrt((centred * centred).mean(axis=axis, keepdims=True) + eps)
    x_hat = centred / sigma
    u = x_hat * gamma + beta
    return u, NormCache(x_hat, sigma, gamma, norm)


def _normalize_backward(du, cache):
    if not isinstance(cache, NormCache):
        raise TypeError(f"cache must be the NormCache returned by the forward pass, got {type(cache).__name__}")
    du = as_float_array(du, "du", ndim=2)
    if du.shape != cache.x_hat.shape:
        raise ValueError(f"du must have the shape of the forward's z, {cache.x_hat.shape}; got {du.shape}")
    axis = _AXIS[cache.norm]
    x_hat = cache.x_hat
    dgamma = (du * x_hat).sum(axis=0)
    dbeta = du.sum(axis=0)
    du_hat = du * cache.gamma
    dz = du_hat - du_hat.mean(axis=axis, keepdims=True)
    dz -= x_hat * (du_hat * x_hat).mean(axis=axis, keepdims=True)
    dz /= cache.sigma
    return dz, dgamma, dbeta


def layer_norm_forward(z, gamma, beta, eps=1e-5):
    """Layer normalization over the units of each example (``eq-layernorm-forward``).

    Parameters
    ----------
    z : array, shape (batch, n), n >= 2
    gamma, beta : arrays, shape (n,)
        Per-unit scale and shift.
    eps : float > 0
        Added to the variance.

    Returns
    -------
    u : array, shape (batch, n)
        gamma * (z - mu) / sigma + beta, with mu and sigma per example (row).
    cache : NormCache
        For :func:`layer_norm_backward`.

    Raises
    ------
    ValueError
        If ``n < 2`` (normalizing one unit), shapes do not match, or
        ``eps <= 0``.
    """
    return _normalize_forward(z, gamma, beta, eps, "layer")


def layer_norm_backward(du, cache):
    """Backward of :func:`layer_norm_forward` (``eq-layernorm-backward``).

    Parameters
    ----------
    du : array, shape (batch, n)
        Upstream gradient dC/du.
    cache : NormCache
        From :func:`layer_norm_forward`.

    Returns
    -------
    dz : array, shape (batch, n)
        (1/sigma) (du_hat - mean(du_hat) - x_hat mean(du_hat x_hat)), means over
        the units of each example, du_hat = du * gamma.
    dgamma : array, shape (n,)
        du * x_hat summed over the batch.
    dbeta : array, shape (n,)
        du summed over the batch.
    """
    _require_norm(cache, "layer")
    return _normalize_backward(du, cache)


def batch_norm_forward(z, gamma, beta, eps=1e-5):
    """Batch normalization in training mode, over the examples of each unit (``eq-batchnorm-forward``).

    Parameters
    ----------
    z : array, shape (batch, n), batch >= 2
    gamma, beta : arrays, shape (n,)
    eps : float > 0

    Returns
    -------
    u : array, shape (batch, n)
        gamma * (z - mu) / sigma + beta, with mu and sigma per unit (column),
        computed from this batch (no running averages: training mode).
    cache : NormCache
        For :func:`batch_norm_backward`.

    Raises
    ------
    ValueError
        If ``batch < 2`` (normalizing one example), shapes do not match, or
        ``eps <= 0``.
    """
    return _normalize_forward(z, gamma, beta, eps, "batch")


def batch_norm_backward(du, cache):
    """Backward of :func:`batch_norm_forward` (``eq-batchnorm-backward``).

    The same compact form as :func:`layer_norm_backward`, with the means taken
    over the examples of each unit: the gradient of one example depends on
    the upstream gradients of the whole batch.

    Returns
    -------
    dz : array, shape (batch, n)
    dgamma, dbeta : arrays, shape (n,)
    """
    _require_norm(cache, "batch")
    return _normalize_backward(du, cache)


def _require_norm(cache, norm):
    if isinstance(cache, NormCache) and cache.norm != norm:
        raise ValueError(f"cache comes from {cache.norm} normalization, not {norm} normalization")


@dataclass(frozen=True, eq=False)
class NormalizedLayer:
    """A dense layer followed by normalization, then the activation (a block of the network).

    Forward, for ``r = r^(k)`` of shape ``(batch, n_in)``::

        z       = r @ W + b                    (eq-forward-z, via forward_step)
        u       = norm(z) with gamma, beta     (eq-layernorm-forward or eq-batchnorm-forward)
        r^(k+1) = f(u)

    Backward: ``du = dr * f'(u)`` (``eq-backward-dz`` applied at ``u``), the
    normalization's backward gives ``dz``, ``dgamma``, ``dbeta``, and
    :func:`reluprop.layers.backward_step` (with the identity, whose
    derivative is 1) gives ``dr_prev``, ``dW``, ``db``.

    Parameters
    ----------
    W : array, shape (n_in, n_out)
    b : array, shape (n_out,), optional
        Zeros if omitted. Under batch normalization it is cancelled by the
        mean subtraction and its gradient is 0.
    gamma : array, shape (n_out,), optional
        Ones if omitted.
    beta : array, shape (n_out,), optional
        Zeros if omitted.
    norm : str
        ``"layer"`` (over the units of each example; needs ``n_out >= 2``) or
        ``"batch"`` (over the examples of each unit, training mode; needs a
        batch of at least 2 at call time).
    eps : float > 0
        Added to the variance.

    Attributes
    ----------
    n_in, n_out : int
    params : dict
        ``{"W": W, "b": b, "gamma": gamma, "beta": beta}``.
    """

    W: np.ndarray
    b: np.ndarray
    gamma: np.ndarray
    beta: np.ndarray
    norm: str
    eps: float

    def __init__(self, W, b=None, gamma=None, beta=None, *, norm="layer", eps=1e-5):
        W = as_float_array(W, "W", ndim=2)
        if W.shape[0] < 1 or W.shape[1] < 1:
            raise ValueError(f"W must have at least one row and one column, got shape {W.shape}")
        require_finite(W, "W")
        if not isinstance(norm, str) or norm not in NORMS:
            raise ValueError(f"norm must be 'layer' or 'batch'; got {norm!r}")
        n_out = W.shape[1]
        if norm == "layer" and n_out < 2:
            raise ValueError(
                f"layer normalization averages over the units of each example; W of shape {W.shape} "
                f"gives one unit (n_out = 1), so every normalized value would be 0. Need n_out >= 2."
            )
        b = _vector(b, n_out, "b", 0.0)
        gamma = _vector(gamma, n_out, "gamma", 1.0)
        beta = _vector(beta, n_out, "beta", 0.0)
        object.__setattr__(self, "W", W)
        object.__setattr__(self, "b", b)
        object.__setattr__(self, "gamma", gamma)
        object.__setattr__(self, "beta", beta)
        object.__setattr__(self, "norm", norm)
        object.__setattr__(self, "eps", _check_eps(eps))

    @property
    def n_in(self) -> int:
        return self.W.shape[0]

    @property
    def n_out(self) -> int:
        return self.W.shape[1]

    @property
    def params(self) -> dict:
        """The trained parameters, by name: W, b, gamma, beta."""
        return {"W": self.W, "b": self.b, "gamma": self.gamma, "beta": self.beta}

    def forward(self, r_prev, activation):
        """Block forward: ``(z, r, cache)``.

        ``z = r_prev @ W + b`` (shape (batch, n_out)) is the dense
        pre-activation, the quantity whose gradient gives ``dW = r_prev.T @ dz``
        as in a plain layer; ``cache = (u, norm_cache)`` with ``u`` the
        normalized values that ``activation`` is applied to.
        """
        activation = get_activation(activation)
        z, _ = forward_step(r_prev, self.W, self.b, _IDENTITY)
        u, norm_cache = _normalize_forward(z, self.gamma, self.beta, self.eps, self.norm)
        return z, activation.f(u), (u, norm_cache)

    def backward(self, dr, z, r, r_prev, cache, activation):
        """Block backward: ``(dz, dr_prev, grads)`` with grads keyed like :attr:`params`.

        ``r`` (the block's output) is not needed and is ignored.
        """
        activation = get_activation(activation)
        u, norm_cache = cache
        du = dr * activation.df(u)
        dz, dgamma, dbeta = _normalize_backward(du, norm_cache)
        _, dr_prev, dW, db = backward_step(dz, z, r_prev, self.W, _IDENTITY)
        return dz, dr_prev, {"W": dW, "b": db, "gamma": dgamma, "beta": dbeta}

    def __repr__(self) -> str:
        return f"NormalizedLayer(n_in={self.n_in}, n_out={self.n_out}, norm={self.norm!r}, eps={self.eps:g})"


def _vector(v, size, name, fill):
    if v is None:
        return np.full(size, fill)
    v = as_float_array(v, name)
    if v.shape != (size,):
        raise ValueError(f"{name} must have shape (n_out,) = ({size},); got {v.shape}")
    require_finite(v, name)
    return v


@dataclass(frozen=True, eq=False)
class NormalizedResidualBlock:
    """A residual block whose branch is a normalized layer: r -> r + alpha * F(r) (a block of the network).

    Forward, for the stream ``r = r^(k)`` of shape ``(batch, n)``::

        z        = r @ W1 + b1,  h = f(norm(z))     (NormalizedLayer)
        F(r)     = h @ W2 + b2
        r^(k+1)  = r + alpha * F(r)                 (eq-normalized-residual)

    The normalization sits inside the branch only: the identity path carries
    ``r`` untouched and nothing is applied after the sum, as in the
    identity-mapping residual networks of He et al. (2016).
    Backward: ``du = alpha * dr`` at the branch output,
    :func:`reluprop.layers.backward_step` with the identity for the second
    layer (``dW2``, ``db2``, ``dh``), :meth:`NormalizedLayer.backward` for the
    first, and ``dr_prev = dr + (gradient through the branch)``.

    Parameters
    ----------
    W1 : array, shape (n, m)
    b1 : array, shape (m,), optional
    W2 : array, shape (m, n)
    b2 : array, shape (n,), optional
    gamma, beta : arrays, shape (m,), optional
        The normalization's scale and shift (ones and zeros if omitted).
    norm : str
        ``"layer"`` or ``"batch"``.
    alpha : float
        Branch scale, finite and >= 0 (fixed).
    eps : float > 0

    Attributes
    ----------
    n_in, n_out : int
        Both ``n``.
    params : dict
        ``{"W1", "b1", "gamma", "beta", "W2", "b2"}``.
    """

    branch: NormalizedLayer
    W2: np.ndarray
    b2: np.ndarray
    alpha: float

    def __init__(self, W1, b1=None, W2=None, b2=None, gamma=None, beta=None, *, norm="layer",
                 alpha=1.0, eps=1e-5):
        from .residual import _check_alpha  # the residual module's check of alpha

        branch = NormalizedLayer(W1, b1, gamma, beta, norm=norm, eps=eps)
        if W2 is None:
            raise TypeError("W2 is required: the branch's second layer, shape (m, n)")
        W2 = as_float_array(W2, "W2", ndim=2)
        n, m = branch.W.shape
        if W2.shape != (m, n):
            raise ValueError(
                f"W2 must have shape (m, n) = ({m}, {n}) for W1 of shape {branch.W.shape}: a residual "
                f"block adds its branch to its input, so the widths must match; got W2 of shape {W2.shape}"
            )
        require_finite(W2, "W2")
        object.__setattr__(self, "branch", branch)
        object.__setattr__(self, "W2", W2)
        object.__setattr__(self, "b2", _vector(b2, n, "b2", 0.0))
        object.__setattr__(self, "alpha", _check_alpha(alpha))

    @property
    def n_in(self) -> int:
        """Stream width ``n``."""
        return self.branch.n_in

    @property
    def n_out(self) -> int:
        """Stream width ``n`` (the identity path)."""
        return self.branch.n_in

    @property
    def params(self) -> dict:
        """The trained parameters, by name: W1, b1, gamma, beta, W2, b2."""
        p = self.branch.params
        return {"W1": p["W"], "b1": p["b"], "gamma": p["gamma"], "beta": p["beta"],
                "W2": self.W2, "b2": self.b2}

    def forward(self, r_prev, activation):
        """Block forward: ``(z, r, cache)``; ``z = r_prev @ W1 + b1`` of shape (batch, m)."""
        z, h, branch_cache = self.branch.forward(r_prev, activation)
        _, F = forward_step(h, self.W2, self.b2, _IDENTITY)
        F *= self.alpha
        F += r_prev
        return z, F, (h, branch_cache)

    def backward(self, dr, z, r, r_prev, cache, activation):
        """Block backward: ``(dz, dr_prev, grads)`` with grads keyed like :attr:`params`."""
        h, branch_cache = cache
        du = self.alpha * np.asarray(dr, dtype=np.float64)
        _, dh, dW2, db2 = backward_step(du, du, h, self.W2, _IDENTITY)
        dz, dr_branch, g = self.branch.backward(dh, z, h, r_prev, branch_cache, activation)
        dr_branch += dr
        return dz, dr_branch, {"W1": g["W"], "b1": g["b"], "gamma": g["gamma"], "beta": g["beta"],
                               "W2": dW2, "b2": db2}

    def __repr__(self) -> str:
        return (f"NormalizedResidualBlock(n={self.n_in}, m={self.branch.n_out}, "
                f"norm={self.branch.norm!r}, alpha={self.alpha:g})")


def init_normalized_blocks(width, depth, norm, *, residual=False, alpha=1.0, scale=1.0, rng):
    """Draw ``depth`` blocks of width ``width``, with or without normalization and residual paths.

    The four architectures of the chapter Normalization, all with ReLU in
    mind and zero biases (``gamma = 1``, ``beta = 0``):

    - plain, ``norm=None``: dense layers with He's weights N(0, scale^2 2/n)
      (:func:`reluprop.layers.init_layers`);
    - plain, ``norm="layer"`` or ``"batch"``: :class:`NormalizedLayer` with the
      same weights (the normalization makes the result independent of ``scale``);
    - residual, ``norm=None``: ``reluprop.residual.init_residual_blocks``
      with branch scale ``alpha`` (``scale`` must be 1);
    - residual with ``norm``: :class:`NormalizedResidualBlock` with ``W1`` as
      above and ``W2`` entries N(0, 2/n). The normalized ``u`` has mean square
      1 (up to ``eps``) and is symmetric in law, so ``E[relu(u)^2] = 1/2`` and
      each branch adds a mean square of 1 per unit: for one example,
      ``E[||r^(k)||^2] / n = E[x^2] + k alpha^2`` (eq-normalized-residual-variance),
      growth linear in ``k`` instead of ``(1 + alpha^2)^k``.

    Parameters
    ----------
    width : int >= 2
    depth : int >= 1
    norm : None, "layer" or "batch"
    residual : bool
    alpha : float >= 0
        Branch scale of the residual architectures.
    scale : float > 0
        Multiplier of He's standard deviation for ``W`` (``W1``).
    rng : numpy.random.Generator
        Keyword-only, required.

    Returns
    -------
    list of blocks, for :class:`reluprop.network.Network`
    """
    width = require_int(width, "width", minimum=2)
    depth = require_int(depth, "depth", minimum=1)
    if norm is not None and (not isinstance(norm, str) or norm not in NORMS):
        raise ValueError(f"norm must be None, 'layer' or 'batch'; got {norm!r}")
    if not isinstance(residual, (bool, np.bool_)):
        raise TypeError(f"residual must be True or False, got {type(residual).__name__}")
    scale = require_real(scale, "scale", minimum=0.0, strict=True)
    require_generator(rng)
    if not residual:
        layers = init_layers([width] * (depth + 1), "he", scale, rng=rng)
        return layers if norm is None else [NormalizedLayer(layer.W, norm=norm) for layer in layers]
    from .residual import _check_alpha, init_residual_blocks

    alpha = _check_alpha(alpha)
    if norm is None:
        if scale != 1.0:
            raise ValueError(f"scale must be 1 for residual blocks without normalization; got {scale}")
        return init_residual_blocks(width, depth, alpha=alpha, rng=rng)
    std = np.sqrt(2.0 / width)
    blocks = []
    for _ in range(depth):
        W1 = rng.standard_normal((width, width)) * (scale * std)
        W2 = rng.standard_normal((width, width)) * std
        blocks.append(NormalizedResidualBlock(W1, None, W2, None, norm=norm, alpha=alpha))
    return blocks
