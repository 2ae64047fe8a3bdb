"""What deep-learning frameworks draw by default, in the course's notation.

Each scheme below is written for the course's weight layout: ``W^(k)`` has
shape ``(n_k, n_{k+1})`` (fan-in first), so ``z^(k+1) = r^(k) W^(k) + b^(k)``
(``eq-forward-z``). PyTorch stores the transpose, shape ``(out, in)``; the
fan-in is the same number.

``"torch_linear_default"``
    What ``torch.nn.Linear`` draws when it is created: ``kaiming_uniform_``
    with ``a = sqrt(5)``, i.e. W ~ U(-1/sqrt(n_in), 1/sqrt(n_in)), so
    Var[W] = 1 / (3 n_in), and biases ~ U(-1/sqrt(n_in), 1/sqrt(n_in)).
``"keras_glorot_uniform"``
    The default of Keras' ``Dense``: W ~ U(-l, l) with
    l = sqrt(6 / (n_in + n_out)), so Var[W] = 2 / (n_in + n_out) (Glorot and
    Bengio 2010); biases 0.
``"kaiming_normal_fan_in"``, ``"kaiming_normal_fan_out"``
    ``torch.nn.init.kaiming_normal_(W, mode=..., nonlinearity="relu")``:
    W ~ N(0, 2 / fan) with fan = n_in or n_out (He et al. 2015, ``eq-he``);
    biases 0 (the function does not touch them; we set them to 0).
``"kaiming_uniform_fan_in"``
    ``kaiming_uniform_(W, nonlinearity="relu")``: W ~ U(-l, l) with
    l = sqrt(6 / n_in), the same variance 2 / n_in as the normal version;
    biases 0.

A uniform distribution on (-l, l) has variance l^2 / 3, which is how the
uniform schemes match a given variance. In the units of Part II, a scheme's
*scale* is ``s = sqrt(Var[W] / (2 / n_in))``: He's initialization is s = 1,
and for bias-free ReLU layers of equal width one layer multiplies the
backpropagated signal's norm by about s (``eq-vanishing-exploding-gain``).
"""

from __future__ import annotations

import math

import numpy as np

from ._validate import require_choice, require_generator, require_sizes
from .layers import Layer

__all__ = ["FRAMEWORK_INITS", "weight_variance", "scale_vs_he", "framework_layers"]

FRAMEWORK_INITS = (
    "torch_linear_default",
    "keras_glorot_uniform",
    "kaiming_normal_fan_in",
    "kaiming_normal_fan_out",
    "kaiming_uniform_fan_in",
)


def _check_name(name) -> str:
    return require_choice(name, FRAMEWORK_INITS, "name")


def weight_variance(name: str, n_in: int, n_out: int) -> float:
    """Var[W] of one layer with ``n_in`` inputs and ``n_out`` outputs under scheme ``name``."""
    name = _check_name(name)
    n_in, n_out = require_sizes([n_in, n_out])
    if name == "torch_linear_default":
        return 1.0 / (3.0 * n_in)
    if name == "keras_glorot_uniform":
        return 2.0 / (n_in + n_out)
    if name == "kaiming_normal_fan_out":
        return 2.0 / n_out
    return 2.0 / n_in  # kaiming_normal_fan_in, kaiming_uniform_fan_in


def scale_vs_he(name: str, n_in: int, n_out: int) -> float:
    """The scheme's standard deviation in units of He's sqrt(2 / n_in): the scale s of Part II."""
    return math.sqrt(weight_variance(name, n_in, n_out) * n_in / 2.0)


def framework_layers(name: str, sizes, *, rng) -> list:
    """Draw layers for widths ``sizes = [n_0, ..., n_L]`` as framework scheme ``name`` does.

    Parameters
    ----------
    name : str
        One of ``FRAMEWORK_INITS``.
    sizes : sequence of int, length >= 2
    rng : numpy.random.Generator

    Returns
    -------
    list of Layer
        Layer ``k`` has ``W`` of shape ``(sizes[k], sizes[k+1])`` and ``b`` of
        shape ``(sizes[k+1],)``.
    """
    name = _check_name(name)
    sizes = require_sizes(sizes)
    require_generator(rng)
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        n_in, n_out = int(n_in), int(n_out)
        var = weight_variance(name, n_in, n_out)
        if name.startswith("kaiming_normal"):
            W = rng.standard_normal((n_in, n_out)) * math.sqrt(var)
        else:
            limit = math.sqrt(3.0 * var)  # U(-l, l) has variance l^2 / 3
            W = rng.uniform(-limit, limit, (n_in, n_out))
        if name == "torch_linear_default":
            bound = 1.0 / math.sqrt(n_in)
            b = rng.uniform(-bound, bound, n_out)
        else:
            b = np.zeros(n_out)
        layers.append(Layer(W, b))
    return layers
