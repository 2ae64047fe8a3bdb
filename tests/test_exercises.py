"""The exercise checkers: a right answer passes, each typical slip gets its diagnosis,
and every diagnosis is printed the same way (the layout is tested once, here)."""

import math
import re

import numpy as np
import pytest

import reluprop as rp
from reluprop import exercises as ex
from reluprop import scalar
from reluprop import training as T
from reluprop.activations import relu, step
from reluprop.exercises.engine import WIDTH, Diagnosis
from reluprop.optimizers import adam_update


def said(d):
    """Everything a diagnosis says, in one line (hints are wrapped when printed)."""
    return " ".join([d.summary] + d.details + d.hints)


# ---------------------------------------------------------------- answers, one group per checker
def raises(*args):
    raise ZeroDivisionError("oops")


def chain_with_x_as_input(w, x, y):
    """The slip of Three layers: x as the last factor instead of the weight's own input r^(k)."""
    z, r = scalar.chain_forward(w, x)
    L = len(w)
    out = []
    for k in range(L):
        g = (r[L] - y) * step(z[L])
        for m in range(k + 1, L):
            g = g * w[m] * step(z[m])
        out.append(g * x)
    return out


def layer_step(dz_of, db_of=lambda dz: dz.sum(axis=0), dW_of=lambda r_prev, dz: r_prev.T @ dz):
    def fn(dr, z, r_prev, W):
        dz = dz_of(dr, z)
        return dz, dz @ W.T, dW_of(r_prev, dz), db_of(dz)
    return fn


def sgd(sign=-1.0, use_lr=True, move_b=True):
    def fn(W, b, dW, db, lr):
        f = lr if use_lr else 1.0
        return ([w + sign * f * g for w, g in zip(W, dW)],
                [v + sign * f * g for v, g in zip(b, db)] if move_b else b)
    return fn


def sgd_in_place(W, b, dW, db, lr):
    for w, g in zip(W + b, dW + db):
        w -= lr * g
    return W, b


def adam_no_bias_correction(theta, g, m, v, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g**2
    return theta - lr * m / (np.sqrt(v) + eps), m, v


def adam_uphill(theta, g, m, v, t, lr, beta1, beta2, eps):
    new, m, v = adam_update(theta, g, m, v, t, lr, beta1, beta2, eps)
    return 2 * theta - new, m, v


def adam_no_sqrt(theta, g, m, v, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g**2
    return theta - lr * (m / (1 - beta1**t)) / (v / (1 - beta2**t) + eps), m, v


def adam_no_square(theta, g, m, v, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g
    return theta - lr * (m / (1 - beta1**t)) / (np.sqrt(np.abs(v / (1 - beta2**t))) + eps), m, v


def adam_in_place(theta, g, m, v, t, lr, beta1, beta2, eps):
    m *= beta1
    m += (1 - beta1) * g
    v2 = beta2 * v + (1 - beta2) * g**2
    return theta - lr * (m / (1 - beta1**t)) / (np.sqrt(v2 / (1 - beta2**t)) + eps), m, v2


def adam_corrected_state(theta, g, m, v, t, lr, beta1, beta2, eps):
    new, m, v = adam_update(theta, g, m, v, t, lr, beta1, beta2, eps)
    return new, m / (1 - beta1**t), v / (1 - beta2**t)


def norm_compact(axis):
    def fn(du, x_hat, sigma):
        return (du - du.mean(axis=axis, keepdims=True)
                - x_hat * (du * x_hat).mean(axis=axis, keepdims=True)) / sigma
    return fn


def relu_spectrum(L, w):
    return 1.0, 2.0 * L if w == "gaussian" else float(L)


def linear_spectrum(L, w):
    return 1.0, float(L) if w == "gaussian" else 0.0


#: (checker, its arguments after fn, the learner's function, the kind of diagnosis it gets).
ANSWERS = {
    "check_relu_derivative": [
        ((), lambda z: (z > 0).astype(float), "ok"),
        ((), lambda z: (z >= 0).astype(float), "ok"),
        ((), lambda z: np.maximum(z, 0), "wrong"),
        ((), lambda z: np.ones_like(z), "missing_step"),
        ((), lambda z: 1.0, "shape"),
        ((), lambda z: "x", "error"),
        ((), raises, "error"),
    ],
    "check_one_neuron_gradient": [
        ((), lambda w, x, y: (relu(w * x) - y) * step(w * x) * x, "ok"),
        ((), scalar.first_attempt_one_layer, "missing_step"),
        ((), lambda w, x, y: -scalar.one_layer_gradient(w, x, y), "sign"),
        ((), lambda w, x, y: (relu(w * x) - y) * x, "missing_step"),
        ((), lambda w, x, y: 2 * scalar.one_layer_gradient(w, x, y), "scale"),
        ((), lambda w, x, y: (relu(w * x) - y) * step(w * x), "wrong"),
        ((), lambda w, x, y: "x", "error"),
        ((), lambda w, x, y: [1, 2], "shape"),
        ((), raises, "error"),
    ],
    "check_two_layer_gradients": [
        ((), scalar.two_layer_gradients, "ok"),
        ((), lambda w0, w1, x, y: ((relu(w1 * relu(w0 * x)) - y) * w1 * x,
                                   (relu(w1 * relu(w0 * x)) - y) * relu(w0 * x)), "missing_step"),
        ((), lambda w0, w1, x, y: ((relu(w1 * relu(w0 * x)) - y) * step(w1 * relu(w0 * x)) * w1 * x,
                                   (relu(w1 * relu(w0 * x)) - y) * relu(w0 * x)), "missing_step"),
        ((), lambda *a: tuple(-v for v in scalar.two_layer_gradients(*a)), "sign"),
        ((), lambda *a: None, "shape"),
    ],
    "check_chain_gradient": [
        ((), scalar.chain_gradient, "ok"),
        ((), chain_with_x_as_input, "wrong"),
        ((), lambda w, x, y: 1.0, "shape"),
    ],
    "check_backward_step": [
        ((), layer_step(lambda dr, z: dr * (z > 0)), "ok"),
        (("sigmoid",), lambda dr, z, r_prev, W: rp.backward_step(dr, z, r_prev, W, rp.get_activation("sigmoid")),
         "ok"),
        ((), layer_step(lambda dr, z: dr * (z > 0), db_of=lambda dz: dz.mean(axis=0)), "wrong"),
        ((), layer_step(lambda dr, z: dr), "missing_step"),
        ((), layer_step(lambda dr, z: dr * (z > 0), dW_of=lambda r_prev, dz: dz.T @ r_prev), "shape"),
        ((), lambda *a: None, "shape"),
    ],
    "check_mul_backward": [
        ((), lambda u, a, b: (u * b, u * a), "ok"),
        ((), lambda u, a, b: (u * a, u * b), "wrong"),
        ((), lambda u, a, b: 1 / 0, "error"),
    ],
    "check_central_difference": [
        ((), lambda f, x, h: (f(x + h) - f(x - h)) / (2 * h), "ok"),
        ((), lambda f, x, h: 0.5 * (f(x + h) - f(x - h)) / h, "ok"),
        ((), lambda f, x, h: (f(x + h) - f(x)) / h, "one_sided"),
        ((), lambda f, x, h: (f(x) - f(x - h)) / h, "one_sided"),
        ((), lambda f, x, h: (f(x + h) - f(x - h)) / h, "scale"),
        ((), lambda f, x, h: (f(x - h) - f(x + h)) / (2 * h), "sign"),
        ((), lambda f, x, h: (f(x + 2 * h) - f(x - h)) / (2 * h), "wrong"),
        ((), lambda f, x, h: 1 / 0, "error"),
        ((), lambda f, x, h: None, "shape"),
    ],
    "check_init_std": [
        ((), lambda n: np.sqrt(2 / n), "ok"),
        (("leaky_relu", 0.2), lambda n: np.sqrt(2 / (1.04 * n)), "ok"),
        (("identity",), lambda n: np.sqrt(1 / n), "ok"),
        ((), lambda n: np.sqrt(1 / n), "xavier"),
        ((), lambda n: 2 / n, "variance"),
        (("leaky_relu", 0.2), lambda n: np.sqrt(2 / n), "ignores_slope"),
        ((), lambda n: 2 * np.sqrt(2 / n), "scale"),
        ((), lambda n: 1 / 0, "error"),
        ((), lambda n: [1, 2], "shape"),
    ],
    "check_variance_gain": [
        ((), lambda n, v, a: 0.5 * (1 + a * a) * n * v, "ok"),
        ((), lambda n, v, a: (1 + a * a) * n * v, "scale"),
        ((), lambda n, v, a: 0.5 * (1 + a) * n * v, "slope_not_squared"),
        ((), lambda n, v, a: 0.5 * n * v, "wrong"),
        ((), lambda n, v, a: None, "shape"),
    ],
    "check_sgd_step": [
        ((), sgd(), "ok"),
        ((), T.sgd_step, "ok"),
        ((), sgd(sign=+1.0), "sign"),
        ((), sgd(use_lr=False), "missing_lr"),
        ((), sgd_in_place, "in_place"),
        ((), sgd(move_b=False), "extra_zero"),
        ((), lambda *a: None, "shape"),
    ],
    "check_adam_update": [
        ((), adam_update, "ok"),
        ((), adam_no_bias_correction, "no_bias_correction"),
        ((), adam_uphill, "sign"),
        ((), adam_no_sqrt, "no_sqrt"),
        ((), adam_no_square, "no_square"),
        ((), adam_in_place, "in_place"),
        ((), adam_corrected_state, "state"),
        ((), raises, "error"),
        ((), lambda *a: a[0], "shape"),
    ],
    "check_signal_gain": [
        ((), lambda s, L, a: (s * math.sqrt(1 + a * a)) ** L, "ok"),
        ((), lambda s, L, a: (s * math.sqrt(2.0)) ** L, "all_active"),
        ((), lambda s, L, a: (s * s * (1 + a * a)) ** L, "squared"),
        ((), lambda s, L, a: (s * math.sqrt(1 + a * a)) ** (L - 1), "off_by_one"),
        ((), lambda s, L, a: (s * math.sqrt(1 + a * a)) ** (L + 1), "off_by_one"),
        ((), lambda s, L, a: math.sqrt(1 + a * a) ** L, "ignores_scale"),
        ((), lambda s, L, a: 0.25 ** L, "wrong"),
        ((), lambda s, L, a: [1.0, 2.0], "shape"),
        ((), lambda s, L, a: 1 / 0, "error"),
    ],
    "check_typical_log_factor": [
        ((), lambda w: -1.25 * sum(1 / n for n in w), "ok"),
        ((), lambda w: 0.0, "mean_square"),
        ((), lambda w: 1.25 * sum(1 / n for n in w), "sign"),
        ((), lambda w: -0.625 * sum(1 / n for n in w), "half"),
        ((), lambda w: -len(w) / 10, "wrong"),
        ((), lambda w: "many", "shape"),
    ],
    "check_width_for_spread": [
        ((), lambda L, s: 1.25 * L / s**2, "ok"),
        ((), lambda L, s: 1.25 * L / s, "not_squared"),
        ((), lambda L, s: L / s**2, "no_constant"),
        ((), lambda L, s: 1.6 * L / s**2, "narrow_constant"),
        ((), lambda L, s: 3.0 * L / s**2, "scale"),
        ((), lambda L, s: 1 / 0, "error"),
        ((), lambda L, s: "many", "shape"),
    ],
    "check_norm_backward": [
        (("layer",), norm_compact(1), "ok"),
        (("batch",), norm_compact(0), "ok"),
        (("layer",), lambda du, x, s: (du - du.mean(axis=1, keepdims=True)) / s, "no_variance"),
        (("layer",), lambda du, x, s: (du - x * (du * x).mean(axis=1, keepdims=True)) / s, "no_mean"),
        (("batch",), norm_compact(1), "wrong_axis"),
        (("batch",), lambda du, x, s: norm_compact(0)(du, x, s) * s, "no_sigma"),
        (("layer",), lambda du, x, s: du, "wrong"),
        (("batch",), lambda du, x, s: du, "wrong"),
        (("layer",), lambda du, x, s: du[0], "shape"),
        (("batch",), raises, "error"),
    ],
    "check_jacobian_spectrum": [
        (("relu",), relu_spectrum, "ok"),
        (("identity",), linear_spectrum, "ok"),
        (("relu",), linear_spectrum, "other_activation"),
        (("identity",), lambda L, w: linear_spectrum(L, "orthogonal" if w == "gaussian" else "gaussian"),
         "swapped"),
        (("relu",), lambda L, w: (1.0, 3.0 * L), "variance"),
        (("relu",), lambda L, w: (0.5, 2.0 * L), "wrong"),
        (("relu",), lambda L, w: relu_spectrum(L, "orthogonal" if w == "gaussian" else "gaussian"), "swapped"),
        (("relu",), lambda L, w: 1.0, "shape"),
        (("relu",), raises, "error"),
    ],
    "check_residual_backward": [
        ((), lambda dr, J, a: dr @ (np.eye(len(dr)) + a * J).T, "ok"),
        ((), lambda dr, J, a: a * dr @ J.T, "no_identity"),
        ((), lambda dr, J, a: dr + a * dr @ J, "transpose"),
        ((), lambda dr, J, a: dr + dr @ J.T, "missing_alpha"),
        ((), lambda dr, J, a: 2 * dr, "wrong"),
        ((), lambda dr, J, a: dr[:1], "shape"),
        ((), lambda dr, J, a: 1 / 0, "error"),
    ],
    "check_residual_variance": [
        ((), lambda a, L: (1 + a * a) ** L, "ok"),
        ((), lambda a, L: (1 + a) ** L, "not_squared"),
        ((), lambda a, L: 1 + L * a * a, "additive"),
        ((), lambda a, L: a ** (2 * L), "no_identity"),
        ((), lambda a, L: 2.0 ** L, "wrong"),
        ((), lambda a, L: "x", "shape"),
    ],
    "check_branch_scale": [
        ((), lambda L, B: np.sqrt(B ** (1 / L) - 1), "ok"),
        ((), lambda L, B: np.sqrt(np.log(B) / L), "approximation"),
        ((), lambda L, B: np.sqrt(B / L), "additive"),
        ((), lambda L, B: 1 / np.sqrt(L), "wrong"),
    ],
}

CASES = [pytest.param(check, args, fn, kind, id=f"{check}-{i}-{kind}")
         for check, answers in ANSWERS.items() for i, (args, fn, kind) in enumerate(answers)]


def diagnose(check, args, fn):
    return getattr(ex, check)(fn, *args)


@pytest.mark.parametrize("check, args, fn, kind", CASES)
def test_each_answer_gets_its_diagnosis(check, args, fn, kind):
    d = diagnose(check, args, fn)
    assert d.kind == kind, str(d)
    assert d.passed is (kind == "ok") and bool(d) is d.passed


@pytest.mark.parametrize("check, args, fn, kind", CASES)
def test_every_diagnosis_is_laid_out_the_same_way(check, args, fn, kind):
    """Summary, detail lines indented by two, then each hint: ``hint:``, its words wrapped to WIDTH."""
    d = diagnose(check, args, fn)
    text = str(d)
    head = "\n".join([d.summary] + ["  " + line for line in d.details])
    assert d.summary.startswith("✓" if d.passed else "✗") and "\n" not in d.summary
    assert text.startswith(head)
    hint_lines = text[len(head):].split("\n")[1:] if d.hints else []
    assert text == "\n".join([head] + hint_lines)
    starts = [i for i, line in enumerate(hint_lines) if line.startswith("  hint: ")]
    assert len(starts) == len(d.hints) and starts[:1] in ([], [0])
    for line in hint_lines:
        assert len(line) <= WIDTH, line
        assert re.match(r"(  hint: |        )\S", line), line
        assert not re.search(r"(^ +[-+*/·=<>@×]{1,2} |\s[-+*/·=<>@×]{1,2}$)", line), line
    for hint, first, end in zip(d.hints, starts, starts[1:] + [len(hint_lines)]):
        printed = " ".join(line[8:] for line in hint_lines[first:end])
        assert printed == " ".join(hint.split())  # the hint's words, only its line breaks added
    assert "eq-" not in text  # no internal labels in what the learner reads


def test_every_checker_is_tested_and_gives_a_hint():
    checkers = {name for name in ex.__all__ if name.startswith("check_")}
    assert checkers == set(ANSWERS)
    for check, answers in ANSWERS.items():
        assert any(kind == "ok" for _, _, kind in answers), check
        assert any(diagnose(check, args, fn).hints for args, fn, kind in answers if kind != "ok"), check


@pytest.mark.parametrize("hint", [
    "short.",
    "a formula that must not break at an operator: " + " + ".join(f"x_{i} · w_{i}" for i in range(12)) + ".",
    "brackets stay whole: E[ln ||.||] and (1 - beta1**t) and (prediction minus target), " * 3,
    "one " + "verylongwordwithoutspaces" * 2 + " and more words after it to wrap the line once or twice.",
])
def test_hint_layout(hint):
    lines = str(Diagnosis(False, "✗ x", ["detail"], "wrong", [hint])).split("\n")[2:]
    assert lines[0].startswith("  hint: ") and all(line.startswith(" " * 8) for line in lines[1:])
    assert all(len(line) <= WIDTH for line in lines)
    assert " ".join(line[8:] for line in lines) == " ".join(hint.split())
    for group in ("E[ln ||.||]", "(1 - beta1**t)"):
        if group in hint:
            assert all(group in line for line in lines if group.split()[0] in line.split())


def test_random_hints_are_wrapped_within_the_width(rng):
    for _ in range(50):
        words = ["".join(rng.choice(list("abcdef()·=-+"), size=rng.integers(1, 12))) for _ in range(40)]
        hint = " ".join(words)
        lines = str(Diagnosis(False, "✗ x", hints=[hint])).split("\n")[1:]
        assert all(len(line) <= WIDTH for line in lines)
        assert " ".join(line[8:] for line in lines) == hint


@pytest.mark.parametrize("kwargs, error, match", [
    ({"details": ["hint: look here"]}, ValueError, "details must not contain hints"),
    ({"hints": "look here"}, TypeError, "hints must be a list of str"),
    ({"hints": ["look\nhere"]}, ValueError, "without line breaks"),
    ({"hints": ["hint: look here"]}, ValueError, "'hint:' prefix"),
    ({"hints": [""]}, ValueError, "non-empty"),
    ({"details": "yours: 1"}, TypeError, "details must be a list of str"),
])
def test_diagnosis_takes_hints_only_in_their_field(kwargs, error, match):
    with pytest.raises(error, match=match):
        Diagnosis(False, "✗ x", **kwargs)


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


# ---------------------------------------------------------------- what particular diagnoses say
def test_relu_derivative_shows_both_values():
    d = ex.check_relu_derivative(lambda z: np.maximum(z, 0))
    assert "yours:" in str(d) and "expected:" in str(d)


def test_one_neuron_messages():
    assert "correct on all 8 cases" in str(ex.check_one_neuron_gradient(scalar.one_layer_gradient))
    first = ex.check_one_neuron_gradient(scalar.first_attempt_one_layer)
    assert len(first.hints) == 2 and "sign is flipped" in first.hints[0] and "Step(z)" in first.hints[1]
    assert "climbs the cost" in said(ex.check_one_neuron_gradient(lambda *a: -scalar.one_layer_gradient(*a)))
    assert "sign is flipped" not in said(ex.check_one_neuron_gradient(lambda w, x, y: (relu(w * x) - y) * x))
    assert "ratio 2" in said(ex.check_one_neuron_gradient(lambda *a: 2 * scalar.one_layer_gradient(*a)))
    assert "ZeroDivisionError: oops" in said(ex.check_one_neuron_gradient(raises))


def test_chain_gradient_names_the_weights_own_input():
    assert "r^(k), not x" in said(ex.check_chain_gradient(chain_with_x_as_input))


def test_backward_step_names_the_quantity_that_differs():
    d = ex.check_backward_step(layer_step(lambda dr, z: dr * (z > 0), db_of=lambda dz: dz.mean(axis=0)))
    assert "db" in d.summary and "summed over the batch" in said(d)
    assert "dz" in ex.check_backward_step(layer_step(lambda dr, z: dr)).summary
    d = ex.check_backward_step(layer_step(lambda dr, z: dr * (z > 0), dW_of=lambda r_prev, dz: dz.T @ r_prev))
    assert "dW" in d.summary


def test_mul_backward_names_the_swap():
    assert "multiplied each input by itself" in said(ex.check_mul_backward(lambda u, a, b: (u * a, u * b)))
    assert "ZeroDivisionError" in ex.check_mul_backward(lambda u, a, b: 1 / 0).summary


def test_central_difference_one_sided_message_names_the_order():
    text = said(ex.check_central_difference(lambda f, x, h: (f(x + h) - f(x)) / h))
    assert "one-sided: error O(h)" in text
    assert "10 times smaller" in text and "100 times smaller" in text


@pytest.mark.parametrize("checker, args, match", [
    ("check_norm_backward", (norm_compact(1), "group"), "norm"),
    ("check_jacobian_spectrum", (relu_spectrum, "tanh"), "activation"),
])
def test_checker_rejects_a_setting_it_does_not_know(checker, args, match):
    with pytest.raises(ValueError, match=match):
        getattr(ex, checker)(*args)


def test_init_std_scale_and_bad_activation():
    assert "2 times" in said(ex.check_init_std(lambda n: 2 * np.sqrt(2 / n)))
    with pytest.raises(ValueError, match="activation"):
        ex.check_init_std(lambda n: 1.0, "sigmoid")


def test_branch_scale_hint_states_the_shortfall():
    ratio = np.sqrt(np.log(2) / 10) / np.sqrt(2 ** 0.1 - 1)
    assert 1 - ratio == pytest.approx(0.017, abs=5e-4)  # the 1.7 % of the hint
    assert "1.7 %" in said(ex.check_branch_scale(lambda L, B: np.sqrt(np.log(B) / L)))


@pytest.mark.slow
def test_signal_gain_answer_matches_measurement():
    """The checker's answer is what wide networks do: leaky ReLU, slope 0.5, s = 0.8, depth 30."""
    s, L, a = 0.8, 30, 0.5
    res = rp.experiments.gradient_profile(L, 512, "leaky_relu", s, 8, seed=9, slope=a)
    measured = res.dr_norm[0] / res.dr_norm[L]
    assert abs(math.log(measured) - L * math.log(s * math.sqrt(1 + a * a))) < 0.5
