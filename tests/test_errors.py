"""Bad input gets a clear error that names the argument; nothing is silently reshaped."""

import re

import numpy as np
import pytest

import reluprop as rp
from reluprop import explorer_data


@pytest.fixture
def net():
    return rp.Network(rp.init_layers([3, 4, 2], rng=np.random.default_rng(0)))


def test_unknown_activation():
    with pytest.raises(ValueError, match="activation must be one of .*'swish'"):
        rp.get_activation("swish")
    with pytest.raises(TypeError, match="activation must be a name"):
        rp.get_activation(3)
    with pytest.raises(ValueError, match="activation"):
        rp.Network(rp.init_layers([2, 2], rng=np.random.default_rng(0)), activation="softplus")
    with pytest.raises(ValueError, match="slope must be >= 0"):
        rp.get_activation("leaky_relu", slope=-0.1)


def test_unknown_scheme():
    with pytest.raises(ValueError, match="scheme must be one of .*'kaiming'"):
        rp.init_layers([2, 2], "kaiming", rng=np.random.default_rng(0))


@pytest.mark.parametrize("sizes, match", [
    ([3], "sizes must list at least 2 widths"),
    ([], "sizes must list at least 2 widths"),
    ([3, 0, 1], r"sizes\[1\] must be >= 1"),
    ([3, -2], r"sizes\[1\] must be >= 1"),
])
def test_bad_sizes(sizes, match):
    with pytest.raises(ValueError, match=match):
        rp.init_layers(sizes, rng=np.random.default_rng(0))


def test_non_integer_sizes():
    with pytest.raises(TypeError, match=r"sizes\[0\] must be an integer"):
        rp.init_layers([2.5, 3], rng=np.random.default_rng(0))
    with pytest.raises(TypeError, match="sizes must be a sequence"):
        rp.init_layers(5, rng=np.random.default_rng(0))


def test_negative_or_nonfinite_scale():
    with pytest.raises(ValueError, match="scale must be >= 0"):
        rp.init_layers([2, 2], scale=-1.0, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="scale must be finite"):
        rp.init_layers([2, 2], scale=np.inf, rng=np.random.default_rng(0))


def test_rng_must_be_a_generator():
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        rp.init_layers([2, 2], rng=np.random.RandomState(0))
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        rp.init_layers([2, 2], rng=42)
    with pytest.raises(TypeError, match="rng"):
        rp.init_layers([2, 2])  # rng is required


def test_x_not_2d(net):
    with pytest.raises(ValueError, match=r"x must be a 2-D array, got 1-D with shape \(3,\)"):
        net.forward(np.ones(3))


def test_x_wrong_width(net):
    with pytest.raises(ValueError, match=r"x must have shape \(batch, 3\) .* got \(5, 4\)"):
        net.forward(np.ones((5, 4)))


def test_x_not_numeric(net):
    with pytest.raises(TypeError, match="x must be a numeric array"):
        net.forward([["a", "b", "c"]])


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_x_nonfinite(net, bad):
    x = np.ones((2, 3))
    x[1, 2] = bad
    with pytest.raises(ValueError, match=r"x contains 1 non-finite value"):
        net.forward(x)


def test_y_wrong_shape(net):
    trace = net.forward(np.ones((5, 3)))
    with pytest.raises(ValueError, match=r"y must have shape \(batch, n_L\) = \(5, 2\); got \(5,\)|y must be a 2-D array"):
        net.backward(trace, np.ones(5))
    with pytest.raises(ValueError, match=r"y must have shape \(batch, n_L\) = \(5, 2\); got \(2, 5\)"):
        net.backward(trace, np.ones((2, 5)))


def test_y_nonfinite(net):
    trace = net.forward(np.ones((2, 3)))
    y = np.zeros((2, 2))
    y[0, 0] = np.nan
    with pytest.raises(ValueError, match="y contains 1 non-finite"):
        net.backward(trace, y)


def test_layers_that_do_not_chain():
    a = rp.Layer(np.ones((3, 4)))
    b = rp.Layer(np.ones((5, 2)))
    with pytest.raises(ValueError, match=r"layers\[1\]\.W has shape \(5, 2\).*needs 4 rows"):
        rp.Network([a, b])


def test_bias_shape_must_match_W():
    with pytest.raises(ValueError, match=r"b must have shape \(n_out,\) = \(4,\).*got \(3,\)"):
        rp.Layer(np.ones((3, 4)), np.zeros(3))
    with pytest.raises(ValueError, match=r"b must have shape \(n_out,\) = \(4,\).*got \(1, 4\)"):
        rp.Layer(np.ones((3, 4)), np.zeros((1, 4)))


def test_W_must_be_2d_and_finite():
    with pytest.raises(ValueError, match="W must be a 2-D array"):
        rp.Layer(np.ones(3))
    with pytest.raises(ValueError, match="W contains 1 non-finite"):
        rp.Layer(np.array([[1.0, np.nan]]))


def test_network_needs_layers():
    with pytest.raises(ValueError, match="at least one Layer"):
        rp.Network([])
    with pytest.raises(TypeError, match=r"layers\[0\] must be a Layer"):
        rp.Network([np.ones((2, 2))])
    with pytest.raises(TypeError, match="single Layer"):
        rp.Network(rp.Layer(np.ones((2, 2))))


def test_backward_needs_a_trace_of_this_network(net):
    with pytest.raises(TypeError, match="trace must be the Trace"):
        net.backward({"z": [], "r": []}, np.zeros((1, 2)))
    other = rp.Network(rp.init_layers([3, 2], rng=np.random.default_rng(0)))
    with pytest.raises(ValueError, match="trace has 1 layers but this network has 2"):
        net.backward(other.forward(np.ones((1, 3))), np.zeros((1, 2)))


def test_squared_error_shapes():
    with pytest.raises(ValueError, match=r"y must have the shape of y_hat \(2, 1\)"):
        rp.squared_error(np.zeros((2, 1)), np.zeros((1, 2)))


def test_gradcheck_arguments():
    with pytest.raises(ValueError, match="h must be > 0"):
        rp.gradcheck.numerical_gradient(lambda t: 0.0, np.ones(2), h=0.0)
    with pytest.raises(ValueError, match="method must be 'central' or 'forward'"):
        rp.gradcheck.numerical_gradient(lambda t: 0.0, np.ones(2), method="backward")
    with pytest.raises(ValueError, match="a and b must have the same shape"):
        rp.gradcheck.rel_error(np.ones(2), np.ones(3))


def test_activation_outside_a_callers_supported_set():
    custom = rp.Activation("softsign", lambda z: z / (1 + abs(z)), lambda z: 1 / (1 + abs(z)) ** 2)
    with pytest.raises(ValueError, match="activation must be one of 'relu', 'tanh'; got 'softsign'"):
        rp.get_activation(custom, allowed=("relu", "tanh"))
    with pytest.raises(ValueError, match="got 'sigmoid'"):
        rp.get_activation("sigmoid", allowed=("relu",))
    assert rp.get_activation("relu", allowed=("relu",)).name == "relu"


def test_a_network_is_required_where_one_is_read(net):
    """One validator (core/_validate.require_network) behind every function that reads a Network."""
    x, y = np.ones((1, 3)), np.ones((1, 2))
    with pytest.raises(TypeError, match="net must be a Network, got str"):
        rp.gradcheck.check_network("net", x, y)
    with pytest.raises(TypeError, match="net must be a Network, got list"):
        rp.finite_differences.error_vs_step(net.layers, x, y, [1e-3])
    with pytest.raises(TypeError, match="net must be a Network or a list of Layer, got Layer"):
        rp.training.train(net.layers[0], x, y, lr=0.1, steps=1, batch_size=1, rng=np.random.default_rng(0))
    from reluprop.core._validate import require_network
    assert require_network(net) is net


def test_finite_difference_method_is_central_or_forward(net):
    """One validator (core/_validate.require_method) behind every function with a method argument."""
    x, y = np.ones((1, 3)), np.ones((1, 2))
    with pytest.raises(ValueError, match="method must be 'central' or 'forward'; got 'backward'"):
        rp.gradcheck.numerical_gradient(lambda t: 0.0, np.ones(2), method="backward")
    with pytest.raises(ValueError, match="method must be 'central' or 'forward'; got 'Central'"):
        rp.finite_differences.optimal_step("Central")
    with pytest.raises(ValueError, match="method must be 'central' or 'forward'; got None"):
        rp.finite_differences.best_possible_error(None)
    with pytest.raises(ValueError, match="method must be 'central' or 'forward'; got 'two-sided'"):
        rp.finite_differences.error_vs_step(net, x, y, [1e-3], method="two-sided")


@pytest.mark.parametrize("call", [
    lambda rng: rp.training.make_regression_task(2, 1, 4, rng),
    lambda rng: rp.variance.log_grad_spread(2, 3, 2, rng),
    lambda rng: rp.init_layers([2, 2], "he", 1.0, rng),
], ids=["make_regression_task", "log_grad_spread", "init_layers"])
def test_rng_is_keyword_only(call):
    with pytest.raises(TypeError, match="positional argument"):
        call(np.random.default_rng(0))


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: rp.get_activation("swish"), "activation must be one of 'relu', "),
        (lambda: rp.layers.init_std("glorot", 4, 4), "scheme must be one of 'he', "),
        (lambda: rp.experiments.gradient_profile(3, 4, init="he", seed=0), "init must be one of 'gaussian', "),
        (lambda: rp.experiments.gradient_profile(3, 4, architecture="dense", seed=0),
         "architecture must be one of 'plain', 'residual'; got 'dense'"),
        (lambda: rp.finite_differences.broken_backward("typo"), "bug must be one of "),
        (lambda: explorer_data.profile_index({"controls": [{"name": "width", "values": [4, 16]}]}, width=5),
         "width must be one of 4, 16; got 5"),
    ],
)
def test_one_choice_validator_names_the_argument_and_lists_the_choices(call, message):
    """core/_validate.require_choice behind every argument that takes one of a fixed set of values."""
    with pytest.raises(ValueError, match=re.escape(message)):
        call()
