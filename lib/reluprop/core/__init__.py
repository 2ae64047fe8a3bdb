"""The teaching core: everything a forward and backward pass needs, readable in one sitting.

Read in this order:

- :mod:`~reluprop.activations`: ``f`` and ``f'`` (ReLU, Step, and the others);
- :mod:`~reluprop.losses`: the squared-error cost and its gradient dC/dŷ;
- :mod:`~reluprop.layers`: one dense layer, its initialization, and its
  forward and backward step (the answer's equations);
- :mod:`~reluprop.network`: the network, its records (``Trace``,
  ``Gradients``), the block protocol and the one backward loop;
- :mod:`~reluprop.gradcheck`: finite differences against backpropagation;
- :mod:`~reluprop.scalar`: the same chain rule written for one neuron per
  layer, as in Part I;
- ``_validate``: the input checks every function shares.

Nothing here imports matplotlib or ipywidgets. Each module is also reachable
under its short name (``reluprop.layers`` is ``reluprop.core.layers``).
"""

from . import activations, gradcheck, layers, losses, network, scalar

__all__ = ["activations", "losses", "layers", "network", "gradcheck", "scalar"]
