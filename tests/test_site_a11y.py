"""Accessibility of the built website: axe-core on every page, light and dark mode.

axe-core's JavaScript comes from the npm package pinned in
``tests/site/package-lock.json`` (``make site-deps`` runs ``npm ci`` there),
never from the network. Every page of ``_toc.yml`` is opened in headless
Chromium (as in tests/test_site.py), typeset, switched to the theme's light
and then dark mode, and checked against axe's rules for WCAG 2 levels A and
AA (its tags ``wcag2a`` and ``wcag2aa``): 0 violations are allowed. Each
violation is reported with its rule, the elements and axe's summary; the
counts per page and mode are written to ``_build/screenshots/axe-results.json``,
and a full-page screenshot of each page in dark mode to ``_build/screenshots/``.

Skipped with a message when the site, Chromium, selenium or axe-core is
missing, and failing instead under REQUIRE_SITE=1.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from test_site import (  # noqa: F401 - fixtures are found by name
    PAGES,
    SHOTS,
    WAIT_FOR_MATHJAX,
    _screenshot,
    _shot_name,
    _unavailable,
    _wait_for,
    base_url,
    browser,
    site,
)

ROOT = Path(__file__).resolve().parents[1]
AXE = ROOT / "tests" / "site" / "node_modules" / "axe-core" / "axe.min.js"
AXE_VERSION = "4.14.1"  # as pinned in tests/site/package.json
TAGS = ["wcag2a", "wcag2aa"]  # WCAG 2.0 levels A and AA
RESULTS: dict[str, dict[str, int]] = {}

RUN_AXE = """
const done = arguments[arguments.length - 1];
axe.run(document, {runOnly: {type: "tag", values: arguments[0]}, resultTypes: ["violations"]})
  .then(r => done({version: axe.version, violations: r.violations.map(v => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.map(n => ({target: n.target.join(" "), summary: n.failureSummary}))}))}))
  .catch(e => done({error: String(e)}));
"""


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.is_file():
        _unavailable(f"axe-core not installed at {AXE}: run `make site-deps` (needs npm)")
    return AXE.read_text(encoding="utf8")


def _describe(violations) -> list[str]:
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']}")
        for n in v["nodes"][:6]:
            summary = " ".join(n["summary"].split())[:220]
            lines.append(f"    {n['target']}: {summary}")
        if len(v["nodes"]) > 6:
            lines.append(f"    ... and {len(v['nodes']) - 6} more")
    return lines


@pytest.mark.parametrize("page", PAGES)
def test_page_has_no_axe_violations(page, site, base_url, browser, axe_source):
    driver = browser
    driver.get(base_url + f"{page}.html")
    assert _wait_for(driver, "return document.readyState === 'complete'"), "page did not load"
    driver.execute_async_script(WAIT_FOR_MATHJAX)
    if driver.find_elements("css selector", ".rp-explorer"):
        _wait_for(driver, "const e = document.querySelector('.rp-explorer');"
                          "return !!(e.rpExplorer || e.classList.contains('rp-explorer-failed'));")
    driver.execute_script(axe_source)
    problems = []
    for mode in ("light", "dark"):
        driver.execute_script(
            "document.documentElement.dataset.mode = arguments[0];"
            "document.documentElement.dataset.theme = arguments[0];", mode)
        time.sleep(0.5)  # the theme's colour transitions
        result = driver.execute_async_script(RUN_AXE, TAGS)
        assert "error" not in result, f"axe failed on {page}: {result['error']}"
        assert result["version"] == AXE_VERSION, f"axe-core {result['version']}, expected {AXE_VERSION}"
        RESULTS.setdefault(page, {})[mode] = sum(len(v["nodes"]) for v in result["violations"])
        if mode == "dark":  # to be looked at: figures must stay legible on the dark page
            _screenshot(driver, SHOTS / f"{_shot_name(page)}-dark.png")
        if result["violations"]:
            problems.append(f"{mode} mode:")
            problems += ["  " + line for line in _describe(result["violations"])]
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / "axe-results.json").write_text(json.dumps(RESULTS, indent=1), encoding="utf8")
    assert not problems, f"{page}: axe-core ({', '.join(TAGS)}) reports\n" + "\n".join(problems)
