"""Figures of training runs over time: per-layer gradient norms step by step.

:func:`plot_grad_norm_history` draws what :func:`reluprop.training.train`
records with ``record_grad_norms=True``: ``||dC/dW^(k)||`` on the whole
training set at the recorded steps, one panel per run, one line per chosen
layer, the same colour for the same layer in every panel. Like
:mod:`reluprop.plotting`, it returns the Figure and never calls ``plt.show()``.
"""

from __future__ import annotations

import numpy as np

from .plotting import new_figure

__all__ = ["LAYER_CMAP", "plot_grad_norm_history"]

#: Colour map for the layer index: dark for the first layers, light for the last.
LAYER_CMAP = "viridis"


def plot_grad_norm_history(histories, layers, *, width: float = 9.0, height: float = 3.2, sharey=True):
    """``||dC/dW^(k)||`` against the training step, one panel per run, one line per layer.

    Parameters
    ----------
    histories : dict mapping a panel title to reluprop.training.TrainingHistory
        Each recorded with ``record_grad_norms=True``: ``grad_norms`` has
        shape (m, L), row i at step ``steps[i]``.
    layers : sequence of int
        The layers k to draw, 0 <= k < L; each gets one colour, the same in
        every panel.
    width, height : float
        Figure size in inches.
    sharey : bool
        One log axis for all panels, so that their levels can be compared.

    Returns
    -------
    matplotlib.figure.Figure
        Non-finite values (a diverged run's last row) are left out; a run
        that diverged says at which step in its panel's title.
    """
    import matplotlib.pyplot as plt

    histories = dict(histories)
    if not histories:
        raise ValueError("histories must hold at least one TrainingHistory")
    layers = [int(k) for k in layers]
    if not layers:
        raise ValueError("layers must name at least one layer")
    for title, h in histories.items():
        if getattr(h, "grad_norms", None) is None:
            raise ValueError(f"the history {title!r} has no grad_norms: train with record_grad_norms=True")
        depth = h.grad_norms.shape[1]
        bad = [k for k in layers if not 0 <= k < depth]
        if bad:
            raise ValueError(f"layers must be in 0..{depth - 1} for {title!r}; got {bad}")
    cmap = plt.get_cmap(LAYER_CMAP)
    colours = {k: cmap(0.85 * i / max(len(layers) - 1, 1)) for i, k in enumerate(layers)}
    fig, axes = new_figure(len(histories), 1, width=width, height=height, sharey=sharey)
    axes = np.atleast_1d(axes)
    for ax, (title, h) in zip(axes, histories.items()):
        for k in layers:
            v = np.asarray(h.grad_norms[:, k], dtype=float)
            ok = np.isfinite(v) & (v > 0)
            ax.plot(h.steps[ok], v[ok], "-", color=colours[k], lw=1.6, label=f"$k$ = {k}")
        ax.set_yscale("log")
        ax.set_xlabel("step")
        ax.grid(True, which="major", alpha=0.3)
        ax.set_title(title if not h.diverged else f"{title} (diverged at step {h.diverged_at})", fontsize=10)
    axes[0].set_ylabel(r"$\|\partial C/\partial W^{(k)}\|$")
    axes[0].legend(fontsize=8, title="layer", title_fontsize=8)
    return fig
