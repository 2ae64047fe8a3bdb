"""Every chapter opens in Colab: its first code cell installs the library there, and only there.

Colab opens a single notebook, not the repository, so ``import reluprop``
would fail. Each notebook's first code cell installs the library from the
repository named in ``_config.yml`` when ``google.colab`` is imported, and
does nothing anywhere else. These tests run that cell with a fake
``google.colab`` module and a fake ``subprocess.check_call`` that records the
command instead of running it.
"""

import json
import subprocess
import sys
import types
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p for p in (ROOT / "chapters").glob("*.ipynb"))


def _config():
    return yaml.safe_load((ROOT / "_config.yml").read_text())


def _first_code_cell(path):
    nb = json.loads(path.read_text())
    return next(c for c in nb["cells"] if c["cell_type"] == "code")


def _run_setup(source, colab, monkeypatch):
    calls = []
    monkeypatch.setattr(subprocess, "check_call", lambda cmd, *a, **k: calls.append(list(cmd)) or 0)
    if colab:
        google = types.ModuleType("google")
        google.colab = types.ModuleType("google.colab")
        monkeypatch.setitem(sys.modules, "google", google)
        monkeypatch.setitem(sys.modules, "google.colab", google.colab)
    else:
        monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    exec(compile(source, "<setup cell>", "exec"), {})
    return calls


def test_there_are_notebooks():
    assert NOTEBOOKS, "no chapter notebooks found under chapters/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_setup_cell_installs_from_the_repository_in_colab(path, monkeypatch):
    cell = _first_code_cell(path)
    source = "".join(cell["source"])
    calls = _run_setup(source, colab=True, monkeypatch=monkeypatch)
    repo = _config()["repository"]
    url, branch = repo["url"].rstrip("/"), repo["branch"]
    assert calls == [[sys.executable, "-m", "pip", "install", "--quiet",
                      f"reluprop @ git+{url}@{branch}"]], calls


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_setup_cell_does_nothing_outside_colab(path, monkeypatch):
    cell = _first_code_cell(path)
    assert _run_setup("".join(cell["source"]), colab=False, monkeypatch=monkeypatch) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_setup_cell_is_hidden_on_the_website_and_imports_come_after(path):
    nb = json.loads(path.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert "remove-cell" in code[0].get("metadata", {}).get("tags", []), \
        "the Colab setup cell must be tagged remove-cell"
    later = "".join("".join(c["source"]) for c in code[1:])
    assert "import reluprop" in later, "the library is imported after the setup cell"
    assert "import reluprop" not in "".join(code[0]["source"])


def test_binder_installs_the_library_from_requirements():
    lines = [ln.strip() for ln in (ROOT / "requirements.txt").read_text().splitlines()
             if ln.strip() and not ln.strip().startswith("#")]
    assert lines[-1] == "-e .", "Binder installs requirements.txt: its last line installs the library"
    for needed in ("jupyter-book", "numpy", "matplotlib", "ipywidgets", "nbval"):
        assert any(ln.startswith(needed) for ln in lines), needed
