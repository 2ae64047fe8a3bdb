"""Self-checking exercises of the chapter Normalization.

The learner writes the compact backward of a normalization (``eq-layernorm-backward``,
``eq-batchnorm-backward``) with ``gamma = 1``; the reference is
:func:`reluprop.normalization.layer_norm_backward` or
:func:`reluprop.normalization.batch_norm_backward`. The diagnosis recognises
the usual slips: a missing mean term, a missing variance term, the means
taken along the wrong axis, and a forgotten ``1/sigma``.
"""

from __future__ import annotations

import numpy as np

from .engine import Diagnosis, call, compare
from ..normalization import NORMS, batch_norm_backward, batch_norm_forward, layer_norm_backward, layer_norm_forward

__all__ = ["check_norm_backward"]

_AXIS = {"layer": 1, "batch": 0}
_PAIRS = {"layer": (layer_norm_forward, layer_norm_backward), "batch": (batch_norm_forward, batch_norm_backward)}


def _variants(du, x_hat, sigma, axis):
    """The compact form with one term changed, as the usual slips do."""
    mean_du = du.mean(axis=axis, keepdims=True)
    mean_dux = (du * x_hat).mean(axis=axis, keepdims=True)
    other = 1 - axis
    return {
        "no_mean": (du - x_hat * mean_dux) / sigma,
        "no_variance": (du - mean_du) / sigma,
        "wrong_axis": (du - du.mean(axis=other, keepdims=True)
                       - x_hat * (du * x_hat).mean(axis=other, keepdims=True)) / sigma,
        "no_sigma": du - mean_du - x_hat * mean_dux,
    }


_HINTS = {
    "no_mean": "yours lacks the term through the mean: every z_i moves mu by 1/N, which "
               "subtracts mean(du_hat) from every component.",
    "no_variance": "yours lacks the term through the variance: every z_i moves sigma by "
                   "x_hat_i / N, which subtracts x_hat_i * mean(du_hat * x_hat).",
    "wrong_axis": "your means run along the other axis: layer norm averages over the units "
                  "of one example (axis 1), batch norm over the examples of one unit (axis 0).",
    "no_sigma": "yours is sigma times the true gradient: x_hat = (z - mu) / sigma, so every "
                "term carries a factor 1/sigma.",
}


def check_norm_backward(fn, norm="layer") -> Diagnosis:
    """Check ``fn(du, x_hat, sigma)`` returning ``dz`` for a normalization with ``gamma = 1``.

    Shapes: ``du`` and ``x_hat`` are (batch, n); ``sigma`` is (batch, 1) for
    layer norm, (1, n) for batch norm, as in :class:`reluprop.normalization.NormCache`.
    """
    if not isinstance(norm, str) or norm not in NORMS:
        raise ValueError(f"norm must be 'layer' or 'batch'; got {norm!r}")
    forward, backward = _PAIRS[norm]
    rng = np.random.default_rng(2016)
    name = f"{norm} norm backward"
    got, expected, desc, variants = [], [], [], []
    for batch, n in ((4, 5), (3, 7), (6, 3)):
        z = rng.standard_normal((batch, n)) * 2.0 + 0.5
        _, cache = forward(z, np.ones(n), np.zeros(n), 1e-5)
        du = rng.standard_normal((batch, n))
        g, err = call(fn, name, du.copy(), cache.x_hat.copy(), cache.sigma.copy())
        if err is not None:
            return err
        got.append(g)
        expected.append(backward(du, cache)[0])
        desc.append(f"batch = {batch}, n = {n}")
        variants.append(_variants(du, cache.x_hat, cache.sigma, _AXIS[norm]))
    d = compare(name, got, expected, desc, rtol=1e-8, atol=1e-10)
    if d.passed or d.kind in ("shape", "error"):
        return d
    for kind, hint in _HINTS.items():
        try:
            match = all(np.allclose(np.asarray(g, dtype=float), v[kind], rtol=1e-8, atol=1e-10)
                        for g, v in zip(got, variants))
        except (TypeError, ValueError):
            match = False
        if match:
            return Diagnosis(False, f"✗ {name}: {hint.split(':')[0]}.", d.details[:3], kind, [hint])
    return Diagnosis(False, d.summary, d.details[:3], d.kind, [
        "dz = (du - mean(du) - x_hat * mean(du * x_hat)) / sigma, with the means over "
        + ("the units of each example (axis 1)." if norm == "layer" else "the examples of each unit (axis 0).")])
