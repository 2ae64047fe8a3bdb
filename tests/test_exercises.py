"""The exercise checkers: a right answer passes, each typical slip gets its diagnosis."""

import math

import numpy as np
import pytest

import reluprop as rp
from reluprop import exercises as ex
from reluprop import training as T
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

def test_relu_itself_instead_of_its_derivative_gets_a_hint():
    d = rp.exercises.check_relu_derivative(lambda z: np.maximum(z, 0))
    assert not d.passed and d.kind == "wrong"
    assert rp.exercises.check_relu_derivative(lambda z: (z > 0).astype(float)).passed
    assert rp.exercises.check_relu_derivative(lambda z: np.where(z >= 0, 1.0, 0.0)).passed

def test_one_neuron_first_attempt_function_is_diagnosed():
    d = rp.exercises.check_one_neuron_gradient(rp.scalar.first_attempt_one_layer)
    assert not d.passed and d.kind == "missing_step"
    assert any("sign" in line.lower() for line in d.details)
    fixed = rp.exercises.check_one_neuron_gradient(
        lambda w, x, y: (rp.activations.relu(w * x) - y) * rp.activations.step(w * x) * x)
    assert fixed.passed

def test_two_layers_missing_step_is_diagnosed():
    def attempt(w0, w1, x, y):  # sign right, Step(z2) missing from dC/dw1
        r1 = rp.activations.relu(w0 * x)
        z2 = w1 * r1
        e = rp.activations.relu(z2) - y
        return e * rp.activations.step(z2) * w1 * x, e * r1
    d = rp.exercises.check_two_layer_gradients(attempt)
    assert not d.passed and d.kind == "missing_step"
    assert rp.exercises.check_two_layer_gradients(rp.scalar.two_layer_gradients).passed




# ---------------------------------------------------------------- exercise checker
def test_check_central_difference_right_answer_passes():
    d = rp.exercises.check_central_difference(lambda f, x, h: (f(x + h) - f(x - h)) / (2 * h))
    assert d.passed and d.kind == "ok"
    d = rp.exercises.check_central_difference(lambda f, x, h: 0.5 * (f(x + h) - f(x - h)) / h)
    assert d.passed


@pytest.mark.parametrize("wrong,kind", [
    (lambda f, x, h: (f(x + h) - f(x)) / h, "one_sided"),
    (lambda f, x, h: (f(x) - f(x - h)) / h, "one_sided"),
    (lambda f, x, h: (f(x + h) - f(x - h)) / h, "scale"),
    (lambda f, x, h: (f(x - h) - f(x + h)) / (2 * h), "sign"),
    (lambda f, x, h: (f(x + 2 * h) - f(x - h)) / (2 * h), "wrong"),
    (lambda f, x, h: 1 / 0, "error"),
    (lambda f, x, h: None, "shape"),
])
def test_check_central_difference_recognises_typical_slips(wrong, kind):
    d = rp.exercises.check_central_difference(wrong)
    assert not d.passed
    assert d.kind == kind


def test_check_central_difference_one_sided_message_names_the_order():
    d = rp.exercises.check_central_difference(lambda f, x, h: (f(x + h) - f(x)) / h)
    text = str(d)
    assert "one-sided: error O(h)" in text
    assert "10 times smaller" in text and "100 times smaller" in text


def test_check_chain_gradient_catches_x_instead_of_own_input():
    """x as the last factor instead of the weight's own input r^(k)."""
    def attempt(w, x, y):
        z, r = rp.scalar.chain_forward(w, x)
        L = len(w)
        out = []
        for k in range(L):
            g = (r[L] - y) * rp.activations.step(z[L])
            for m in range(k + 1, L):
                g = g * w[m] * rp.activations.step(z[m])
            out.append(g * x)
        return out

    d = rp.exercises.check_chain_gradient(attempt)
    assert not d.passed
    assert "r^(k)" in str(d)


# ------------------------------------------------------------ exercise checkers
def test_check_init_std():
    ex = rp.exercises
    assert ex.check_init_std(lambda n: np.sqrt(2 / n)).passed
    assert ex.check_init_std(lambda n: np.sqrt(2 / (1.04 * n)), "leaky_relu", 0.2).passed
    assert ex.check_init_std(lambda n: np.sqrt(1 / n), "identity").passed
    assert ex.check_init_std(lambda n: np.sqrt(1 / n)).kind == "xavier"
    assert ex.check_init_std(lambda n: 2 / n).kind == "variance"
    assert ex.check_init_std(lambda n: np.sqrt(2 / n), "leaky_relu", 0.2).kind == "ignores_slope"
    d = ex.check_init_std(lambda n: 2 * np.sqrt(2 / n))
    assert d.kind == "scale" and "2 times" in str(d)
    assert ex.check_init_std(lambda n: 1 / 0).kind == "error"
    assert ex.check_init_std(lambda n: [1, 2]).kind == "shape"
    with pytest.raises(ValueError, match="activation"):
        ex.check_init_std(lambda n: 1.0, "sigmoid")


def test_check_variance_gain():
    ex = rp.exercises
    assert ex.check_variance_gain(lambda n, v, a: 0.5 * (1 + a * a) * n * v).passed
    assert ex.check_variance_gain(lambda n, v, a: (1 + a * a) * n * v).kind == "scale"
    assert ex.check_variance_gain(lambda n, v, a: 0.5 * (1 + a) * n * v).kind == "slope_not_squared"
    assert not ex.check_variance_gain(lambda n, v, a: 0.5 * n * v).passed


def test_check_sgd_step():
    ex = rp.exercises

    def right(W, b, dW, db, lr):
        return [w - lr * g for w, g in zip(W, dW)], [v - lr * g for v, g in zip(b, db)]

    def uphill(W, b, dW, db, lr):
        return [w + lr * g for w, g in zip(W, dW)], [v + lr * g for v, g in zip(b, db)]

    def no_lr(W, b, dW, db, lr):
        return [w - g for w, g in zip(W, dW)], [v - g for v, g in zip(b, db)]

    def in_place(W, b, dW, db, lr):
        for w, g in zip(W + b, dW + db):
            w -= lr * g
        return W, b

    def no_bias(W, b, dW, db, lr):
        return [w - lr * g for w, g in zip(W, dW)], b

    assert ex.check_sgd_step(right).passed
    assert ex.check_sgd_step(T.sgd_step).passed
    assert ex.check_sgd_step(uphill).kind == "sign"
    assert ex.check_sgd_step(no_lr).kind == "missing_lr"
    assert ex.check_sgd_step(in_place).kind == "in_place"
    assert ex.check_sgd_step(no_bias).kind == "extra_zero"
    assert ex.check_sgd_step(lambda *a: None).kind == "shape"


# ---------------------------------------------------------------------------
# The chapter's self-checking exercise
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fn, kind",
    [
        (lambda s, L, a: (s * math.sqrt(1 + a * a)) ** L, "ok"),
        (lambda s, L, a: (s * math.sqrt(2.0)) ** L, "all_active"),
        (lambda s, L, a: (s * s * (1 + a * a)) ** L, "squared"),
        (lambda s, L, a: (s * math.sqrt(1 + a * a)) ** (L - 1), "off_by_one"),
        (lambda s, L, a: (s * math.sqrt(1 + a * a)) ** (L + 1), "off_by_one"),
        (lambda s, L, a: math.sqrt(1 + a * a) ** L, "ignores_scale"),
        (lambda s, L, a: 0.25 ** L, "wrong"),
        (lambda s, L, a: [1.0, 2.0], "shape"),
        (lambda s, L, a: 1 / 0, "error"),
    ],
)
def test_check_signal_gain(fn, kind):
    d = rp.exercises.check_signal_gain(fn)
    assert d.kind == kind
    assert d.passed == (kind == "ok")
    if kind != "ok":
        assert "hint" in str(d)


@pytest.mark.slow
def test_signal_gain_answer_matches_measurement():
    """The checker's answer is what wide networks do: leaky ReLU, slope 0.5, s = 0.8, depth 30."""
    s, L, a = 0.8, 30, 0.5
    res = rp.experiments.gradient_profile(L, 512, "leaky_relu", s, 8, seed=9, slope=a)
    measured = res.dr_norm[0] / res.dr_norm[L]
    assert abs(math.log(measured) - L * math.log(s * math.sqrt(1 + a * a))) < 0.5
