"""A computational graph of scalars: backpropagation as "upstream times local".

The chapter *The computational graph* takes backpropagation apart into its
smallest pieces. A :class:`Node` holds one number, the nodes it was computed
from (its *inputs*) and, for each input ``u``, the *local derivative*
``∂v/∂u`` of its own value ``v``, evaluated during the forward computation.
:func:`backward` then walks the graph from the output back to the inputs, in
reverse topological order, and applies the one rule of backpropagation
(``eq-graph-backward``)::

    dC/du = Σ over the nodes v that use u of  dC/dv · ∂v/∂u

once per edge: the gradient that has arrived at ``v`` from above (the
*upstream* gradient) times the local derivative of the edge, summed over the
edges that leave ``u``. Every edge costs one multiplication, so a backward
pass costs as many multiplications as the graph has edges.

The operations are the few that a ReLU network needs, each with its local
derivatives: :func:`add` (1 and 1: it hands the upstream gradient to both
inputs), :func:`mul` (each input gets the *other* input), :func:`relu`
(``Step(z)``: a gate that passes the gradient or blocks it),
:func:`maximum` (1 for the larger input, 0 for the other: it routes the
gradient), :func:`sub` and :func:`square`. :func:`chain_graph` builds the
scalar chain of the first chapters, so the graph's gradients can be compared
with :func:`reluprop.scalar.chain_gradient` and :class:`reluprop.network.Network`.

This module is for reading and for small examples; the networks of the
course use the matrix equations of :mod:`reluprop.layers`, which are the
same rule applied to whole layers at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validate import require_real
from .activations import step

__all__ = [
    "Node",
    "add",
    "sub",
    "mul",
    "square",
    "relu",
    "maximum",
    "topological_order",
    "BackwardRecord",
    "backward",
    "chain_graph",
]


class Node:
    """One scalar of a computational graph.

    Parameters
    ----------
    value : float
        The number this node holds.
    inputs : tuple of Node
        The nodes it was computed from (empty for an input or a parameter).
    local : tuple of float
        ``local[i]`` is the local derivative ``∂value/∂inputs[i]``, evaluated
        at the forward values.
    op : str
        The operation's name, for display (``"input"`` for a leaf).
    name : str
        Optional label, for display.

    Attributes
    ----------
    grad : float
        ``dC/d(value)`` after :func:`backward`; 0 before.
    """

    __slots__ = ("value", "inputs", "local", "op", "name", "grad")

    def __init__(self, value, inputs=(), local=(), op="input", name=""):
        self.value = require_real(value, "value")
        inputs, local = tuple(inputs), tuple(float(d) for d in local)
        if len(inputs) != len(local):
            raise ValueError(f"inputs and local must have the same length; got {len(inputs)} and {len(local)}")
        for i, u in enumerate(inputs):
            if not isinstance(u, Node):
                raise TypeError(f"inputs[{i}] must be a Node, got {type(u).__name__}")
        self.inputs, self.local = inputs, local
        self.op, self.name, self.grad = str(op), str(name), 0.0

    def __repr__(self) -> str:
        label = f" {self.name!r}" if self.name else ""
        return f"Node{label}({self.op}: value={self.value:.6g}, grad={self.grad:.6g})"


def _node(v) -> Node:
    return v if isinstance(v, Node) else Node(v, name=f"{float(v):g}")


def add(a, b, name: str = "") -> Node:
    """``a + b``; local derivatives 1 and 1 (the gradient is handed to both)."""
    a, b = _node(a), _node(b)
    return Node(a.value + b.value, (a, b), (1.0, 1.0), "add", name)


def sub(a, b, name: str = "") -> Node:
    """``a - b``; local derivatives 1 and -1."""
    a, b = _node(a), _node(b)
    return Node(a.value - b.value, (a, b), (1.0, -1.0), "sub", name)


def mul(a, b, name: str = "") -> Node:
    """``a * b``; local derivatives ``b`` and ``a`` (each input gets the other one)."""
    a, b = _node(a), _node(b)
    return Node(a.value * b.value, (a, b), (b.value, a.value), "mul", name)


def square(a, name: str = "") -> Node:
    """``a ** 2``; local derivative ``2 a``."""
    a = _node(a)
    return Node(a.value * a.value, (a,), (2.0 * a.value,), "square", name)


def relu(a, name: str = "") -> Node:
    """``ReLU(a)``; local derivative ``Step(a)`` (0 at ``a = 0``, as in ``eq-step``)."""
    a = _node(a)
    return Node(max(a.value, 0.0), (a,), (float(step(a.value)),), "relu", name)


def maximum(a, b, name: str = "") -> Node:
    """``max(a, b)``; local derivative 1 for the larger input and 0 for the other.

    On a tie the first input gets the 1. ``relu(z)`` is ``maximum(z, 0)``
    except at the tie ``z = 0``, where :func:`relu` follows the library's
    ``Step(0) = 0``.
    """
    a, b = _node(a), _node(b)
    first = a.value >= b.value
    return Node(max(a.value, b.value), (a, b), (float(first), float(not first)), "max", name)


def topological_order(output: Node) -> list:
    """Every node that ``output`` depends on, each after all of its inputs."""
    if not isinstance(output, Node):
        raise TypeError(f"output must be a Node, got {type(output).__name__}")
    order, seen, stack = [], set(), [(output, False)]
    while stack:                      # iterative depth-first search: deep chains are fine
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        stack.extend((u, False) for u in node.inputs if id(u) not in seen)
    return order


@dataclass(frozen=True)
class BackwardRecord:
    """What :func:`backward` did.

    Attributes
    ----------
    order : list of Node
        The nodes in the order they were processed (output first).
    multiplications : int
        Upstream-times-local products formed: one per edge of the graph.
    """

    order: list
    multiplications: int


def backward(output: Node) -> BackwardRecord:
    """Set ``node.grad = dC/d(node.value)`` for every node, with ``C = output.value``.

    Applies ``eq-graph-backward`` in reverse topological order: each node,
    once all the nodes that use it have been processed, passes
    ``node.grad * local[i]`` to its input ``i``, where it is added to what
    the input's other users have passed.

    Parameters
    ----------
    output : Node
        The node holding the cost ``C``.

    Returns
    -------
    BackwardRecord
    """
    order = topological_order(output)
    for node in order:
        node.grad = 0.0
    output.grad = 1.0
    products = 0
    for node in reversed(order):
        for u, d in zip(node.inputs, node.local):
            u.grad += node.grad * d   # upstream times local
            products += 1
    return BackwardRecord(order=list(reversed(order)), multiplications=products)


def chain_graph(w, x, y) -> dict:
    """The scalar ReLU chain of ``eq-chain`` as a graph, with its cost.

    ``z^(k+1) = w^(k) r^(k)``, ``r^(k+1) = ReLU(z^(k+1))``, ``r^(0) = x``,
    ``C = (ŷ - y)^2 / 2`` with ``ŷ = r^(L)``.

    Parameters
    ----------
    w : sequence of float, length L >= 1
        Weights ``w^(0) .. w^(L-1)``, input to output.
    x, y : float
        Input and target.

    Returns
    -------
    dict
        ``"w"``: list of the L weight nodes; ``"z"``: list of length L + 1
        (``z[0]`` is None); ``"r"``: list of length L + 1 (``r[0]`` is the
        input node); ``"C"``: the cost node. Call :func:`backward` on ``C``
        and read ``node.grad``.
    """
    w = [require_real(v, f"w[{k}]") for k, v in enumerate(np.atleast_1d(np.asarray(w, dtype=float)))]
    if not w:
        raise ValueError("w must hold at least one weight")
    ws = [Node(v, name=f"w^({k})") for k, v in enumerate(w)]
    r, z = [Node(require_real(x, "x"), name="x")], [None]
    for k, wk in enumerate(ws):
        z.append(mul(wk, r[-1], name=f"z^({k + 1})"))
        r.append(relu(z[-1], name=f"r^({k + 1})"))
    err = sub(r[-1], Node(require_real(y, "y"), name="y"), name="ŷ - y")
    cost = mul(0.5, square(err, name="(ŷ - y)²"), name="C")
    return {"w": ws, "z": z, "r": r, "C": cost}
