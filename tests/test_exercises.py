"""The exercise checkers: a right answer passes, each typical slip gets its diagnosis."""

import numpy as np
import pytest

import reluprop as rp
from reluprop import exercises as ex
from reluprop import scalar
from reluprop.activations import relu, step


def test_relu_derivative_right_answers_pass_with_either_value_at_zero():
    assert ex.check_relu_derivative(lambda z: (z > 0).astype(float)).passed
    assert ex.check_relu_derivative(lambda z: (z >= 0).astype(float)).passed


def test_relu_derivative_function_instead_of_derivative():
    d = ex.check_relu_derivative(lambda z: np.maximum(z, 0))
    assert not d.passed and d.kind == "wrong"
    assert "yours:" in str(d) and "expected:" in str(d)


def test_relu_derivative_wrong_shape():
    d = ex.check_relu_derivative(lambda z: 1.0)
    assert not d.passed and d.kind == "shape"


def test_one_neuron_right_answer_passes():
    d = ex.check_one_neuron_gradient(lambda w, x, y: (relu(w * x) - y) * step(w * x) * x)
    assert d.passed and bool(d) and "correct on all 8 cases" in str(d)


def test_one_neuron_first_attempt_is_diagnosed_as_sign_and_missing_step():
    d = ex.check_one_neuron_gradient(scalar.first_attempt_one_layer)
    assert not d.passed and d.kind == "missing_step"
    text = str(d)
    assert "sign is flipped" in text and "Step(z)" in text


def test_one_neuron_sign_only():
    d = ex.check_one_neuron_gradient(lambda w, x, y: -scalar.one_layer_gradient(w, x, y))
    assert d.kind == "sign" and "climbs the cost" in str(d)


def test_one_neuron_missing_step_only():
    d = ex.check_one_neuron_gradient(lambda w, x, y: (relu(w * x) - y) * x)
    assert d.kind == "missing_step"
    assert "sign is flipped" not in str(d)


def test_one_neuron_scale():
    d = ex.check_one_neuron_gradient(lambda w, x, y: 2 * scalar.one_layer_gradient(w, x, y))
    assert d.kind == "scale" and "ratio 2" in str(d)


def test_one_neuron_exception_is_reported():
    def broken(w, x, y):
        raise ZeroDivisionError("oops")

    d = ex.check_one_neuron_gradient(broken)
    assert d.kind == "error" and "ZeroDivisionError: oops" in str(d)


def test_two_layers():
    assert ex.check_two_layer_gradients(scalar.two_layer_gradients).passed
    no_step = lambda w0, w1, x, y: (  # noqa: E731
        (relu(w1 * relu(w0 * x)) - y) * w1 * x,
        (relu(w1 * relu(w0 * x)) - y) * relu(w0 * x),
    )
    assert ex.check_two_layer_gradients(no_step).kind == "missing_step"
    flipped = lambda *a: tuple(-v for v in scalar.two_layer_gradients(*a))  # noqa: E731
    assert ex.check_two_layer_gradients(flipped).kind == "sign"


def test_chain_gradient():
    assert ex.check_chain_gradient(scalar.chain_gradient).passed

    def uses_x_as_input(w, x, y):
        z, r = scalar.chain_forward(w, x)
        g = scalar.chain_gradient(w, x, y)
        return [gk / r[k] * x if r[k] != 0 else gk for k, gk in enumerate(g)]

    d = ex.check_chain_gradient(uses_x_as_input)
    assert not d.passed and d.kind == "wrong" and "r^(k), not x" in str(d)


def test_backward_step():
    def right(dr, z, r_prev, W):
        dz = dr * (z > 0)
        return dz, dz @ W.T, r_prev.T @ dz, dz.sum(axis=0)

    assert ex.check_backward_step(right).passed

    def mean_bias(dr, z, r_prev, W):
        dz, drp, dW, db = right(dr, z, r_prev, W)
        return dz, drp, dW, dz.mean(axis=0)

    d = ex.check_backward_step(mean_bias)
    assert d.kind in ("wrong", "scale") and "db" in d.summary and "summed over the batch" in str(d)

    def no_step(dr, z, r_prev, W):
        return dr, dr @ W.T, r_prev.T @ dr, dr.sum(axis=0)

    d = ex.check_backward_step(no_step)
    assert d.kind == "missing_step" and "dz" in d.summary

    def wrong_shape(dr, z, r_prev, W):
        dz = dr * (z > 0)
        return dz, dz @ W.T, dz.T @ r_prev, dz.sum(axis=0)

    d = ex.check_backward_step(wrong_shape)
    assert d.kind == "shape" and "dW" in d.summary

    assert ex.check_backward_step(lambda *a: None).kind == "shape"


def test_backward_step_other_activation():
    sig = rp.get_activation("sigmoid")
    assert ex.check_backward_step(
        lambda dr, z, r_prev, W: rp.backward_step(dr, z, r_prev, W, sig), activation="sigmoid").passed


def test_diagnosis_prints_in_ipython():
    d = ex.check_one_neuron_gradient(scalar.first_attempt_one_layer)

    class Printer:
        def __init__(self):
            self.out = ""

        def text(self, s):
            self.out += s

    p = Printer()
    d._repr_pretty_(p, False)
    assert p.out == str(d) and p.out.startswith("✗")


@pytest.mark.parametrize("bad", [lambda *a: "x", lambda *a: [1, 2]])
def test_garbage_answers_do_not_crash_the_checker(bad):
    d = ex.check_one_neuron_gradient(bad)
    assert not d.passed
