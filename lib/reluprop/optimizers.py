"""Optimizers with a per-parameter step size: Adam, beside plain gradient descent.

Plain stochastic gradient descent (``eq-training-sgd``) moves every parameter
by the learning rate times its gradient, so a parameter whose gradient is
10^5 times smaller moves 10^5 times less. Adam (Kingma and Ba, 2015) divides
each parameter's step by a running root mean square of that parameter's own
gradients. For every entry theta of every ``W[k]`` and ``b[k]``, with gradient
g_t at step t = 1, 2, ... (``eq-optimizers-adam``):

    m_t = beta1 * m_{t-1} + (1 - beta1) * g_t          (running mean of g)
    v_t = beta2 * v_{t-1} + (1 - beta2) * g_t**2       (running mean of g^2)
    m_hat = m_t / (1 - beta1**t),  v_hat = v_t / (1 - beta2**t)
    theta_t = theta_{t-1} - lr * m_hat / (sqrt(v_hat) + eps)

with m_0 = v_0 = 0. The divisions by ``1 - beta**t`` undo the pull of the
zero start towards 0 (``eq-optimizers-adam-bias``). Multiplying a parameter's
gradients by a constant c > 0 multiplies m_hat and sqrt(v_hat) by c, so the
step does not change (up to ``eps``): the optimizer is blind to the scale of
each gradient. At t = 1 the step is exactly ``lr * g / (|g| + eps)``, about
``lr`` in size for every parameter with a non-zero gradient.

Everything is pure: :meth:`Adam.step` returns new lists and a new state and
modifies nothing, like :func:`reluprop.training.sgd_step`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validate import require_int, require_real

__all__ = ["AdamState", "Adam", "adam_update"]


def adam_update(theta, g, m, v, t, lr, beta1, beta2, eps):
    """One Adam update of one array of parameters (``eq-optimizers-adam``).

    Parameters
    ----------
    theta, g, m, v : arrays of one shape
        Parameters, their gradient at this step, and the running means of
        the gradient and of its square after step ``t - 1``.
    t : int
        This step's number, >= 1.
    lr, beta1, beta2, eps : float

    Returns
    -------
    theta_new, m_new, v_new : arrays of the same shape
        New arrays; the arguments are not modified. Entries whose gradient
        has been exactly 0 at every step so far do not move (with ``eps = 0``
        the ratio would otherwise be 0/0).
    """
    m_new = beta1 * m + (1.0 - beta1) * g
    v_new = beta2 * v + (1.0 - beta2) * g * g
    m_hat = m_new / (1.0 - beta1**t)
    v_hat = v_new / (1.0 - beta2**t)
    denom = np.sqrt(v_hat) + eps
    # A parameter whose gradient has been exactly 0 at every step has m_hat = v_hat = 0:
    # it does not move, even with eps = 0 (where the ratio would be 0/0).
    step = np.divide(m_hat, denom, out=np.zeros_like(m_hat), where=denom > 0)
    return theta - lr * step, m_new, v_new


@dataclass(frozen=True)
class AdamState:
    """Adam's running means after ``t`` steps.

    Attributes
    ----------
    t : int
        Steps taken so far (0 before the first).
    mW, vW : tuples of arrays
        Running means of dC/dW^(k) and of its square; shapes of ``W[k]``, (n_k, n_{k+1}).
    mb, vb : tuples of arrays
        The same for the biases; shapes of ``b[k]``, (n_{k+1},).
    """

    t: int
    mW: tuple
    vW: tuple
    mb: tuple
    vb: tuple


class Adam:
    """Adam with learning rate ``lr`` (``eq-optimizers-adam``); defaults as in Kingma and Ba (2015).

    Parameters
    ----------
    lr : float
        Step size, > 0: about the size of each parameter's first step.
    beta1, beta2 : float
        Decay rates of the running means, in [0, 1).
    eps : float
        Added to sqrt(v_hat) to keep the division finite, >= 0.

    Use: ``state = opt.init(W, b)``, then repeatedly
    ``W, b, state = opt.step(W, b, dW, db, state)``.
    """

    def __init__(self, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8):
        self.lr = require_real(lr, "lr", minimum=0.0, strict=True)
        self.beta1 = require_real(beta1, "beta1", minimum=0.0)
        self.beta2 = require_real(beta2, "beta2", minimum=0.0)
        for name, value in (("beta1", self.beta1), ("beta2", self.beta2)):
            if value >= 1.0:
                raise ValueError(f"{name} must be in [0, 1); got {value}")
        self.eps = require_real(eps, "eps", minimum=0.0)

    def __repr__(self) -> str:
        return f"Adam(lr={self.lr:g}, beta1={self.beta1:g}, beta2={self.beta2:g}, eps={self.eps:g})"

    def init(self, W, b) -> AdamState:
        """The state before the first step: zero running means, shaped like ``W`` and ``b``."""
        zeros = lambda arrays: tuple(np.zeros_like(np.asarray(a, dtype=float)) for a in arrays)  # noqa: E731
        return AdamState(0, zeros(W), zeros(W), zeros(b), zeros(b))

    def step(self, W, b, dW, db, state: AdamState):
        """One update of every weight and bias; returns ``(W_new, b_new, state_new)``.

        Parameters
        ----------
        W, b : lists of arrays
            Weights, shapes (n_k, n_{k+1}), and biases, shapes (n_{k+1},).
        dW, db : lists of arrays
            Their gradients, same shapes.
        state : AdamState
            From :meth:`init` or the previous :meth:`step`.

        Returns
        -------
        W_new, b_new : lists of arrays
        state_new : AdamState
            Nothing passed in is modified.
        """
        if not isinstance(state, AdamState):
            raise TypeError(f"state must be an AdamState (from Adam.init), got {type(state).__name__}")
        if not (len(W) == len(dW) == len(state.mW)) or not (len(b) == len(db) == len(state.mb)):
            raise ValueError("W, dW and the state must have one entry per layer, and so must b, db")
        t = require_int(state.t, "state.t", minimum=0) + 1
        hyper = (t, self.lr, self.beta1, self.beta2, self.eps)
        W_new, mW, vW, b_new, mb, vb = [], [], [], [], [], []
        for out, m_out, v_out, params, grads, ms, vs in (
            (W_new, mW, vW, W, dW, state.mW, state.vW),
            (b_new, mb, vb, b, db, state.mb, state.vb),
        ):
            for theta, g, m, v in zip(params, grads, ms, vs):
                if np.shape(g) != np.shape(theta):
                    raise ValueError(f"a gradient has shape {np.shape(g)}, its parameter {np.shape(theta)}")
                theta, m, v = adam_update(theta, g, m, v, *hyper)
                out.append(theta)
                m_out.append(m)
                v_out.append(v)
        return W_new, b_new, AdamState(t, tuple(mW), tuple(vW), tuple(mb), tuple(vb))
