"""The explorer's data for the static website: gradient profiles over a grid of slider positions.

A static page runs no Python, so the website's explorer of the chapter
*Vanishing and exploding* draws results computed beforehand:
:func:`explorer_data` calls :func:`reluprop.experiments.gradient_profile`
for every combination of the controls in :data:`EXPLORER_CONTROLS`
(activation, architecture, init, width n, depth L, init scale s) and for
each of the networks of :data:`DRAWS` (the seeds the notebook explorer's
"new draw" button gives: 0, then 1, 2, ...), with batch B = 16, and
:func:`write_explorer_data` writes them to one compact JSON file that the
page's script reads and draws. ``make explorer-data`` (part of
``make notebooks``) regenerates the file shipped with the book,
``chapters/gradient_explorer.json``. The grid is coarser than the notebook
explorer's sliders (widths 4, 16, 64; seven depths from 3 to 2000; the
scales 0.5, 0.71 (tanh's critical scale), 1 (He's) and 2; no leaky ReLU; the
residual network only with its default branch scale α = 1/sqrt(L); batch 16
only), so that the file stays under 2 MB and ``make explorer-data`` takes a
few minutes on 2 cores.

The format (version 2), made to take more controls later without a new
reader:

``controls``
    A list of ``{"name", "label", "values", "initial"}``; a control whose
    values are strings also has ``"labels"`` (what the reader sees).
``draws``
    The seeds of the networks stored for every setting, in the order the
    "new draw" button shows them.
``profiles``
    One record per combination of control values, in row-major order of
    ``controls`` (the last control varies fastest): the record of value
    indices ``(i_0, ..., i_m)`` is ``profiles[sum_j i_j * stride_j]`` with
    ``stride_j`` the product of the numbers of values of the controls after
    ``j``. Adding a control adds a factor, nothing else.
``layers``
    The layer indices ``k`` at which every profile of a given depth is
    sampled, one list per value of the ``depth`` control: every layer up to
    ``max_points`` of them, else ``max_points`` evenly spaced layers with the
    first and the last.
``series``
    The quantities of a record: ``"dr"`` (||dC/dr^(k)||) and ``"dW"``
    (||dC/dW^(k)||, defined for k < L only), measured and mean-field theory
    (``"dr_theory"``, ``"dW_theory"``). A series named in ``per_draw`` (the
    measured ones) holds one encoded list per draw, in the order of
    ``draws``; a theory series is stored once, that of the first draw. (The
    mean-field prediction depends on a network only through the Gram
    statistics of its input and of the output gradient, so the draws'
    predictions differ little; the page draws the first one's.)
    An encoded list holds log10 of the values rounded to ``decimals``
    places, as integers (log10 * 10**decimals) delta-encoded along the
    sampled layers: the first entry is the value, each next one the
    difference from the previous finite entry. ``null`` marks a layer with
    no finite value (a flagged overflow or underflow, k = L for ``"dW"``,
    or a theory that is not available). :func:`decode_series` inverts this.
``status``
    Per record, one index into ``statuses`` per draw: the text of
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

from ._validate import require_choice, require_int
from .experiments import WeightCache, gradient_profile

__all__ = [
    "EXPLORER_CONTROLS",
    "SERIES",
    "FORMAT",
    "DRAWS",
    "layer_indices",
    "encode_series",
    "decode_series",
    "explorer_data",
    "write_explorer_data",
    "profile_index",
]

FORMAT = "reluprop-explorer/2"

#: The website explorer's controls and the values it offers (a subset of the notebook explorer's).
EXPLORER_CONTROLS = (
    {"name": "activation", "label": "activation", "values": ("relu", "sigmoid", "tanh"),
     "labels": ("ReLU", "sigmoid", "tanh"), "initial": "relu"},
    {"name": "architecture", "label": "architecture", "values": ("plain", "residual"),
     "labels": ("plain", "residual, branch scale α = 1/√L"), "initial": "plain"},
    {"name": "init", "label": "init", "values": ("gaussian", "orthogonal"), "labels": ("Gaussian", "orthogonal"),
     "initial": "gaussian"},
    {"name": "width", "label": "width n", "values": (4, 16, 64), "initial": 64},
    {"name": "depth", "label": "depth L", "values": (3, 10, 30, 100, 300, 1000, 2000), "initial": 100},
    {"name": "scale", "label": "init scale s", "values": (0.5, 0.71, 1.0, 2.0), "initial": 1.0},
)

#: Seeds of the networks stored for every setting, the notebook explorer's first network and its next draws.
DRAWS = (0, 1, 2, 3)

#: The quantities stored per profile: (key in the file, quantity of GradientProfile, theory or measured).
SERIES = (("dr", "dr", False), ("dr_theory", "dr", True), ("dW", "dW", False), ("dW_theory", "dW", True))

# Base draws of width 64 and depth 2000 take 63 MiB per weight matrix of a layer or block; with the
# residual branch's second matrix and the scaled copies, one draw fits.
_CACHE_BYTES = 400 * 2**20


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

    ``job`` is ``(others, depths, scales, draws, fixed, decimals, max_points)``;
    ``others`` maps control names (activation, architecture, init, width, and
    any control added later) to values, passed to
    :func:`~reluprop.experiments.gradient_profile` as keyword arguments
    together with ``fixed`` (batch, slope) and each seed of ``draws``.
    """
    others, depths, scales, draws, fixed, decimals, max_points = job
    records = {(depth, scale): {key: [] for key, _, theory in SERIES if not theory} | {"status": []}
               for depth in depths for scale in scales}
    for seed in draws:  # the cache keeps one network's base draws and the scaled weights of one scale
        cache = WeightCache(_CACHE_BYTES)
        for scale in scales:
            for depth in depths:
                result = gradient_profile(depth=depth, scale=scale, **others, **fixed, seed=seed, cache=cache)
                layers = layer_indices(depth, max_points)
                rec = records[(depth, scale)]
                for key, q, theory in SERIES:
                    encoded = encode_series(_series_values(result, q, theory, layers), decimals)
                    if not theory:
                        rec[key].append(encoded)
                    elif seed == draws[0]:
                        rec[key] = encoded
                rec["status"].append(result.status())
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
        require_choice(value, c["values"], c["name"])
        index = index * len(c["values"]) + c["values"].index(value)
    return index


def explorer_data(controls=EXPLORER_CONTROLS, *, draws=DRAWS, batch=16, slope=0.01, decimals=2, max_points=26,
                  processes=1) -> dict:
    """Gradient profiles for every combination of the controls' values and every draw, as a JSON-ready dict.

    Parameters
    ----------
    controls : sequence of dict
        As :data:`EXPLORER_CONTROLS`: must include ``activation``, ``width``,
        ``depth`` and ``scale`` (in any order). The name of any further
        control (``architecture``, ``init``, ...) is passed to the profile as
        a keyword argument.
    draws : sequence of int
        Seeds of the networks stored for every setting (distinct, >= 0).
    batch, slope
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
    draws = [require_int(d, "draws", minimum=0) for d in draws]
    if not draws or len(set(draws)) != len(draws):
        raise ValueError(f"draws must be distinct seeds, at least one; got {draws}")
    batch = require_int(batch, "batch", minimum=1)
    decimals = require_int(decimals, "decimals", minimum=0)
    max_points = require_int(max_points, "max_points", minimum=2)
    processes = require_int(processes, "processes", minimum=1)
    values = {c["name"]: c["values"] for c in controls}
    # a control may take over a fixed setting (e.g. a slider for leaky ReLU's slope)
    fixed = {k: v for k, v in {"batch": batch, "slope": slope}.items() if k not in names}
    other_names = [n for n in names if n not in ("depth", "scale")]
    jobs = [({n: values[n][i] for n, i in zip(other_names, combo)}, values["depth"], values["scale"], draws,
             fixed, decimals, max_points)
            for combo in np.ndindex(*(len(values[n]) for n in other_names))]
    # the widest and residual (slowest) first, so that the workers finish together
    jobs.sort(key=lambda job: (-job[0]["width"], job[0].get("architecture") != "residual"))
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
        indices = []
        for text in rec.pop("status"):
            if text not in statuses:
                statuses.append(text)
            indices.append(statuses.index(text))
        rec = {key: rec[key] for key, _, _ in SERIES}
        rec["status"] = indices
        profiles.append(rec)
    return {
        "format": FORMAT,
        "computed_by": "reluprop.experiments.gradient_profile",
        "fixed": fixed,
        "draws": draws,
        "decimals": decimals,
        "max_points": max_points,
        "controls": controls,
        "layers": [layer_indices(d, max_points).tolist() for d in values["depth"]],
        "series": [key for key, _, _ in SERIES],
        "per_draw": [key for key, _, theory in SERIES if not theory],
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
