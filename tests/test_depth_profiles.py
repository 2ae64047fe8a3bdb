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
from block_stack import stack_backward, stack_forward  # tests/ is on sys.path
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


def test_defaults_are_plain_gaussian_bit_for_bit():
    """Naming the defaults changes nothing: architecture='plain', init='gaussian' is the default network."""
    for activation in ("relu", "tanh"):
        a = ex.gradient_profile(9, 7, activation, 1.3, 3, seed=8)
        b = ex.gradient_profile(9, 7, activation, 1.3, 3, seed=8, architecture="plain", init="gaussian",
                                cache=ex.WeightCache())
        for name in ("dr_norm", "dW_norm", "r_rms", "inactive_fraction", "log10_dr_norm_theory",
                     "log10_dW_norm_theory", "log10_r_rms_theory"):
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
        assert (a.architecture, a.alpha, a.init) == ("plain", None, "gaussian")
        assert "architecture" not in repr(a) and "init" not in repr(a)
        assert a.status() == "all values finite and non-zero"


# ---------------------------------------------------------------------------
# Residual blocks and orthogonal weights
# ---------------------------------------------------------------------------


def _independent_blocks(L, n, s, seed, alpha, init):
    """The residual blocks gradient_profile describes, built here from the seeds with numpy and isometry."""
    blocks = []
    for k in range(L):
        rng1, rng3 = np.random.default_rng([seed, 1, k]), np.random.default_rng([seed, 3, k])
        if init == "gaussian":
            W1 = rng1.standard_normal((n, n)) * (s * math.sqrt(2.0 / n))
            W2 = rng3.standard_normal((n, n)) * math.sqrt(1.0 / n)
        else:
            W1 = rp.isometry.orthogonal(n, n, rng=rng1, scale=s * math.sqrt(2.0))
            W2 = rp.isometry.orthogonal(n, n, rng=rng3)
        blocks.append(rp.residual.ResidualBlock(W1, None, W2, None, alpha))
    return blocks


def _input_and_output_gradient(seed, B, n):
    x = np.random.default_rng([seed, 0]).standard_normal((B, n))
    G = np.random.default_rng([seed, 2]).standard_normal((B, n))
    return x, G / np.linalg.norm(G)


@pytest.mark.parametrize("init", ["gaussian", "orthogonal"])
@pytest.mark.parametrize("activation, alpha", [("relu", None), ("tanh", 0.7), ("leaky_relu", 1.0),
                                               ("sigmoid", 0.2)])
def test_residual_profile_equals_a_plain_loop_over_blocks(activation, alpha, init):
    """Residual norms are those of ResidualBlock's own forward/backward composed in tests/block_stack.py."""
    L, n, B, s, seed = 7, 5, 3, 1.2, 4
    res = ex.gradient_profile(L, n, activation, s, B, seed=seed, slope=0.1, architecture="residual",
                              alpha=alpha, init=init)
    a = 1 / math.sqrt(L) if alpha is None else alpha
    assert res.alpha == a and res.architecture == "residual" and res.init == init
    act = rp.get_activation(activation, slope=0.1)
    blocks = _independent_blocks(L, n, s, seed, a, init)
    x, G = _input_and_output_gradient(seed, B, n)
    records = stack_forward(blocks, x, act)
    dr0, grads = stack_backward(blocks, records, G, act)
    dW = [math.sqrt(np.sum(g["W1"] ** 2) + np.sum(g["W2"] ** 2)) for g in grads]
    np.testing.assert_allclose(res.dW_norm, dW, rtol=1e-12)
    assert res.dr_norm[0] == pytest.approx(np.linalg.norm(dr0), rel=1e-12)
    rms = [np.sqrt(np.mean(x * x))] + [np.sqrt(np.mean(rec[2] ** 2)) for rec in records]
    np.testing.assert_allclose(res.r_rms, rms, rtol=1e-12)
    # the unit fractions are those of the branch's hidden units
    z_last = records[-1][1]
    assert res.inactive_fraction[L] == pytest.approx(np.mean(act.df(z_last) == 0))
    assert res.dead_layer is None and np.isnan(res.dead_fraction[0])


def test_residual_profile_equals_autograd():
    """Every ||dC/dr^(k)|| and ||dC/dW^(k)|| of a residual stack against autograd of C = sum(G * r^(L))."""
    import autograd
    import autograd.numpy as anp

    L, n, B, s, seed, alpha = 5, 4, 3, 0.9, 2, 0.6
    res = ex.gradient_profile(L, n, "tanh", s, B, seed=seed, architecture="residual", alpha=alpha)
    blocks = _independent_blocks(L, n, s, seed, alpha, "gaussian")
    x, G = _input_and_output_gradient(seed, B, n)

    def cost_from(k, r, Ws):
        for j in range(k, L):
            r = r + alpha * anp.dot(anp.tanh(anp.dot(r, Ws[2 * j])), Ws[2 * j + 1])
        return anp.sum(G * r)

    Ws = [M for blk in blocks for M in (blk.W1, blk.W2)]
    dWs = autograd.grad(lambda Ws: cost_from(0, x, Ws))(Ws)
    dW = [math.sqrt(np.sum(dWs[2 * k] ** 2) + np.sum(dWs[2 * k + 1] ** 2)) for k in range(L)]
    np.testing.assert_allclose(res.dW_norm, dW, rtol=1e-10)
    records = stack_forward(blocks, x, rp.get_activation("tanh"))
    streams = [x] + [rec[2] for rec in records]
    dr = [np.linalg.norm(autograd.grad(lambda r: cost_from(k, r, Ws))(streams[k])) for k in range(L + 1)]
    np.testing.assert_allclose(res.dr_norm, dr, rtol=1e-10)


def test_orthogonal_weights_are_isometry_orthogonal_of_the_same_draws():
    """Base matrices: Q^T Q = I, equal to isometry.orthogonal on the layer's seed; profile = rp.Network's."""
    L, n, B, s, seed = 6, 5, 3, 1.1, 4
    cache = ex.WeightCache()
    for k in range(L):
        for stream in (1, 3):
            Q = cache.get(seed, n, k, stream, "orthogonal")
            np.testing.assert_allclose(Q.T @ Q, np.eye(n), atol=1e-13)
            want = rp.isometry.orthogonal(n, n, rng=np.random.default_rng([seed, stream, k]))
            np.testing.assert_array_equal(Q, want)
            np.testing.assert_array_equal(ex.base_matrix(seed, n, k, stream, "orthogonal"), want)
    res = ex.gradient_profile(L, n, "tanh", s, B, seed=seed, init="orthogonal")
    layers = [rp.Layer(rp.isometry.orthogonal(n, n, rng=np.random.default_rng([seed, 1, k]),
                                              scale=s * math.sqrt(2.0))) for k in range(L)]
    net = rp.Network(layers, activation="tanh", output_activation="tanh")
    x, G = _input_and_output_gradient(seed, B, n)
    trace = net.forward(x)
    grads = net.backward_from(trace, G)
    np.testing.assert_allclose(res.dW_norm, [np.linalg.norm(g) for g in grads.dW], rtol=1e-12)
    np.testing.assert_allclose(res.dr_norm, [np.linalg.norm(g) for g in grads.dr], rtol=1e-12)
    np.testing.assert_allclose(res.r_rms, [np.sqrt(np.mean(r * r)) for r in trace.r], rtol=1e-12)
    assert "orthogonal" in repr(res) and "orthogonal init" in res.status()


def test_orthogonal_linear_network_is_an_exact_isometry():
    """Identity activation, orthogonal weights: every norm is multiplied by exactly s sqrt(2) per layer."""
    L, s = 30, 0.8
    res = ex.gradient_profile(L, 16, "identity", s, 4, seed=1, init="orthogonal")
    k = np.arange(L + 1)
    g = s * math.sqrt(2.0)
    np.testing.assert_allclose(res.dr_norm, g ** (L - k), rtol=1e-12)
    np.testing.assert_allclose(res.r_rms, res.r_rms[0] * g ** k, rtol=1e-12)
    # the Gaussian network on the same seeds is not an isometry: its norms spread around the same mean field
    gauss = ex.gradient_profile(L, 16, "identity", s, 4, seed=1)
    assert np.max(np.abs(np.log(gauss.dr_norm / g ** (L - k)))) > 0.1
    np.testing.assert_allclose(res.log10_dr_norm_theory, gauss.log10_dr_norm_theory, rtol=0, atol=1e-12)


def test_residual_relu_theory_closed_form():
    """ReLU blocks: the mean-field factor per block is exactly (1 + alpha^2 s^2), forward and backward."""
    L, s, alpha = 40, 1.3, 0.4
    res = ex.gradient_profile(L, 16, "relu", s, 4, seed=3, architecture="residual", alpha=alpha)
    k = np.arange(L + 1)
    half_log = 0.5 * math.log10(1 + alpha ** 2 * s ** 2)
    np.testing.assert_allclose(res.log10_dr_norm_theory, (L - k) * half_log, atol=1e-12)
    np.testing.assert_allclose(res.log10_r_rms_theory, math.log10(res.r_rms[0]) + k * half_log, atol=1e-12)
    assert np.isfinite(res.log10_dW_norm_theory).all()
    # alpha = 0: the identity all the way; exactly zero weight gradients, flagged as underflow, theory -inf
    zero = ex.gradient_profile(10, 8, "relu", 1.0, 4, seed=3, architecture="residual", alpha=0.0)
    np.testing.assert_allclose(zero.dr_norm, 1.0, rtol=1e-15)
    assert (zero.dW_norm == 0).all() and zero.underflow["dW"].all()
    assert np.isneginf(zero.log10_dW_norm_theory).all()


@pytest.mark.parametrize("activation, scale", [("sigmoid", 1.0), ("leaky_relu", 1.3), ("tanh", 0.7)])
def test_profile_network_is_the_network_the_profile_measures(activation, scale):
    """Its backward pass from the profile's output gradient gives the profile's norms, layer by layer."""
    L, n, B, seed = 12, 16, 5, 3
    prof = ex.gradient_profile(L, n, activation, scale, B, seed=seed, slope=0.2)
    net, x, G = ex.profile_network(L, n, activation, scale, B, seed=seed, slope=0.2)
    assert net.depth == L and x.shape == G.shape == (B, n)
    assert np.linalg.norm(G) == pytest.approx(1.0, rel=1e-15)
    trace = net.forward(x)
    grads = net.backward_from(trace, G)
    np.testing.assert_allclose([np.linalg.norm(d) for d in grads.dr], prof.dr_norm, rtol=1e-12)
    np.testing.assert_allclose([np.linalg.norm(d) for d in grads.dW], prof.dW_norm, rtol=1e-12)
    np.testing.assert_allclose([np.sqrt(np.mean(r ** 2)) for r in trace.r], prof.r_rms, rtol=1e-12)


@pytest.mark.parametrize("kwargs, error, word", [
    (dict(depth=0), ValueError, "depth"),
    (dict(activation="swish"), ValueError, "activation"),
    (dict(scale=0.0), ValueError, "scale"),
    (dict(seed=-1), ValueError, "seed"),
])
def test_profile_network_bad_input(kwargs, error, word):
    args = dict(depth=3, width=4, seed=0) | kwargs
    with pytest.raises(error, match=word):
        ex.profile_network(**args)
    with pytest.raises(TypeError, match="seed"):
        ex.profile_network(3, 4)


@pytest.mark.slow
@pytest.mark.parametrize(
    "architecture, alpha, init, activation, band",
    [
        ("residual", 0.5, "gaussian", "relu", 0.1),
        ("residual", None, "orthogonal", "relu", 0.1),
        ("residual", 1.0, "gaussian", "tanh", 0.1),
        ("residual", 0.5, "orthogonal", "sigmoid", 0.1),
        ("plain", None, "orthogonal", "tanh", 0.1),
        ("plain", None, "orthogonal", "relu", 0.2),
    ],
)
def test_theory_matches_measurement_for_residual_and_orthogonal(architecture, alpha, init, activation, band):
    """Mean over 4 networks (seeds 0-3) of log10 measured - log10 theory, width 256, depth 30: within the band.

    The band is in decades at every layer. Plain ReLU with orthogonal weights drifts below the mean field
    at depth over width 30/256 the way Gaussian weights do (the finite-width lottery), hence 0.2.
    """
    devs = {q: [] for q in ("dr", "dW", "r")}
    for seed in range(4):
        res = ex.gradient_profile(30, 256, activation, 1.0, 8, seed=seed, architecture=architecture,
                                  alpha=alpha, init=init)
        for q in devs:
            devs[q].append(res.log10(q) - res.theory_log10(q))
    for q, d in devs.items():
        assert np.max(np.abs(np.mean(d, axis=0))) < band, q


def test_cache_gives_the_same_results_for_every_architecture_and_init():
    """A cache (ample, tiny, or shared while switching) never changes a result."""
    runs = [dict(architecture="residual", init="gaussian"), dict(architecture="residual", init="orthogonal"),
            dict(architecture="plain", init="orthogonal"), dict(architecture="residual", alpha=0.3)]
    shared = ex.WeightCache(max_bytes=20 * 8 * 8 * 8)  # about half of what a residual run asks for
    for kwargs in runs:
        want = ex.gradient_profile(12, 8, "tanh", 1.1, 3, seed=5, **kwargs)
        for cache in (ex.WeightCache(), ex.WeightCache(0), shared, shared):
            got = ex.gradient_profile(12, 8, "tanh", 1.1, 3, seed=5, cache=cache, **kwargs)
            for name in ("dr_norm", "dW_norm", "r_rms", "log10_dW_norm_theory"):
                np.testing.assert_array_equal(getattr(got, name), getattr(want, name))
            assert shared.nbytes <= shared.max_bytes
    # plain and residual share W1's base draws: a plain run fills what a residual run needs first
    cache = ex.WeightCache()
    ex.gradient_profile(4, 8, "relu", 1.0, 2, seed=5, cache=cache)
    assert len(cache) == 4
    ex.gradient_profile(4, 8, "relu", 1.0, 2, seed=5, cache=cache, architecture="residual")
    assert len(cache) == 8  # only the W2 draws were added


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



def test_plot_scale_sweep_colours():
    import matplotlib.colors as mcolors
    runs = [ex.gradient_profile(6, 8, "relu", s, 2, seed=0) for s in (0.5, 1.0)]
    wanted = [rp.plotting.PALETTE[3], rp.plotting.PALETTE[4]]
    fig = rp.plotting.plot_scale_sweep(runs, colors=wanted)
    solid = [line for line in fig.axes[0].get_lines() if line.get_linestyle() == "-"]
    assert [mcolors.to_hex(line.get_color()) for line in solid] == [c.lower() for c in wanted]
    default = rp.plotting.plot_scale_sweep(runs)
    solid = [line for line in default.axes[0].get_lines() if line.get_linestyle() == "-"]
    assert [mcolors.to_hex(line.get_color()) for line in solid] == [c.lower() for c in rp.plotting.PALETTE[:2]]
    with pytest.raises(ValueError, match="colors"):
        rp.plotting.plot_scale_sweep(runs, colors=wanted[:1])
    plt.close("all")

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
    assert min(c["width"].options) == 4 and max(c["width"].options) == 64  # L/n from 0.016 to 500
    assert min(c["batch"].options) == 1 and max(c["batch"].options) == 32
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
        (dict(architecture="resnet"), ValueError, "architecture"),
        (dict(architecture=None), TypeError, "architecture"),
        (dict(init="he"), ValueError, "init"),
        (dict(init=0), TypeError, "init"),
        (dict(alpha=0.5), ValueError, "alpha"),
        (dict(alpha=0.5, architecture="plain"), ValueError, "alpha"),
        (dict(alpha=-0.1, architecture="residual"), ValueError, "alpha"),
        (dict(alpha=float("inf"), architecture="residual"), ValueError, "alpha"),
        (dict(alpha="0.1", architecture="residual"), TypeError, "alpha"),
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
