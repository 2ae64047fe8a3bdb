"""Chapter *Training deep networks*: one step of gradient descent."""

from __future__ import annotations

import numpy as np

from .engine import Diagnosis, call, compare

__all__ = ["check_sgd_step"]


def check_sgd_step(fn) -> Diagnosis:
    """Check ``fn(W, b, dW, db, lr)`` returning new lists ``(W_new, b_new)`` after one SGD step.

    The answer is ``W[k] - lr * dW[k]`` and ``b[k] - lr * db[k]``, returned as
    new arrays: the arguments must not be modified. The *updates*
    ``W_new - W`` are compared with ``-lr * dW``, so a step uphill is reported
    as kind ``"sign"``; another constant factor as kind ``"scale"``;
    a missing learning rate as kind ``"missing_lr"``; modifying the arguments
    in place as kind ``"in_place"``.
    """
    rng = np.random.default_rng(7)
    shapes = [[(3, 2)], [(2, 4), (4, 1)], [(5, 3), (3, 3), (3, 2)]]
    got, expected, no_lr, desc = [], [], [], []
    for lr, shape_list in zip((0.1, 0.03, 0.5), shapes):
        W = [rng.standard_normal(s) for s in shape_list]
        b = [rng.standard_normal(s[1]) for s in shape_list]
        dW = [rng.standard_normal(s) for s in shape_list]
        db = [rng.standard_normal(s[1]) for s in shape_list]
        originals = [a.copy() for a in W + b + dW + db]
        out, err = call(fn, "SGD step", W, b, dW, db, lr)
        if err is not None:
            return err
        if any(not np.array_equal(a, o) for a, o in zip(W + b + dW + db, originals)):
            return Diagnosis(False, "✗ SGD step: your function modified its arguments in place.",
                             kind="in_place",
                             hints=["build new arrays, e.g. [w - lr * g for w, g in zip(W, dW)]: the "
                                    "old network must stay as it was (for comparison, or to go back)."])
        try:
            W_new, b_new = out
            upd = np.concatenate([(np.asarray(wn, dtype=np.float64) - w).ravel()
                                  for wn, w in zip(list(W_new) + list(b_new), originals[:2 * len(W)])])
        except Exception:
            return Diagnosis(False, "✗ SGD step: return a pair (W_new, b_new) of lists of arrays "
                             "with the shapes of W and b.", [], "shape")
        got.append(upd)
        expected.append(np.concatenate([(-lr * g).ravel() for g in dW + db]))
        no_lr.append(np.concatenate([(-g).ravel() for g in dW + db]))
        desc.append(f"lr = {lr}, {len(W)} layer(s)")
    d = compare("SGD step (W_new - W, b_new - b)", got, expected, desc, rtol=1e-9, atol=1e-12,
                hints={"sign": "You stepped uphill: gradient descent moves against the gradient, "
                               "W-lr*dW, not W+lr*dW (the first attempt's sign slip, once more).",
                       "scale": "Multiply the gradient by the learning rate lr, once.",
                       "extra_zero": "Some parameters did not move: update every W[k] and every b[k].",
                       "wrong": "W_new[k] = W[k] - lr * dW[k] and b_new[k] = b[k] - lr * db[k], "
                                "for every layer k."})
    if not d.passed and all(np.shape(g) == np.shape(e) and np.allclose(g, e, rtol=1e-9, atol=1e-12)
                            for g, e in zip(got, no_lr)):
        return Diagnosis(False, "✗ SGD step: the learning rate is missing.", d.details[:3], "missing_lr",
                         ["the step is lr * dW, not dW: multiply by lr."])
    if not d.passed:
        return Diagnosis(False, "✗ SGD step: the updates W_new - W, b_new - b differ from -lr · gradient.",
                         d.details, d.kind, d.hints)
    return d
