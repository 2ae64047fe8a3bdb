"""reluprop: backpropagation through ReLU networks, in a few exact NumPy functions.

The library behind the course *Backpropagation through ReLU networks, from
one neuron to a thousand layers*. Names follow the text's notation: rows are
examples, ``x`` has shape ``(batch, n_0)``, layer ``k`` has ``W[k]`` of shape
``(n_k, n_{k+1})`` and ``b[k]`` of shape ``(n_{k+1},)``, and
``z^(k+1) = r^(k) @ W^(k) + b^(k)``.

>>> import numpy as np, reluprop as rp
>>> rng = np.random.default_rng(0)
>>> net = rp.Network(rp.init_layers([2, 3, 1], rng=rng))
>>> grads = net.backward(net.forward(np.ones((4, 2))), np.zeros((4, 1)))
"""

from . import activations, exercises, gradcheck, layers, losses, network, plotting, scalar
from .activations import Activation, get_activation
from .layers import Layer, backward_step, forward_step, init_layers, init_std
from .losses import squared_error, squared_error_grad
from .network import Gradients, Network, Trace

# Part I, chapters One neuron and Two layers: descent paths, first attempt vs truth.
from . import descent, first_attempt
from .descent import gradient_descent

# Part I, chapters The general layer and Gradient checking: cost of the passes, step-size sweeps.
from . import cost_model, finite_differences

# Part II, chapters Initialization and Training deep networks: variance recursions, SGD.
from . import optimizers, training, variance

# Part II, chapter Vanishing and exploding: gradient profiles and the explorer (ipywidgets imported lazily).
from . import experiments, widgets
from .experiments import gradient_profile

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
    "activations",
    "losses",
    "layers",
    "network",
    "scalar",
    "gradcheck",
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
    "optimizers",
    # Part II, chapter Vanishing and exploding
    "experiments",
    "gradient_profile",
    "widgets",
]

__version__ = "0.1.0"
