"""Chapter *Learning rates and optimizers*: one step of Adam."""

from __future__ import annotations

import numpy as np

from ..optimizers import adam_update
from .engine import Diagnosis, compare

__all__ = ["check_adam_update"]


def _cases():
    """(theta, g, m, v, t, lr, beta1, beta2, eps): early and later steps, several betas."""
    rng = np.random.default_rng(11)
    out = []
    for t, lr, b1, b2, eps, shape in [(1, 0.01, 0.9, 0.999, 1e-8, (3, 2)),
                                      (2, 0.001, 0.9, 0.999, 1e-8, (4,)),
                                      (5, 0.05, 0.8, 0.99, 1e-6, (2, 3)),
                                      (40, 0.02, 0.5, 0.9, 1e-8, (5,))]:
        theta = rng.standard_normal(shape)
        g = rng.standard_normal(shape) * 10.0 ** rng.uniform(-6, 0, shape)
        if t == 1:
            m, v = np.zeros(shape), np.zeros(shape)
        else:
            m = 0.1 * rng.standard_normal(shape)
            v = 0.01 * rng.uniform(0.1, 1.0, shape)
        out.append((theta, g, m, v, t, lr, b1, b2, eps))
    return out


def _variant(theta, g, m, v, t, lr, b1, b2, eps, slip):
    """The update with one typical slip, to name it in the diagnosis."""
    m_new = b1 * m + (1 - b1) * g
    v_new = b2 * v + (1 - b2) * (g if slip == "no_square" else g * g)
    if slip == "no_bias_correction":
        m_hat, v_hat = m_new, v_new
    else:
        m_hat, v_hat = m_new / (1 - b1**t), v_new / (1 - b2**t)
    denom = (np.abs(v_hat) if slip == "no_sqrt" else np.sqrt(np.abs(v_hat))) + eps
    return theta - lr * m_hat / denom


_HINTS = {
    "no_bias_correction": "Your m and v are right but the step is not: divide them by (1 - beta1**t) and "
                          "(1 - beta2**t) before using them. Without it the step is too large by "
                          "(1 - beta1**t) / sqrt(1 - beta2**t): about 3.2 at the first step with the "
                          "defaults, 6.5 at the tenth.",
    "sign": "You stepped uphill: theta - lr * m_hat / (sqrt(v_hat) + eps), with a minus sign.",
    "no_sqrt": "Divide by the square root of v_hat: v is a running mean of g**2, so sqrt(v_hat) has the "
               "units of g and the ratio m_hat / sqrt(v_hat) does not depend on the gradient's scale.",
    "no_square": "v is the running mean of the *squared* gradient: (1 - beta2) * g**2.",
}


def check_adam_update(fn) -> Diagnosis:
    """Check ``fn(theta, g, m, v, t, lr, beta1, beta2, eps)`` returning ``(theta_new, m_new, v_new)``.

    The reference is :func:`reluprop.optimizers.adam_update` (``eq-optimizers-adam``): arrays of one
    shape in, new arrays out, the arguments unchanged. Cases cover the first step (m = v = 0),
    later steps, several betas and gradients from 1e-6 to 1. Kinds: ``"ok"``, ``"in_place"``,
    ``"state"`` (m_new or v_new wrong), ``"no_bias_correction"``, ``"sign"``, ``"no_sqrt"``,
    ``"no_square"``, ``"shape"``, ``"error"``, ``"wrong"``.
    """
    got_theta, exp_theta, desc = [], [], []
    got_state, exp_state = [], []
    variants = {k: [] for k in _HINTS}
    for case in _cases():
        theta, g, m, v, t, lr, b1, b2, eps = case
        originals = [a.copy() for a in (theta, g, m, v)]
        try:
            out = fn(theta, g, m, v, t, lr, b1, b2, eps)
        except Exception as exc:  # the learner's code may raise anything
            return Diagnosis(False, f"✗ Adam update: your function raised {type(exc).__name__}: {exc}",
                             kind="error", hints=["call it yourself on small arrays to see why."])
        if any(not np.array_equal(a, o) for a, o in zip((theta, g, m, v), originals)):
            return Diagnosis(False, "✗ Adam update: your function modified its arguments in place.",
                             kind="in_place",
                             hints=["build new arrays (m_new = beta1 * m + ...), leave theta, g, m, v as "
                                    "they were."])
        try:
            theta_new, m_new, v_new = out
        except (TypeError, ValueError):
            return Diagnosis(False, "✗ Adam update: return three arrays (theta_new, m_new, v_new).", [],
                             "shape")
        ref = adam_update(theta, g, m, v, t, lr, b1, b2, eps)
        got_theta.append(theta_new)
        exp_theta.append(ref[0])
        got_state.append(np.concatenate([np.ravel(np.asarray(m_new, dtype=float)),
                                         np.ravel(np.asarray(v_new, dtype=float))]))
        exp_state.append(np.concatenate([ref[1].ravel(), ref[2].ravel()]))
        desc.append(f"t = {t}, lr = {lr}, beta1 = {b1}, beta2 = {b2}, shape {theta.shape}")
        for slip in variants:  # uphill: theta + (theta - theta_new_reference)
            variants[slip].append(2 * theta - ref[0] if slip == "sign" else _variant(*case, slip))

    try:
        shapes_ok = all(np.shape(a) == np.shape(b) for a, b in zip(got_theta, exp_theta))
    except Exception:
        shapes_ok = False
    if not shapes_ok:
        return compare("Adam update (theta_new)", got_theta, exp_theta, desc)

    def matches(values):
        return all(np.allclose(np.asarray(a, dtype=float), b, rtol=1e-9, atol=1e-12)
                   for a, b in zip(got_theta, values))

    d = compare("Adam update (theta_new)", got_theta, exp_theta, desc, rtol=1e-9, atol=1e-12)
    if d.passed:
        s = compare("Adam update (m_new, v_new)", got_state, exp_state, desc, rtol=1e-9, atol=1e-15)
        if not s.passed:
            return Diagnosis(False, "✗ Adam update: theta_new is right, but m_new or v_new is not.",
                             s.details[:3], "state",
                             ["return the raw running means m_t and v_t "
                              "(before the bias correction): the next step builds on them."])
        return Diagnosis(True, f"✓ Adam update: theta_new, m_new and v_new correct on all {len(desc)} cases.")
    for slip in ("no_bias_correction", "sign", "no_sqrt", "no_square"):
        if matches(variants[slip]):
            return Diagnosis(False, "✗ Adam update: theta_new differs from Adam's update.",
                             d.details[:3], slip, [_HINTS[slip]])
    return Diagnosis(False, "✗ Adam update: theta_new differs from Adam's update.", d.details[:3], "wrong",
                     ["m_t = beta1 m + (1 - beta1) g, v_t = beta2 v + (1 - beta2) g², "
                      "m̂ = m_t / (1 - beta1^t), v̂ = v_t / (1 - beta2^t), "
                      "theta - lr m̂ / (sqrt(v̂) + eps)."])
