# The course's commands. `make book` builds the website into _build/html;
# `make test` runs the tests (library, book integrity, strict nbval on every
# chapter); `make site-test` checks the built site in Chromium. All create
# .venv on first use.

PYTHON  ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.stamp
PORT    ?= 8000
# Seconds one notebook (and any one of its cells) may run in `make notebooks`.
NB_TIMEOUT ?= 120
# Processes `make test` spreads the tests over (pytest-xdist); 0 runs them in this one.
TEST_WORKERS ?= 2

NOTEBOOKS := $(sort $(wildcard chapters/*.ipynb))

.PHONY: help venv book test test-fast site-test site-deps explorer-data vendor-uplot notebooks serve clean distclean

help:
	@echo "make book       build the website into _build/html (fails on any warning)"
	@echo "make test       every test: library, book checks, strict nbval, the built site in Chromium"
	@echo "make test-fast  library and exercise tests only: no book build, no notebooks, no slow tests"
	@echo "make site-test  open every built page in headless Chromium (after make book)"
	@echo "make notebooks  re-execute every chapter in place so stored outputs match the code"
	@echo "make explorer-data  recompute the website explorer's data (part of make notebooks)"
	@echo "make serve      serve _build/html on http://127.0.0.1:$(PORT)/"
	@echo "make clean      remove build products (make distclean also removes .venv)"

venv: $(STAMP)

# Reinstall only when requirements.txt or pyproject.toml changed.
$(STAMP): requirements.txt $(wildcard pyproject.toml)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $@

# --all: an incremental build would not repeat the warnings of unchanged
# pages, nor notice changed docstrings; a full build takes seconds.
book: venv
	$(BIN)/jupyter-book build . --all -W -n --keep-going

# Every test, in one pytest run: the library, the book's integrity, strict
# nbval on every chapter (pytest.ini limits collection to tests/ and
# chapters/), and the browser tests of the website, which is built first.
# Without Debian's chromium the browser tests skip, unless REQUIRE_SITE=1
# (as in CI) turns that skip into a failure. The tests run in $(TEST_WORKERS)
# processes; tests/conftest.py keeps each notebook's cells, and the browser
# tests, in one process, and gives each process one BLAS thread.
test: book site-deps
	$(BIN)/python -m pytest -p no:cacheprovider --durations=30 tests chapters \
		$(if $(filter-out 0,$(TEST_WORKERS)),-n $(TEST_WORKERS)) \
		--nbval --nbval-current-env --nbval-sanitize-with tests/sanitize.cfg

# The library and exercise tests without the book: markers from tests/conftest.py.
test-fast: venv
	$(BIN)/python -m pytest -p no:cacheprovider -q --durations=5 tests \
		-m "not slow and not book and not site"

# The browser tests alone, against the site last built by `make book`.
site-test: venv site-deps
	$(BIN)/python -m pytest -p no:cacheprovider tests/test_site.py tests/test_site_explorer.py \
		tests/test_site_a11y.py

# axe-core for the accessibility tests, at the version pinned in
# tests/site/package-lock.json (uPlot comes along: see vendor-uplot). Without
# npm the accessibility tests skip (fail under REQUIRE_SITE=1).
SITE_DEPS := tests/site/node_modules/.package-lock.json
site-deps: $(SITE_DEPS)
$(SITE_DEPS): tests/site/package.json tests/site/package-lock.json
	@if command -v npm >/dev/null; then \
		npm ci --prefix tests/site --no-audit --no-fund --ignore-scripts --loglevel=error; \
	else echo "npm not found: the accessibility tests will be skipped"; fi

# The website explorer's data (chapters/gradient_explorer.json), from the
# library: about 310 s of CPU time (1008 settings, 4 networks each), shared by 2
# processes with one BLAS thread each.
explorer-data: venv
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \
		$(BIN)/python -m reluprop.explorer_data chapters/gradient_explorer.json --processes 2

# The site serves uPlot itself: copy the version pinned in tests/site/ into
# _ext/static/uplot (tests/test_site_explorer.py checks the copy).
vendor-uplot: site-deps
	cp tests/site/node_modules/uplot/dist/uPlot.iife.min.js tests/site/node_modules/uplot/dist/uPlot.min.css \
		tests/site/node_modules/uplot/LICENSE _ext/static/uplot/

# Run from chapters/ so that relative paths in the notebooks work. No timing
# metadata is recorded, so re-running an unchanged chapter changes nothing.
notebooks: venv explorer-data
	cd chapters && limit=$$(command -v timeout >/dev/null && echo "timeout $(NB_TIMEOUT)"); \
	for nb in $(notdir $(NOTEBOOKS)) ""; do \
		test -n "$$nb" || continue; \
		echo "executing chapters/$$nb"; \
		$$limit ../$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
			--ExecutePreprocessor.timeout=$(NB_TIMEOUT) \
			--ExecutePreprocessor.record_timing=False \
			--ExecutePreprocessor.store_widget_state=False \
			--ExecutePreprocessor.kernel_name=python3 "$$nb" || exit 1; \
		../$(BIN)/python -c "$$COALESCE" "$$nb" || exit 1; \
	done

# A cell's printed lines arrive in as many stream outputs as the kernel happened
# to flush; joining consecutive ones makes the stored notebook the same on every run.
export COALESCE := import sys, nbformat; \
from nbconvert.preprocessors import CoalesceStreamsPreprocessor; \
nb = nbformat.read(sys.argv[1], as_version=4); \
CoalesceStreamsPreprocessor().preprocess(nb, {}); \
nbformat.write(nb, sys.argv[1])

serve:
	@test -f _build/html/index.html || { echo "run 'make book' first"; exit 1; }
	$(PYTHON) -m http.server --bind 127.0.0.1 --directory _build/html $(PORT)

clean:
	rm -rf _build .jupyter_cache .pytest_cache .hypothesis
	find chapters lib tests \( -name .ipynb_checkpoints -o -name __pycache__ \) \
		-type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
