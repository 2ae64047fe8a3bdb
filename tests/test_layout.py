"""The package's layout: a light import, and every name the chapters use still resolves."""

import importlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import reluprop as rp

CHAPTERS = sorted((Path(__file__).resolve().parents[1] / "chapters").glob("*.ipynb"))


def _chapter_code():
    for path in CHAPTERS:
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] == "code":
                yield path.name, "".join(cell["source"])


def test_import_loads_neither_pyplot_nor_ipywidgets():
    code = ("import sys, reluprop as rp; rp.Network; rp.gradient_profile; "
            "print(sorted(m for m in ('matplotlib.pyplot', 'ipywidgets', 'matplotlib') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def test_display_modules_load_on_first_use():
    code = ("import sys, reluprop as rp; rp.plotting.COLORS; from reluprop.exercises import Diagnosis; "
            "print('matplotlib.pyplot' in sys.modules, 'reluprop.exercises' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True"]


def test_core_modules_keep_their_short_names():
    for name in ("activations", "layers", "losses", "network", "gradcheck", "scalar", "_validate"):
        short = importlib.import_module(f"reluprop.{name}")
        assert short is importlib.import_module(f"reluprop.core.{name}"), name
        assert getattr(rp, name) is short, name


@pytest.mark.skipif(not CHAPTERS, reason="no chapters next to the tests")
def test_every_name_the_chapters_use_resolves():
    names, imports = set(), set()
    for _, src in _chapter_code():
        names.update(re.findall(r"\brp\.([A-Za-z_][\w.]*)", src))
        for module, what in re.findall(r"from (reluprop[\w.]*) import ([\w ,]+)", src):
            imports.update((module, w.split(" as ")[0].strip()) for w in what.split(","))
        imports.update((m, None) for m in re.findall(r"^\s*import (reluprop[\w.]*)", src, re.M))
    assert names and imports
    for dotted in sorted(names):
        obj = rp
        for part in dotted.split("."):
            obj = getattr(obj, part)
    for module, what in sorted(imports, key=str):
        mod = importlib.import_module(module)
        if what:
            assert hasattr(mod, what) or importlib.import_module(f"{module}.{what}"), (module, what)
