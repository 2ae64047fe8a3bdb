"""Interactive explorers (ipywidgets) and their static counterparts for the website.

:func:`gradient_explorer` returns a widget with sliders for the depth L, the
init scale s (a multiplier of He's standard deviation), the width n and the
batch B, menus for the activation, the architecture (plain, or residual with
a branch-scale slider α) and the init (Gaussian or orthogonal), a "new draw"
button, and the plot of ||dC/dr^(k)|| and ||dC/dW^(k)|| against the layer k
with the mean-field theory dashed
(:func:`reluprop.plotting.plot_gradient_profile`). Moving a control
recomputes :func:`reluprop.experiments.gradient_profile` for one network on
the same base draws (so moving s rescales the very same network) and
redraws. The button adds the next network (the next seed) at the current
settings and keeps the earlier ones as faint curves, up to
:data:`MAX_DRAWS`: one network of finite width is a draw from a lottery, and
the spread of the curves shows how wide it is. A status line says how many
networks are drawn, their spread at the input layer, and any overflow or
underflow.

The plot is a PNG in an ``ipywidgets.Image``, drawn with matplotlib's Agg
canvas: it works in Jupyter, JupyterLab, Colab and Binder without ipympl,
and the widget can be built and driven without any display (the tests do).
A static page cannot run a kernel, so :func:`static_explorer_figure` draws
the same profiles as small multiples over depth and scale.

ipywidgets is imported only when an explorer is built.

Slider ranges. The explorer must answer every move within a second on two
shared cores, so its largest network is set by cost, and the ranges keep
what it has to show. The depth-over-width lottery is governed by L/n: depth
1 to 2000 with width 4 to 64 spans L/n from 0.016 to 500, from the
wide-network regime where one draw follows the mean-field theory to far
beyond it; wider networks are the subject of the chapter *Finite width*,
not of this explorer. An update costs about depth x batch x width^2 (three
matrix products per layer, six per residual block) plus drawing, and for
orthogonal weights QR-factoring, depth x width^2 numbers; a residual network
of 2000 blocks at width 128 takes well over a second of one core even with
every matrix kept in memory (at width 64 it is about three times cheaper),
so :data:`WIDTHS` stops at 64. The batch sets the dead-unit count and the
cross-example terms of the weight gradient; 32 examples show both, and
:data:`BATCHES` stops there. :data:`CACHE_BYTES` holds every base matrix of
the largest residual network for both inits (2 x 4000 matrices of 64 x 64,
250 MiB) and their scaled copies, so that moving any control but width,
seed or a new draw reuses them. ``benchmarks/bench_depth.py`` measures the
worst position, the first visits and the peak memory.
"""

from __future__ import annotations

import io
import time

import math

from .core._validate import require_choice, require_int, require_real
from .experiments import (PROFILE_ACTIVATIONS, PROFILE_ARCHITECTURES, PROFILE_INITS, WeightCache,
                          gradient_profile, profile_grid)

__all__ = [
    "DEPTHS",
    "SCALES",
    "WIDTHS",
    "BATCHES",
    "CACHE_BYTES",
    "EXPLORER_ACTIVATIONS",
    "ARCHITECTURES",
    "ALPHAS",
    "INITS",
    "MAX_DRAWS",
    "GradientExplorer",
    "gradient_explorer",
    "static_explorer_figure",
    "draw_spread",
    "draws_grid",
    "static_draws_figure",
]

#: Depths offered by the depth slider: roughly log-spaced, so that small depths are reachable.
DEPTHS = (1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 60, 80, 100, 120, 150, 200, 250,
          300, 400, 500, 600, 800, 1000, 1200, 1500, 2000)
#: Init scales s offered by the scale slider (multipliers of He's standard deviation).
SCALES = (0.25, 0.3, 0.4, 0.5, 0.6, 0.71, 0.8, 0.9, 0.95, 1.0, 1.05, 1.1, 1.2, 1.41, 1.7, 2.0,
          2.5, 3.0, 3.5, 4.0)
#: Widths offered by the width slider.
WIDTHS = (4, 8, 16, 32, 64)
#: Batch sizes offered by the batch slider.
BATCHES = (1, 2, 4, 8, 16, 32)
#: Memory the explorer's WeightCache may use: the base matrices (and scaled copies) of the largest
#: residual network, for both inits.
CACHE_BYTES = 384 * 2**20
#: Activations offered by the dropdown: those of gradient_profile but the identity.
EXPLORER_ACTIVATIONS = tuple(a for a in PROFILE_ACTIVATIONS if a != "identity")
#: Architectures offered by the menu, the plain network and the residual network of Part III.
ARCHITECTURES = PROFILE_ARCHITECTURES
#: Branch scales α offered for the residual network; None stands for 1/sqrt(L), the default.
ALPHAS = (None, 0.05, 0.1, 0.2, 0.5, 1.0)
#: Initializations offered by the menu (labels shown, values passed to gradient_profile).
INITS = tuple(({"gaussian": "Gaussian"}.get(init, init), init) for init in PROFILE_INITS)  # a proper name
#: The most networks the "new draw" button shows at once.
MAX_DRAWS = 8


def _options_with(options, value, name, caster):
    """``options`` with ``value`` inserted in order if it is not already there."""
    value = caster(value, name)
    if value in options:
        return tuple(options), value
    return tuple(sorted(set(options) | {value})), value


_AUTO_ALPHA = "1/sqrt(L)"  # the α slider's value that stands for alpha=None


def _alpha_options(alpha):
    """(label, value) pairs of the α slider, with ``alpha`` inserted if it is not offered."""
    values = [a for a in ALPHAS if a is not None]
    if alpha is not None:
        alpha = require_real(alpha, "alpha", minimum=0.0, strict=True)
        if alpha not in values:
            values = sorted(values + [alpha])
    return [("1/√L", _AUTO_ALPHA)] + [(f"{a:g}", a) for a in values], (_AUTO_ALPHA if alpha is None else alpha)


def draw_spread(results) -> str:
    """What the status line says about several draws: their number and spread at the input layer.

    Parameters
    ----------
    results : sequence of GradientProfile
        Draws of one setting.

    Returns
    -------
    str
        E.g. ``"4 networks (seeds 0–3): log10 ‖∂C/∂r^(0)‖ from −3.21 to −1.05, a spread of 2.16
        (a factor 145)"``; draws whose value at layer 0 overflowed or underflowed are counted apart.
    """
    results = list(results)
    if not results:
        raise ValueError("results must hold at least one GradientProfile")
    seeds = [r.seed for r in results]
    if len(results) == 1:
        return f"1 network (seed {seeds[0]})"
    consecutive = seeds == list(range(seeds[0], seeds[0] + len(seeds)))
    who = f"seeds {seeds[0]}–{seeds[-1]}" if consecutive else "seeds " + ", ".join(map(str, seeds))
    logs = [float(r.log10("dr")[0]) for r in results]
    finite = [v for v in logs if math.isfinite(v)]
    text = f"{len(results)} networks ({who})"
    if len(finite) >= 2:
        lo, hi = min(finite), max(finite)
        text += (f": log10 ‖∂C/∂r<sup>(0)</sup>‖ from {lo:.2f} to {hi:.2f}, a spread of {hi - lo:.2f} "
                 f"(a factor {10 ** (hi - lo):.3g})").replace("-", "−")
    elif len(finite) == 1:
        text += f": log10 ‖∂C/∂r<sup>(0)</sup>‖ = {finite[0]:.2f}".replace("-", "−")
    if len(finite) < len(results):
        text += f"; {len(results) - len(finite)} overflowed or underflowed at layer 0"
    return text


def _make_explorer_class():
    import ipywidgets as widgets
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from .plotting import plot_gradient_profile

    class GradientExplorer(widgets.VBox):
        """The gradient-profile explorer: controls, plot and status line.

        Attributes
        ----------
        controls : dict of str -> widget
            ``"depth"``, ``"scale"``, ``"width"``, ``"batch"``, ``"alpha"``
            (sliders), ``"activation"``, ``"architecture"``, ``"init"``
            (menus) and ``"draw"`` (the "new draw" button). Setting a
            control's ``value`` updates the explorer; ``draw.click()`` adds a
            network. ``"alpha"`` is disabled for the plain architecture; its
            value ``"1/sqrt(L)"`` stands for the default ``alpha=None``.
        result : GradientProfile
            The newest draw, drawn in full.
        draws : list of GradientProfile
            Every network shown, oldest first (``draws[-1] is result``);
            their seeds are consecutive.
        image : ipywidgets.Image
            The plot, as PNG bytes in ``image.value``.
        status : ipywidgets.HTML
            How many networks are drawn and their spread, and any overflow or underflow.
        figure : matplotlib.figure.Figure
            The figure behind the image (not shown by itself).
        seed : int
            Seed of the first network's base draws; draw i has seed ``seed + i``.
        last_update_seconds : float
            Wall time of the last update (compute + draw).
        """

        def __init__(self, depth, scale, width, batch, activation, architecture, alpha, init, seed,
                     cache_bytes):
            self.seed = require_int(seed, "seed", minimum=0)
            self.cache = WeightCache(cache_bytes)
            depths, depth = _options_with(DEPTHS, depth, "depth", lambda v, n: require_int(v, n, minimum=1))
            scales, scale = _options_with(SCALES, scale, "scale",
                                          lambda v, n: require_real(v, n, minimum=0.0, strict=True))
            widths, width = _options_with(WIDTHS, width, "width", lambda v, n: require_int(v, n, minimum=1))
            batches, batch = _options_with(BATCHES, batch, "batch", lambda v, n: require_int(v, n, minimum=1))
            require_choice(activation, EXPLORER_ACTIVATIONS, "activation")
            require_choice(architecture, ARCHITECTURES, "architecture")
            require_choice(init, [v for _, v in INITS], "init")
            if alpha is not None and architecture == "plain":
                raise ValueError("alpha (the branch scale) is only for architecture='residual'; "
                                 "give alpha=None for a plain network")
            alphas, alpha = _alpha_options(alpha)
            style = {"description_width": "110px"}
            layout = widgets.Layout(width="460px")
            common = dict(continuous_update=False, style=style, layout=layout)
            self.controls = {
                "depth": widgets.SelectionSlider(options=depths, value=depth, description="depth L", **common),
                "scale": widgets.SelectionSlider(options=scales, value=scale, description="init scale s",
                                                 **common),
                "width": widgets.SelectionSlider(options=widths, value=width, description="width n", **common),
                "batch": widgets.SelectionSlider(options=batches, value=batch, description="batch B",
                                                 **common),
                "activation": widgets.Dropdown(options=EXPLORER_ACTIVATIONS, value=activation,
                                               description="activation", style=style),
                "architecture": widgets.Dropdown(options=ARCHITECTURES, value=architecture,
                                                 description="architecture", style=style),
                "alpha": widgets.SelectionSlider(options=alphas, value=alpha, description="branch scale α",
                                                 disabled=architecture == "plain", **common),
                "init": widgets.Dropdown(options=INITS, value=init, description="init", style=style),
                "draw": widgets.Button(description="new draw",
                                       tooltip=f"add the next network (next seed), up to {MAX_DRAWS}"),
            }
            # fixed margins rather than a layout engine: drawing is the slow half of an update
            self.figure = Figure(figsize=(6.4, 4.2), dpi=100)

            FigureCanvasAgg(self.figure)
            self.image = widgets.Image(format="png", layout=widgets.Layout(width="640px"))
            self.status = widgets.HTML()
            self.result = None
            self.draws = []
            self.last_update_seconds = float("nan")
            super().__init__(children=[*self.controls.values(), self.image, self.status])
            for name, control in self.controls.items():
                if name != "draw":
                    control.observe(self._on_change, names="value")
            self.controls["draw"].on_click(self._on_draw)
            self.update()

        def _on_change(self, change):
            if change["owner"] is self.controls["architecture"]:
                self.controls["alpha"].disabled = change["new"] == "plain"
            self.update()

        def _on_draw(self, button):
            self.new_draw()

        def settings(self) -> dict:
            """The current control values, as keyword arguments of ``gradient_profile`` (no seed)."""
            c = self.controls
            residual = c["architecture"].value == "residual"
            alpha = c["alpha"].value
            return dict(depth=c["depth"].value, width=c["width"].value, activation=c["activation"].value,
                        scale=c["scale"].value, batch=c["batch"].value,
                        architecture=c["architecture"].value,
                        alpha=alpha if residual and alpha != _AUTO_ALPHA else None,
                        init=c["init"].value)

        def _profile(self, seed):
            return gradient_profile(**self.settings(), seed=seed, cache=self.cache)

        def update(self):
            """Recompute the newest network for the current controls and redraw it alone.

            The earlier draws were of other settings: they are dropped, and the
            newest one keeps its seed (one profile per update).
            """
            start = time.perf_counter()
            self.status.value = "<i>computing…</i>"
            seed = self.draws[-1].seed if self.draws else self.seed
            self.draws = [self._profile(seed)]
            self._show(start)

        def new_draw(self):
            """Add the next network (the next seed) at the current settings; earlier draws stay, faint."""
            if len(self.draws) >= MAX_DRAWS:
                return
            start = time.perf_counter()
            self.status.value = "<i>computing…</i>"
            self.draws.append(self._profile(self.draws[-1].seed + 1))
            self._show(start)

        def _show(self, start):
            self.result = self.draws[-1]
            self.controls["draw"].disabled = len(self.draws) >= MAX_DRAWS
            self.figure.clear()
            ax = self.figure.add_subplot()
            plot_gradient_profile(self.result, ax=ax, legend=False, others=self.draws[:-1])
            handles, labels = ax.get_legend_handles_labels()
            rows = -(-len(labels) // 3)
            self.figure.subplots_adjust(left=0.12, right=0.97, top=0.93, bottom=0.14 + 0.06 * rows)
            self.figure.legend(handles, labels, loc="lower center", ncol=3, fontsize=8, frameon=False)
            buf = io.BytesIO()
            self.figure.savefig(buf, format="png")
            self.image.value = buf.getvalue()
            self.last_update_seconds = time.perf_counter() - start
            text = self.result.status().replace("\n", "<br>")
            color = "#D55E00" if self.result.flagged else "#009E73"
            ratio = self.result.depth / self.result.width
            note = ""
            if ratio >= 1 and self.result.architecture == "plain":
                # residual blocks with a small branch scale stay close to their prediction at any L/n
                note = (
                    f"<br><span style='color:#555'>L/n = {ratio:.3g}: far from the wide-network limit the "
                    "dashed theory describes; one network's log-norms fluctuate around it and drift below "
                    "it (see the chapter <i>Finite width</i>).</span>"
                )
            full = " (the most shown at once)" if len(self.draws) >= MAX_DRAWS else ""
            self.status.value = (
                f"{draw_spread(self.draws)}{full}"
                f"{'; the newest is drawn in full, the others faint' if len(self.draws) > 1 else ''}.<br>"
                f"<span style='color:{color}'>{text}</span>"
                f" <span style='color:#777'>({self.last_update_seconds:.2f} s)</span>{note}"
            )

    return GradientExplorer


_explorer_class = None


def __getattr__(name):
    # GradientExplorer is built on first use, so that importing reluprop does not import ipywidgets.
    if name == "GradientExplorer":
        global _explorer_class
        if _explorer_class is None:
            _explorer_class = _make_explorer_class()
        return _explorer_class
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def gradient_explorer(depth=50, scale=1.0, width=64, batch=16, activation="relu", *, architecture="plain",
                      alpha=None, init="gaussian", seed=0, cache_bytes=CACHE_BYTES):
    """The explorer of gradient profiles: sliders, menus and a "new draw" button.

    Parameters
    ----------
    depth : int
        Initial depth L (the slider offers 1 to 2000 on a roughly logarithmic
        grid); for the residual architecture, the number of blocks.
    scale : float
        Initial init scale s, the multiplier of He's standard deviation (0.25 to 4).
    width : int
        Initial width n (see :data:`WIDTHS`).
    batch : int
        Initial batch size B (see :data:`BATCHES`).
    activation : str
        ``"relu"``, ``"leaky_relu"``, ``"sigmoid"`` or ``"tanh"``.
    architecture : str
        ``"plain"`` or ``"residual"`` (Part III's block, r^(k+1) = r^(k) + α F(r^(k))).
    alpha : float, optional
        Initial branch scale α of the residual architecture; None (default)
        is 1/sqrt(L). Must be None for the plain architecture.
    init : str
        ``"gaussian"`` or ``"orthogonal"`` (the same base draws, made orthogonal).
    seed : int
        Seed of the first network's base draws (the network and the input);
        the "new draw" button adds ``seed + 1``, ``seed + 2``, ...
    cache_bytes : int
        Memory the explorer may use to keep base draws between updates
        (default :data:`CACHE_BYTES`).

    Returns
    -------
    GradientExplorer
        An ``ipywidgets.VBox``; display it in a notebook. Its ``result``
        attribute is the newest :class:`~reluprop.experiments.GradientProfile`,
        ``draws`` all the networks shown.
    """
    cls = __getattr__("GradientExplorer")
    return cls(depth, scale, width, batch, activation, architecture, alpha, init, seed, cache_bytes)


def static_explorer_figure(depths=(10, 100, 2000), scales=(0.5, 1.0, 2.0), width=64, batch=16,
                           activation="relu", *, seed=0):
    """The explorer's static counterpart: small multiples over depth (columns) and scale (rows).

    Returns
    -------
    matplotlib.figure.Figure
        From :func:`reluprop.plotting.plot_profiles_grid`.
    """
    from .plotting import plot_profiles_grid

    require_choice(activation, PROFILE_ACTIVATIONS, "activation")
    return plot_profiles_grid(profile_grid(depths, scales, width, activation, batch, seed=seed))


def draws_grid(depth, width, scale=1.0, batch=16, activation="relu", *, draws=4, seed=0,
               architectures=ARCHITECTURES, inits=("gaussian", "orthogonal")):
    """Several networks for every architecture and init: what the "new draw" button shows, as a table.

    Parameters
    ----------
    depth, width, scale, batch, activation
        As in :func:`reluprop.experiments.gradient_profile` (residual: ``depth``
        blocks with α = 1/sqrt(L)).
    draws : int >= 1
        Networks per cell, of seeds ``seed, seed + 1, ...`` (the button's order).
    architectures, inits : sequences of str
        Rows and columns.

    Returns
    -------
    list of lists of lists of GradientProfile
        ``grid[i][j][d]``: architecture i, init j, draw d.
    """
    draws = require_int(draws, "draws", minimum=1)
    seed = require_int(seed, "seed", minimum=0)
    for a in architectures:
        require_choice(a, ARCHITECTURES, "architectures")
    for i in inits:
        require_choice(i, [v for _, v in INITS], "inits")
    cache = WeightCache(256 * 2**20)
    return [[[gradient_profile(depth, width, activation, scale, batch, seed=seed + d, cache=cache,
                               architecture=a, init=i) for d in range(draws)]
             for i in inits] for a in architectures]


def static_draws_figure(depth=1000, width=16, scale=1.0, batch=16, activation="relu", *, draws=4, seed=0,
                        grid=None):
    """The explorer's new dimensions as still pictures: architecture (rows) x init (columns), several draws each.

    Each panel shows ``draws`` networks of one setting (:func:`draws_grid`):
    the first (seed ``seed``) in full with the mean-field theory dashed, the
    others as its faint spread, as the explorer's "new draw" button shows them.

    Parameters
    ----------
    depth, width, scale, batch, activation, draws, seed
        As in :func:`draws_grid`.
    grid : list, optional
        A result of :func:`draws_grid` (plain and residual rows, Gaussian and
        orthogonal columns) to draw instead of computing one; the other
        arguments are then ignored.

    Returns
    -------
    matplotlib.figure.Figure
        From :func:`reluprop.plotting.plot_profiles_grid`.
    """
    from .plotting import plot_profiles_grid

    if grid is None:
        grid = draws_grid(depth, width, scale, batch, activation, draws=draws, seed=seed)
    settings = [[(cell[0].architecture, cell[0].init) for cell in row] for row in grid]
    if settings != [[(a, i) for i in ("gaussian", "orthogonal")] for a in ARCHITECTURES]:
        raise ValueError(f"grid must have the rows plain, residual and the columns gaussian, orthogonal; got {settings}")
    names = {"plain": "plain", "residual": "residual, α = 1/√L", "gaussian": "Gaussian",
             "orthogonal": "orthogonal"}
    titles = [[f"{names[a]}, {names[i]} init" for i in ("gaussian", "orthogonal")] for a in ARCHITECTURES]
    return plot_profiles_grid(grid, titles=titles, row_height=2.3)
