"""Training deep networks: SGD runs, determinism, divergence, and their figures."""

import warnings

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest

import reluprop as rp
from reluprop import training as T
from reluprop import variance as V


# ------------------------------------------------------------ training
def _deep(scheme, activation, seed, width=24, depth=30):
    rng = np.random.default_rng(seed)
    x, y = T.make_regression_task(4, 1, 256, rng=rng)
    layers = rp.init_layers([4] + [width] * (depth - 1) + [1], scheme, rng=rng)
    return rp.Network(layers, activation, "identity"), x, y, rng


def test_regression_task_is_standardised_and_deterministic():
    x, y = T.make_regression_task(3, 2, 100, rng=np.random.default_rng(1))
    x2, y2 = T.make_regression_task(3, 2, 100, rng=np.random.default_rng(1))
    assert x.shape == (100, 3) and y.shape == (100, 2)
    np.testing.assert_array_equal(y, y2)
    np.testing.assert_allclose(y.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(y.std(axis=0), 1.0, rtol=1e-12)
    # predicting 0 costs n_out / 2
    assert rp.squared_error(np.zeros_like(y), y) == pytest.approx(1.0, rel=1e-12)



def test_plain_net_sizes_output_and_scale():
    he = T.plain_net(4, 6, 5, scheme="he", activation="sigmoid", rng=np.random.default_rng(2))
    xa = T.plain_net(4, 6, 5, scheme="xavier", activation="sigmoid", rng=np.random.default_rng(2))
    assert he.sizes == [4, 6, 6, 6, 6, 1]
    assert he.activation_of(1).name == "sigmoid" and he.activation_of(he.depth).name == "identity"
    assert all(np.all(v == 0) for v in he.b)
    # the same draw of standard normals, scaled by each scheme's standard deviation
    for k, (a, b) in enumerate(zip(he.sizes[:-1], he.sizes[1:])):
        ratio = rp.init_std("xavier", a, b) / rp.init_std("he", a, b)
        np.testing.assert_allclose(xa.W[k], ratio * he.W[k], rtol=1e-14)
    assert T.plain_net(3, 8, 1, scheme="he", activation="relu", rng=np.random.default_rng(0)).sizes == [3, 1]


@pytest.mark.parametrize("kwargs, match", [({"depth": 0}, "depth"), ({"width": 0}, "width"),
                                           ({"n_in": 0}, "n_in"), ({"n_out": 0}, "n_out")])
def test_plain_net_rejects_bad_sizes(kwargs, match):
    args = {"n_in": 4, "width": 6, "depth": 3, "n_out": 1} | kwargs
    with pytest.raises(ValueError, match=match):
        T.plain_net(args["n_in"], args["width"], args["depth"], n_out=args["n_out"], scheme="he",
                    activation="relu", rng=np.random.default_rng(0))

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
    x, y = T.make_regression_task(2, 1, 20, rng=rng)
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
        T.make_regression_task(2, 1, 1, rng=rng)


# ------------------------------------------------------------ plots
def test_plots_return_figures():
    rng = np.random.default_rng(10)
    exp = V.forward_variance_experiment(4, (8, 32), rng=rng, draws=2, batch=8)
    figs = [rp.plotting.plot_variance_recursion([exp], title="t")]
    figs.append(rp.plotting.plot_log_grad_spread([V.log_grad_spread(2, 8, 20, rng=rng),
                                                  V.log_grad_spread(8, 8, 20, rng=rng)]))
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


# The figure of per-layer gradient norms during training

def _short_history(record=True):
    rng = np.random.default_rng(0)
    x, y = rp.training.make_regression_task(3, 1, 40, rng=rng)
    net = rp.Network(rp.init_layers([3, 8, 8, 1], rng=rng), "relu", "identity")
    return rp.training.train(net, x, y, lr=0.05, steps=20, batch_size=8, rng=rng, eval_every=5,
                             record_grad_norms=record).history


def test_grad_norm_history_one_panel_per_run_one_line_per_layer_same_colour_everywhere():
    h = _short_history()
    fig = rp.plotting.plot_grad_norm_history({"a": h, "b": h}, layers=[0, 2])
    axes = fig.axes
    assert len(axes) == 2
    for ax in axes:
        lines = ax.get_lines()
        assert len(lines) == 2
        np.testing.assert_array_equal(lines[0].get_xdata(), h.steps)
        np.testing.assert_allclose(lines[1].get_ydata(), h.grad_norms[:, 2])
    assert axes[0].get_lines()[1].get_color() == axes[1].get_lines()[1].get_color()
    assert axes[0].get_lines()[0].get_color() != axes[0].get_lines()[1].get_color()
    plt.close(fig)


def test_grad_norm_history_bad_input_is_rejected():
    h = _short_history()
    with pytest.raises(ValueError, match="layers must be in 0..2"):
        rp.plotting.plot_grad_norm_history({"a": h}, layers=[3])
    with pytest.raises(ValueError, match="record_grad_norms"):
        rp.plotting.plot_grad_norm_history({"a": _short_history(record=False)}, layers=[0])
    with pytest.raises(ValueError, match="at least one"):
        rp.plotting.plot_grad_norm_history({}, layers=[0])
