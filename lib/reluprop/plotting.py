"""Figures for the course: functions that take results and return a matplotlib Figure.

All figures use :data:`PALETTE`, the Okabe–Ito colour-blind-safe palette, and
never call ``plt.show()``: the caller decides whether to display, save or
close the figure.
"""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import numpy as _np
from matplotlib.ticker import FuncFormatter as _FuncFormatter
from matplotlib.ticker import MaxNLocator as _MaxNLocator
from matplotlib.transforms import blended_transform_factory as _blended

matplotlib.rcParams.setdefault("figure.dpi", 100)

__all__ = [
    "PALETTE",
    "COLORS",
    "new_figure",
    "figure_and_axes",
    # Initialization and training
    "plot_variance_recursion",
    "plot_log_grad_spread",
    "plot_dead_units",
    "plot_learning_curves",
    "plot_weight_grad_norms",
    "LAYER_CMAP",
    "plot_grad_norm_history",
    # Vanishing and exploding
    "PROFILE_STYLE",
    "plot_gradient_profile",
    "plot_profiles_grid",
    "plot_scale_sweep",
    # Part III
    "plot_layer_profiles",
]

#: Okabe & Ito's palette, distinguishable with the common colour-vision deficiencies.
PALETTE = (
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # bluish green
    "#E69F00",  # orange
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
    "#000000",  # black
)

#: Fixed colours for quantities that recur across chapters.
COLORS = {
    "relu": PALETTE[0],
    "sigmoid": PALETTE[1],
    "tanh": PALETTE[2],
    "leaky_relu": PALETTE[3],
    "identity": PALETTE[7],
    "true": PALETTE[0],
    "first_attempt": PALETTE[1],
    "theory": PALETTE[7],
}


def new_figure(ncols: int = 1, nrows: int = 1, width: float = 6.4, height: float = 3.6, **kwargs):
    """A figure with a grid of axes, sized for the book's text column.

    Returns
    -------
    fig : matplotlib.figure.Figure
    axes : Axes or array of Axes
    """
    fig, axes = plt.subplots(nrows, ncols, figsize=(width, height), layout="constrained", **kwargs)
    return fig, axes


def figure_and_axes(ax=None, **kwargs):
    """``(ax.figure, ax)`` when an Axes is given, else a new figure from :func:`new_figure`."""
    if ax is None:
        return new_figure(**kwargs)
    return ax.figure, ax


# ---------------------------------------------------------------------------
# Initialization and training (chapters "Initialization" and "Training deep networks")
# ---------------------------------------------------------------------------

_MARKERS = ("o", "s", "^", "D", "v", "P")


def plot_variance_recursion(experiments, ax=None, title=None):
    """Predicted (dashed) and measured (markers) ``E[(z^(k))^2]`` against the layer k.

    Parameters
    ----------
    experiments : sequence of reluprop.variance.VarianceExperiment
        One colour per experiment; one marker shape per measured width.
    ax : matplotlib Axes, optional
        Draw into it; otherwise a new figure is made.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = figure_and_axes(ax)
    widths_seen = {}
    for i, exp in enumerate(experiments):
        color = PALETTE[i % len(PALETTE)]
        k = _np.arange(1, exp.depth + 1)
        ax.plot(k, exp.predicted[0], "--", color=color, lw=1.6, label=exp.label)
        for j, n in enumerate(exp.widths):
            m = _MARKERS[j % len(_MARKERS)]
            widths_seen.setdefault(n, m)
            ax.plot(k, exp.measured[j], m, color=color, ms=4.5, mfc="none", mew=1.1)
    for n, m in widths_seen.items():
        ax.plot([], [], m, color="0.3", mfc="none", label=f"measured, n = {n}")
    ax.set_yscale("log")
    ax.xaxis.set_major_locator(_MaxNLocator(integer=True))
    ax.set_xlabel("layer $k$")
    ax.set_ylabel(r"$\mathrm{E}[(z^{(k)})^2]$")
    ax.legend(fontsize=8, ncol=1, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False,
              title="dashed: theory", title_fontsize=8)
    ax.grid(True, which="major", alpha=0.3)
    if title:
        ax.set_title(title)
    return fig


def plot_log_grad_spread(spreads, bins: int = 30):
    """Histograms of ``log ||dC/dr^(0)||`` over random networks, one panel per setting.

    Each panel shows one :class:`reluprop.variance.GradSpread`: the
    histogram of the finite log-norms, a solid line at their mean (the
    typical network) and a dashed line at 0, the log of the size whose
    square the variance recursion preserves on average. The panel's title
    gives L, n and L/n; the text in it the standard deviation across draws.

    Returns
    -------
    matplotlib.figure.Figure
    """
    spreads = list(spreads)
    fig, axes = new_figure(ncols=len(spreads), width=6.4, height=2.9, squeeze=False)
    for i, (ax, s) in enumerate(zip(axes[0], spreads)):
        vals = s.finite
        ax.hist(vals, bins=bins, color=PALETTE[i % len(PALETTE)], alpha=0.8)
        ax.axvline(s.mean, color=COLORS["theory"], lw=1.4, label="mean")
        ax.axvline(0.0, color=COLORS["theory"], lw=1.2, ls="--", label="0")
        ax.set_title(f"L/n = {s.depth_over_width:g}\n(L = {s.depth}, n = {s.width})", fontsize=9)
        ax.text(0.03, 0.96, f"std {s.std:.2f}", transform=ax.transAxes, va="top", fontsize=8)
        ax.set_xlabel(r"$\log\,\|\partial C/\partial r^{(0)}\|$", fontsize=9)
        ax.tick_params(labelsize=8)
        if i == 0:
            ax.set_ylabel("networks")
    return fig


def plot_dead_units(fractions, ax=None, title=None):
    """Fraction of dead units per layer, one line per setting.

    Parameters
    ----------
    fractions : dict mapping a label to an array of shape (L,)
        E.g. from :func:`reluprop.variance.dead_unit_fraction`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = figure_and_axes(ax)
    for i, (label, f) in enumerate(fractions.items()):
        f = _np.asarray(f, dtype=float)
        ax.plot(_np.arange(1, len(f) + 1), f, "-o", ms=3, color=PALETTE[i % len(PALETTE)], label=label)
    ax.set_ylim(-0.03, 1.03)
    ax.xaxis.set_major_locator(_MaxNLocator(integer=True))
    ax.set_xlabel("layer $k$")
    ax.set_ylabel("fraction of dead units")
    ax.legend(fontsize=8)
    ax.grid(True, alpha=0.3)
    if title:
        ax.set_title(title)
    return fig


def plot_learning_curves(histories, baseline=None, ax=None, colors=None, styles=None, title=None):
    """Cost against SGD step on a log axis, one line per run.

    Parameters
    ----------
    histories : dict mapping a label to reluprop.training.TrainingHistory
    baseline : float, optional
        Drawn as a dotted horizontal line: e.g. the cost of predicting the
        targets' mean.
    colors : dict mapping a label to a colour, optional
    styles : dict mapping a label to a line style, optional
        E.g. ``"--"``: tells apart runs whose curves lie on top of each other.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
        A run that diverged ends with a cross at its last finite cost, and
        its legend entry says at which step it diverged.
    """
    fig, ax = figure_and_axes(ax)
    colors, styles = colors or {}, styles or {}
    for i, (label, h) in enumerate(histories.items()):
        color = colors.get(label, PALETTE[i % len(PALETTE)])
        ls = styles.get(label, "-")
        ok = _np.isfinite(h.loss)
        if h.diverged:
            label = f"{label} (diverged at step {h.diverged_at})"
        ax.plot(h.steps[ok], h.loss[ok], color=color, ls=ls, lw=1.8, label=label)
        if h.diverged and _np.any(ok):
            ax.plot(h.steps[ok][-1], h.loss[ok][-1], "x", color=color, ms=9, mew=2)
    if baseline is not None:
        ax.axhline(baseline, color=COLORS["theory"], ls=":", lw=1.2, label="predict the mean")
    ax.set_yscale("log")
    ax.set_xlabel("SGD step")
    ax.set_ylabel("cost on the training set")
    ax.legend(fontsize=8)
    ax.grid(True, which="major", alpha=0.3)
    if title:
        ax.set_title(title)
    return fig


def plot_weight_grad_norms(norms, ax=None, colors=None, title=None):
    """``||dC/dW^(k)||`` against the layer k on a log axis, one line per network.

    Parameters
    ----------
    norms : dict mapping a label to an array of shape (L,)
        E.g. a row of ``TrainingHistory.grad_norms``.
    colors : dict mapping a label to a colour, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = figure_and_axes(ax)
    colors = colors or {}
    for i, (label, v) in enumerate(norms.items()):
        v = _np.asarray(v, dtype=float)
        ax.plot(_np.arange(len(v)), v, "-o", ms=3, color=colors.get(label, PALETTE[i % len(PALETTE)]),
                label=label)
    ax.set_yscale("log")
    ax.xaxis.set_major_locator(_MaxNLocator(integer=True))
    ax.set_xlabel("layer $k$ (weights $W^{(k)}$)")
    ax.set_ylabel(r"$\|\partial C/\partial W^{(k)}\|$")
    ax.legend(fontsize=8)
    ax.grid(True, which="major", alpha=0.3)
    if title:
        ax.set_title(title)
    return fig


# ---------------------------------------------------------------------------
# Vanishing and exploding (chapter "Vanishing and exploding"): gradient profiles
# ---------------------------------------------------------------------------

#: Colour and label of each quantity of a GradientProfile.
PROFILE_STYLE = {
    "dr": (PALETTE[0], r"$\|\partial C/\partial r^{(k)}\|$"),
    "dW": (PALETTE[2], r"$\|\partial C/\partial W^{(k)}\|$"),
    "r": (PALETTE[4], r"RMS of $r^{(k)}$"),
}
_LOG10_MAX = 308.25  # log10 of the largest float64
_LOG10_TINY = -307.65  # log10 of the smallest normal float64


def _power_of_ten(v, _pos):
    return f"$10^{{{int(round(v))}}}$"


def _profile_title(result) -> str:
    """Activation, L, n and s, and the architecture and init when they are not the defaults."""
    title = f"{result.activation}, $L$ = {result.depth}, $n$ = {result.width}, $s$ = {result.scale:g}"
    extra = _setting_words(result)
    return f"{title}, {extra}" if extra else title


def _setting_words(result) -> str:
    """``"residual α = 0.1, orthogonal"``-style words for the non-default architecture and init."""
    words = []
    if getattr(result, "architecture", "plain") != "plain":
        words.append(f"{result.architecture} α = {result.alpha:.3g}")
    if getattr(result, "init", "gaussian") != "gaussian":
        words.append(result.init)
    return ", ".join(words)


def plot_gradient_profile(result, ax=None, *, quantities=("dr", "dW"), theory=True, legend=True,
                          title=None, others=()):
    """Per-layer norms of a :class:`reluprop.experiments.GradientProfile`, theory dashed.

    The y axis is logarithmic: it shows log10 of the norms, labelled as
    powers of ten, so that values far outside float64's range (the theory
    at depth 2000) still have a place. Measured values are solid lines,
    theory dashed in the same colour. Layers whose measured value overflowed
    (inf/NaN) are marked with ▲ along the top edge, layers that underflowed
    (0 or subnormal) with ▼ along the bottom edge, in the quantity's colour,
    and a note says how many: a flagged layer is never just missing. When the
    axis reaches float64's limits, dotted lines mark them.

    Parameters
    ----------
    result : GradientProfile
    ax : matplotlib Axes, optional
        Draw into it; otherwise a new figure is made.
    quantities : sequence of str
        Any of ``"dr"`` (||dC/dr^(k)||, k = 0..L), ``"dW"`` (||dC/dW^(k)||,
        k = 0..L-1), ``"r"`` (RMS of r^(k)).
    theory : bool
        Draw the mean-field prediction (dashed).
    legend : bool
        Draw a legend in the axes.
    title : str, optional
        Default: activation, depth, width and scale (and the architecture and
        init when they are not plain and Gaussian).
    others : sequence of GradientProfile
        Other draws of the same setting (same depth, e.g. other seeds), drawn
        first as thin, faint solid lines in the same colours, so that
        ``result`` stands out against the spread of networks. Their flagged
        layers are gaps (only ``result``'s flags are marked), and the theory
        is drawn once, from ``result``.

    A theory that is not available (NaN at every layer) is not drawn.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = figure_and_axes(ax)
    quantities = tuple(quantities)
    for q in quantities:
        if q not in PROFILE_STYLE:
            raise ValueError(f"quantities must hold 'dr', 'dW' or 'r'; got {q!r}")
    L = result.depth
    others = list(others)
    for other in others:
        if getattr(other, "depth", None) != L:
            raise ValueError(f"others must be GradientProfiles of the same depth {L}; got {other!r}")
    marker = "o" if L <= 40 else None
    finite = []
    trans = _blended(ax.transData, ax.transAxes)
    notes = []
    for i, q in enumerate(quantities):
        color, label = PROFILE_STYLE[q]
        for j, other in enumerate(others):
            y = other.log10(q)
            ax.plot(_np.arange(y.size), y, "-", color=color, lw=0.8, alpha=0.4,
                    label=f"{label}, other draws" if j == 0 else None)
            finite.append(y[_np.isfinite(y)])
        y = result.log10(q)
        k = _np.arange(y.size)
        ax.plot(k, y, "-", color=color, lw=1.7, marker=marker, ms=3.5, label=f"{label} measured")
        finite.append(y[_np.isfinite(y)])
        if theory:
            t = result.theory_log10(q)
            if _np.isfinite(t).any():
                ax.plot(k, t, "--", color=color, lw=1.3, label=f"{label} theory")
                finite.append(t[_np.isfinite(t)])
        for kind, ypos, sym in (("overflow", 0.97 - 0.045 * i, "^"), ("underflow", 0.03 + 0.045 * i, "v")):
            idx = result.flagged_layers(q, kind)
            if idx.size:
                ax.plot(idx, _np.full(idx.size, ypos), sym, color=color, ms=3.5, mec="none",
                        transform=trans, clip_on=False)
                notes.append((kind, color, f"{'▲' if sym == '^' else '▼'} {kind} in {idx.size} of {y.size}"))
    values = _np.concatenate(finite) if finite else _np.array([])
    if values.size:
        lo, hi = float(values.min()), float(values.max())
        # at least two decades, so that at least two powers of ten label the axis
        pad = max(0.5, 0.12 * (hi - lo), 1.0 - (hi - lo) / 2)
        ax.set_ylim(lo - pad, hi + pad)
    else:
        ax.set_ylim(-1, 1)
        ax.text(0.5, 0.5, "no finite value to draw", transform=ax.transAxes, ha="center", va="center",
                color=PALETTE[1])
    ymin, ymax = ax.get_ylim()
    for level in (_LOG10_MAX, _LOG10_TINY):
        if ymin < level < ymax:
            ax.axhline(level, color="0.45", lw=0.9, ls=":", zorder=0)
    if ymin < _LOG10_TINY < ymax or ymin < _LOG10_MAX < ymax:
        ax.plot([], [], ":", color="0.45", lw=0.9, label="float64 limits")
    for j, (kind, color, text) in enumerate(notes):
        ax.text(0.02, 0.86 - 0.075 * j if kind == "overflow" else 0.14 + 0.075 * j, text,
                transform=ax.transAxes, fontsize=7.5, color=color, ha="left", va="center",
                bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.8))
    ax.yaxis.set_major_locator(_MaxNLocator(nbins=5, integer=True, steps=[1, 2, 5, 10], min_n_ticks=2))
    ax.yaxis.set_major_formatter(_FuncFormatter(_power_of_ten))
    ax.set_xlim(-0.02 * max(L, 1), L * 1.02 if L > 0 else 1)
    ax.xaxis.set_major_locator(_MaxNLocator(nbins=5, integer=True))
    ax.set_xlabel("layer $k$")
    ax.set_ylabel("norm (log scale)")
    ax.grid(True, alpha=0.3)
    if title is None:
        title = _profile_title(result)
    if title:
        ax.set_title(title, fontsize=10)
    if legend:
        ax.legend(fontsize=7.5, loc="best")
    return fig


def plot_profiles_grid(results, *, quantities=("dr", "dW"), theory=True, width=7.0, row_height=2.0,
                       titles=None):
    """Small multiples of gradient profiles: one row per scale, one column per depth.

    The static counterpart of :func:`reluprop.widgets.gradient_explorer`.

    Parameters
    ----------
    results : list of lists of GradientProfile, or of lists of GradientProfile
        ``results[i][j]``: row i, column j (e.g. from
        :func:`reluprop.experiments.profile_grid`, rows = scales, columns = depths).
        A cell may hold several draws of one setting instead of one profile:
        the first is drawn in full, the others as its faint spread
        (``others`` of :func:`plot_gradient_profile`).
    quantities, theory
        As in :func:`plot_gradient_profile`.
    width, row_height : float
        Figure width and height per row, in inches.
    titles : list of lists of str, optional
        One panel title per cell; default: depth and scale.

    Returns
    -------
    matplotlib.figure.Figure
    """
    rows = [list(r) for r in results]
    if not rows or not rows[0] or any(len(r) != len(rows[0]) for r in rows):
        raise ValueError("results must be a non-empty rectangular list of lists of GradientProfile")
    nrows, ncols = len(rows), len(rows[0])
    cells = [[list(c) if isinstance(c, (list, tuple)) else [c] for c in row] for row in rows]
    if any(not c for row in cells for c in row):
        raise ValueError("results must hold at least one GradientProfile in every cell")
    if titles is not None:
        titles = [list(t) for t in titles]
        if len(titles) != nrows or any(len(t) != ncols for t in titles):
            raise ValueError(f"titles must be {nrows} rows of {ncols} strings, like results")
    fig, axes = new_figure(ncols, nrows, width=width, height=row_height * nrows + 0.6, squeeze=False)
    for i, row in enumerate(cells):
        for j, (res, *others) in enumerate(row):
            ax = axes[i][j]
            plot_gradient_profile(res, ax=ax, quantities=quantities, theory=theory, legend=False,
                                  others=others,
                                  title=titles[i][j] if titles else f"$L$ = {res.depth}, $s$ = {res.scale:g}")
            if j > 0:
                ax.set_ylabel("")
            if i < nrows - 1:
                ax.set_xlabel("")
    handles, labels = axes[0][0].get_legend_handles_labels()
    seen = set(labels)
    for row in axes:
        for ax in row:
            for h, lab in zip(*ax.get_legend_handles_labels()):
                if lab not in seen:
                    seen.add(lab)
                    handles.append(h)
                    labels.append(lab)
    fig.legend(handles, labels, loc="outside upper center", ncol=min(len(labels), 3), fontsize=8)
    return fig


_MARKERS_SWEEP = ("o", "s", "^", "D", "v", "P", "X", "*")


def plot_scale_sweep(results, *, colors=None, width=7.0, height=3.4):
    """Profiles of the same network at several init scales: the signal moves, the profile does not.

    Left: ||dC/dr^(k)|| against k, one colour per scale, theory dashed.
    Right: the weight-gradient profile ||dC/dW^(k)|| / ||dC/dW^(L-1)||:
    the first result's profile as a grey line, and each result's own values
    as markers on every m-th layer (m = number of results, offset by its
    index), so that profiles lying exactly on top of each other stay visible.

    Parameters
    ----------
    results : sequence of GradientProfile
        Same depth; typically the same seed at different scales.
    colors : sequence of colours, optional
        One per result, in order; the palette's first colours by default.
        A page whose other figures give the palette's colours a meaning
        (ReLU blue, sigmoid vermillion) passes colours of its own here.

    Returns
    -------
    matplotlib.figure.Figure
    """
    results = list(results)
    if not results:
        raise ValueError("results must hold at least one GradientProfile")
    fig, (ax_r, ax_w) = new_figure(2, 1, width=width, height=height)
    m = len(results)
    if colors is None:
        colors = [PALETTE[i % len(PALETTE)] for i in range(m)]
    colors = list(colors)
    if len(colors) != m:
        raise ValueError(f"colors must give one colour per result ({m}); got {len(colors)}")
    for i, (res, color) in enumerate(zip(results, colors)):
        k = _np.arange(res.depth + 1)
        ax_r.plot(k, res.log10("dr"), "-", color=color, lw=1.8, label=f"$s$ = {res.scale:g}")
        ax_r.plot(k, res.log10_dr_norm_theory, "--", color=color, lw=1.1)
        with _np.errstate(all="ignore"):
            prof = _np.log10(res.dW_profile())
        if i == 0:
            ax_w.plot(k[:-1], prof, "-", color="0.55", lw=1.4, zorder=1)
        ax_w.plot(k[i:-1:m], prof[i::m], _MARKERS_SWEEP[i % len(_MARKERS_SWEEP)], color=color, ms=5,
                  label=f"$s$ = {res.scale:g}", zorder=2)
    ax_r.plot([], [], "--", color="0.3", lw=1.1, label="theory")
    for ax in (ax_r, ax_w):
        ax.yaxis.set_major_locator(_MaxNLocator(nbins=6, integer=True, steps=[1, 2, 5, 10]))
        ax.yaxis.set_major_formatter(_FuncFormatter(_power_of_ten))
        ax.set_xlabel("layer $k$")
        ax.grid(True, alpha=0.3)
    lo, hi = ax_w.get_ylim()
    if hi - lo < 2:
        mid = 0.5 * (lo + hi)
        ax_w.set_ylim(mid - 1, mid + 1)
    ax_r.set_title(r"signal $\|\partial C/\partial r^{(k)}\|$", fontsize=10)
    ax_w.set_title(r"profile $\|\partial C/\partial W^{(k)}\| \,/\, \|\partial C/\partial W^{(L-1)}\|$",
                   fontsize=10)
    ax_r.legend(fontsize=8, loc="lower right")
    ax_w.legend(fontsize=8, loc="lower right")
    return fig


# ---------------------------------------------------------------------------
# Part III (chapters "Normalization", "Orthogonal initialization and dynamical isometry")
# ---------------------------------------------------------------------------

def plot_layer_profiles(profiles, ax=None, *, ylabel=r"$\|\partial C/\partial r^{(k)}\|$", colors=None,
                        styles=None, title=None, xlabel="layer $k$"):
    """A per-layer quantity against ``k = 0..L`` on a log axis, one line per network.

    Parameters
    ----------
    profiles : dict mapping a label to an array of shape (L + 1,)
        E.g. the norms ``||dC/dr^(k)||`` of a backward pass, k = 0..L.
    ax : matplotlib Axes, optional
        Draw into it; a new figure otherwise.
    colors, styles : dict mapping a label to a colour / a line style, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = figure_and_axes(ax)
    colors, styles = colors or {}, styles or {}
    for i, (label, v) in enumerate(profiles.items()):
        v = _np.asarray(v, dtype=float)
        ax.plot(_np.arange(len(v)), v, styles.get(label, "-"), lw=1.5,
                color=colors.get(label, PALETTE[i % len(PALETTE)]), label=label)
    ax.set_yscale("log")
    ax.xaxis.set_major_locator(_MaxNLocator(integer=True))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)
    ax.grid(True, which="major", alpha=0.3)
    if title:
        ax.set_title(title)
    return fig


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
    axes = _np.atleast_1d(axes)
    for ax, (title, h) in zip(axes, histories.items()):
        for k in layers:
            v = _np.asarray(h.grad_norms[:, k], dtype=float)
            ok = _np.isfinite(v) & (v > 0)
            ax.plot(h.steps[ok], v[ok], "-", color=colours[k], lw=1.6, label=f"$k$ = {k}")
        ax.set_yscale("log")
        ax.set_xlabel("step")
        ax.grid(True, which="major", alpha=0.3)
        ax.set_title(title if not h.diverged else f"{title} (diverged at step {h.diverged_at})", fontsize=10)
    axes[0].set_ylabel(r"$\|\partial C/\partial W^{(k)}\|$")
    axes[0].legend(fontsize=8, title="layer", title_fontsize=8)
    return fig
