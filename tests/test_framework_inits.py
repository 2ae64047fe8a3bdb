"""Framework default initializations in the course's notation (reluprop.framework_inits)."""

import math

import numpy as np
import pytest

from reluprop import framework_inits as fi


def test_variances_and_scales():
    assert math.isclose(fi.weight_variance("torch_linear_default", 300, 10), 1 / 900)
    assert math.isclose(fi.scale_vs_he("torch_linear_default", 64, 64), math.sqrt(1 / 6))
    assert math.isclose(fi.scale_vs_he("keras_glorot_uniform", 64, 64), math.sqrt(0.5))
    assert math.isclose(fi.scale_vs_he("kaiming_normal_fan_in", 64, 32), 1.0)
    assert math.isclose(fi.weight_variance("kaiming_normal_fan_out", 64, 32), 2 / 32)


@pytest.mark.parametrize("name", fi.FRAMEWORK_INITS)
def test_drawn_weights_have_the_promised_variance(name):
    rng = np.random.default_rng(0)
    sizes = [300, 200, 100]
    layers = fi.framework_layers(name, sizes, rng=rng)
    assert [layer.W.shape for layer in layers] == [(300, 200), (200, 100)]
    assert [layer.b.shape for layer in layers] == [(200,), (100,)]
    for layer, (n_in, n_out) in zip(layers, zip(sizes[:-1], sizes[1:])):
        var = fi.weight_variance(name, n_in, n_out)
        assert abs(layer.W.var() / var - 1) < 0.03
        assert abs(layer.W.mean()) < 4 * math.sqrt(var / layer.W.size)
        if name == "torch_linear_default":
            bound = 1 / math.sqrt(n_in)
            assert np.all(np.abs(layer.b) <= bound) and np.abs(layer.b).max() > 0.8 * bound
        else:
            assert not layer.b.any()
    uniform = name != "kaiming_normal_fan_in" and name != "kaiming_normal_fan_out"
    limit = math.sqrt(3 * fi.weight_variance(name, 300, 200))
    assert (np.abs(layers[0].W).max() <= limit) == uniform


def test_bad_arguments():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="name"):
        fi.framework_layers("xavier", [3, 3], rng=rng)
    with pytest.raises(ValueError, match="sizes"):
        fi.framework_layers("keras_glorot_uniform", [3], rng=rng)
    with pytest.raises(TypeError, match="rng"):
        fi.framework_layers("keras_glorot_uniform", [3, 3], rng=0)
