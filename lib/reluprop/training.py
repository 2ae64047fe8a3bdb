"""A small SGD training loop on a synthetic regression task.

:func:`make_regression_task` draws inputs and targets from a random "teacher"
function; :func:`train` runs minibatch stochastic gradient descent

    W^(k) <- W^(k) - lr * dC/dW^(k),      b^(k) <- b^(k) - lr * dC/db^(k)

with the gradients of :meth:`reluprop.network.Network.gradients` (the
squared-error cost, ``eq-cost``), and returns a *new* network with the
history of the cost. Nothing is modified in place: layers are immutable, and
every step builds new ones. The network may hold any blocks (dense layers,
residual blocks, normalized layers): every parameter of every block, as
named in its ``params``, takes the same step against its gradient from
``Gradients.params`` (:class:`reluprop.network.Gradients`).

If a step makes the cost or a gradient overflow (NaN or infinity), training
stops there: the history records the non-finite cost and the step, and the
returned network is the last one whose parameters were finite. No warning is
printed and no exception is raised, so a diverging run can be plotted beside
the others.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .core._validate import (as_float_array, require_finite, require_generator, require_int, require_network,
                             require_real)
from .core.layers import init_layers
from .core.losses import squared_error
from .core.network import Network

__all__ = ["make_regression_task", "plain_net", "TrainingHistory", "TrainingResult", "train", "sgd_step",
           "sgd_update", "weight_grad_norm"]


def make_regression_task(n_in: int, n_out: int, n_samples: int, *, rng, hidden: int = 8,
                         gain: float = 2.0):
    """Inputs and targets from a random smooth teacher function.

    ``x`` has independent standard normal entries; the teacher is a random
    one-hidden-layer tanh network, ``t = tanh(gain * x @ V) @ A`` with
    ``V ~ N(0, 1/n_in)`` and ``A ~ N(0, 1/hidden)``. Each target column is
    then standardised to mean 0 and variance 1 over the samples, so
    predicting the constant 0 costs exactly ``n_out / 2`` (``eq-cost``): the
    baseline any useful network must beat.

    Parameters
    ----------
    n_in, n_out : int
        Input and output widths, >= 1.
    n_samples : int
        Number of examples, >= 2.
    rng : numpy.random.Generator
    hidden : int
        Hidden width of the teacher, >= 1.
    gain : float
        How far into tanh's curved part the teacher reaches (larger: less
        linear), > 0.

    Returns
    -------
    x : array, shape (n_samples, n_in)
    y : array, shape (n_samples, n_out)
    """
    n_in = require_int(n_in, "n_in", minimum=1)
    n_out = require_int(n_out, "n_out", minimum=1)
    n_samples = require_int(n_samples, "n_samples", minimum=2)
    hidden = require_int(hidden, "hidden", minimum=1)
    gain = require_real(gain, "gain", minimum=0.0, strict=True)
    require_generator(rng)
    x = rng.standard_normal((n_samples, n_in))
    V = rng.standard_normal((n_in, hidden)) / np.sqrt(n_in)
    A = rng.standard_normal((hidden, n_out)) / np.sqrt(hidden)
    t = np.tanh(gain * (x @ V)) @ A
    std = t.std(axis=0)
    std[std == 0] = 1.0
    return x, (t - t.mean(axis=0)) / std



def plain_net(n_in: int, width: int, depth: int, *, scheme: str, activation: str, rng, n_out: int = 1,
              scale: float = 1.0) -> Network:
    """A plain regression network ``n_in -> width x (depth - 1) -> n_out``: a linear output, zero biases.

    The network of the chapters *Training deep networks* and *Learning rates
    and optimizers*: ``depth`` layers of weights, ``depth - 1`` hidden layers
    of equal width with the given activation, and an identity output unit (a
    ReLU output could not predict negative targets). The weights come from
    :func:`reluprop.layers.init_layers`, which multiplies one draw of standard
    normal numbers by the scheme's standard deviation: the same ``rng`` state
    gives networks that differ only in the scale of their weights.

    Parameters
    ----------
    n_in, width, n_out : int
        Input width n_0, hidden width, output width n_L; each >= 1.
    depth : int
        Number of weight layers L, >= 1 (depth 1 has no hidden layer).
    scheme, scale, rng
        As for :func:`reluprop.layers.init_layers`.
    activation : str
        Activation of the hidden layers.

    Returns
    -------
    Network
        Sizes ``[n_in] + [width] * (depth - 1) + [n_out]``.
    """
    n_in = require_int(n_in, "n_in", minimum=1)
    width = require_int(width, "width", minimum=1)
    depth = require_int(depth, "depth", minimum=1)
    n_out = require_int(n_out, "n_out", minimum=1)
    sizes = [n_in] + [width] * (depth - 1) + [n_out]
    return Network(init_layers(sizes, scheme, scale=scale, rng=rng), activation, "identity")

@dataclass(frozen=True)
class TrainingHistory:
    """The cost during training, on the whole training set.

    Attributes
    ----------
    steps : array of int, shape (m,)
        The SGD steps after which the cost was measured (0 = before training).
    loss : array, shape (m,)
        The cost (``eq-cost``) on all of ``x``, ``y`` at those steps. If the
        run diverged, the last entry is the non-finite value (inf or NaN).
    grad_norms : array, shape (m, L), or None
        ``||dC/dW^(k)||`` on the whole training set at those steps, one column
        per layer or block (:func:`weight_grad_norm`; when requested; NaN
        where not finite).
    diverged_at : int or None
        The step whose update produced a non-finite cost or gradient, or None.
    """

    steps: np.ndarray
    loss: np.ndarray
    grad_norms: np.ndarray | None
    diverged_at: int | None

    @property
    def diverged(self) -> bool:
        """True if the run stopped on a non-finite cost or gradient."""
        return self.diverged_at is not None

    @property
    def initial_loss(self) -> float:
        """The cost before training."""
        return float(self.loss[0])

    @property
    def final_loss(self) -> float:
        """The last recorded cost (non-finite if the run diverged)."""
        return float(self.loss[-1])


@dataclass(frozen=True)
class TrainingResult:
    """What :func:`train` returns.

    Attributes
    ----------
    net : Network
        The trained network (a new object; the input network is unchanged).
        After a divergence, the last network with finite parameters.
    history : TrainingHistory
    """

    net: Network
    history: TrainingHistory


def sgd_step(W, b, dW, db, lr):
    """One gradient-descent update, returning new lists (nothing modified).

    Parameters
    ----------
    W, b : lists of arrays
        Weights and biases, shapes as in :class:`reluprop.layers.Layer`.
    dW, db : lists of arrays
        Their gradients, same shapes.
    lr : float
        The learning rate.

    Returns
    -------
    W_new, b_new : lists of arrays
        ``W[k] - lr * dW[k]`` and ``b[k] - lr * db[k]``.
    """
    W_new = [w - lr * g for w, g in zip(W, dW)]
    b_new = [v - lr * g for v, g in zip(b, db)]
    return W_new, b_new


def sgd_update(params, grads, lr):
    """:func:`sgd_step` for one block's named parameters: a new dict ``{name: p - lr * dC/dp}``.

    Parameters
    ----------
    params : dict
        A block's ``params`` (name -> array).
    grads : dict
        Its gradients, same names and shapes (an entry of ``Gradients.params``).
    lr : float
    """
    return {name: value - lr * grads[name] for name, value in params.items()}


def weight_grad_norm(grads) -> float:
    """``||dC/dW^(k)||`` of one block: the norm of its weight matrices' gradients, taken together.

    ``grads`` is one entry of ``Gradients.params``. The weight matrices are the
    parameters whose name starts with ``"W"``: ``W`` of a dense layer (this is
    ``||dW[k]||``), ``W1`` and ``W2`` of a residual block (the square root of
    ``||dW1||^2 + ||dW2||^2``). Biases and normalization gains are left out.
    """
    weights = [g.ravel() for name, g in grads.items() if name.startswith("W")]
    return float(np.linalg.norm(np.concatenate(weights))) if weights else 0.0


def _evaluate(net, x, y, want_norms):
    trace = net.forward(x)
    loss = squared_error(trace.y_hat, y) if np.all(np.isfinite(trace.y_hat)) else float("nan")
    if not want_norms:
        return loss, None
    if not np.isfinite(loss):
        return loss, np.full(net.depth, np.nan)
    grads = net.backward(trace, y)
    return loss, np.array([weight_grad_norm(g) for g in grads.params])


def train(net, x, y, *, lr: float | None = None, steps: int, batch_size: int, rng,
          eval_every: int = 10, record_grad_norms: bool = False, activation="relu",
          output_activation="identity", optimizer=None) -> TrainingResult:
    """Minibatch SGD (or another optimizer) on the squared-error cost; returns a new network and its history.

    Each step draws ``batch_size`` distinct examples at random, computes the
    gradients with :meth:`reluprop.network.Network.gradients`, and applies
    :func:`sgd_step` to every parameter of every block (:func:`sgd_update`,
    with the names of ``Gradients.params``; for dense layers these are the
    lists ``W``, ``b``), or, when ``optimizer`` is given, ``optimizer.step``
    (e.g. :class:`reluprop.optimizers.Adam`) to the same parameters. The cost
    on the whole training set is recorded before training, every
    ``eval_every`` steps and after the last step.

    Parameters
    ----------
    net : Network or list of Layer
        The starting network; its blocks may be of any kind (dense layers,
        residual blocks, ...). A list of layers is wrapped in
        ``Network(layers, activation, output_activation)``.
    x : array, shape (N, n_0)
    y : array, shape (N, n_L)
    lr : float
        Learning rate of plain SGD, > 0. Give either ``lr`` or ``optimizer``.
    steps : int
        Number of SGD steps, >= 0.
    batch_size : int
        Examples per step, 1 <= batch_size <= N.
    rng : numpy.random.Generator
        Chooses the minibatches; the same seed gives the same history.
    eval_every : int
        Steps between recorded costs, >= 1.
    record_grad_norms : bool
        Also record ``||dC/dW^(k)||`` per layer or block at the recorded
        steps (:func:`weight_grad_norm`).
    activation, output_activation : str
        Used only when ``net`` is a list of layers (default: ReLU hidden
        layers and a linear output, the usual choice for regression).
    optimizer : object with ``init(W, b)`` and ``step(W, b, dW, db, state)``, optional
        Replaces plain SGD, as :class:`reluprop.optimizers.Adam` does: ``step``
        returns ``(W_new, b_new, state_new)``. It is handed every parameter
        array of every block, in order, as ``W`` (with an empty ``b``), so an
        optimizer that updates each array on its own, as Adam does, works for
        any kind of block.

    Returns
    -------
    TrainingResult
        ``result.net`` and ``result.history``. A run that overflows stops
        with ``history.diverged_at`` set, without a warning or an exception.
    """
    if isinstance(net, (list, tuple)):
        net = Network(net, activation, output_activation)
    require_network(net, expected="a Network or a list of Layer")
    x = as_float_array(x, "x", ndim=2)
    y = as_float_array(y, "y", ndim=2)
    if x.shape[1] != net.sizes[0]:
        raise ValueError(f"x must have shape (N, {net.sizes[0]}) for this network; got {x.shape}")
    if y.shape != (x.shape[0], net.sizes[-1]):
        raise ValueError(f"y must have shape (N, n_L) = {(x.shape[0], net.sizes[-1])}; got {y.shape}")
    require_finite(x, "x")
    require_finite(y, "y")
    if optimizer is None:
        if lr is None:
            raise ValueError("give lr (plain SGD) or optimizer; got neither")
        lr = require_real(lr, "lr", minimum=0.0, strict=True)
    elif lr is not None:
        raise ValueError("give either lr (plain SGD) or optimizer (which has its own step size), not both")
    elif not (callable(getattr(optimizer, "init", None)) and callable(getattr(optimizer, "step", None))):
        raise TypeError(f"optimizer must have init(W, b) and step(W, b, dW, db, state) methods, "
                        f"got {type(optimizer).__name__}")
    steps = require_int(steps, "steps", minimum=0)
    batch_size = require_int(batch_size, "batch_size", minimum=1)
    if batch_size > x.shape[0]:
        raise ValueError(f"batch_size must be <= the number of examples {x.shape[0]}; got {batch_size}")
    eval_every = require_int(eval_every, "eval_every", minimum=1)
    require_generator(rng)

    record_steps, losses, norms = [], [], []
    diverged_at = None
    params = [block.params for block in net.layers]
    names = [list(p) for p in params]  # each block's parameter names, in order

    def flat(dicts):
        return [d[name] for d, block_names in zip(dicts, names) for name in block_names]

    def unflat(arrays):
        it = iter(arrays)
        return [{name: next(it) for name in block_names} for block_names in names]

    opt_state = None if optimizer is None else optimizer.init(flat(params), [])
    with np.errstate(over="ignore", invalid="ignore", under="ignore", divide="ignore"):
        loss, gn = _evaluate(net, x, y, record_grad_norms)
        record_steps.append(0)
        losses.append(loss)
        norms.append(gn)
        for t in range(1, steps + 1):
            idx = rng.choice(x.shape[0], size=batch_size, replace=False)
            grads = net.gradients(x[idx], y[idx])
            if optimizer is None:
                new = [sgd_update(p, g, lr) for p, g in zip(params, grads.params)]
            else:
                arrays, _, opt_state = optimizer.step(flat(params), [], flat(grads.params), [], opt_state)
                new = unflat(arrays)
            if not all(np.all(np.isfinite(a)) for p in new for a in p.values()):
                diverged_at = t
                record_steps.append(t)
                losses.append(float("inf"))
                norms.append(np.full(net.depth, np.nan) if record_grad_norms else None)
                break
            params = new
            net = net.with_block_params(params, check=False)  # checked finite just above
            if t % eval_every == 0 or t == steps:
                loss, gn = _evaluate(net, x, y, record_grad_norms)
                record_steps.append(t)
                losses.append(loss)
                norms.append(gn)
                if not np.isfinite(loss):
                    diverged_at = t
                    break
    history = TrainingHistory(
        steps=np.array(record_steps, dtype=int),
        loss=np.array(losses, dtype=float),
        grad_norms=np.array(norms) if record_grad_norms else None,
        diverged_at=diverged_at,
    )
    return TrainingResult(net, history)
