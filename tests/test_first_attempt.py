"""The first attempt: the learner's formulas classified against the true gradient."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import reluprop as rp
from reluprop import first_attempt as fa


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
