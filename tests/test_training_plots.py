"""reluprop.training_plots: per-layer gradient norms during training."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import reluprop as rp  # noqa: E402
from reluprop.training_plots import plot_grad_norm_history  # noqa: E402


def _history(record=True):
    rng = np.random.default_rng(0)
    x, y = rp.training.make_regression_task(3, 1, 40, rng)
    net = rp.Network(rp.init_layers([3, 8, 8, 1], rng=rng), "relu", "identity")
    return rp.training.train(net, x, y, lr=0.05, steps=20, batch_size=8, rng=rng, eval_every=5,
                             record_grad_norms=record).history


def test_one_panel_per_run_one_line_per_layer_same_colour_everywhere():
    h = _history()
    fig = plot_grad_norm_history({"a": h, "b": h}, layers=[0, 2])
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


def test_bad_input_is_rejected():
    h = _history()
    with pytest.raises(ValueError, match="layers must be in 0..2"):
        plot_grad_norm_history({"a": h}, layers=[3])
    with pytest.raises(ValueError, match="record_grad_norms"):
        plot_grad_norm_history({"a": _history(record=False)}, layers=[0])
    with pytest.raises(ValueError, match="at least one"):
        plot_grad_norm_history({}, layers=[0])
