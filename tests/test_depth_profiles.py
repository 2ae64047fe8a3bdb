"""Depth experiments: gradient profiles against the theory, floating-point flags, figures, the explorer."""

import math
import tracemalloc
import warnings

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest

import reluprop as rp
from reluprop import experiments as ex
from reluprop import widgets
from reluprop.plotting import plot_gradient_profile, plot_profiles_grid

@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# ---------------------------------------------------------------------------
# The facts the chapter teaches
# ---------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("s", [0.5, 0.71, 1.0, 1.2])
def test_relu_log_signal_falls_by_log_s_per_layer(s):
    """log||dC/dr^(k)|| has slope -log s per layer (width 256, depth 50), averaged over 3 seeds."""
    slopes = [ex.log_slope(ex.gradient_profile(50, 256, "relu", s, 8, seed=seed).dr_norm)
              for seed in range(3)]
    # ||dr^(k)|| ~ s^(L-k): slope -log s in k; going back one layer multiplies it by s
    assert abs(np.mean(slopes) + math.log(s)) < 0.06


@pytest.mark.parametrize("s", [0.5, 1.5])
def test_relu_weight_profile_does_not_depend_on_scale_exact(s):
    """Same base draws: r^(k) scales as s^k, dr^(k) as s^(L-k), dW^(k) as s^(L-1), exactly."""
    L = 40
    ref = ex.gradient_profile(L, 64, "relu", 1.0, 8, seed=11)
    res = ex.gradient_profile(L, 64, "relu", s, 8, seed=11)
    np.testing.assert_allclose(res.dW_profile(), ref.dW_profile(), rtol=1e-10)
    np.testing.assert_allclose(res.dW_norm, ref.dW_norm * s ** (L - 1), rtol=1e-10)
    np.testing.assert_allclose(res.dr_norm, ref.dr_norm * s ** (L - np.arange(L + 1)), rtol=1e-10)
    np.testing.assert_allclose(res.r_rms, ref.r_rms * s ** np.arange(L + 1), rtol=1e-10)
    np.testing.assert_array_equal(res.inactive_fraction, ref.inactive_fraction)


@pytest.mark.slow
def test_relu_weight_profile_does_not_depend_on_scale_statistically():
    """Different draws per scale: the mean log-profile is flat and the same for s = 0.5, 1, 1.5."""
    L, draws = 40, 6
    slopes, first_over_last = {}, {}
    for s in (0.5, 1.0, 1.5):
        profiles = [np.log(ex.gradient_profile(L, 128, "relu", s, 8, seed=1000 * int(10 * s) + i).dW_profile())
                    for i in range(draws)]
        slopes[s] = np.mean([np.polyfit(np.arange(L), p, 1)[0] for p in profiles])
        first_over_last[s] = np.mean([p[0] for p in profiles])
    for s in slopes:
        assert abs(slopes[s]) < 0.03  # the mean-field profile is flat
        assert abs(first_over_last[s]) < 1.0  # ln of first/last: order 1, not -34 as for sigmoid
    assert max(slopes.values()) - min(slopes.values()) < 0.03
    assert max(first_over_last.values()) - min(first_over_last.values()) < 1.0


@pytest.mark.slow
def test_sigmoid_collapses_the_weight_profile():
    """Sigmoid at depth 30: ||dC/dW^(0)|| / ||dC/dW^(29)|| < 1e-8 (about 1e-14), and theory agrees."""
    for seed in range(3):
        res = ex.gradient_profile(30, 128, "sigmoid", 1.0, 8, seed=seed)
        ratio = res.dW_norm[0] / res.dW_norm[-1]
        assert ratio < 1e-8
        theory = res.log10_dW_norm_theory[0] - res.log10_dW_norm_theory[-1]
        assert theory < -8
        assert abs(math.log10(ratio) - theory) < 1.0  # within one order of magnitude


def test_theory_closed_forms():
    """ReLU: dr theory = dr[L] s^(L-k) and r theory = rms(x) s^k; leaky: factor s sqrt(1 + a^2)."""
    L, s = 25, 1.3
    res = ex.gradient_profile(L, 32, "relu", s, 4, seed=2)
    k = np.arange(L + 1)
    np.testing.assert_allclose(res.log10_dr_norm_theory, (L - k) * math.log10(s), atol=1e-12)
    np.testing.assert_allclose(res.log10_r_rms_theory, math.log10(res.r_rms[0]) + k * math.log10(s),
                               atol=1e-12)
    a = 0.2
    leaky = ex.gradient_profile(L, 32, "leaky_relu", s, 4, seed=2, slope=a)
    np.testing.assert_allclose(leaky.log10_dr_norm_theory,
                               (L - k) * math.log10(s * math.sqrt(1 + a * a)), atol=1e-12)
    assert res.dr_norm[L] == 1.0  # the output gradient has norm 1


@pytest.mark.slow
@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "leaky_relu"])
def test_theory_matches_measurement_at_large_width(activation):
    """Mean-field theory within 0.3 decades of the measurement at width 512, depth 20."""
    res = ex.gradient_profile(20, 512, activation, 1.0, 8, seed=5)
    for q in ("dr", "dW", "r"):
        assert np.max(np.abs(res.log10(q) - res.theory_log10(q))) < 0.3, q


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_profile_equals_network_backward_from(activation):
    """gradient_profile's norms are those of Network.backward_from on the same network and G."""
    L, n, B, s, seed = 6, 5, 3, 1.1, 4
    res = ex.gradient_profile(L, n, activation, s, B, seed=seed)
    # the same network through rp.Network, with y chosen so that dC/dyhat = G
    std = rp.init_std("he", n, n, s)
    net = rp.Network([rp.Layer(ex.base_weights(seed, n, k) * std) for k in range(L)],
                     activation=activation, output_activation=activation)
    x = np.random.default_rng([seed, 0]).standard_normal((B, n))
    G = np.random.default_rng([seed, 2]).standard_normal((B, n))
    G /= np.linalg.norm(G)
    trace = net.forward(x)
    grads = net.backward_from(trace, G)
    np.testing.assert_allclose(res.dW_norm, [np.linalg.norm(g) for g in grads.dW], rtol=1e-9)
    np.testing.assert_allclose(res.dr_norm, [np.linalg.norm(g) for g in grads.dr], rtol=1e-9)
    np.testing.assert_allclose(res.r_rms, [np.sqrt(np.mean(r * r)) for r in trace.r], rtol=1e-12)


def test_rng_and_seed_and_cache():
    a = ex.gradient_profile(12, 16, "relu", 1.0, 4, rng=np.random.default_rng(3))
    b = ex.gradient_profile(12, 16, "relu", 1.0, 4, rng=np.random.default_rng(3))
    np.testing.assert_array_equal(a.dW_norm, b.dW_norm)
    cache = ex.WeightCache(max_bytes=5 * 16 * 16 * 8)
    c = ex.gradient_profile(12, 16, "relu", 1.0, 4, seed=a.seed, cache=cache)
    np.testing.assert_array_equal(a.dW_norm, c.dW_norm)
    assert len(cache) == 5 and cache.nbytes <= cache.max_bytes
    # a deeper network extends a shallower one: same base draws for the first layers
    deeper = ex.gradient_profile(20, 16, "relu", 1.0, 4, seed=a.seed, cache=cache)
    np.testing.assert_array_equal(deeper.r_rms[:13], a.r_rms)


# ---------------------------------------------------------------------------
# Floating point: flagged, never a warning, never a blank plot
# ---------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("s, kind", [(3.0, "overflow"), (0.3, "underflow")])
def test_depth_2000_extremes_are_flagged_without_warnings(s, kind):
    L = 2000
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = ex.gradient_profile(L, 16, "relu", s, 4, seed=0)
        fig = plot_gradient_profile(res)
        fig.canvas.draw()
    flags = getattr(res, kind)
    assert res.flagged
    assert flags["dr"][:L].all() and flags["dW"].all() and flags["r"][-1]
    assert not flags["r"][:100].any()  # the first layers are fine
    assert kind in res.status()
    if kind == "overflow":
        assert np.isnan(res.dr_norm[:L]).all()  # values computed from inf/NaN are not reported
    else:
        assert (res.dW_norm == 0).all()
    # the theory is in logarithms and stays finite far beyond float64's range
    for q in ("dr", "dW", "r"):
        assert np.isfinite(res.theory_log10(q)).all()
    assert abs(res.log10_dr_norm_theory[0]) > 600
    # the figure marks the flagged layers and says so
    ax = fig.axes[0]
    texts = " ".join(t.get_text() for t in ax.texts)
    assert kind in texts
    assert any(line.get_marker() in ("^", "v") for line in ax.get_lines())


def test_dead_layer_is_a_true_zero():
    """Width 2, batch 1: some layer has every unit inactive; below it everything is exactly 0."""
    res = ex.gradient_profile(60, 2, "relu", 1.0, 1, seed=0)
    j = res.dead_layer
    assert j is not None
    assert res.dead_fraction[j] == 1.0
    assert (res.r_rms[j:] == 0).all()
    assert (res.dr_norm[:j] == 0).all() and res.underflow["dr"][:j].all()
    assert "dead" in res.status()


@pytest.mark.slow
def test_memory_far_below_naive_storage():
    """Weights are drawn again, not stored: peak memory well under the weights' size."""
    L, n, B = 60, 256, 16
    naive_weights = L * n * n * 8
    tracemalloc.start()
    try:
        ex.gradient_profile(L, n, "relu", 1.0, B, seed=0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 0.25 * naive_weights
    assert peak < L * B * n * 8 + 16 * n * n * 8  # stored z plus a few n x n arrays


# ---------------------------------------------------------------------------
# Figures and the explorer
# ---------------------------------------------------------------------------


def test_plot_profile_and_grid():
    res = ex.gradient_profile(10, 8, "relu", 1.0, 2, seed=0)
    fig = plot_gradient_profile(res, quantities=("dr", "dW", "r"))
    assert isinstance(fig, matplotlib.figure.Figure)
    labels = [line.get_label() for line in fig.axes[0].get_lines()]
    assert sum("theory" in lab for lab in labels) == 3
    grid = ex.profile_grid([2, 5], [0.5, 2.0], width=8, batch=2, seed=0)
    assert [[r.depth for r in row] for row in grid] == [[2, 5], [2, 5]]
    assert [[r.scale for r in row] for row in grid] == [[0.5, 0.5], [2.0, 2.0]]
    fig = plot_profiles_grid(grid)
    assert len(fig.axes) == 4
    fig = widgets.static_explorer_figure(depths=(3, 2000), scales=(0.5, 2.0), width=8, batch=2)
    assert len(fig.axes) == 4


def test_explorer_builds_and_every_control_changes_the_output():
    e = widgets.gradient_explorer(depth=10, scale=1.0, width=8, batch=2, activation="relu")
    assert e.result.depth == 10 and e.image.value
    moves = {"depth": 20, "scale": 2.0, "width": 16, "batch": 4, "activation": "sigmoid"}
    for name, value in moves.items():
        before_png, before = e.image.value, e.result
        e.controls[name].value = value
        assert e.result is not before
        assert e.image.value != before_png
        got = {"depth": e.result.depth, "scale": e.result.scale, "width": e.result.width,
               "batch": e.result.batch, "activation": e.result.activation}[name]
        assert got == value
    assert "finite" in e.status.value or "flow" in e.status.value
    # slider ranges from the brief
    c = e.controls
    assert min(c["depth"].options) == 1 and max(c["depth"].options) == 2000
    assert min(c["scale"].options) == 0.25 and max(c["scale"].options) == 4.0
    assert min(c["width"].options) == 4 and max(c["width"].options) == 512
    assert set(c["activation"].options) == {"relu", "leaky_relu", "sigmoid", "tanh"}


# ---------------------------------------------------------------------------
# Bad input: errors that name the argument
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, error, word",
    [
        (dict(depth=0), ValueError, "depth"),
        (dict(depth=2.5), TypeError, "depth"),
        (dict(width=0), ValueError, "width"),
        (dict(width="8"), TypeError, "width"),
        (dict(batch=0), ValueError, "batch"),
        (dict(scale=0.0), ValueError, "scale"),
        (dict(scale=-1.0), ValueError, "scale"),
        (dict(scale=float("nan")), ValueError, "scale"),
        (dict(scale="1"), TypeError, "scale"),
        (dict(activation="softmax"), ValueError, "activation"),
        (dict(activation=3), TypeError, "activation"),
        (dict(slope=-0.1, activation="leaky_relu"), ValueError, "slope"),
        (dict(seed=-1), ValueError, "seed"),
        (dict(seed=None, rng="0"), TypeError, "rng"),
        (dict(seed=None), TypeError, "rng"),
        (dict(rng=np.random.default_rng(0)), TypeError, "seed"),
        (dict(cache={}), TypeError, "cache"),
    ],
)
def test_bad_input_names_the_argument(kwargs, error, word):
    args = dict(depth=3, width=4, activation="relu", scale=1.0, batch=2, seed=0)
    args.update(kwargs)
    with pytest.raises(error, match=word):
        ex.gradient_profile(**args)


def test_bad_input_elsewhere():
    res = ex.gradient_profile(3, 4, "relu", 1.0, 2, seed=0)
    with pytest.raises(ValueError, match="quantities"):
        plot_gradient_profile(res, quantities=("dz",))
    with pytest.raises(ValueError, match="quantity"):
        res.measured("dz")
    with pytest.raises(ValueError, match="kind"):
        res.flagged_layers("dr", "sideways")
    with pytest.raises(ValueError, match="values"):
        ex.log_slope([1.0, 0.0, np.nan])
    with pytest.raises(ValueError, match="results"):
        plot_profiles_grid([[res], [res, res]])
    with pytest.raises(ValueError, match="activation"):
        widgets.gradient_explorer(activation="softmax")
    with pytest.raises(ValueError, match="depth"):
        widgets.gradient_explorer(depth=0)
    with pytest.raises(TypeError, match="max_bytes"):
        ex.WeightCache(max_bytes=1.5)
