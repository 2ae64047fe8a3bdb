"""Figures for the course: functions that take results and return a matplotlib Figure.

All figures use :data:`PALETTE`, the Okabe–Ito colour-blind-safe palette, and
never call ``plt.show()``: the caller decides whether to display, save or
close the figure.
"""

from __future__ import annotations

import matplotlib

matplotlib.rcParams.setdefault("figure.dpi", 100)

import matplotlib.pyplot as plt  # noqa: E402

__all__ = ["PALETTE", "COLORS", "new_figure"]

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
