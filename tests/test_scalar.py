"""Scalar chains: the closed forms equal the Network, and the first attempt differs as documented."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import reluprop as rp
from reluprop import scalar


def chain_network(w, activation="relu"):
    """A 1-1-...-1 network without biases, weights input to output."""
    return rp.Network([rp.Layer([[wk]]) for wk in w], activation, activation)


def network_gradients(w, x, y, activation="relu"):
    g = chain_network(w, activation).gradients(np.array([[x]]), np.array([[y]]))
    return [float(d[0, 0]) for d in g.dW]


weights = st.floats(-2.0, 2.0, allow_nan=False).filter(lambda v: abs(v) > 1e-3)
inputs = st.floats(0.05, 3.0)
targets = st.floats(-2.0, 3.0)


@settings(max_examples=200, deadline=None)
@given(st.lists(weights, min_size=1, max_size=12), inputs, targets,
       st.sampled_from(["relu", "sigmoid", "tanh", "leaky_relu", "identity"]))
def test_closed_form_chain_equals_network(w, x, y, activation):
    closed = [float(v) for v in scalar.chain_gradient(w, x, y, activation)]
    np.testing.assert_allclose(closed, network_gradients(w, x, y, activation), rtol=1e-12, atol=1e-15)


@settings(max_examples=200, deadline=None)
@given(weights, weights, weights, inputs, targets)
def test_one_two_three_layer_formulas_equal_the_chain(w0, w1, w2, x, y):
    assert float(scalar.one_layer_gradient(w0, x, y)) == pytest.approx(
        network_gradients([w0], x, y)[0], rel=1e-12, abs=1e-15)
    np.testing.assert_allclose(
        [float(v) for v in scalar.two_layer_gradients(w0, w1, x, y)],
        network_gradients([w0, w1], x, y), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(
        [float(v) for v in scalar.three_layer_gradients(w0, w1, w2, x, y)],
        network_gradients([w0, w1, w2], x, y), rtol=1e-12, atol=1e-15)


def test_closed_forms_broadcast_over_grids():
    w1, w0 = np.meshgrid(np.linspace(-2, 2, 7), np.linspace(-2, 2, 5))
    d_w0, d_w1 = scalar.two_layer_gradients(w0, w1, 1.5, 0.5)
    assert d_w0.shape == d_w1.shape == (5, 7)
    assert d_w0[2, 3] == float(scalar.two_layer_gradients(w0[2, 3], w1[2, 3], 1.5, 0.5)[0])


def test_from_learner_numbering_reverses():
    assert scalar.from_learner_numbering("w1", "w2", "w3") == ["w3", "w2", "w1"]


# ------------------------------------------------- the first attempt, claim by claim
positive = st.floats(0.1, 2.0)


@settings(max_examples=100, deadline=None)
@given(positive, inputs, targets)
def test_one_layer_attempt_has_the_sign_flipped_where_the_unit_is_active(w1, x, y):
    attempt = float(scalar.first_attempt_one_layer(w1, x, y))
    true = float(scalar.one_layer_gradient(w1, x, y))
    assert attempt == pytest.approx(-true, rel=1e-12, abs=1e-15)


@settings(max_examples=100, deadline=None)
@given(st.floats(-2.0, -0.1), inputs, targets.filter(lambda v: abs(v) > 1e-2))
def test_one_layer_attempt_is_nonzero_for_a_dead_unit(w1, x, y):
    assert float(scalar.one_layer_gradient(w1, x, y)) == 0.0
    assert float(scalar.first_attempt_one_layer(w1, x, y)) == pytest.approx(y * x, rel=1e-12)


@settings(max_examples=100, deadline=None)
@given(positive, positive, inputs, targets)
def test_two_layer_attempt_is_minus_the_truth_when_both_weights_are_positive(w1, w2, x, y):
    # learner: w2 is the first layer, w1 the last; answer's order is [w2, w1]
    true_first = float(scalar.two_layer_gradients(w2, w1, x, y)[0])
    assert float(scalar.first_attempt_two_layers(w1, w2, x, y)) == pytest.approx(-true_first, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("w1, w2", [(-0.8, 1.2), (1.2, -0.8), (-0.8, -1.2)])
def test_two_layer_attempt_is_wrong_when_a_unit_is_inactive(w1, w2):
    x, y = 1.5, 0.7
    true_first = float(scalar.two_layer_gradients(w2, w1, x, y)[0])
    attempt = float(scalar.first_attempt_two_layers(w1, w2, x, y))
    assert true_first == 0.0  # a Step factor is 0
    assert attempt != 0.0 and attempt != -true_first


@settings(max_examples=100, deadline=None)
@given(positive, positive, positive, inputs, targets)
def test_three_layer_attempt_for_the_first_weight_only_flips_sign_when_all_active(w1, w2, w3, x, y):
    true = scalar.three_layer_gradients(*scalar.from_learner_numbering(w1, w2, w3), x, y)
    assert float(scalar.first_attempt_three_layers(w1, w2, w3, x, y)) == pytest.approx(
        -float(true[0]), rel=1e-12, abs=1e-15)


@settings(max_examples=100, deadline=None)
@given(positive, positive, positive, inputs, targets)
def test_update_all_three_is_the_learners_list_quoted_literally(w1, w2, w3, x, y):
    d_w3, d_w2, d_w1 = scalar.three_layer_gradients(w3, w2, w1, x, y)  # answer's order
    listed = scalar.first_attempt_update_all_three(w1, w2, w3, x, y)
    # w1 (last layer): the one-layer formula, error of the one-layer prediction ReLU(w1 x)
    assert float(listed["w1"]) == pytest.approx((y - max(w1 * x, 0.0)) * x, rel=1e-12, abs=1e-15)
    # w2: the two-layer formula, error of ReLU(w1 ReLU(w2 x))
    assert float(listed["w2"]) == pytest.approx(
        (y - max(w1 * max(w2 * x, 0.0), 0.0)) * w1 * x, rel=1e-12, abs=1e-15)
    # w3: the three-layer formula, only the sign differs when all units are active
    assert float(listed["w3"]) == pytest.approx(-float(d_w3), rel=1e-10, abs=1e-13)


def test_update_all_three_shallower_error_terms_in_a_concrete_case():
    # x = 2, y = 1: the learner's w1, w2 formulas are neither the truth nor its negative
    w1, w2, w3, x, y = 0.8, 3.0, 0.5, 2.0, 1.0
    d_w3, d_w2, d_w1 = scalar.three_layer_gradients(w3, w2, w1, x, y)
    listed = scalar.first_attempt_update_all_three(w1, w2, w3, x, y)
    assert [float(listed[k]) for k in ("w1", "w2", "w3")] == pytest.approx([-1.2, -6.08, -6.72])
    assert [float(d_w1), float(d_w2), float(d_w3)] == pytest.approx([4.2, 1.12, 6.72])
    # at y = 4 two mistakes cancel: w2's formula is right, w1's is exactly minus the truth
    d_w3, d_w2, d_w1 = scalar.three_layer_gradients(w3, w2, w1, x, 4.0)
    listed = scalar.first_attempt_update_all_three(w1, w2, w3, x, 4.0)
    assert float(listed["w2"]) == pytest.approx(float(d_w2), rel=1e-12)
    assert float(listed["w1"]) == pytest.approx(-float(d_w1), rel=1e-12)
