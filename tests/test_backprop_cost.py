"""reluprop.backprop_cost: operation counts of three gradient methods, stored floats."""

import numpy as np
import pytest

import reluprop as rp
from reluprop import backprop_cost as bc
from reluprop import graph as G


def test_counts_follow_the_formulas_and_grow_as_claimed():
    for L in (1, 2, 10, 100):
        c = bc.chain_multiplications(L)
        assert c["expanded chain"] == L * L + L
        assert c["reverse accumulation"] == 3 * L - 1
        assert c["finite differences"] == 2 * L * L
    big, bigger = bc.chain_multiplications(1000), bc.chain_multiplications(2000)
    assert bigger["reverse accumulation"] / big["reverse accumulation"] == pytest.approx(2, rel=1e-3)
    assert bigger["expanded chain"] / big["expanded chain"] == pytest.approx(4, rel=1e-3)


def test_reverse_count_is_the_graph_edges_minus_cost_and_input_edges():
    for L in (1, 7, 30):
        g = G.chain_graph([1.2] * L, 1.0, 0.0)
        # the graph also differentiates the 5 edges of the cost and the edge into x
        assert G.backward(g["C"]).multiplications == bc.chain_multiplications(L)["reverse accumulation"] + 6


def test_stored_floats_match_the_trace():
    rng = np.random.default_rng(0)
    sizes, B = [5, 7, 3, 2], 4
    net = rp.Network(rp.init_layers(sizes, rng=rng))
    trace = net.forward(rng.standard_normal((B, sizes[0])))
    s = bc.stored_floats(sizes, B)
    L = len(sizes) - 1
    assert s.inputs_r == sum(trace.r[k].size for k in range(L))
    assert s.pre_activations_z == sum(trace.z[k].size for k in range(1, L + 1))
    assert s.relu_outputs_only == sum(r.size for r in trace.r)
    assert s.parameters == sum(W.size + b.size for W, b in zip(net.W, net.b))
    assert s.forward_only_peak == B * (7 + 5)


def test_timing_returns_positive_times_for_every_method():
    t = bc.time_gradient_methods([2, 4], rng=np.random.default_rng(1), repeats=1)
    assert list(t.depths) == [2, 4]
    for m in bc.METHODS:
        assert t.seconds[m].shape == (2,) and np.all(t.seconds[m] > 0)


def test_bad_input():
    with pytest.raises(ValueError, match="L"):
        bc.chain_multiplications(0)
    with pytest.raises(TypeError, match="rng"):
        bc.time_gradient_methods([2], rng=1)
    with pytest.raises(ValueError, match="batch"):
        bc.stored_floats([2, 3], 0)
    with pytest.raises(ValueError, match="sizes"):
        bc.stored_floats([2], 1)
