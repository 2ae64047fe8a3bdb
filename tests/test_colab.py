"""Every chapter runs in Colab: its first cell installs the library there, and the rest runs.

Colab opens a single notebook, not the repository, so ``import reluprop``
would fail. Each notebook's first code cell installs the library from the
repository named in ``_config.yml`` when ``google.colab`` is imported, and
does nothing anywhere else. The first tests run that cell with a fake
``google.colab`` module and a fake ``subprocess.check_call`` that records the
command instead of running it.

``test_chapter_runs_in_a_colab_like_environment`` then proves the rest: it
builds a virtual environment holding only what Colab preinstalls and the
course needs (numpy, matplotlib, ipywidgets, ipykernel), checks that the book
toolchain (MyST-NB, Sphinx, Jupyter Book) is absent from it, installs the
library the way the setup cell does (a non-editable pip install with its
declared dependencies, here from a copy of this checkout instead of the
repository URL), and executes every chapter top to bottom in a kernel of that
environment. The environment is kept in ``_build/colab-env`` and rebuilt when
``pyproject.toml`` changes; the library is reinstalled whenever its sources
(``lib/``, ``pyproject.toml``, ``README.md``) differ from the last install. Test
processes running side by side (``pytest -n 2``) share the environment: a lock
file lets one of them build it while the others wait. Where the
environment cannot be built (no network to a package index, say) the test is
skipped with the reason, unless ``REQUIRE_COLAB=1`` (as ``.ci/run`` sets)
turns the skip into a failure.
"""

import fcntl
import hashlib
import json
import os
import shutil
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


# --- The chapters run top to bottom where only Colab's packages and the library are installed.

REQUIRE_COLAB = os.environ.get("REQUIRE_COLAB") == "1"
COLAB_PREINSTALLED = ["numpy", "matplotlib", "ipywidgets", "ipykernel"]
BOOK_TOOLCHAIN = ["myst_nb", "sphinx", "jupyter_book"]
COLAB_ENV = ROOT / "_build" / "colab-env"


def _colab_unavailable(reason):
    if REQUIRE_COLAB:
        pytest.fail(f"{reason} (REQUIRE_COLAB=1 forbids skipping the Colab-like run)")
    pytest.skip(reason)


def _pip(python, *args):
    return subprocess.run([str(python), "-m", "pip", "--disable-pip-version-check", "--quiet", *args],
                          capture_output=True, text=True, timeout=900)


def _env_key():
    text = (ROOT / "pyproject.toml").read_text() + "\n".join(COLAB_PREINSTALLED)
    return hashlib.sha256(text.encode()).hexdigest()


def _library_key():
    """A hash of what the library's install is made from: its sources, pyproject.toml and README.md."""
    digest = hashlib.sha256()
    files = [p for p in (ROOT / "lib").rglob("*")
             if p.is_file() and "__pycache__" not in p.parts and not any(".egg-info" in s for s in p.parts)]
    for path in sorted(files) + [ROOT / "pyproject.toml", ROOT / "README.md"]:
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


@pytest.fixture(scope="session")
def colab_kernel(tmp_path_factory):
    """A kernel name whose Python has Colab's packages and the library, nothing of the book toolchain."""
    COLAB_ENV.parent.mkdir(parents=True, exist_ok=True)
    with open(COLAB_ENV.parent / "colab-env.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        python = _colab_environment(tmp_path_factory)
    present = subprocess.run(
        [str(python), "-c",
         "import importlib.util as u; print(' '.join(m for m in %r if u.find_spec(m)))" % BOOK_TOOLCHAIN],
        capture_output=True, text=True, check=True).stdout.split()
    assert present == [], f"the Colab-like environment must not hold the book toolchain, found {present}"
    kernels = tmp_path_factory.mktemp("kernels")
    spec = kernels / "kernels" / "colab-like"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Colab-like", "language": "python"}))
    old = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(kernels), old) if p)
    yield "colab-like"
    if old is None:
        os.environ.pop("JUPYTER_PATH", None)
    else:
        os.environ["JUPYTER_PATH"] = old


def _colab_environment(tmp_path_factory):
    """Build (or reuse) ``_build/colab-env`` and install the library in it; return its python."""
    python = COLAB_ENV / "bin" / "python"
    key_file = COLAB_ENV / ".key"
    library_file = COLAB_ENV / ".library"
    if not (python.exists() and key_file.exists() and key_file.read_text() == _env_key()):
        shutil.rmtree(COLAB_ENV, ignore_errors=True)
        made = subprocess.run([sys.executable, "-m", "venv", str(COLAB_ENV)], capture_output=True, text=True)
        if made.returncode != 0:
            _colab_unavailable(f"cannot create a virtual environment: {made.stderr.strip()[-500:]}")
        got = _pip(python, "install", *COLAB_PREINSTALLED)
        if got.returncode != 0:
            _colab_unavailable(f"cannot install {COLAB_PREINSTALLED}: {got.stderr.strip()[-500:]}")
        key_file.write_text(_env_key())
    library_key = _library_key()
    if library_file.exists() and library_file.read_text() == library_key:
        return python
    library_file.unlink(missing_ok=True)
    # The library as the setup cell installs it: a regular (non-editable) install with the
    # dependencies pyproject.toml declares, from a copy so that no build files land in the checkout.
    source = tmp_path_factory.mktemp("reluprop-source")
    shutil.copy(ROOT / "pyproject.toml", source)
    shutil.copy(ROOT / "README.md", source)
    shutil.copytree(ROOT / "lib", source / "lib", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    got = _pip(python, "install", "--force-reinstall", "--no-deps", str(source))
    if got.returncode == 0:
        got = _pip(python, "install", str(source))  # declared dependencies, if any are missing
    if got.returncode != 0:
        _colab_unavailable(f"cannot install the library: {got.stderr.strip()[-500:]}")
    library_file.write_text(library_key)
    return python


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_chapter_runs_in_a_colab_like_environment(path, colab_kernel):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb, kernel_name=colab_kernel, timeout=300, allow_errors=False,
        resources={"metadata": {"path": str(path.parent)}})
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as err:
        pytest.fail(f"{path.name} stops in the Colab-like environment:\n{str(err)[-3000:]}")
