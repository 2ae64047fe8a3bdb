"""The squared-error cost and its gradient with respect to the prediction.

For a batch of ``B`` examples (rows) the cost is::

    C = 1/2 * (1/B) * sum_b sum_j (yhat[b, j] - y[b, j])**2        (eq-cost)

so for a single example it is the answer's C = (y - yhat)**2 / 2, and::

    dC/dyhat = (yhat - y) / B                                      (eq-output-grad)

Note the sign: prediction minus target. Using target minus prediction (the
first attempt's sign) points gradient descent uphill.
"""

from __future__ import annotations

import numpy as np

from ._validate import as_float_array, require_finite

__all__ = ["squared_error", "squared_error_grad"]


def _check_pair(y_hat, y):
    y_hat = as_float_array(y_hat, "y_hat", ndim=2)
    y = as_float_array(y, "y", ndim=2)
    if y.shape != y_hat.shape:
        raise ValueError(
            f"y must have the shape of y_hat {y_hat.shape} (batch, n_out); got {y.shape}"
        )
    require_finite(y, "y")
    return y_hat, y


def squared_error(y_hat, y) -> float:
    """Half the mean over examples of the summed squared error (``eq-cost``).

    Parameters
    ----------
    y_hat : array, shape (batch, n_out)
        Predictions, one row per example.
    y : array, shape (batch, n_out)
        Targets.

    Returns
    -------
    float
        ``0.5 * sum((y_hat - y)**2) / batch``.
    """
    y_hat, y = _check_pair(y_hat, y)
    diff = y_hat - y
    return float(0.5 * np.sum(diff * diff) / y.shape[0])


def squared_error_grad(y_hat, y) -> np.ndarray:
    """Gradient of :func:`squared_error` with respect to ``y_hat`` (``eq-output-grad``).

    Parameters
    ----------
    y_hat, y : array, shape (batch, n_out)

    Returns
    -------
    array, shape (batch, n_out)
        ``(y_hat - y) / batch``.
    """
    y_hat, y = _check_pair(y_hat, y)
    return (y_hat - y) / y.shape[0]
