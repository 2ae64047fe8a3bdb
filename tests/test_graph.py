"""reluprop.graph: the scalar graph's backward pass against the closed forms and autograd."""

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad
from hypothesis import given, settings
from hypothesis import strategies as st

from reluprop import graph as G
from reluprop import scalar


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-2.0, 2.0), min_size=1, max_size=12),
       st.floats(0.1, 3.0), st.floats(-2.0, 2.0))
def test_chain_graph_matches_the_closed_form(w, x, y):
    g = G.chain_graph(w, x, y)
    G.backward(g["C"])
    closed = [float(v) for v in scalar.chain_gradient(w, x, y)]
    np.testing.assert_allclose([n.grad for n in g["w"]], closed, rtol=1e-12, atol=1e-14)


def test_chain_graph_matches_autograd_where_units_are_active():
    rng = np.random.default_rng(3)
    w, x, y = rng.uniform(0.5, 1.5, size=7), 1.3, 0.2

    def cost(v):
        r = x
        for wk in v:
            r = anp.maximum(wk * r, 0.0)
        return 0.5 * (r - y) ** 2

    g = G.chain_graph(w, x, y)
    G.backward(g["C"])
    np.testing.assert_allclose([n.grad for n in g["w"]], grad(cost)(w), rtol=1e-12)


def test_local_rules_add_mul_max_relu():
    a, b = G.Node(2.0), G.Node(-3.0)
    for out, expected in [(G.add(a, b), (1.0, 1.0)), (G.mul(a, b), (-3.0, 2.0)),
                          (G.maximum(a, b), (1.0, 0.0)), (G.sub(a, b), (1.0, -1.0))]:
        scaled = G.mul(out, 5.0)           # upstream gradient 5
        G.backward(scaled)
        assert (a.grad, b.grad) == (5.0 * expected[0], 5.0 * expected[1])
    for z, passed in [(1.5, 7.0), (-1.5, 0.0), (0.0, 0.0)]:
        zn = G.Node(z)
        G.backward(G.mul(G.relu(zn), 7.0))
        assert zn.grad == passed


def test_a_node_used_twice_sums_its_gradients():
    a = G.Node(3.0)
    out = G.add(G.mul(a, a), a)          # a^2 + a
    G.backward(out)
    assert a.grad == 2 * 3.0 + 1


def test_backward_counts_one_multiplication_per_edge():
    for L in (1, 4, 50):
        g = G.chain_graph([1.1] * L, 1.0, 0.0)
        rec = G.backward(g["C"])
        assert rec.multiplications == 3 * L + 5   # 3 edges per layer, 5 in the cost
        assert rec.order[0] is g["C"]


def test_deep_chain_does_not_hit_the_recursion_limit():
    g = G.chain_graph([1.0] * 5000, 1.0, 0.5)
    G.backward(g["C"])
    assert g["w"][0].grad == pytest.approx(0.5)


def test_bad_input():
    with pytest.raises(TypeError, match="inputs\\[0\\] must be a Node"):
        G.Node(1.0, (1.0,), (1.0,))
    with pytest.raises(ValueError, match="same length"):
        G.Node(1.0, (G.Node(1.0),), ())
    with pytest.raises(ValueError, match="at least one weight"):
        G.chain_graph([], 1.0, 0.0)
    with pytest.raises(TypeError, match="output must be a Node"):
        G.backward(3.0)
    with pytest.raises(ValueError, match="value must be finite"):
        G.Node(float("nan"))
