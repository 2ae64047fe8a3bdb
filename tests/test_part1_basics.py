"""Part I, chapters ReLU, One neuron and Two layers: the library code they add,
and the exercise diagnoses their notebooks show.

- ``reluprop.descent``: gradient descent that records its path;
- ``reluprop.first_attempt``: the learner's formulas classified against the truth;
- the pre-filled wrong answers of the chapters' self-checking cells get the
  intended diagnosis from ``reluprop.exercises``.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import reluprop as rp
from reluprop import first_attempt as fa
from reluprop.descent import DescentPath, gradient_descent


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


# ------------------------------------------------------------------ classify
def test_classify_recognises_each_category():
    attempt = np.array([2.0, -2.0, 1.0, 3.0, 0.0])
    truth = np.array([2.0, 2.0, 0.0, 1.0, 0.0])
    assert fa.classify(attempt, truth).tolist() == [fa.EQUAL, fa.SIGN_ONLY, fa.NONZERO_WHERE_ZERO,
                                                   fa.OTHER, fa.EQUAL]
    assert fa.classify(attempt, truth).dtype == np.int8


def test_classify_zero_attempt_for_non_zero_truth_is_other():
    assert int(fa.classify(0.0, 1.0)) == fa.OTHER


def test_classify_broadcasts_and_uses_tolerances():
    codes = fa.classify(np.array([[1.0], [-1.0]]), np.array([1.0, 1.0 + 1e-12, 1.1]))
    assert codes.shape == (2, 3)
    assert codes.tolist() == [[fa.EQUAL, fa.EQUAL, fa.OTHER], [fa.SIGN_ONLY, fa.SIGN_ONLY, fa.OTHER]]
    assert int(fa.classify(1.05, 1.1, rtol=0.1)) == fa.EQUAL


@pytest.mark.parametrize("bad, error", [(dict(rtol=-1.0), ValueError), (dict(atol=float("inf")), ValueError),
                                        (dict(attempt="a"), TypeError)])
def test_classify_rejects_bad_arguments(bad, error):
    args = dict(attempt=1.0, truth=1.0)
    args.update(bad)
    with pytest.raises(error):
        fa.classify(**args)


def test_category_fractions():
    fr = fa.category_fractions(np.array([0, 1, 1, 2], dtype=np.int8))
    assert fr == {"equal": 0.25, "sign only": 0.5, "non-zero, true 0": 0.25, "otherwise wrong": 0.0}
    assert all(type(v) is float for v in fr.values())
    with pytest.raises(ValueError, match="codes"):
        fa.category_fractions(np.array([0, 4]))
    with pytest.raises(ValueError, match="codes"):
        fa.category_fractions(np.array([], dtype=int))
    with pytest.raises(TypeError, match="codes"):
        fa.category_fractions(np.array([0.5]))


def test_one_layer_classification():
    # x > 0: an active unit (w > 0) gets the sign wrong only; a dead one (w < 0) gets a spurious value.
    codes = fa.classify_first_attempt_one_layer(np.array([1.2, -0.7]), 2.0, 1.0)
    assert codes.tolist() == [fa.SIGN_ONLY, fa.NONZERO_WHERE_ZERO]
    codes = fa.classify_first_attempt_one_layer(np.array([1.2, -0.7]), 2.0, 1.0, fix_sign=True)
    assert codes.tolist() == [fa.EQUAL, fa.NONZERO_WHERE_ZERO]


@pytest.mark.parametrize("w0, w1, expected, expected_fixed", [
    (1.0, 1.0, fa.SIGN_ONLY, fa.EQUAL),              # both units active: the identity holds
    (1.0, -1.0, fa.NONZERO_WHERE_ZERO, fa.NONZERO_WHERE_ZERO),   # output unit dead
    (-1.0, 1.0, fa.NONZERO_WHERE_ZERO, fa.NONZERO_WHERE_ZERO),   # first unit dead
    (-1.0, -1.0, fa.NONZERO_WHERE_ZERO, fa.NONZERO_WHERE_ZERO),
])
def test_two_layer_classification_by_quadrant(w0, w1, expected, expected_fixed):
    assert int(fa.classify_first_attempt_two_layers(w0, w1, 1.5, 3.0)) == expected
    assert int(fa.classify_first_attempt_two_layers(w0, w1, 1.5, 3.0, fix_sign=True)) == expected_fixed


def test_two_layer_classification_uses_the_answers_numbering():
    # The truth for w0 (first layer) is two_layer_gradients(w0, w1, ...)[0]; swapping
    # the roles of the weights changes the answer at an asymmetric point.
    w0, w1, x, y = 2.0, 0.5, 1.0, 3.0
    truth = float(rp.scalar.two_layer_gradients(w0, w1, x, y)[0])
    learner = float(rp.scalar.first_attempt_two_layers(w1, w0, x, y))  # learner's (w1, w2)
    assert learner == pytest.approx(-truth, rel=1e-14)
    assert int(fa.classify_first_attempt_two_layers(w0, w1, x, y)) == fa.SIGN_ONLY


def test_two_layer_map_fractions_on_a_symmetric_grid():
    g = np.linspace(-2, 2, 200)  # even count: no grid point on an axis
    W0, W1 = np.meshgrid(g, g)
    codes = fa.classify_first_attempt_two_layers(W0, W1, 1.0, 0.5)
    assert codes.shape == (200, 200)
    fr = fa.category_fractions(codes)
    assert fr["sign only"] == pytest.approx(0.25, abs=1e-12)
    assert fr["non-zero, true 0"] == pytest.approx(0.75, abs=1e-12)
    # with y = 0 the dead region's formula is (0 - 0) w1 x = 0: right by accident
    fr0 = fa.category_fractions(fa.classify_first_attempt_two_layers(W0, W1, 1.0, 0.0))
    assert fr0["equal"] == pytest.approx(0.75, abs=1e-12)


nonzero = st.floats(-2.0, 2.0).filter(lambda v: abs(v) > 1e-3)


@settings(max_examples=200, deadline=None)
@given(nonzero, nonzero, st.floats(0.05, 3.0), st.floats(0.1, 3.0))
def test_two_layer_classification_property(w0, w1, x, y):
    code = int(fa.classify_first_attempt_two_layers(w0, w1, x, y))
    y_hat = max(w1 * max(w0 * x, 0.0), 0.0)
    if w0 > 0 and w1 > 0:
        assert code == (fa.EQUAL if np.isclose(y_hat, y, rtol=1e-9, atol=1e-12) else fa.SIGN_ONLY)
    else:
        assert code == fa.NONZERO_WHERE_ZERO
    assert code != fa.OTHER


def test_identity_region():
    g = np.array([-1.0, 0.0, 1.0])
    W0, W1 = np.meshgrid(g, g, indexing="ij")
    holds = fa.two_layer_identity_holds(W0, W1, 2.0)
    # rows: w0 = -1, 0, 1; columns: w1 = -1, 0, 1
    assert holds.tolist() == [[False, True, False], [True, True, True], [False, True, True]]
    # with x < 0 the identity holds where w0 < 0 and w1 > 0 instead
    assert bool(fa.two_layer_identity_holds(-1.0, 1.0, -2.0))
    assert not bool(fa.two_layer_identity_holds(1.0, 1.0, -2.0))


# ---------------------------------------- the chapters' pre-filled wrong answers
def test_relu_chapter_wrong_answer_gets_a_hint():
    d = rp.exercises.check_relu_derivative(lambda z: np.maximum(z, 0))
    assert not d.passed and d.kind == "wrong"
    assert rp.exercises.check_relu_derivative(lambda z: (z > 0).astype(float)).passed
    assert rp.exercises.check_relu_derivative(lambda z: np.where(z >= 0, 1.0, 0.0)).passed


def test_one_neuron_chapter_first_attempt_is_diagnosed():
    d = rp.exercises.check_one_neuron_gradient(rp.scalar.first_attempt_one_layer)
    assert not d.passed and d.kind == "missing_step"
    assert any("sign" in line.lower() for line in d.details)
    fixed = rp.exercises.check_one_neuron_gradient(
        lambda w, x, y: (rp.activations.relu(w * x) - y) * rp.activations.step(w * x) * x)
    assert fixed.passed


def test_two_layers_chapter_missing_step_is_diagnosed():
    def attempt(w0, w1, x, y):  # sign right, Step(z2) missing from dC/dw1
        r1 = rp.activations.relu(w0 * x)
        z2 = w1 * r1
        e = rp.activations.relu(z2) - y
        return e * rp.activations.step(z2) * w1 * x, e * r1
    d = rp.exercises.check_two_layer_gradients(attempt)
    assert not d.passed and d.kind == "missing_step"
    assert rp.exercises.check_two_layer_gradients(rp.scalar.two_layer_gradients).passed


def test_two_layers_chapter_prefilled_attempt_and_solutions():
    def shortcut_sign_fixed(w0, w1, x, y):  # the notebook's pre-filled attempt
        r1 = np.maximum(w0 * x, 0)
        y_hat = np.maximum(w1 * r1, 0)
        return (y_hat - y) * w1 * x, (y_hat - y) * r1
    d = rp.exercises.check_two_layer_gradients(shortcut_sign_fixed)
    assert not d.passed and d.kind == "missing_step"

    def solution(w0, w1, x, y):  # the notebook's solution
        z1 = w0 * x
        r1 = np.maximum(z1, 0)
        z2 = w1 * r1
        y_hat = np.maximum(z2, 0)
        return (y_hat - y) * (z2 > 0) * w1 * (z1 > 0) * x, (y_hat - y) * (z2 > 0) * r1
    assert rp.exercises.check_two_layer_gradients(solution).passed


def test_one_neuron_chapter_solution_passes():
    def solution(w, x, y):
        z = w * x
        return (np.maximum(z, 0) - y) * (z > 0) * x
    assert rp.exercises.check_one_neuron_gradient(solution).passed
