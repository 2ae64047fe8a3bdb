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

Under pytest-xdist (``make test`` runs ``-n 2 --dist loadgroup``), what must
run in one process, in order, gets an ``xdist_group``: the cells of one
notebook (nbval runs them one after the other in one kernel) and the tests of
one browser-test file (they share a browser and a server, and write one
results file); every other test goes to whichever process is free.
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
_SITE_FILES = {"test_site.py"}


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the xdist_group marks
def pytest_collection_modifyitems(config, items):
    """Mark the book checks, every notebook (nbval) and the browser tests; group what shares a process."""
    grouping = config.pluginmanager.hasplugin("xdist")
    for item in items:
        name = item.path.name
        if name in _SITE_FILES:
            item.add_marker(pytest.mark.site)
        elif name in _BOOK_FILES or item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.book)
        if grouping and (item.path.suffix == ".ipynb" or name.startswith("test_site")):
            item.add_marker(pytest.mark.xdist_group(f"{item.path.parent.name}/{item.path.name}"))


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
