"""The backward pass: gradients against an independent autodiff and finite differences; activations, cost, initialization."""

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

import reluprop as rp
from reluprop.gradcheck import numerical_gradient

ACTIVATIONS = ["relu", "sigmoid", "tanh", "identity", "leaky_relu"]
SLOPE = 0.1  # leaky ReLU slope used throughout these tests


# ---------------------------------------------------------------- independent engine
def _autograd_activation(name):
    """The activations written once more, in autograd.numpy, independently of the library."""
    if name == "relu":
        return lambda z: anp.where(z > 0, z, 0.0)
    if name == "leaky_relu":
        return lambda z: anp.where(z > 0, z, SLOPE * z)
    if name == "sigmoid":
        return lambda z: 1.0 / (1.0 + anp.exp(-z))
    if name == "tanh":
        return anp.tanh
    if name == "identity":
        return lambda z: z
    raise AssertionError(name)


def autograd_gradients(params, x, y, activation, output_activation):
    """dC/dW and dC/db by reverse-mode autodiff of a direct transcription of the cost."""
    f_hidden = _autograd_activation(activation)
    f_out = _autograd_activation(output_activation)
    L = len(params) // 2

    def cost(flat):
        r = x
        for k in range(L):
            z = anp.dot(r, flat[2 * k]) + flat[2 * k + 1]
            r = f_out(z) if k == L - 1 else f_hidden(z)
        return 0.5 * anp.sum((r - y) ** 2) / x.shape[0]

    grads = autograd.grad(cost)(list(params))
    return grads[0::2], grads[1::2]


def _act(name):
    return rp.get_activation(name, slope=SLOPE)


# ---------------------------------------------------------------- strategies
@st.composite
def networks(draw):
    depth = draw(st.integers(1, 6))
    sizes = [draw(st.integers(1, 8)) for _ in range(depth + 1)]
    batch = draw(st.integers(1, 5))
    activation = draw(st.sampled_from(ACTIVATIONS))
    output_activation = draw(st.sampled_from(["relu", "identity"]))
    biases = draw(st.booleans())
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    layers = rp.init_layers(sizes, "he", rng=rng, bias_std=0.5 if biases else 0.0)
    net = rp.Network(layers, _act(activation), output_activation)
    x = rng.standard_normal((batch, sizes[0]))
    y = rng.standard_normal((batch, sizes[-1]))
    return net, x, y


def _clear_of_kinks(net, x, margin=1e-4):
    """True if every kinked pre-activation is at least ``margin`` away from 0.

    Exactly 0 counts as on the kink: it happens downstream of a layer whose
    units are all off, and perturbing that layer's bias moves z off 0 to one
    side only, so a central difference there measures half a slope.
    """
    trace = net.forward(x)
    for k in range(1, net.depth + 1):
        if net.activation_of(k).name in ("relu", "leaky_relu"):
            z = np.abs(trace.z[k])
            if np.any(z < margin):
                return False
    return True


# ---------------------------------------------------------------- properties
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks())
def test_backward_matches_autograd(case):
    net, x, y = case
    grads = net.gradients(x, y)
    dW_ref, db_ref = autograd_gradients(
        [p for layer in net.layers for p in (layer.W, layer.b)], x, y,
        net.activation.name, net.output_activation.name,
    )
    for k in range(net.depth):
        np.testing.assert_allclose(grads.dW[k], dW_ref[k], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(grads.db[k], db_ref[k], rtol=1e-10, atol=1e-12)


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(networks())
def test_backward_matches_central_differences(case):
    net, x, y = case
    assume(_clear_of_kinks(net, x))
    event(f"hidden={net.activation.name}, deep={net.depth > 2}")
    grads = net.gradients(x, y)
    W, b = net.W, net.b
    for k in range(net.depth):
        num_W = numerical_gradient(
            lambda Wk: net.with_params(W[:k] + [Wk] + W[k + 1:], b).cost(x, y), W[k], h=1e-6)
        num_b = numerical_gradient(
            lambda bk: net.with_params(W, b[:k] + [bk] + b[k + 1:]).cost(x, y), b[k], h=1e-6)
        np.testing.assert_allclose(grads.dW[k], num_W, rtol=1e-5, atol=1e-8)
        np.testing.assert_allclose(grads.db[k], num_b, rtol=1e-5, atol=1e-8)


@settings(max_examples=30, deadline=None)
@given(networks())
def test_input_gradient_matches_central_differences(case):
    net, x, y = case
    assume(_clear_of_kinks(net, x))
    grads = net.gradients(x, y)
    num = numerical_gradient(lambda xx: net.cost(xx, y), x, h=1e-6)
    np.testing.assert_allclose(grads.dr[0], num, rtol=1e-5, atol=1e-8)


@settings(max_examples=30, deadline=None)
@given(networks())
def test_shapes_follow_the_notation(case):
    net, x, y = case
    trace = net.forward(x)
    grads = net.backward(trace, y)
    L = net.depth
    assert trace.z[0] is None and trace.r[0] is not None
    assert len(trace.z) == len(trace.r) == L + 1
    assert len(grads.dW) == len(grads.db) == L and len(grads.dr) == L + 1
    assert grads.dz[0] is None
    for k in range(L):
        assert grads.dW[k].shape == net.W[k].shape
        assert grads.db[k].shape == net.b[k].shape
        assert trace.z[k + 1].shape == (x.shape[0], net.sizes[k + 1])
        assert grads.dz[k + 1].shape == trace.z[k + 1].shape
    assert grads.dr[0].shape == x.shape


# ---------------------------------------------------------------- activations and cost
@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_derivative_matches_central_difference(name):
    act = _act(name)
    z = np.array([-4.0, -1.3, -0.2, 0.3, 1.1, 5.0])
    num = numerical_gradient(lambda v: act.f(v), z, h=1e-6, upstream=np.ones_like(z))
    np.testing.assert_allclose(act.df(z), num, rtol=1e-7, atol=1e-10)


def test_relu_derivative_at_zero_is_zero():
    assert rp.activations.step(np.array([0.0]))[0] == 0.0
    assert rp.get_activation("relu").df(np.array([-0.0, 0.0, 1e-300]))[:2].tolist() == [0.0, 0.0]


def test_sigmoid_derivative_peaks_at_a_quarter_and_does_not_overflow():
    act = rp.get_activation("sigmoid")
    z = np.linspace(-50, 50, 100001)
    with np.errstate(all="raise"):
        d = act.df(z)
        big = act.f(np.array([-1000.0, 1000.0]))
    assert d.max() == pytest.approx(0.25, abs=1e-12)
    assert z[np.argmax(d)] == pytest.approx(0.0, abs=1e-3)
    np.testing.assert_array_equal(big, [0.0, 1.0])


def test_squared_error_and_its_gradient():
    y_hat = np.array([[1.0, 2.0], [0.0, -1.0]])
    y = np.array([[0.0, 2.0], [1.0, 1.0]])
    # 1/2 * mean over 2 examples of (1 + 0) and (1 + 4)
    assert rp.squared_error(y_hat, y) == pytest.approx(0.5 * (1 + 5) / 2, abs=1e-15)
    np.testing.assert_allclose(rp.squared_error_grad(y_hat, y), (y_hat - y) / 2, atol=1e-15)
    num = numerical_gradient(lambda v: rp.squared_error(v, y), y_hat, h=1e-6)
    np.testing.assert_allclose(rp.squared_error_grad(y_hat, y), num, rtol=1e-8, atol=1e-10)


# ---------------------------------------------------------------- initialization
@pytest.mark.parametrize(
    "scheme, expected",
    [("he", np.sqrt(2 / 400)), ("lecun", np.sqrt(1 / 400)),
     ("xavier", np.sqrt(2 / (400 + 300))), ("normal", 1.0)],
)
def test_init_std_is_exact_and_untruncated(scheme, expected):
    rng = np.random.default_rng(0)
    (layer,) = rp.init_layers([400, 300], scheme, scale=1.5, rng=rng)
    assert rp.init_std(scheme, 400, 300, 1.5) == pytest.approx(1.5 * expected, rel=1e-15)
    W = layer.W / (1.5 * expected)
    # 120000 standard normal draws: std within 1%, and tails beyond 4 sigma exist
    assert W.std() == pytest.approx(1.0, rel=0.01)
    assert np.abs(W).max() > 4.0
    np.testing.assert_array_equal(layer.b, 0.0)


def test_same_seed_same_numbers():
    def run(seed):
        rng = np.random.default_rng(seed)
        net = rp.Network(rp.init_layers([3, 5, 2], rng=rng, bias_std=0.1))
        x = rng.standard_normal((4, 3))
        g = net.gradients(x, np.ones((4, 2)))
        return np.concatenate([g.dW[0].ravel(), g.db[1].ravel(), net.W[1].ravel()])

    np.testing.assert_array_equal(run(7), run(7))
    assert not np.array_equal(run(7), run(8))


def test_network_does_not_mutate_inputs_or_parameters():
    rng = np.random.default_rng(1)
    net = rp.Network(rp.init_layers([2, 3, 1], rng=rng))
    W_before = [w.copy() for w in net.W]
    x = rng.standard_normal((4, 2))
    x_before = x.copy()
    net.gradients(x, np.zeros((4, 1)))
    np.testing.assert_array_equal(x, x_before)
    for a, b in zip(net.W, W_before):
        np.testing.assert_array_equal(a, b)
