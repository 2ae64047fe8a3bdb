"""reluprop: backpropagation through ReLU networks, in a few exact NumPy functions.

The library behind the course *Backpropagation through ReLU networks, from
one neuron to a thousand layers*. Names follow the text's notation: rows are
examples, ``x`` has shape ``(batch, n_0)``, layer ``k`` has ``W[k]`` of shape
``(n_k, n_{k+1})`` and ``b[k]`` of shape ``(n_{k+1},)``, and
``z^(k+1) = r^(k) @ W^(k) + b^(k)``.

The package has three rings:

- :mod:`reluprop.core`, the teaching core (activations, losses, layers,
  network, gradient checking, scalar chains); its modules are also
  ``reluprop.activations``, ``reluprop.layers`` and so on;
- theory and experiments beside it, one module per concept: mean-field
  theory (:mod:`reluprop.theory`), descent paths, the first attempt, the cost
  model, finite differences, variance recursions, training, depth experiments;
- display and practice, loaded only when first used: figures
  (:mod:`reluprop.plotting`, matplotlib), the explorer (:mod:`reluprop.widgets`,
  ipywidgets) and the exercise checkers (:mod:`reluprop.exercises`).
  ``import reluprop`` imports neither matplotlib.pyplot nor ipywidgets.

>>> import numpy as np, reluprop as rp
>>> rng = np.random.default_rng(0)
>>> net = rp.Network(rp.init_layers([2, 3, 1], rng=rng))
>>> grads = net.backward(net.forward(np.ones((4, 2))), np.zeros((4, 1)))
"""

import importlib as _importlib
import sys as _sys

from . import core
from .core import activations, gradcheck, layers, losses, network, scalar

# The core modules keep their short names: ``import reluprop.layers`` and
# ``from reluprop.network import Network`` work as they always did.
for _name in core.__all__ + ["_validate"]:
    _sys.modules[f"{__name__}.{_name}"] = _importlib.import_module(f".core.{_name}", __name__)
del _name
_validate = core._validate

from .core.activations import Activation, get_activation  # noqa: E402
from .core.layers import Layer, backward_step, forward_step, init_layers, init_std  # noqa: E402
from .core.losses import squared_error, squared_error_grad  # noqa: E402
from .core.network import Gradients, Network, Trace  # noqa: E402

# Theory and experiments, one module per concept (chapters in brackets).
from . import theory  # noqa: E402  (Initialization, Vanishing and exploding)
from . import descent, first_attempt  # noqa: E402  (One neuron, Two layers)
from .descent import gradient_descent  # noqa: E402
from . import cost_model, finite_differences  # noqa: E402  (The general layer, Gradient checking)
from . import training, variance  # noqa: E402  (Initialization, Training deep networks)
from . import experiments  # noqa: E402  (Vanishing and exploding)
from .experiments import gradient_profile  # noqa: E402
from . import residual  # noqa: E402  (Residual connections, Training a thousand layers)

#: Modules imported on first use (PEP 562): they pull in matplotlib or ipywidgets.
_LAZY = ("plotting", "widgets", "exercises")


def __getattr__(name):
    if name in _LAZY:
        return _importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "Activation",
    "get_activation",
    "Layer",
    "init_layers",
    "init_std",
    "forward_step",
    "backward_step",
    "squared_error",
    "squared_error_grad",
    "Network",
    "Trace",
    "Gradients",
    "core",
    "activations",
    "losses",
    "layers",
    "network",
    "scalar",
    "gradcheck",
    "theory",
    "exercises",
    "plotting",
    # Part I, chapters One neuron and Two layers
    "descent",
    "gradient_descent",
    "first_attempt",
    # Part I, chapters The general layer and Gradient checking
    "cost_model",
    "finite_differences",
    # Part II, chapters Initialization and Training deep networks
    "variance",
    "training",
    # Part II, chapter Vanishing and exploding
    "experiments",
    "gradient_profile",
    "widgets",
    # Part III, chapters Residual connections and Training a thousand layers
    "residual",
]

__version__ = "0.1.0"
