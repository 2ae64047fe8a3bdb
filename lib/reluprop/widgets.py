"""Interactive explorers (ipywidgets) and their static counterparts for the website.

:func:`gradient_explorer` returns a widget with sliders for the depth L, the
init scale s (a multiplier of He's standard deviation), the width n and the
batch B, a dropdown for the activation, and the plot of
||dC/dr^(k)|| and ||dC/dW^(k)|| against the layer k with the mean-field
theory dashed (:func:`reluprop.plotting.plot_gradient_profile`). Moving a
control recomputes :func:`reluprop.experiments.gradient_profile` on the same
base draws (so moving s rescales the very same network) and redraws; a status
line reports overflow and underflow.

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

from .core._validate import require_int, require_real
from .experiments import PROFILE_ACTIVATIONS, WeightCache, gradient_profile, profile_grid

__all__ = [
    "DEPTHS",
    "SCALES",
    "WIDTHS",
    "BATCHES",
    "CACHE_BYTES",
    "EXPLORER_ACTIVATIONS",
    "GradientExplorer",
    "gradient_explorer",
    "static_explorer_figure",
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
#: Activations offered by the dropdown.
EXPLORER_ACTIVATIONS = ("relu", "leaky_relu", "sigmoid", "tanh")


def _options_with(options, value, name, caster):
    """``options`` with ``value`` inserted in order if it is not already there."""
    value = caster(value, name)
    if value in options:
        return tuple(options), value
    return tuple(sorted(set(options) | {value})), value


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
            ``"depth"``, ``"scale"``, ``"width"``, ``"batch"`` (sliders) and
            ``"activation"`` (dropdown). Setting a control's ``value``
            updates the explorer.
        result : GradientProfile
            The profile currently drawn.
        image : ipywidgets.Image
            The plot, as PNG bytes in ``image.value``.
        status : ipywidgets.HTML
            What was computed, and any overflow or underflow.
        figure : matplotlib.figure.Figure
            The figure behind the image (not shown by itself).
        seed : int
            Seed of the base draws.
        last_update_seconds : float
            Wall time of the last update (compute + draw).
        """

        def __init__(self, depth, scale, width, batch, activation, seed, cache_bytes):
            self.seed = require_int(seed, "seed", minimum=0)
            self.cache = WeightCache(cache_bytes)
            depths, depth = _options_with(DEPTHS, depth, "depth", lambda v, n: require_int(v, n, minimum=1))
            scales, scale = _options_with(SCALES, scale, "scale",
                                          lambda v, n: require_real(v, n, minimum=0.0, strict=True))
            widths, width = _options_with(WIDTHS, width, "width", lambda v, n: require_int(v, n, minimum=1))
            batches, batch = _options_with(BATCHES, batch, "batch", lambda v, n: require_int(v, n, minimum=1))
            if activation not in EXPLORER_ACTIVATIONS:
                raise ValueError(
                    f"activation must be one of {', '.join(repr(a) for a in EXPLORER_ACTIVATIONS)}; "
                    f"got {activation!r}"
                )
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
            }
            # fixed margins rather than a layout engine: drawing is the slow half of an update
            self.figure = Figure(figsize=(6.4, 4.2), dpi=100)

            FigureCanvasAgg(self.figure)
            self.image = widgets.Image(format="png", layout=widgets.Layout(width="640px"))
            self.status = widgets.HTML()
            self.result = None
            self.last_update_seconds = float("nan")
            super().__init__(children=[*self.controls.values(), self.image, self.status])
            for control in self.controls.values():
                control.observe(self._on_change, names="value")
            self.update()

        def _on_change(self, change):
            self.update()

        def settings(self) -> dict:
            """The current control values, as keyword arguments of ``gradient_profile``."""
            c = self.controls
            return dict(depth=c["depth"].value, width=c["width"].value, activation=c["activation"].value,
                        scale=c["scale"].value, batch=c["batch"].value)

        def update(self):
            """Recompute the profile for the current controls and redraw."""
            start = time.perf_counter()
            self.status.value = "<i>computing…</i>"
            self.result = gradient_profile(**self.settings(), seed=self.seed, cache=self.cache)
            self.figure.clear()
            ax = self.figure.add_subplot()
            plot_gradient_profile(self.result, ax=ax, legend=False)
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
            if ratio >= 1:
                note = (
                    f"<br><span style='color:#555'>L/n = {ratio:.3g}: far from the wide-network limit the "
                    "dashed theory describes; one network's log-norms fluctuate around it and drift below "
                    "it (see the chapter on initialization).</span>"
                )
            self.status.value = (
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


def gradient_explorer(depth=50, scale=1.0, width=64, batch=16, activation="relu", *, seed=0,
                      cache_bytes=128 * 2**20):
    """The explorer of gradient profiles: sliders for depth, scale, width, batch; an activation menu.

    Parameters
    ----------
    depth : int
        Initial depth L (the slider offers 1 to 2000 on a roughly logarithmic grid).
    scale : float
        Initial init scale s, the multiplier of He's standard deviation (0.25 to 4).
    width : int
        Initial width n (4 to 512).
    batch : int
        Initial batch size B (1 to 64).
    activation : str
        ``"relu"``, ``"leaky_relu"``, ``"sigmoid"`` or ``"tanh"``.
    seed : int
        Seed of the base draws (the network and the input).
    cache_bytes : int
        Memory the explorer may use to keep base draws between updates.

    Returns
    -------
    GradientExplorer
        An ``ipywidgets.VBox``; display it in a notebook. Its ``result``
        attribute is the current :class:`~reluprop.experiments.GradientProfile`.
    """
    cls = __getattr__("GradientExplorer")
    return cls(depth, scale, width, batch, activation, seed, cache_bytes)


def static_explorer_figure(depths=(10, 100, 2000), scales=(0.5, 1.0, 2.0), width=64, batch=16,
                           activation="relu", *, seed=0):
    """The explorer's static counterpart: small multiples over depth (columns) and scale (rows).

    Returns
    -------
    matplotlib.figure.Figure
        From :func:`reluprop.plotting.plot_profiles_grid`.
    """
    from .plotting import plot_profiles_grid

    if activation not in PROFILE_ACTIVATIONS:
        raise ValueError(
            f"activation must be one of {', '.join(repr(a) for a in PROFILE_ACTIVATIONS)}; got {activation!r}"
        )
    return plot_profiles_grid(profile_grid(depths, scales, width, activation, batch, seed=seed))
