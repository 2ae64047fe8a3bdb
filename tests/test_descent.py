"""Gradient descent that records its path."""

import numpy as np
import pytest

import reluprop as rp
from reluprop.descent import gradient_descent


# ------------------------------------------------------------------ descent
def test_descent_on_a_quadratic_matches_the_closed_form():
    # C(w) = (w - 3)^2 / 2, gradient w - 3, lr 0.5: w_t = 3 - 3 * 0.5**t.
    path = gradient_descent(lambda w: w - 3.0, 0.0, lr=0.5, steps=10,
                            cost_fn=lambda w: 0.5 * float((w - 3.0) ** 2))
    t = np.arange(11)
    np.testing.assert_allclose(path.w, 3.0 - 3.0 * 0.5 ** t, rtol=0, atol=1e-15)
    np.testing.assert_allclose(path.cost, 0.5 * (3.0 * 0.5 ** t) ** 2, rtol=1e-14, atol=0)
    assert path.steps == 10 and not path.diverged
    assert path.final_cost == pytest.approx(0.5 * (3 * 0.5 ** 10) ** 2, rel=1e-14)
    assert isinstance(path.final_cost, float)


def test_descent_keeps_the_shape_of_w0_and_works_without_cost():
    w0 = np.array([[1.0, -2.0], [0.5, 4.0]])
    path = gradient_descent(lambda w: 2 * w, w0, lr=0.25, steps=3)
    assert path.w.shape == (4, 2, 2)
    assert path.cost is None and path.final_cost is None
    np.testing.assert_allclose(path.final_w, w0 * 0.5 ** 3, rtol=1e-15)
    assert np.array_equal(path.w[0], w0)


def test_descent_zero_steps_records_the_start():
    path = gradient_descent(lambda w: w, 2.0, lr=0.1, steps=0, cost_fn=lambda w: float(w) ** 2)
    assert path.steps == 0 and path.w.shape == (1,) and path.cost.tolist() == [4.0]


def test_descent_gives_grad_fn_a_copy():
    def mutating(w):
        g = np.ones_like(w)
        w[...] = 1e9  # must not leak into the path
        return g
    path = gradient_descent(mutating, np.zeros(2), lr=1.0, steps=2)
    np.testing.assert_array_equal(path.w, [[0, 0], [-1, -1], [-2, -2]])


def test_descent_stops_and_reports_overflow():
    # Each step multiplies w by 1e200: the second step overflows.
    path = gradient_descent(lambda w: -1e200 * w, 1.0, lr=1.0, steps=5)
    assert path.diverged and path.steps == 1 and np.all(np.isfinite(path.w))
    # A cost that overflows stops the run too, before recording the bad point.
    path = gradient_descent(lambda w: -w, 1e154, lr=1.0, steps=5, cost_fn=lambda w: float(np.square(w)))
    assert path.diverged and path.steps == 0 and np.all(np.isfinite(path.cost))


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(lr=0.0), ValueError, "lr"),
    (dict(lr=-0.1), ValueError, "lr"),
    (dict(lr=float("nan")), ValueError, "lr"),
    (dict(steps=-1), ValueError, "steps"),
    (dict(steps=2.0), TypeError, "steps"),
    (dict(w0=float("inf")), ValueError, "w0"),
    (dict(w0="1"), TypeError, "w0"),
    (dict(grad_fn=3), TypeError, "grad_fn"),
    (dict(cost_fn="cost"), TypeError, "cost_fn"),
    (dict(grad_fn=lambda w: np.zeros(3)), ValueError, "shape"),
    (dict(cost_fn=lambda w: float("nan")), ValueError, "cost_fn"),
])
def test_descent_rejects_bad_arguments(kwargs, error, match):
    args = dict(grad_fn=lambda w: w, w0=1.0, lr=0.1, steps=3, cost_fn=None)
    args.update(kwargs)
    with pytest.raises(error, match=match):
        gradient_descent(**args)


def one_neuron_cost(x, y):
    return lambda w: rp.Network([rp.Layer(np.reshape(w, (1, 1)))]).cost([[x]], [[y]])


def test_true_gradient_descends_and_first_attempt_climbs():
    # The chapter One neuron's setting: x = 1.5, y = 1, start with ŷ above y.
    x, y, w0, lr = 1.5, 1.0, 0.9, 0.1
    true = gradient_descent(lambda w: rp.scalar.one_layer_gradient(w, x, y), w0, lr, 40,
                            one_neuron_cost(x, y))
    first = gradient_descent(lambda w: rp.scalar.first_attempt_one_layer(w, x, y), w0, lr, 40,
                             one_neuron_cost(x, y))
    assert np.all(np.diff(true.cost) < 0) and true.final_cost < 1e-9
    assert float(true.final_w) == pytest.approx(y / x, rel=1e-4)
    assert np.all(np.diff(first.cost) > 0) and first.final_cost > 1e5


def test_first_attempt_from_below_climbs_to_the_dead_plateau():
    x, y = 1.5, 1.0
    first = gradient_descent(lambda w: rp.scalar.first_attempt_one_layer(w, x, y), 0.5, 0.1, 30,
                             one_neuron_cost(x, y))
    assert np.all(np.diff(first.cost) >= 0)
    assert first.final_cost == pytest.approx(0.5 * y ** 2, abs=1e-15)
    assert float(first.final_w) < 0
