"""Self-checking exercises of the chapter Orthogonal initialization and dynamical isometry.

The learner predicts, for a wide network of ``depth`` layers at the critical
scale, the mean and the normalized variance ``var / mean^2`` of the squared
singular values of the input-output Jacobian (``eq-jacobian-spectrum``); the
reference is :func:`reluprop.isometry.predicted_jacobian_spectrum`. The
diagnosis recognises the answer for the other activation (the ReLU mask's
term forgotten or added), Gaussian and orthogonal weights swapped, and the
unnormalized variance.
"""

from __future__ import annotations

import numpy as np

from .engine import Diagnosis, call, compare
from ..isometry import WEIGHTS, predicted_jacobian_spectrum

__all__ = ["check_jacobian_spectrum"]

_DEPTHS = (1, 3, 10, 50)


def _reference(activation, depth, weights):
    mean, var, _ = predicted_jacobian_spectrum(depth, activation, weights)
    return np.array([mean, var / mean**2])


def check_jacobian_spectrum(fn, activation="relu") -> Diagnosis:
    """Check ``fn(depth, weights)`` returning ``(mean, var / mean**2)`` of lambda = (singular value)^2.

    ``activation`` is ``"relu"`` (He's scale, sigma_w^2 = 2) or ``"identity"``
    (a deep linear network, sigma_w^2 = 1); ``weights`` is ``"gaussian"`` or
    ``"orthogonal"``.
    """
    if activation not in ("relu", "identity"):
        raise ValueError(f"activation must be 'relu' or 'identity'; got {activation!r}")
    name = f"Jacobian spectrum ({'ReLU' if activation == 'relu' else 'linear'})"
    cases = [(L, w) for L in _DEPTHS for w in WEIGHTS]
    got, desc = [], []
    for L, w in cases:
        g, err = call(fn, name, L, w)
        if err is not None:
            return err
        try:
            g = np.asarray(g, dtype=np.float64)
        except (TypeError, ValueError):
            g = np.array([np.nan])
        if g.shape != (2,):
            return Diagnosis(False, f"✗ {name}: return two numbers, (mean, var / mean**2).",
                             [f"case depth = {L}, weights = {w!r} returned {g.shape if g.ndim else 'one number'}"],
                             "shape")
        got.append(g)
        desc.append(f"depth = {L}, weights = {w!r}")
    expected = [_reference(activation, L, w) for L, w in cases]
    d = compare(name, got, expected, desc, rtol=1e-9, atol=1e-12)
    if d.passed:
        return d
    other = "identity" if activation == "relu" else "relu"
    patterns = [
        ("other_activation", [_reference(other, L, w) for L, w in cases],
         "yours is the answer for a " + ("linear network" if activation == "relu" else "ReLU network") + ".",
         "ReLU's derivative is 0 on about half the units: each layer adds "
         "mu_2 / mu_1^2 - 1 = (1/2) / (1/2)^2 - 1 = 1 to the normalized variance, "
         "on top of the weights' share (1 Gaussian, 0 orthogonal); a linear layer adds 0."),
        ("swapped", [_reference(activation, L, "orthogonal" if w == "gaussian" else "gaussian") for L, w in cases],
         "Gaussian and orthogonal are swapped.",
         "an orthogonal matrix has all its singular values equal: it adds 0 to the "
         "normalized variance; a square Gaussian matrix adds 1 (Marchenko-Pastur)."),
    ]
    for kind, values, summary, hint in patterns:
        if all(np.allclose(g, v, rtol=1e-9, atol=1e-12) for g, v in zip(got, values)):
            return Diagnosis(False, f"✗ {name}: {summary}", d.details[:3], kind, [hint])
    if all(np.isclose(g[0], e[0], rtol=1e-9) for g, e in zip(got, expected)):
        return Diagnosis(False, f"✗ {name}: the mean is right, the normalized variance is not.",
                         d.details[:3], "variance",
                         ["under free multiplication normalized variances add: one term per layer, "
                          "(weights' share) + mu_2 / mu_1^2 - 1 (the activation's share)."])
    return Diagnosis(False, f"✗ {name}: differs from the predicted mean and normalized variance.", d.details[:3], d.kind,
                     ["at the critical scale the mean is 1 for every depth; the normalized "
                      "variance is a sum of one term per layer."])
