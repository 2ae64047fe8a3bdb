"""Put a computed value into the book's prose, and only show it where no book is built.

The chapters glue numbers into their text with MyST-NB's ``glue``: the book
build reads each glued value from the notebook's stored outputs. MyST-NB is
part of the book toolchain, which a reader running a chapter in Colab or a
plain Jupyter does not need and does not install. :func:`glue` hands over to
MyST-NB where it is installed and otherwise just displays the value (or, with
``display=False``, does nothing), so every chapter runs top to bottom with the
library and its declared dependencies alone.
"""

from __future__ import annotations

__all__ = ["glue", "sci"]


def glue(name: str, variable, display: bool = True) -> None:
    """Record ``variable`` under ``name`` for the book, as ``myst_nb.glue`` does.

    Parameters
    ----------
    name : str
        The key the prose refers to, as in ``{glue:}`name```.
    variable : object
        The value; the chapters glue preformatted strings and Python floats.
    display : bool
        Whether the value is also shown in the notebook's output.

    Without MyST-NB the value is shown when ``display`` is true and nothing
    is recorded: only the book build reads glued values.
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"name must be a non-empty str, got {name!r}")
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        if display:
            from IPython.display import display as show

            show(variable)
        return
    myst_glue(name, variable, display)


def sci(v: float, digits: int = 2) -> str:
    """A number as prose writes it, ``"1.9 × 10⁻⁹"``, with ``digits`` significant digits.

    The chapters glue small and large numbers in this form. ``v`` must be a
    finite real number and ``digits`` an int >= 1.
    """
    if isinstance(digits, bool) or not isinstance(digits, int) or digits < 1:
        raise ValueError(f"digits must be an int >= 1, got {digits!r}")
    try:
        v = float(v)
    except (TypeError, ValueError):
        raise TypeError(f"v must be a real number, got {type(v).__name__}") from None
    if v != v or v in (float("inf"), float("-inf")):
        raise ValueError(f"v must be finite, got {v}")
    mantissa, exponent = f"{v:.{digits - 1}e}".split("e")
    superscripts = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
    return f"{mantissa} × 10{str(int(exponent)).translate(superscripts)}"
