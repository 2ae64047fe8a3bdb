"""The notebook explorer driven without a display, and the plotting of several draws."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from reluprop import experiments as ex
from reluprop import widgets
from reluprop.plotting import plot_gradient_profile, plot_profiles_grid


def _faint(ax):
    """Lines drawn as other draws (thin and translucent)."""
    return [line for line in ax.get_lines() if line.get_alpha() is not None and line.get_alpha() < 1]


@pytest.fixture
def explorer():
    return widgets.gradient_explorer(depth=12, scale=1.0, width=8, batch=2, activation="relu")


def test_new_draw_adds_the_next_seed_and_keeps_the_earlier_curves(explorer):
    e = explorer
    assert [r.seed for r in e.draws] == [0] and e.result is e.draws[0]
    assert "1 network (seed 0)" in e.status.value
    for n in range(2, 5):
        before = e.image.value
        e.controls["draw"].click()
        assert [r.seed for r in e.draws] == list(range(n)) and e.result is e.draws[-1]
        assert e.image.value != before
        # two quantities (dr, dW), one faint line each per earlier draw
        assert len(_faint(e.figure.axes[0])) == 2 * (n - 1)
    # the newest draw is the library's profile for its seed, at the current settings
    want = ex.gradient_profile(12, 8, "relu", 1.0, 2, seed=3)
    np.testing.assert_array_equal(e.result.dr_norm, want.dr_norm)
    logs = [float(np.log10(ex.gradient_profile(12, 8, "relu", 1.0, 2, seed=s).dr_norm[0])) for s in range(4)]
    assert "4 networks (seeds 0–3)" in e.status.value
    assert f"a spread of {max(logs) - min(logs):.2f}" in e.status.value


def test_at_most_max_draws_then_the_button_is_disabled(explorer):
    e = explorer
    for _ in range(widgets.MAX_DRAWS + 2):
        e.controls["draw"].click()
    assert len(e.draws) == widgets.MAX_DRAWS
    assert e.controls["draw"].disabled
    assert "the most shown at once" in e.status.value
    # a control change draws one network again (the newest, recomputed), and the button comes back
    e.controls["depth"].value = 20
    assert [r.seed for r in e.draws] == [widgets.MAX_DRAWS - 1] and e.result.depth == 20
    assert not e.controls["draw"].disabled and len(_faint(e.figure.axes[0])) == 0


def test_architecture_alpha_and_init_controls(explorer):
    e = explorer
    c = e.controls
    assert set(c) == {"depth", "scale", "width", "batch", "activation", "architecture", "alpha", "init", "draw"}
    assert c["alpha"].disabled and e.result.architecture == "plain" and e.result.init == "gaussian"
    before = e.image.value
    c["architecture"].value = "residual"
    assert not c["alpha"].disabled and e.image.value != before
    assert e.result.architecture == "residual" and e.result.alpha == pytest.approx(1 / math.sqrt(12))
    c["alpha"].value = 0.5
    assert e.result.alpha == 0.5
    want = ex.gradient_profile(12, 8, "relu", 1.0, 2, seed=0, architecture="residual", alpha=0.5)
    np.testing.assert_array_equal(e.result.dr_norm, want.dr_norm)
    c["init"].value = "orthogonal"
    assert e.result.init == "orthogonal" and e.result.alpha == 0.5
    c["architecture"].value = "plain"
    assert c["alpha"].disabled and e.result.architecture == "plain" and e.result.init == "orthogonal"
    assert [label for label, _ in c["init"].options] == ["Gaussian", "orthogonal"]
    labels = [label for label, _ in c["alpha"].options]
    assert labels[0] == "1/√L" and labels[1:] == ["0.05", "0.1", "0.2", "0.5", "1"]


def test_starting_settings_and_bad_input():
    e = widgets.gradient_explorer(depth=7, width=8, batch=2, architecture="residual", alpha=0.3,
                                  init="orthogonal", seed=5)
    assert e.result.alpha == 0.3 and e.result.seed == 5 and e.result.init == "orthogonal"
    assert ("0.3", 0.3) in e.controls["alpha"].options
    with pytest.raises(ValueError, match="architecture"):
        widgets.gradient_explorer(architecture="dense")
    with pytest.raises(ValueError, match="alpha"):
        widgets.gradient_explorer(alpha=0.5)
    with pytest.raises(ValueError, match="init"):
        widgets.gradient_explorer(init="he")


def test_draw_spread_text():
    runs = [ex.gradient_profile(20, 8, "relu", 1.0, 2, seed=s) for s in (2, 3, 4)]
    logs = [math.log10(r.dr_norm[0]) for r in runs]
    text = widgets.draw_spread(runs)
    assert text.startswith("3 networks (seeds 2–4)")
    assert f"from {min(logs):.2f}".replace("-", "−") in text
    assert f"a factor {10 ** (max(logs) - min(logs)):.3g}" in text
    deep = ex.gradient_profile(2000, 8, "relu", 4.0, 2, seed=0)  # overflows all the way to layer 0
    assert "1 overflowed or underflowed at layer 0" in widgets.draw_spread([runs[0], deep])
    with pytest.raises(ValueError, match="results"):
        widgets.draw_spread([])


def test_plot_others_and_missing_theory():
    runs = [ex.gradient_profile(10, 8, "relu", 1.0, 2, seed=s) for s in range(3)]
    fig = plot_gradient_profile(runs[0], others=runs[1:])
    ax = fig.axes[0]
    assert len(_faint(ax)) == 4
    labels = [line.get_label() for line in ax.get_lines()]
    assert sum("other draws" in lab for lab in labels) == 2 and sum("theory" in lab for lab in labels) == 2
    with pytest.raises(ValueError, match="others"):
        plot_gradient_profile(runs[0], others=[ex.gradient_profile(11, 8, "relu", 1.0, 2, seed=0)])
    # a theory that is not available (NaN) is not drawn
    no_theory = dataclasses.replace(runs[0], log10_dW_norm_theory=np.full_like(runs[0].log10_dW_norm_theory, np.nan))
    labels = [line.get_label() for line in plot_gradient_profile(no_theory).axes[0].get_lines()]
    assert sum("theory" in lab for lab in labels) == 1


def test_static_draws_figure_has_a_panel_per_architecture_and_init():
    grid = widgets.draws_grid(20, 8, batch=2, draws=3)
    assert [[[r.seed for r in cell] for cell in row] for row in grid] == [[[0, 1, 2]] * 2] * 2
    assert [[(cell[0].architecture, cell[0].init) for cell in row] for row in grid] == [
        [("plain", "gaussian"), ("plain", "orthogonal")], [("residual", "gaussian"), ("residual", "orthogonal")]]
    fig = widgets.static_draws_figure(depth=20, width=8, batch=2, draws=3)
    assert len(fig.axes) == 4
    assert all(len(_faint(ax)) == 4 for ax in fig.axes)
    assert [ax.get_title() for ax in fig.axes][1] == "plain, orthogonal init"
    assert len(widgets.static_draws_figure(grid=grid).axes) == 4
    with pytest.raises(ValueError, match="grid"):
        widgets.static_draws_figure(grid=grid[::-1])
    with pytest.raises(ValueError, match="titles"):
        plot_profiles_grid(grid, titles=[["a"]])
    with pytest.raises(ValueError, match="draws"):
        widgets.draws_grid(20, 8, draws=0)


def test_the_depth_over_width_note_is_shown_for_plain_networks_only(explorer):
    e = explorer  # depth 12, width 8: L/n = 1.5
    assert "L/n = 1.5" in e.status.value and "Finite width" in e.status.value
    e.controls["architecture"].value = "residual"
    assert "L/n" not in e.status.value
    e.controls["architecture"].value = "plain"
    e.controls["width"].value = 16  # L/n = 0.75: near the wide-network limit, no note
    assert "L/n" not in e.status.value
