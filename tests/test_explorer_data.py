"""The website explorer's data: reluprop.explorer_data, and the file shipped with the book.

The shipped file ``chapters/gradient_explorer.json`` must be what
``make explorer-data`` writes today: same grid, same settings, same draws,
and, for a few grid points recomputed here with the library (every draw),
the same numbers.
"""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pytest

import reluprop as rp
from reluprop import explorer_data as ed

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "chapters" / "gradient_explorer.json"
MAX_BYTES = 2 * 2**20  # the limit for one page's data

SMALL = (
    {"name": "activation", "label": "activation", "values": ("relu", "tanh"), "labels": ("ReLU", "tanh"),
     "initial": "relu"},
    {"name": "architecture", "label": "architecture", "values": ("plain", "residual"),
     "labels": ("plain", "residual"), "initial": "plain"},
    {"name": "init", "label": "init", "values": ("gaussian", "orthogonal"), "labels": ("Gaussian", "orthogonal"),
     "initial": "gaussian"},
    {"name": "width", "label": "width n", "values": (4, 8), "initial": 8},
    {"name": "depth", "label": "depth L", "values": (1, 3, 60), "initial": 3},
    {"name": "scale", "label": "init scale s", "values": (0.5, 3.0), "initial": 0.5},
)
SMALL_DRAWS = (0, 5)


# --- the pieces -------------------------------------------------------------------


def test_encode_decode_round_trip_keeps_gaps():
    values = [1.234, -0.5, math.nan, 300.0, math.inf, -307.66, 0.0]
    encoded = ed.encode_series(values, decimals=2)
    assert encoded[2] is None and encoded[4] is None
    decoded = ed.decode_series(encoded, decimals=2)
    for v, d in zip(values, decoded):
        if math.isfinite(v):
            assert d == pytest.approx(round(v, 2), abs=1e-12)
        else:
            assert d is None
    # deltas are taken from the last finite entry, so a gap does not shift what follows
    assert encoded[3] == 30050


def test_layer_indices_keep_every_layer_then_sample_evenly():
    assert ed.layer_indices(5).tolist() == [0, 1, 2, 3, 4, 5]
    k = ed.layer_indices(2000, max_points=51)
    assert k[0] == 0 and k[-1] == 2000 and k.size == 51
    assert np.all(np.diff(k) == 40)
    assert ed.layer_indices(50, max_points=51).tolist() == list(range(51))


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: ed.layer_indices(0), "depth"),
        (lambda: ed.layer_indices(10, max_points=1), "max_points"),
        (lambda: ed.encode_series([1.0], decimals=-1), "decimals"),
        (lambda: ed.explorer_data(SMALL[:-1]), "scale"),
        (lambda: ed.explorer_data(SMALL, draws=()), "draws"),
        (lambda: ed.explorer_data(SMALL, draws=(1, 1)), "draws"),
        (lambda: ed.explorer_data(SMALL, draws=(-1,)), "draws"),
        (lambda: ed.explorer_data(SMALL, processes=0), "processes"),
        (lambda: ed.explorer_data((dict(SMALL[0], initial="sigmoid"), *SMALL[1:])), "initial"),
        (lambda: ed.profile_index({"controls": list(SMALL)}, activation="relu"), "architecture"),
    ],
)
def test_bad_input_names_the_argument(call, message):
    with pytest.raises((TypeError, ValueError), match=message):
        call()


@pytest.fixture(scope="module")
def small():
    return ed.explorer_data(SMALL, draws=SMALL_DRAWS, max_points=21)


def test_records_follow_the_controls_in_row_major_order(small):
    assert small["format"] == ed.FORMAT
    assert small["draws"] == list(SMALL_DRAWS) and small["per_draw"] == ["dr", "dW"]
    assert len(small["profiles"]) == 2 * 2 * 2 * 2 * 3 * 2
    assert [len(k) for k in small["layers"]] == [2, 4, 21]
    for setting in itertools.product(*(c["values"] for c in SMALL)):
        settings = dict(zip((c["name"] for c in SMALL), setting))
        _assert_record_matches(small, ed.profile_index(small, **settings), **settings)


def test_draws_are_stored_apart_and_theory_once(small):
    rec = small["profiles"][ed.profile_index(small, activation="relu", architecture="plain", init="gaussian",
                                             width=8, depth=3, scale=0.5)]
    assert len(rec["dr"]) == len(rec["dW"]) == len(rec["status"]) == 2
    assert None not in rec["dr"][0] + rec["dr"][1]
    assert rec["dr"][0] != rec["dr"][1]  # two networks, two profiles
    assert len(rec["dr_theory"]) == 4 and not isinstance(rec["dr_theory"][0], list)


def test_a_file_round_trips_through_json(small, tmp_path):
    size = ed.write_explorer_data(tmp_path / "x.json", small)
    text = (tmp_path / "x.json").read_text(encoding="utf8")
    assert size == len(text.encode("utf8"))
    back = json.loads(text)
    assert back["profiles"] == small["profiles"]
    assert back["controls"] == json.loads(json.dumps(small["controls"]))


def test_a_further_control_is_passed_to_the_profile():
    """Part of the design: a new control adds a dimension, and its name is a keyword of the profile."""
    controls = (dict(SMALL[0], values=("leaky_relu",), labels=("leaky ReLU",), initial="leaky_relu"),
                {"name": "slope", "label": "slope", "values": (0.01, 0.5), "initial": 0.01},
                *SMALL[1:])
    controls = [c for c in controls if c["name"] not in ("architecture", "init")]
    data = ed.explorer_data(controls, draws=(0,), max_points=21)
    assert "slope" not in data["fixed"] and len(data["profiles"]) == 2 * 2 * 3 * 2
    for slope in (0.01, 0.5):
        i = ed.profile_index(data, activation="leaky_relu", slope=slope, width=8, depth=60, scale=3.0)
        want = rp.gradient_profile(60, 8, "leaky_relu", 3.0, 16, seed=0, slope=slope)
        got = ed.decode_series(data["profiles"][i]["dr"][0], data["decimals"])
        assert got[0] == pytest.approx(want.log10("dr")[0], abs=0.006)
    a, b = (ed.profile_index(data, activation="leaky_relu", slope=s, width=8, depth=60, scale=3.0) for s in (0.01, 0.5))
    assert data["profiles"][a]["dr"] != data["profiles"][b]["dr"]


def test_two_processes_give_the_same_data(small):
    assert ed.explorer_data(SMALL, draws=SMALL_DRAWS, max_points=21, processes=2) == small


# --- the shipped file ---------------------------------------------------------------


def _assert_record_matches(data, index, activation, width, depth, scale, architecture="plain", init="gaussian"):
    """Recompute one grid point with the library, every draw, and compare with the stored record.

    The measured series are compared draw by draw, the theory (stored once) with the first draw's.
    """
    fixed = data["fixed"]
    record = data["profiles"][index]
    depths = next(c["values"] for c in data["controls"] if c["name"] == "depth")
    layers = data["layers"][list(depths).index(depth)]
    tol = 1.01 * 10.0 ** -data["decimals"]  # rounding, and a last-digit tie that BLAS may tip
    assert len(record["status"]) == len(data["draws"])
    for d, seed in enumerate(data["draws"]):
        result = rp.gradient_profile(depth, width, activation, scale, fixed["batch"], seed=seed,
                                     slope=fixed["slope"], architecture=architecture, init=init)
        for key, quantity, theory in ed.SERIES:
            if theory and d > 0:
                continue
            full = result.theory_log10(quantity) if theory else result.log10(quantity)
            stored = ed.decode_series(record[key] if theory else record[key][d], data["decimals"])
            assert len(stored) == len(layers), key
            for k, got in zip(layers, stored):
                want = full[k] if k < full.size else math.nan
                where = (f"{key} at k={k} ({activation}, {architecture}, {init}, n={width}, L={depth}, s={scale}, "
                         f"seed {seed})")
                if math.isfinite(want):
                    assert got is not None and abs(got - want) <= tol, f"{where}: stored {got}, library {want:.4f}"
                else:
                    assert got is None, f"{where}: stored {got}, library {want}"
        assert data["statuses"][record["status"][d]] == result.status()


@pytest.fixture(scope="module")
def shipped():
    assert SHIPPED.is_file(), f"{SHIPPED} is missing: run `make explorer-data`"
    return json.loads(SHIPPED.read_text(encoding="utf8"))


def test_shipped_file_is_small_enough():
    assert SHIPPED.stat().st_size <= MAX_BYTES


def test_shipped_file_has_the_library_grid_and_settings(shipped):
    """A changed grid or setting in reluprop.explorer_data needs `make explorer-data`."""
    assert shipped["format"] == ed.FORMAT
    assert shipped["controls"] == json.loads(json.dumps(ed.EXPLORER_CONTROLS))
    assert shipped["fixed"] == {"batch": 16, "slope": 0.01}
    assert shipped["draws"] == list(ed.DRAWS) == [0, 1, 2, 3]  # the notebook's first network and next draws
    depths = next(c["values"] for c in shipped["controls"] if c["name"] == "depth")
    assert shipped["layers"] == [ed.layer_indices(d, shipped["max_points"]).tolist() for d in depths]
    assert len(shipped["profiles"]) == math.prod(len(c["values"]) for c in shipped["controls"])
    assert shipped["series"] == [key for key, _, _ in ed.SERIES]


@pytest.mark.parametrize(
    "activation, architecture, init, width, depth, scale",
    [
        ("relu", "plain", "gaussian", 64, 100, 1.0),  # the explorer's starting position
        ("relu", "plain", "gaussian", 64, 2000, 1.0),  # deep: the lottery, far below the theory
        ("relu", "plain", "gaussian", 4, 2000, 2.0),  # overflow
        ("tanh", "plain", "orthogonal", 16, 300, 0.5),  # vanishing
        ("tanh", "plain", "orthogonal", 64, 1000, 0.71),
        ("relu", "residual", "gaussian", 16, 1000, 1.0),
        ("relu", "residual", "orthogonal", 4, 30, 2.0),
        ("sigmoid", "residual", "gaussian", 64, 10, 0.71),
    ],
)
def test_shipped_numbers_are_the_librarys(shipped, activation, architecture, init, width, depth, scale):
    settings = dict(activation=activation, architecture=architecture, init=init, width=width, depth=depth,
                    scale=scale)
    _assert_record_matches(shipped, ed.profile_index(shipped, **settings), **settings)
