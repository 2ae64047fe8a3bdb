"""Input checks shared by the library: clear errors that name the argument."""

from __future__ import annotations

import numbers

import numpy as np


def as_float_array(value, name: str, ndim: int | None = None) -> np.ndarray:
    """Return ``value`` as a float64 array, or raise naming ``name``.

    Only real numeric input is accepted; nothing is reshaped.
    """
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name} must be a numeric array, got {type(value).__name__}")
    arr = np.asarray(value)
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.bool_)
    ):
        raise TypeError(f"{name} must be a numeric array, got dtype {arr.dtype}")
    if np.iscomplexobj(arr):
        raise TypeError(f"{name} must be real, got complex dtype {arr.dtype}")
    arr = arr.astype(np.float64, copy=False)
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(
            f"{name} must be a {ndim}-D array, got {arr.ndim}-D with shape {arr.shape}"
        )
    return arr


def require_choice(value, choices, name: str):
    """Check that ``value`` is one of ``choices`` (compared with ``in``); return it.

    The message names the argument and lists the choices:
    ``"init must be one of 'gaussian', 'orthogonal'; got 'he'"``.
    """
    try:
        ok = value in choices
    except TypeError:  # e.g. an unhashable value against a set
        ok = False
    if not ok:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}")
    return value


def require_finite(arr: np.ndarray, name: str) -> None:
    """Raise ValueError if ``arr`` holds NaN or infinity."""
    if not np.all(np.isfinite(arr)):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(f"{name} contains {bad} non-finite value(s) (NaN or inf)")


def require_generator(rng, name: str = "rng") -> np.random.Generator:
    """Check that ``rng`` is a ``numpy.random.Generator``."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"{name} must be a numpy.random.Generator, e.g. numpy.random.default_rng(0); "
            f"got {type(rng).__name__}"
        )
    return rng


def require_int(value, name: str, minimum: int | None = None) -> int:
    """Check an integer argument (bools rejected) and an optional lower bound."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def require_real(value, name: str, minimum: float | None = None, strict: bool = False) -> float:
    """Check a finite real scalar and an optional lower bound."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if minimum is not None:
        if strict and value <= minimum:
            raise ValueError(f"{name} must be > {minimum}, got {value}")
        if not strict and value < minimum:
            raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def require_sizes(sizes, name: str = "sizes") -> list:
    """Check layer widths ``[n_0, ..., n_L]``: at least two, each an integer >= 1."""
    try:
        sizes = list(sizes)
    except TypeError:
        raise TypeError(f"{name} must be a sequence of integers, got {type(sizes).__name__}") from None
    if len(sizes) < 2:
        raise ValueError(f"{name} must list at least 2 widths [n_0, n_1, ...]; got {sizes}")
    return [require_int(n, f"{name}[{k}]", minimum=1) for k, n in enumerate(sizes)]


def require_network(net, name: str = "net", expected: str = "a Network"):
    """Check that ``net`` is a :class:`~reluprop.network.Network`; return it.

    ``expected`` is how the error describes what was wanted, for a caller
    that also accepts something else (``"a Network or a list of Layer"``).
    """
    from .network import Network  # local import: network.py imports this module

    if not isinstance(net, Network):
        raise TypeError(f"{name} must be {expected}, got {type(net).__name__}")
    return net


#: The finite differences the library knows: ``eq-central-diff`` and the one-sided one.
DIFFERENCE_METHODS = ("central", "forward")


def require_method(method, name: str = "method") -> str:
    """Check a finite-difference method, ``"central"`` or ``"forward"``; return it."""
    if not isinstance(method, str) or method not in DIFFERENCE_METHODS:
        raise ValueError(f"{name} must be 'central' or 'forward'; got {method!r}")
    return method
