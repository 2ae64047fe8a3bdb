"""The Adam exercise checker of the chapter Training deep networks recognises each slip."""

import numpy as np
import pytest

from reluprop.exercises_part2_training import check_adam_update
from reluprop.optimizers import adam_update


def correct(theta, g, m, v, t, lr, beta1, beta2, eps):
    return adam_update(theta, g, m, v, t, lr, beta1, beta2, eps)


def no_bias_correction(theta, g, m, v, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g**2
    return theta - lr * m / (np.sqrt(v) + eps), m, v


def uphill(theta, g, m, v, t, lr, beta1, beta2, eps):
    new, m, v = adam_update(theta, g, m, v, t, lr, beta1, beta2, eps)
    return 2 * theta - new, m, v


def no_sqrt(theta, g, m, v, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g**2
    return theta - lr * (m / (1 - beta1**t)) / (v / (1 - beta2**t) + eps), m, v


def no_square(theta, g, m, v, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g
    return theta - lr * (m / (1 - beta1**t)) / (np.sqrt(np.abs(v / (1 - beta2**t))) + eps), m, v


def in_place(theta, g, m, v, t, lr, beta1, beta2, eps):
    m *= beta1
    m += (1 - beta1) * g
    v2 = beta2 * v + (1 - beta2) * g**2
    return theta - lr * (m / (1 - beta1**t)) / (np.sqrt(v2 / (1 - beta2**t)) + eps), m, v2


def corrected_state(theta, g, m, v, t, lr, beta1, beta2, eps):
    new, m, v = adam_update(theta, g, m, v, t, lr, beta1, beta2, eps)
    return new, m / (1 - beta1**t), v / (1 - beta2**t)


def raises(*args):
    raise RuntimeError("boom")


@pytest.mark.parametrize("fn, kind", [
    (correct, "ok"), (no_bias_correction, "no_bias_correction"), (uphill, "sign"),
    (no_sqrt, "no_sqrt"), (no_square, "no_square"), (in_place, "in_place"),
    (corrected_state, "state"), (raises, "error"),
])
def test_each_slip_is_named(fn, kind):
    d = check_adam_update(fn)
    assert d.kind == kind, str(d)
    assert bool(d) is (kind == "ok")
    assert "eq-" not in str(d)  # no internal labels in what the learner reads


def test_wrong_return_shape_is_reported():
    d = check_adam_update(lambda *a: a[0])
    assert not d and d.kind in {"shape", "error"}
