"""Shared test setup: a seeded generator, a display-free matplotlib, reproducible hypothesis.

- ``rng``: a fresh ``numpy.random.Generator`` seeded with 0 for each test;
- matplotlib draws with the Agg backend, and every figure a test opened is
  closed after it (no warning about too many open figures);
- hypothesis: the ``ci`` profile (derandomized: the same examples on every
  run, no deadline) is selected when ``CI=true``, the ``dev`` profile
  (random examples, no deadline) otherwise; ``HYPOTHESIS_PROFILE`` overrides both.

Markers (registered in pytest.ini): ``slow`` (a few seconds or more),
``book`` (reads the book's sources or notebooks), ``site`` (the built website
in a browser). ``make test-fast`` runs ``-m "not slow and not book and not site"``
on the library and exercise tests.

Under pytest-xdist (``make test`` runs ``-n 2``), what must run in one
process, in order, is sent to one process as a whole: the cells of one
notebook (nbval runs them one after the other in one kernel), and the tests
of one browser-test file (they share a browser and a server, started once per
file and process; each file writes and clears only its own screenshots and
results in ``_build/screenshots``); every other test goes to whichever
process is free. pytest-xdist hands out the groups with the most tests first.
"""

from __future__ import annotations

import os

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

try:
    from hypothesis import settings
except ImportError:  # pragma: no cover - hypothesis is in requirements.txt
    settings = None

if settings is not None:
    settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
    settings.register_profile("dev", deadline=None)
    default = "ci" if os.environ.get("CI", "").lower() == "true" else "dev"
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", default))


#: Test files (and nbval notebooks) that are about the book rather than the library.
_BOOK_FILES = {"test_book.py", "test_colab.py"}


def pytest_collection_modifyitems(config, items):
    """Mark the book checks, every notebook (nbval) and the browser tests."""
    for item in items:
        name = item.path.name
        if name.startswith("test_site"):  # test_site.py, test_site_a11y.py, test_site_explorer.py
            item.add_marker(pytest.mark.site)
        elif name in _BOOK_FILES or item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.book)


#: The variables by which OpenBLAS, OpenMP and MKL read their number of threads.
BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def pytest_configure(config):
    """Under ``-n N``, one BLAS thread per test process (see the module docstring).

    This runs in the controlling process before it starts the test processes,
    which read the variables when they load numpy.
    """
    if getattr(config.option, "numprocesses", None) and "PYTEST_XDIST_WORKER" not in os.environ:
        for name in BLAS_THREAD_VARIABLES:
            os.environ.setdefault(name, "1")


def _process_group(nodeid: str) -> str:
    """The tests that must run in one process, in order, share a group (see the module docstring)."""
    path = nodeid.split("::", 1)[0]
    if path.endswith(".ipynb"):
        return path
    if path.rsplit("/", 1)[-1].startswith("test_site"):  # the files marked site: one browser each
        return path
    return nodeid


def pytest_xdist_make_scheduler(config, log):
    """Under ``pytest -n N`` (``--dist load``): pytest-xdist's scope scheduling with :func:`_process_group`."""
    if config.getvalue("dist") != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class GroupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid):
            return _process_group(nodeid)

    return GroupScheduling(config, log)


@pytest.fixture
def rng():
    """A fresh generator with seed 0: each test draws the same numbers every run."""
    return np.random.default_rng(0)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import sys

    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")

