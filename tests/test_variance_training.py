"""Part II, chapters Initialization and Training deep networks.

- ``reluprop.variance``: the forward and backward variance recursions agree
  with measurement at several widths (He, Xavier, leaky ReLU); Xavier shrinks
  a 30-layer ReLU net's signal by 2^-29; the finite-width spread of
  log||dC/dr^(0)|| grows with L/n; dead units;
- ``reluprop.training``: a 30-layer ReLU net trains with He's init and stalls
  with Xavier's, a deep sigmoid net stalls; runs are deterministic, never
  modify their input, and report divergence without warnings;
- the exercise checkers of both chapters and their plotting functions.
"""

import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import reluprop as rp  # noqa: E402
from reluprop import training as T  # noqa: E402
from reluprop import variance as V  # noqa: E402


# ------------------------------------------------------------ theory (exact)
def test_variance_gain_values():
    assert V.variance_gain("relu") == 0.5
    assert V.variance_gain("identity") == 1.0
    for a in (0.0, 0.01, 0.2, 1.0):
        assert V.variance_gain("leaky_relu", slope=a) == pytest.approx(0.5 * (1 + a * a), rel=1e-15)
    for name in ("sigmoid", "tanh"):
        with pytest.raises(ValueError, match="positively homogeneous"):
            V.variance_gain(name)


def test_predicted_forward_he_is_flat_and_xavier_halves():
    he = V.predicted_forward_variance([50] * 31, "he")
    np.testing.assert_allclose(he, 2.0, rtol=1e-12)  # q_1 = n * 2/n * E[x^2] = 2, then kept
    xa = V.predicted_forward_variance([50] * 31, "xavier")
    np.testing.assert_allclose(xa, 2.0 ** -np.arange(30), rtol=1e-12)
    assert xa[-1] / xa[0] == pytest.approx(2.0 ** -29, rel=1e-12)


def test_predicted_forward_unequal_widths_is_the_product_formula():
    sizes = [5, 40, 10, 70, 3]
    scale = 1.3
    q = V.predicted_forward_variance(sizes, "lecun", scale, "relu", input_second_moment=2.0)
    var_w = [scale ** 2 / n for n in sizes[:-1]]
    expected = [sizes[0] * var_w[0] * 2.0]
    for k in range(1, 4):
        expected.append(expected[-1] * 0.5 * sizes[k] * var_w[k])
    np.testing.assert_allclose(q, expected, rtol=1e-12)


def test_leaky_relu_init_with_its_gain_is_flat():
    a = 0.3
    scale = 1 / np.sqrt(1 + a * a)  # He's std times 1/sqrt(1 + a^2): Var[W] = 2 / ((1 + a^2) n)
    q = V.predicted_forward_variance([20] * 11, "he", scale, "leaky_relu", slope=a)
    np.testing.assert_allclose(q[1:], q[0], rtol=1e-12)
    g = V.predicted_backward_variance([20] * 11, "he", scale, "leaky_relu", slope=a)
    np.testing.assert_allclose(g, 1.0, rtol=1e-12)


def test_quadrature_moments():
    # E[tanh(z)^2] <= E[z^2] and ~ E[z^2] for small variance; sigmoid's derivative <= 1/4.
    assert V.activation_second_moment("tanh", 1e-4) == pytest.approx(1e-4, rel=1e-3)
    assert V.activation_second_moment("tanh", 1.0) < 1.0
    assert V.derivative_second_moment("sigmoid", 1e-6) == pytest.approx(1 / 16, rel=1e-5)
    assert V.activation_second_moment("relu", 3.0) == 1.5


# --------------------------------------------------- theory vs measurement
@pytest.mark.parametrize(
    "activation, scheme, scale, slope",
    [("relu", "he", 1.0, 0.0), ("relu", "xavier", 1.0, 0.0), ("leaky_relu", "he", 1.0, 0.5),
     ("relu", "he", 1.3, 0.0)],
)
@pytest.mark.slow
def test_forward_variance_matches_measurement_at_several_widths(activation, scheme, scale, slope):
    rng = np.random.default_rng(11)
    exp = V.forward_variance_experiment(5, (16, 64, 256), scheme, scale, activation, rng=rng,
                                        slope=slope, batch=32, draws=32)
    log_err = np.max(np.abs(np.log(exp.measured / exp.predicted)), axis=1)
    # Finite width: the per-network value fluctuates more at small n; averages over 32 draws.
    assert np.all(log_err < [0.5, 0.25, 0.15]), log_err
    assert exp.max_log_error() == pytest.approx(log_err.max())


@pytest.mark.parametrize("activation, scheme, slope", [("relu", "he", 0.0), ("relu", "xavier", 0.0),
                                                       ("leaky_relu", "he", 0.5)])
def test_backward_variance_matches_measurement(activation, scheme, slope):
    rng = np.random.default_rng(12)
    sizes = [64] * 7
    p = V.predicted_backward_variance(sizes, scheme, 1.0, activation, slope=slope)
    m = V.measured_backward_variance(sizes, scheme, 1.0, activation, slope=slope, rng=rng,
                                     batch=32, draws=32)
    assert p.shape == m.shape == (7,)
    assert np.max(np.abs(np.log(m / p))) < 0.25


@pytest.mark.slow
def test_xavier_shrinks_a_30_layer_relu_signal_by_2_to_the_minus_29():
    rng = np.random.default_rng(13)
    m = V.measured_forward_variance([256] * 31, "xavier", rng=rng, batch=32, draws=8)
    ratio = m[-1] / m[0]
    assert 0.5 < ratio / 2.0 ** -29 < 2.0, ratio / 2.0 ** -29
    he = V.measured_forward_variance([256] * 31, "he", rng=rng, batch=32, draws=8)
    assert 0.5 < he[-1] / he[0] < 2.0


def test_sigmoid_prediction_is_an_approximation_but_close_when_wide():
    rng = np.random.default_rng(14)
    exp = V.forward_variance_experiment(6, (256,), "xavier", 1.0, "sigmoid", rng=rng, batch=64, draws=8)
    assert exp.max_log_error() < 0.2


# ------------------------------------------------------------ finite width
@pytest.mark.slow
def test_fluctuation_spread_increases_with_depth_over_width():
    rng = np.random.default_rng(15)
    spreads = [V.log_grad_spread(L, 20, 150, rng) for L in (2, 20, 200)]  # L/n = 0.1, 1, 10
    stds = [s.std for s in spreads]
    assert stds[0] < stds[1] < stds[2], stds
    assert stds[1] > 2 * stds[0] and stds[2] > 2 * stds[1], stds
    # the typical (geometric-mean) size falls with L/n although E||.||^2 is preserved
    means = [s.mean for s in spreads]
    assert means[0] > means[1] > means[2]
    assert [s.depth_over_width for s in spreads] == [0.1, 1.0, 10.0]
    assert all(s.log_norms.shape == (150,) for s in spreads)


def test_mean_square_of_the_backward_signal_is_preserved_at_he_init():
    rng = np.random.default_rng(16)
    s = V.log_grad_spread(5, 50, 400, rng)
    assert np.mean(np.exp(2 * s.log_norms)) == pytest.approx(1.0, abs=0.1)


def test_dead_draws_are_reported_without_warnings():
    rng = np.random.default_rng(17)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = V.log_grad_spread(30, 6, 30, rng)
        everything_dead = V.log_grad_spread(60, 2, 5, rng)
    assert s.n_dead > 0
    assert everything_dead.n_dead == 5 and np.isnan(everything_dead.std) and np.isnan(everything_dead.mean)
    assert np.all(np.isneginf(s.log_norms[~np.isfinite(s.log_norms)]))
    assert np.isfinite(s.std) and s.finite.size == 30 - s.n_dead


def test_backward_from_matches_network_backward():
    rng = np.random.default_rng(18)
    net = rp.Network(rp.init_layers([3, 5, 4, 2], rng=rng))
    x, y = rng.standard_normal((6, 3)), rng.standard_normal((6, 2))
    trace = net.forward(x)
    grads = net.backward(trace, y)
    dr = V.backward_from(net, trace, grads.dr[-1])
    for a, b in zip(dr, grads.dr):
        np.testing.assert_allclose(a, b, rtol=1e-14, atol=1e-15)


# ------------------------------------------------------------ dead units
def test_dead_unit_fraction_by_hand():
    W0 = np.array([[1.0, -1.0, 0.5], [1.0, -2.0, -0.5]])
    W1 = np.array([[1.0], [1.0], [-1.0]])
    net = rp.Network([rp.Layer(W0), rp.Layer(W1)])
    x = np.array([[1.0, 2.0], [0.5, 0.1]])  # positive inputs: unit 1 is always off
    f = V.dead_unit_fraction(net, x)
    assert f.shape == (2,)
    np.testing.assert_allclose(f, [1 / 3, 0.0])


def test_dead_units_zero_bias_vs_negative_bias():
    rng = np.random.default_rng(19)
    layers = rp.init_layers([32] * 11, rng=rng)
    x = rng.standard_normal((128, 32))
    zero = V.dead_unit_fraction(rp.Network(layers), x)
    neg = V.dead_unit_fraction(rp.Network([rp.Layer(l.W, np.full(l.n_out, -1.0)) for l in layers]), x)
    assert zero[0] == 0.0
    assert neg.mean() > zero.mean() + 0.3
    with pytest.raises(TypeError, match="Network"):
        V.dead_unit_fraction(layers, x)


# ------------------------------------------------------------ bad inputs
def test_variance_bad_inputs():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="sizes"):
        V.predicted_forward_variance([4], "he")
    with pytest.raises(ValueError, match="scheme"):
        V.predicted_forward_variance([4, 4], "kaiming")
    with pytest.raises(ValueError, match="scale"):
        V.predicted_forward_variance([4, 4], "he", -1.0)
    with pytest.raises(ValueError, match="activation"):
        V.predicted_forward_variance([4, 4], "he", 1.0, "softplus")
    with pytest.raises(TypeError, match="rng"):
        V.measured_forward_variance([4, 4], rng=0)
    with pytest.raises(ValueError, match="draws"):
        V.log_grad_spread(3, 4, 1, rng)
    with pytest.raises(ValueError, match="width"):
        V.log_grad_spread(3, 0, 5, rng)
    with pytest.raises(TypeError, match="depth"):
        V.log_grad_spread(2.5, 4, 5, rng)
    net = rp.Network(rp.init_layers([2, 3], rng=rng))
    with pytest.raises(ValueError, match="dr_out"):
        V.backward_from(net, net.forward(np.ones((2, 2))), np.ones((1, 3)))


# ------------------------------------------------------------ training
def _deep(scheme, activation, seed, width=24, depth=30):
    rng = np.random.default_rng(seed)
    x, y = T.make_regression_task(4, 1, 256, rng)
    layers = rp.init_layers([4] + [width] * (depth - 1) + [1], scheme, rng=rng)
    return rp.Network(layers, activation, "identity"), x, y, rng


def test_regression_task_is_standardised_and_deterministic():
    x, y = T.make_regression_task(3, 2, 100, np.random.default_rng(1))
    x2, y2 = T.make_regression_task(3, 2, 100, np.random.default_rng(1))
    assert x.shape == (100, 3) and y.shape == (100, 2)
    np.testing.assert_array_equal(y, y2)
    np.testing.assert_allclose(y.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(y.std(axis=0), 1.0, rtol=1e-12)
    # predicting 0 costs n_out / 2
    assert rp.squared_error(np.zeros_like(y), y) == pytest.approx(1.0, rel=1e-12)


@pytest.mark.slow
def test_30_layer_relu_trains_with_he_and_stalls_with_xavier():
    baseline = 0.5
    he_net, x, y, rng = _deep("he", "relu", seed=3)
    he = T.train(he_net, x, y, lr=0.01, steps=400, batch_size=32, rng=rng, eval_every=50).history
    xa_net, x, y, rng = _deep("xavier", "relu", seed=3)
    xa = T.train(xa_net, x, y, lr=0.01, steps=400, batch_size=32, rng=rng, eval_every=50).history
    assert not he.diverged and not xa.diverged
    assert he.final_loss < 0.25 * baseline and he.final_loss < 0.25 * he.initial_loss
    assert abs(xa.final_loss - xa.initial_loss) < 0.02 * xa.initial_loss
    assert xa.final_loss > 0.95 * baseline


@pytest.mark.slow
def test_deep_sigmoid_net_stalls_at_the_baseline():
    net, x, y, rng = _deep("xavier", "sigmoid", seed=3)
    h = T.train(net, x, y, lr=0.01, steps=400, batch_size=32, rng=rng, eval_every=50).history
    assert h.final_loss > 0.95 * 0.5


def test_training_is_deterministic_and_does_not_modify_its_input():
    net, x, y, _ = _deep("he", "relu", seed=4, width=8, depth=4)
    W0 = [w.copy() for w in net.W]
    r1 = T.train(net, x, y, lr=0.02, steps=30, batch_size=16, rng=np.random.default_rng(5),
                 eval_every=5, record_grad_norms=True)
    r2 = T.train(net, x, y, lr=0.02, steps=30, batch_size=16, rng=np.random.default_rng(5),
                 eval_every=5, record_grad_norms=True)
    np.testing.assert_array_equal(r1.history.loss, r2.history.loss)
    np.testing.assert_array_equal(r1.history.grad_norms, r2.history.grad_norms)
    for w, w0 in zip(net.W, W0):
        np.testing.assert_array_equal(w, w0)
    assert r1.net is not net
    assert list(r1.history.steps) == [0, 5, 10, 15, 20, 25, 30]
    assert r1.history.grad_norms.shape == (7, 4)
    assert r1.history.final_loss == pytest.approx(r1.net.cost(x, y), rel=1e-12)


def test_training_steps_are_the_library_gradients():
    # one full-batch step by hand with Network.gradients and sgd_step
    net, x, y, _ = _deep("he", "relu", seed=6, width=5, depth=3)
    res = T.train(net, x[:8], y[:8], lr=0.1, steps=1, batch_size=8, rng=np.random.default_rng(0))
    g = net.gradients(x[:8], y[:8])
    W1, b1 = T.sgd_step(net.W, net.b, g.dW, g.db, 0.1)
    for a, b in zip(res.net.W + res.net.b, W1 + b1):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)


def test_divergence_is_reported_without_warnings():
    net, x, y, rng = _deep("he", "relu", seed=7, width=16, depth=10)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = T.train(net, x, y, lr=1e6, steps=50, batch_size=32, rng=rng, record_grad_norms=True)
    h = res.history
    assert h.diverged and h.diverged_at is not None and h.diverged_at <= 50
    assert not np.isfinite(h.final_loss)
    assert h.steps[-1] == h.diverged_at
    assert all(np.all(np.isfinite(w)) for w in res.net.W)


def test_training_accepts_a_list_of_layers():
    rng = np.random.default_rng(8)
    x, y = T.make_regression_task(2, 1, 20, rng)
    res = T.train(rp.init_layers([2, 4, 1], rng=rng), x, y, lr=0.05, steps=5, batch_size=4, rng=rng)
    assert res.net.activation.name == "relu" and res.net.output_activation.name == "identity"


def test_training_bad_inputs():
    rng = np.random.default_rng(9)
    net, x, y, _ = _deep("he", "relu", seed=9, width=4, depth=2)
    with pytest.raises(ValueError, match="lr"):
        T.train(net, x, y, lr=0.0, steps=1, batch_size=4, rng=rng)
    with pytest.raises(ValueError, match="batch_size"):
        T.train(net, x, y, lr=0.1, steps=1, batch_size=10_000, rng=rng)
    with pytest.raises(ValueError, match="x must have shape"):
        T.train(net, x[:, :2], y, lr=0.1, steps=1, batch_size=4, rng=rng)
    with pytest.raises(ValueError, match="y must have shape"):
        T.train(net, x, y[:5], lr=0.1, steps=1, batch_size=4, rng=rng)
    with pytest.raises(TypeError, match="steps"):
        T.train(net, x, y, lr=0.1, steps=2.0, batch_size=4, rng=rng)
    with pytest.raises(TypeError, match="rng"):
        T.train(net, x, y, lr=0.1, steps=1, batch_size=4, rng=1)
    with pytest.raises(TypeError, match="Network or a list"):
        T.train("net", x, y, lr=0.1, steps=1, batch_size=4, rng=rng)
    bad = x.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="non-finite"):
        T.train(net, bad, y, lr=0.1, steps=1, batch_size=4, rng=rng)
    with pytest.raises(ValueError, match="n_samples"):
        T.make_regression_task(2, 1, 1, rng)


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


# ------------------------------------------------------------ plots
def test_plots_return_figures():
    rng = np.random.default_rng(10)
    exp = V.forward_variance_experiment(4, (8, 32), rng=rng, draws=2, batch=8)
    figs = [rp.plotting.plot_variance_recursion([exp], title="t")]
    figs.append(rp.plotting.plot_log_grad_spread([V.log_grad_spread(2, 8, 20, rng),
                                                  V.log_grad_spread(8, 8, 20, rng)]))
    net = rp.Network(rp.init_layers([8] * 5, rng=rng))
    figs.append(rp.plotting.plot_dead_units({"zero bias": V.dead_unit_fraction(net, rng.standard_normal((4, 8)))}))
    net, x, y, rng = _deep("he", "relu", seed=7, width=8, depth=4)
    ok = T.train(net, x, y, lr=0.01, steps=20, batch_size=8, rng=rng, record_grad_norms=True).history
    bad = T.train(net, x, y, lr=1e6, steps=20, batch_size=8, rng=rng).history
    figs.append(rp.plotting.plot_learning_curves({"ok": ok, "bad": bad}, baseline=0.5))
    assert "diverged at step" in " ".join(t.get_text() for t in figs[-1].axes[0].get_legend().get_texts())
    figs.append(rp.plotting.plot_weight_grad_norms({"he": ok.grad_norms[0]}))
    for fig in figs:
        assert isinstance(fig, matplotlib.figure.Figure)
        plt.close(fig)
