"""The explorer's data for the static website: gradient profiles over a grid of slider positions.

A static page runs no Python, so the website's explorer of the chapter
*Vanishing and exploding* draws results computed beforehand:
:func:`explorer_data` calls :func:`reluprop.experiments.gradient_profile`
for every combination of the controls in :data:`EXPLORER_CONTROLS`
(activation, width n, depth L, init scale s), on the same base draws as the
notebook's explorer (``seed``, batch B = 16), and :func:`write_explorer_data`
writes them to one compact JSON file that the page's script reads and draws.
``make explorer-data`` (part of ``make notebooks``) regenerates the file
shipped with the book, ``chapters/gradient_explorer.json``.

The format (version 1), made to take more controls later without a new
reader:

``controls``
    A list of ``{"name", "label", "values", "initial"}``; a control whose
    values are strings also has ``"labels"`` (what the reader sees).
``profiles``
    One record per combination of control values, in row-major order of
    ``controls`` (the last control varies fastest): the record of value
    indices ``(i_0, ..., i_m)`` is ``profiles[sum_j i_j * stride_j]`` with
    ``stride_j`` the product of the numbers of values of the controls after
    ``j``. Adding a control (say an architecture) adds a factor, nothing else.
``layers``
    The layer indices ``k`` at which every profile of a given depth is
    sampled, one list per value of the ``depth`` control: every layer up to
    ``max_points`` of them, else ``max_points`` evenly spaced layers with the
    first and the last.
``series``
    The quantities of a record: ``"dr"`` (||dC/dr^(k)||) and ``"dW"``
    (||dC/dW^(k)||, defined for k < L only), measured and mean-field theory
    (``"dr_theory"``, ``"dW_theory"``), each as log10 rounded to
    ``decimals`` places, stored as integers (log10 * 10**decimals)
    delta-encoded along the sampled layers: the first entry is the value,
    each next one the difference from the previous finite entry. ``null``
    marks a layer with no finite value (a flagged overflow or underflow, or
    k = L for ``"dW"``). :func:`decode_series` inverts this.
``status``
    Per record, an index into ``statuses``: the text of
    :meth:`reluprop.experiments.GradientProfile.status`.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from ._validate import require_int
from .experiments import WeightCache, gradient_profile

__all__ = [
    "EXPLORER_CONTROLS",
    "SERIES",
    "FORMAT",
    "layer_indices",
    "encode_series",
    "decode_series",
    "explorer_data",
    "write_explorer_data",
    "profile_index",
]

FORMAT = "reluprop-explorer/1"

#: The website explorer's controls and the values it offers (a subset of the notebook explorer's).
EXPLORER_CONTROLS = (
    {"name": "activation", "label": "activation", "values": ("relu", "leaky_relu", "sigmoid", "tanh"),
     "labels": ("ReLU", "leaky ReLU (slope 0.01)", "sigmoid", "tanh"), "initial": "relu"},
    {"name": "width", "label": "width n", "values": (8, 16, 32, 64, 128), "initial": 64},
    {"name": "depth", "label": "depth L", "values": (1, 2, 3, 5, 10, 20, 50, 100, 200, 500, 1000, 2000),
     "initial": 100},
    {"name": "scale", "label": "init scale s",
     "values": (0.25, 0.5, 0.7, 0.8, 0.9, 0.95, 1.0, 1.05, 1.1, 1.2, 1.41, 2.0, 4.0), "initial": 1.0},
)

#: The quantities stored per profile: (key in the file, quantity of GradientProfile, theory or measured).
SERIES = (("dr", "dr", False), ("dr_theory", "dr", True), ("dW", "dW", False), ("dW_theory", "dW", True))

# Base draws of width 128 and depth 2000 take 250 MiB; the scaled copies as much again.
_CACHE_BYTES = 640 * 2**20


def layer_indices(depth, max_points=51) -> np.ndarray:
    """The layers k at which a profile of ``depth`` layers is sampled (k = 0..L).

    Every layer if there are at most ``max_points`` of them, otherwise
    ``max_points`` evenly spaced layers including 0 and L.
    """
    L = require_int(depth, "depth", minimum=1)
    m = require_int(max_points, "max_points", minimum=2)
    if L + 1 <= m:
        return np.arange(L + 1)
    return np.unique(np.round(np.linspace(0, L, m)).astype(np.int64))


def encode_series(values, decimals=2) -> list:
    """Delta-encode log10 values as integers (see the module docstring); NaN/inf become None."""
    d = require_int(decimals, "decimals", minimum=0)
    out, last = [], 0
    for v in np.asarray(values, dtype=np.float64).ravel():
        if not math.isfinite(v):
            out.append(None)
            continue
        q = int(round(float(v) * 10**d))
        out.append(q - last)
        last = q
    return out


def decode_series(encoded, decimals=2) -> list:
    """The log10 values of an encoded series: floats, None where no finite value was stored."""
    d = require_int(decimals, "decimals", minimum=0)
    out, last = [], 0
    for e in encoded:
        if e is None:
            out.append(None)
            continue
        last += int(e)
        out.append(last / 10**d)
    return out


def _series_values(result, quantity, theory, layers):
    y = result.theory_log10(quantity) if theory else result.log10(quantity)
    # dW has L entries (k = 0..L-1): the sampled layer k = L has none.
    return np.array([y[k] if k < y.size else np.nan for k in layers])


def _profiles_for(job):
    """Records for one setting of the controls other than depth and scale: one worker's share.

    ``job`` is ``(others, depths, scales, fixed, decimals, max_points)``;
    ``others`` maps control names (activation, width, and any control added
    later) to values, passed to :func:`~reluprop.experiments.gradient_profile`
    as keyword arguments together with ``fixed`` (batch, seed, slope).
    """
    others, depths, scales, fixed, decimals, max_points = job
    cache = WeightCache(_CACHE_BYTES)
    records = {}
    for scale in scales:  # the cache keeps the scaled weights of one scale: depths vary inside
        for depth in depths:
            result = gradient_profile(depth=depth, scale=scale, **others, **fixed, cache=cache)
            layers = layer_indices(depth, max_points)
            rec = {key: encode_series(_series_values(result, q, theory, layers), decimals)
                   for key, q, theory in SERIES}
            rec["status"] = result.status()
            records[(depth, scale)] = rec
    return others, records


def _check_controls(controls):
    names = [c["name"] for c in controls]
    for needed in ("activation", "width", "depth", "scale"):
        if needed not in names:
            raise ValueError(f"controls must include {needed!r}; got {names}")
    if len(set(names)) != len(names):
        raise ValueError(f"controls must have distinct names; got {names}")
    for c in controls:
        if not c["values"]:
            raise ValueError(f"control {c['name']!r} must offer at least one value")
        if c["initial"] not in c["values"]:
            raise ValueError(f"control {c['name']!r}: initial {c['initial']!r} is not one of its values")
    return names


def profile_index(data: dict, **settings) -> int:
    """Position in ``data["profiles"]`` of the record for the given control values."""
    index = 0
    for c in data["controls"]:
        if c["name"] not in settings:
            raise ValueError(f"profile_index needs a value for {c['name']!r}")
        value = settings[c["name"]]
        if value not in c["values"]:
            raise ValueError(f"{c['name']} must be one of {c['values']}; got {value!r}")
        index = index * len(c["values"]) + c["values"].index(value)
    return index


def explorer_data(controls=EXPLORER_CONTROLS, *, batch=16, seed=0, slope=0.01, decimals=2, max_points=51,
                  processes=1) -> dict:
    """Gradient profiles for every combination of the controls' values, as a JSON-ready dict.

    Parameters
    ----------
    controls : sequence of dict
        As :data:`EXPLORER_CONTROLS`: must include ``activation``, ``width``,
        ``depth`` and ``scale`` (in any order). The name of any further
        control is passed to the profile as a keyword argument.
    batch, seed, slope
        Passed to :func:`reluprop.experiments.gradient_profile` for every profile.
    decimals : int
        Decimal places kept of log10 of every value.
    max_points : int
        At most this many sampled layers per profile (:func:`layer_indices`).
    processes : int
        Worker processes; each computes one setting of the controls other
        than depth and scale at a time.

    Returns
    -------
    dict
        The file's content (module docstring); ``profiles`` in row-major order of ``controls``.
    """
    controls = [dict(c, values=list(c["values"]), **({"labels": list(c["labels"])} if "labels" in c else {}))
                for c in controls]
    names = _check_controls(controls)
    batch = require_int(batch, "batch", minimum=1)
    seed = require_int(seed, "seed", minimum=0)
    decimals = require_int(decimals, "decimals", minimum=0)
    max_points = require_int(max_points, "max_points", minimum=2)
    processes = require_int(processes, "processes", minimum=1)
    values = {c["name"]: c["values"] for c in controls}
    # a control may take over a fixed setting (e.g. a slider for leaky ReLU's slope)
    fixed = {k: v for k, v in {"batch": batch, "seed": seed, "slope": slope}.items() if k not in names}
    other_names = [n for n in names if n not in ("depth", "scale")]
    jobs = [({n: values[n][i] for n, i in zip(other_names, combo)}, values["depth"], values["scale"], fixed,
             decimals, max_points)
            for combo in np.ndindex(*(len(values[n]) for n in other_names))]
    jobs.sort(key=lambda job: -job[0]["width"])  # the widest (slowest) first, so the workers finish together
    done = {}
    pool = ProcessPoolExecutor(processes) if processes > 1 else None
    try:
        for others, records in (pool.map(_profiles_for, jobs) if pool else map(_profiles_for, jobs)):
            key = tuple(others[n] for n in other_names)
            for (depth, scale), rec in records.items():
                done[key + (depth, scale)] = rec
    finally:
        if pool:
            pool.shutdown()

    statuses, profiles = [], []
    for combo in np.ndindex(*(len(c["values"]) for c in controls)):
        setting = {name: values[name][i] for name, i in zip(names, combo)}
        rec = dict(done[tuple(setting[n] for n in other_names) + (setting["depth"], setting["scale"])])
        text = rec.pop("status")
        if text not in statuses:
            statuses.append(text)
        rec["status"] = statuses.index(text)
        profiles.append(rec)
    return {
        "format": FORMAT,
        "computed_by": "reluprop.experiments.gradient_profile",
        "fixed": fixed,
        "decimals": decimals,
        "max_points": max_points,
        "controls": controls,
        "layers": [layer_indices(d, max_points).tolist() for d in values["depth"]],
        "series": [key for key, _, _ in SERIES],
        "statuses": statuses,
        "profiles": profiles,
    }


def write_explorer_data(path, data: dict) -> int:
    """Write ``data`` as compact JSON (UTF-8, one line per profile) and return the file's size in bytes."""
    head = {k: v for k, v in data.items() if k != "profiles"}
    text = json.dumps(head, ensure_ascii=False, separators=(",", ":"))[:-1]
    rows = ",\n".join(json.dumps(p, separators=(",", ":")) for p in data["profiles"])
    text += ',"profiles":[\n' + rows + "\n]}\n"
    path = Path(path)
    path.write_text(text, encoding="utf8")
    return path.stat().st_size


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", help="the JSON file to write, e.g. chapters/gradient_explorer.json")
    parser.add_argument("--processes", type=int, default=min(2, os.cpu_count() or 1))
    args = parser.parse_args(argv)
    start = time.perf_counter()
    data = explorer_data(processes=args.processes)
    size = write_explorer_data(args.output, data)
    print(f"{args.output}: {len(data['profiles'])} profiles, {size} bytes, "
          f"{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
