"""Orthogonal initialization and the singular values of the input-output Jacobian.

The input-output Jacobian of a dense network at one example ``x`` (a row) is
the matrix of partial derivatives ``J[i, j] = d yhat_i / d x_j``, shape
``(n_L, n_0)``. Written as a product of per-layer Jacobians in the column
convention of calculus (eq-jacobian-product)::

    J = D_L W^(L-1).T  ...  D_2 W^(1).T  D_1 W^(0).T,    D_k = diag(f'(z^(k)))

with ``W^(k)`` of shape ``(n_k, n_{k+1})`` as everywhere in the course. In the
course's row convention the same matrix acts on the right: a small change
``dx`` (a row) moves the output by ``dx @ J.T``, and backpropagation computes
``dC/dx = dC/dyhat @ J`` one factor at a time, from the left end of the row
``dC/dyhat`` (eq-backward-dr applied L times).

Dynamical isometry (Saxe, McClelland and Ganguli 2014; Pennington,
Schoenholz and Ganguli 2017) asks for all singular values of ``J`` to be near
1, not only their mean square. The squared singular values ``lambda`` are
the eigenvalues of ``J J^T``. For wide layers (width to infinity at fixed
depth), the ``W W^T`` and ``D_k^2`` factors are asymptotically free, and
under free multiplicative convolution means multiply and normalized
variances ``var / mean^2`` add. With ``sigma_w^2`` the weight variance times
the width (2 for He; 1 for tanh without biases, whose critical fixed point
is ``q = 0``), ``q_k`` the second moment
of ``z^(k)`` and ``mu_p(q) = E[f'(z)^(2p)]`` for ``z ~ N(0, q)`` this gives
(eq-jacobian-spectrum)::

    mean(lambda)          = prod_k sigma_w^2 mu_1(q_k)
    var(lambda) / mean^2  = sum_k ( s_W + mu_2(q_k) / mu_1(q_k)^2 - 1 )

with ``s_W = 1`` for Gaussian weights (the Marchenko–Pastur law of ratio 1
has variance equal to its squared mean) and ``s_W = 0`` for orthogonal
weights (all singular values equal). Special cases:

- linear network: ``mu_2 / mu_1^2 = 1``; orthogonal weights give exact
  isometry at every depth, Gaussian weights a variance ``L`` (Saxe et al. 2014);
- ReLU at He scale: ``mu_1 = mu_2 = 1/2``, so ``mean(lambda) = 1`` at every
  depth, and the normalized variance is ``2L`` for Gaussian weights and ``L``
  for orthogonal ones: no initialization makes a deep ReLU network
  isometric (Pennington et al. 2017). In the wide limit half the
  eigenvalues are exactly 0: the rank of ``J`` is at most the number of
  active units in any one layer, about ``n/2``; at finite width the smallest
  of these counts over many layers is lower, and more collapse.
- tanh at ``sigma_w^2 = 1`` without biases: ``q_{k+1} = E[tanh(z)^2] < q_k``,
  so the pre-activations shrink with depth and ``f'`` approaches 1; with
  orthogonal weights the normalized variance stays small, but the mean
  ``prod_k E[f'(z^(k))^2]`` is below 1 and keeps decaying with depth.
  Pennington et al. (2017) instead take ``sigma_w^2`` slightly above 1 and
  small biases so that ``chi = sigma_w^2 E[f'(z)^2] = 1`` at a small fixed
  point ``q*`` (:func:`critical_tanh`): then the mean is 1 at every
  depth and, with orthogonal weights, the normalized variance is
  ``L (mu_2 / mu_1^2 - 1)``, small when ``q*`` is small: dynamical isometry.

These are wide-network limits. At finite width, once the depth is comparable
to the width, a single draw departs from them: its mean squared singular
value is a lottery (the depth-over-width effect of Part II), and
``var / mean^2`` of ``n`` values can never exceed ``n - 1``. Singular
values are computed from the explicit product in float64, so those below
about ``1e-16`` times the largest are rounding noise.
"""

from __future__ import annotations

import numpy as np

from ._validate import as_float_array, require_generator, require_int, require_real, require_sizes
from .activations import get_activation
from .layers import Layer

__all__ = [
    "orthogonal",
    "orthogonal_factor",
    "init_orthogonal_layers",
    "input_output_jacobian",
    "jacobian_singular_values",
    "predicted_jacobian_spectrum",
    "critical_tanh",
    "WEIGHTS",
]

WEIGHTS = ("gaussian", "orthogonal")
_GH_NODES, _GH_WEIGHTS = np.polynomial.hermite_e.hermegauss(121)
_GH_WEIGHTS = _GH_WEIGHTS / np.sqrt(2.0 * np.pi)  # weights of E over N(0, 1)


def orthogonal(n_in, n_out, *, rng, scale=1.0):
    """A Haar-distributed (semi-)orthogonal matrix of shape ``(n_in, n_out)``, times ``scale``.

    Draw a Gaussian matrix ``A`` of shape ``(max, min)``, factor ``A = Q R``
    and multiply each column of ``Q`` by the sign of the matching diagonal
    entry of ``R``. Without the sign correction, the distribution of ``Q``
    depends on the QR routine's sign convention and is not uniform (Haar); with
    it, it is (Mezzadri 2007). When ``n_in >= n_out`` the columns are
    orthonormal (``W.T @ W = scale^2 I``); otherwise the rows are
    (``W @ W.T = scale^2 I``). For a square matrix, ``||x @ W|| = scale ||x||``
    for every row ``x``: use ``scale = sqrt(2)`` to match He's gain for ReLU
    and ``scale = 1`` for tanh's critical point.

    Parameters
    ----------
    n_in, n_out : int >= 1
    rng : numpy.random.Generator
        Keyword-only, required.
    scale : float >= 0

    Returns
    -------
    array, shape (n_in, n_out)
    """
    n_in = require_int(n_in, "n_in", minimum=1)
    n_out = require_int(n_out, "n_out", minimum=1)
    require_generator(rng)
    scale = require_real(scale, "scale", minimum=0.0)
    big, small = max(n_in, n_out), min(n_in, n_out)
    Q = orthogonal_factor(rng.standard_normal((big, small)))
    W = Q if n_in >= n_out else Q.T
    return scale * W


def orthogonal_factor(A):
    """The sign-corrected factor ``Q`` of ``A = Q R``: Haar-distributed when ``A`` is Gaussian.

    The construction behind :func:`orthogonal`, for a Gaussian matrix drawn
    elsewhere (the depth experiments turn their own base draws into
    orthogonal weights with it): factor ``A = Q R`` and multiply each column
    of ``Q`` by the sign of the matching diagonal entry of ``R`` (a zero
    counts as +1).

    Parameters
    ----------
    A : array, shape (big, small), big >= small
        Entries i.i.d. standard normal, for a Haar-distributed result.

    Returns
    -------
    array, shape (big, small)
        Orthonormal columns: ``Q.T @ Q = I``.
    """
    Q, R = np.linalg.qr(A)
    signs = np.sign(np.diag(R))
    signs[signs == 0] = 1.0
    return Q * signs


def init_orthogonal_layers(sizes, scale=1.0, *, rng, bias_std=0.0):
    """Layers with (semi-)orthogonal weights ``scale * Q``, widths ``sizes``.

    The orthogonal counterpart of :func:`reluprop.layers.init_layers`:
    ``scale = sqrt(2)`` for ReLU (the He gain), 1 for tanh or a linear net.
    Biases are N(0, bias_std^2), zero by default.
    """
    sizes = require_sizes(sizes)
    scale = require_real(scale, "scale", minimum=0.0)
    bias_std = require_real(bias_std, "bias_std", minimum=0.0)
    require_generator(rng)
    layers = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        W = orthogonal(a, b, rng=rng, scale=scale)
        layers.append(Layer(W, rng.standard_normal(b) * bias_std if bias_std > 0 else None))
    return layers


def _check_chain(W, z):
    if not isinstance(W, (list, tuple)) or len(W) < 1:
        raise TypeError("W must be a non-empty list of weight matrices W[k] of shape (n_k, n_{k+1})")
    W = [as_float_array(Wk, f"W[{k}]", ndim=2) for k, Wk in enumerate(W)]
    L = len(W)
    for k in range(L - 1):
        if W[k].shape[1] != W[k + 1].shape[0]:
            raise ValueError(f"W[{k}] of shape {W[k].shape} does not chain with W[{k + 1}] of shape {W[k + 1].shape}")
    if not isinstance(z, (list, tuple)) or len(z) != L + 1:
        raise ValueError(f"z must be the trace's list of L + 1 = {L + 1} pre-activations (z[0] unused)")
    z = [None] + [as_float_array(zk, f"z[{k}]", ndim=2) for k, zk in enumerate(z) if k >= 1]
    batch = z[1].shape[0]
    for k in range(1, L + 1):
        if z[k].shape != (batch, W[k - 1].shape[1]):
            raise ValueError(f"z[{k}] must have shape ({batch}, {W[k - 1].shape[1]}); got {z[k].shape}")
    return W, z


def input_output_jacobian(W, z, activation="relu", output_activation=None):
    """The Jacobian ``d yhat / d x`` at every example of a forward trace (``eq-jacobian-product``).

    Parameters
    ----------
    W : list of arrays
        ``W[k]`` of shape ``(n_k, n_{k+1})``, k = 0..L-1 (biases do not enter).
    z : list of arrays, length L + 1
        The forward trace's pre-activations: ``z[k]`` of shape (batch, n_k)
        for k >= 1; ``z[0]`` is ignored (e.g. ``trace.z``).
    activation : Activation or str
        Activation of the hidden layers.
    output_activation : Activation or str, optional
        Activation of the last layer; ``activation`` if omitted.

    Returns
    -------
    J : array, shape (batch, n_L, n_0)
        ``J[b, i, j] = d yhat_i / d x_j`` at example ``b`` (column convention:
        ``J[b] = D_L W^(L-1).T ... D_1 W^(0).T``).
    """
    W, z = _check_chain(W, z)
    act = get_activation(activation)
    out = act if output_activation is None else get_activation(output_activation)
    L = len(W)
    J = W[0].T[None, :, :] * act.df(z[1])[:, :, None] if L > 1 else W[0].T[None] * out.df(z[1])[:, :, None]
    for k in range(1, L):
        f = out if k == L - 1 else act
        J = np.matmul(W[k].T, J)
        J *= f.df(z[k + 1])[:, :, None]
    return J


def jacobian_singular_values(W, z, activation="relu", output_activation=None):
    """Singular values of :func:`input_output_jacobian` at every example, largest first.

    Returns
    -------
    array, shape (batch, min(n_0, n_L))
        Their squares are the eigenvalues ``lambda`` of ``J J^T`` in
        ``eq-jacobian-spectrum``. Values below about 1e-16 times the largest
        of their row are at the rounding floor of the explicit product.
    """
    return np.linalg.svd(input_output_jacobian(W, z, activation, output_activation), compute_uv=False)


def _gauss(g, q):
    z = np.sqrt(max(q, 0.0)) * _GH_NODES
    return float(np.sum(_GH_WEIGHTS * g(z)))


def predicted_jacobian_spectrum(depth, activation="relu", weights="gaussian", sigma_w2=None, q1=1.0,
                                sigma_b2=0.0):
    """Wide-network mean and variance of the squared singular values of J (``eq-jacobian-spectrum``).

    Parameters
    ----------
    depth : int >= 1
        Number of layers L (all of width n, n large; zero biases).
    activation : str or Activation
        ``"relu"``, ``"identity"``, ``"tanh"`` (the same for every layer).
    weights : str
        ``"gaussian"`` (entries N(0, sigma_w2 / n)) or ``"orthogonal"``
        (``sqrt(sigma_w2)`` times a Haar orthogonal matrix).
    sigma_w2 : float > 0, optional
        Weight variance times the width; 2 for ReLU (He), 1 otherwise.
    q1 : float >= 0
        Second moment of the first layer's pre-activations, ``z^(1)``; later
        ones follow ``q_{k+1} = sigma_w2 E[f(z)^2] + sigma_b2``, ``z ~ N(0, q_k)``.
    sigma_b2 : float >= 0
        Variance of the biases (they shift ``q`` but do not enter J).

    Returns
    -------
    mean : float
        Mean of lambda = (singular value)^2.
    variance : float
        Variance of lambda.
    q : array, shape (depth,)
        The ``q_k`` used, k = 1..L.
    """
    depth = require_int(depth, "depth", minimum=1)
    act = get_activation(activation, allowed=("relu", "identity", "tanh"))
    if not isinstance(weights, str) or weights not in WEIGHTS:
        raise ValueError(f"weights must be 'gaussian' or 'orthogonal'; got {weights!r}")
    if sigma_w2 is None:
        sigma_w2 = 2.0 if act.name == "relu" else 1.0
    sigma_w2 = require_real(sigma_w2, "sigma_w2", minimum=0.0, strict=True)
    q = require_real(q1, "q1", minimum=0.0)
    sigma_b2 = require_real(sigma_b2, "sigma_b2", minimum=0.0)
    s_W = 1.0 if weights == "gaussian" else 0.0
    log_mean, norm_var, qs = 0.0, 0.0, []
    for _ in range(depth):
        qs.append(q)
        if act.name == "relu":
            mu1, mu2 = 0.5, 0.5  # exact for any symmetric z
        elif act.name == "identity":
            mu1, mu2 = 1.0, 1.0
        else:
            mu1 = _gauss(lambda t: act.df(t) ** 2, q)
            mu2 = _gauss(lambda t: act.df(t) ** 4, q)
        log_mean += np.log(sigma_w2 * mu1)
        norm_var += s_W + mu2 / mu1**2 - 1.0
        q = sigma_w2 * _gauss(lambda t: act.f(t) ** 2, q) + sigma_b2
    mean = float(np.exp(log_mean))
    return mean, float(norm_var * mean**2), np.array(qs)


def critical_tanh(q_star):
    """Weight and bias variances that put a tanh network at a critical point with fixed point ``q_star``.

    Two conditions (Pennington, Schoenholz and Ganguli 2017), with
    ``z ~ N(0, q_star)`` (eq-tanh-critical)::

        sigma_w2 * E[tanh'(z)^2] = 1                 the mean of lambda is 1 per layer
        sigma_w2 * E[tanh(z)^2] + sigma_b2 = q_star  q_star is a fixed point of the forward recursion

    The first gives ``sigma_w2`` (slightly above 1 for small ``q_star``), the
    second ``sigma_b2``. With these, :func:`predicted_jacobian_spectrum` with
    ``q1 = q_star`` has mean exactly 1 at every depth, and its normalized
    variance grows by ``s_W + mu_2 / mu_1^2 - 1`` per layer, which for
    orthogonal weights (``s_W = 0``) is small when ``q_star`` is.

    Parameters
    ----------
    q_star : float > 0
        The second moment of the pre-activations at the fixed point.

    Returns
    -------
    sigma_w2, sigma_b2 : float
        Weight variance times the width, and bias variance.

    Raises
    ------
    ValueError
        If ``q_star`` is not a positive finite number, or so large that no
        non-negative bias variance reaches it.
    """
    q_star = require_real(q_star, "q_star", minimum=0.0, strict=True)
    act = get_activation("tanh")
    sigma_w2 = 1.0 / _gauss(lambda t: act.df(t) ** 2, q_star)
    sigma_b2 = q_star - sigma_w2 * _gauss(lambda t: act.f(t) ** 2, q_star)
    if sigma_b2 < 0:
        raise ValueError(f"q_star = {q_star} has no critical point with sigma_b2 >= 0 (it would need {sigma_b2:.3g})")
    return float(sigma_w2), float(sigma_b2)
