"""The website's explorer, in headless Chromium with no network (after `make book`).

On the built page of the chapter *Vanishing and exploding*:

- the explorer loads its data file from beside the page and draws a chart;
- each control is moved as a reader would (keyboard on the focused slider,
  a choice in the menu): the chart's pixels change, the profile shown is the
  one of the new setting, and the time from the move to the next painted
  frame is measured (written to ``_build/screenshots/explorer-timings.json``;
  not asserted: wall-clock limits do not belong in tests);
- the "new draw" button adds the next stored network's curves (the chart
  changes, the status line counts the networks), keeps them while a control
  moves, and after the last draw goes back to one network;
- no request leaves the machine;
- with JavaScript off the page still shows the still figure and a note;
- data of the same format with other controls (an architecture menu, a
  branch-scale slider) gets working controls from the same script;
- screenshots of the explorer in light and dark mode are saved to
  ``_build/screenshots/`` to be looked at.

Skipped like tests/test_site.py when the site, Chromium or selenium is
missing, and failing instead under REQUIRE_SITE=1.
"""

from __future__ import annotations

import base64
import json
import time

from reluprop.explorer_data import decode_series, profile_index
from test_site import (  # noqa: F401 - fixtures are found by name
    SHOTS,
    SITE,
    _outside_requests,
    _screenshot,
    _site_errors,
    _wait_for,
    base_url,
    browser,
    site,
)

PAGE = "chapters/vanishing_exploding"
SOURCE = SITE.parents[1] / "chapters" / "gradient_explorer.json"  # what make explorer-data wrote
SHIPPED = "chapters/gradient_explorer.js"  # beside the page: the same JSON in one assignment

READY = "const e = document.querySelector('.rp-explorer'); return !!(e && (e.rpExplorer || e.classList.contains('rp-explorer-failed')));"

# Move one control as the page's own event handlers see it, then wait for the
# next two animation frames (the redraw is painted by then): returns the time
# from the move to that paint, the canvas before and after, and the profile shown.
MOVE = """
const [name, how] = arguments;
const done = arguments[arguments.length - 1];
const root = document.querySelector('.rp-explorer');
const canvas = root.querySelector('canvas');
const input = root.querySelector('[data-control="' + name + '"]');
const before = canvas.toDataURL();
const profileBefore = root.dataset.profile;
const t0 = performance.now();
if (input.tagName === 'SELECT') {
  input.value = String((Number(input.value) + 1) % input.options.length);
  input.dispatchEvent(new Event('change', {bubbles: true}));
} else {
  const max = Number(input.max);
  input.value = String(how === 'down' || Number(input.value) === max ? Number(input.value) - 1 : Number(input.value) + 1);
  input.dispatchEvent(new Event('input', {bubbles: true}));
}
requestAnimationFrame(() => requestAnimationFrame(() => {
  const ms = performance.now() - t0;
  done({ms: ms, updateMs: Number(root.dataset.updateMs), changed: canvas.toDataURL() !== before,
        profileBefore: profileBefore, profile: root.dataset.profile, value: input.value});
}));
"""

SETTINGS = """
const e = document.querySelector('.rp-explorer').rpExplorer;
return {index: e.index, values: e.controls.map((c, j) => c.values[e.positions[j]])};
"""


def _open(driver, base_url):
    driver.get_log("browser")
    driver.get_log("performance")
    driver.get(base_url + f"{PAGE}.html")
    assert _wait_for(driver, "return document.readyState === 'complete'"), "page did not load"
    assert _wait_for(driver, READY), "the explorer did not start"
    failed = driver.execute_script("return document.querySelector('.rp-explorer').classList.contains('rp-explorer-failed')")
    assert not failed, driver.execute_script("return document.querySelector('.rp-explorer').textContent")
    driver.execute_script("document.querySelector('.rp-explorer').scrollIntoView()")


def test_data_file_is_beside_the_page(site):
    assert (site / SHIPPED).is_file(), "the explorer's data was not shipped beside the page"
    text = (site / SHIPPED).read_text(encoding="utf8")
    body = text[text.index("=\n") + 2:].rstrip().rstrip(";")
    assert json.loads(body) == json.loads(SOURCE.read_text(encoding="utf8")), "shipped data differ from the source"
    assert (site / SHIPPED).stat().st_size <= 2 * 2**20
    html = (site / f"{PAGE}.html").read_text(encoding="utf8")
    assert 'class="rp-explorer"' in html
    assert 'data-src="gradient_explorer.json"' in html and 'data-script="gradient_explorer.js"' in html
    for asset in ("_static/uplot/uPlot.iife.min.js", "_static/explorer.js"):
        assert asset in html and (site / asset).is_file(), asset
    # only the explorer's page loads the explorer's scripts
    assert "explorer.js" not in (site / "chapters/relu.html").read_text(encoding="utf8")


def test_every_control_moves_the_plot(site, base_url, browser):
    driver = browser
    _open(driver, base_url)
    data = json.loads(SOURCE.read_text(encoding="utf8"))
    names = [c["name"] for c in data["controls"]]
    assert names + ["draw"] == driver.execute_script(
        "return [...document.querySelectorAll('.rp-explorer [data-control]')].map(e => e.dataset.control)")
    timings, problems = {}, []
    for name in names:
        timings[name] = []
        for how in ("up", "down", "up"):
            r = driver.execute_async_script(MOVE, name, how)
            timings[name].append({"to paint ms": round(r["ms"], 1), "update ms": round(r["updateMs"], 2)})
            if r["profile"] == r["profileBefore"]:
                problems.append(f"{name} {how}: the profile shown did not change")
            if not r["changed"]:
                problems.append(f"{name} {how}: the chart's pixels did not change")
        # the record shown is the one of the controls' current values
        shown = driver.execute_script(SETTINGS)
        want = profile_index(data, **dict(zip(names, shown["values"])))
        if shown["index"] != want:
            problems.append(f"after {name}: record {shown['index']} shown, settings give {want}")
    # a reader's keyboard on the depth slider
    depth = driver.find_element("css selector", '.rp-explorer [data-control="depth"]')
    before = driver.execute_script("return document.querySelector('.rp-explorer').dataset.profile")
    depth.send_keys("\ue014")  # ArrowRight
    after = driver.execute_script("return document.querySelector('.rp-explorer').dataset.profile")
    if before == after:
        problems.append("ArrowRight on the depth slider did not change the plot")
    problems += [f"console error: {e}" for e in _site_errors(driver, base_url)]
    problems += [f"request to outside the site: {u}" for u in _outside_requests(driver, base_url)]
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / "explorer-timings.json").write_text(json.dumps(timings, indent=1), encoding="utf8")
    worst = max(t["to paint ms"] for ts in timings.values() for t in ts)
    print(f"slider move to painted frame: at most {worst:.1f} ms; per control: {timings}")
    assert not problems, "\n".join(problems)


# Press the "new draw" button; wait for the paint; report what the explorer shows.
DRAW = """
const done = arguments[arguments.length - 1];
const root = document.querySelector('.rp-explorer');
const canvas = root.querySelector('canvas');
const before = canvas.toDataURL();
const t0 = performance.now();
root.querySelector('[data-control="draw"]').click();
requestAnimationFrame(() => requestAnimationFrame(() => {
  done({ms: performance.now() - t0, changed: canvas.toDataURL() !== before, shown: Number(root.dataset.shown),
        status: root.querySelector('.rp-explorer-status').textContent,
        button: root.querySelector('[data-control="draw"]').textContent,
        legend: [...root.querySelectorAll('.u-legend .u-series')].filter(r => r.style.display !== 'none')
                  .map(r => r.textContent.trim())});
}));
"""


def test_new_draw_adds_the_next_networks(site, base_url, browser):
    driver = browser
    _open(driver, base_url)
    data = json.loads(SOURCE.read_text(encoding="utf8"))
    draws = data["draws"]
    record = data["profiles"][int(driver.execute_script("return document.querySelector('.rp-explorer').dataset.profile"))]
    assert driver.execute_script("return document.querySelector('.rp-explorer').dataset.shown") == "1"
    timings = []  # reported, not asserted
    for n in range(2, len(draws) + 1):
        r = driver.execute_async_script(DRAW)
        assert r["shown"] == n and r["changed"], r
        assert r["status"].startswith(f"{n} networks (seeds {', '.join(map(str, draws[:n]))})"), r["status"]
        if n < len(draws):  # the button names the network it adds next
            assert r["button"] == f"new draw: add network {n + 1} of {len(draws)}", r["button"]
        # the spread printed is that of the stored values at layer 0
        at_input = [decode_series(record["dr"][d], data["decimals"])[0] for d in range(n)]
        assert f"a spread of {max(at_input) - min(at_input):.2f} (a factor" in r["status"], r["status"]
        assert any("other draws" in row for row in r["legend"]), r["legend"]
        timings.append(round(r["ms"], 1))
    assert r["button"] == "back to one draw"
    print(f"new draw to painted frame, ms: {timings}")
    # moving a control keeps the draws shown
    move = driver.execute_async_script(MOVE, "depth", "up")
    assert move["changed"] and driver.execute_script("return document.querySelector('.rp-explorer').dataset.shown") == str(len(draws))
    r = driver.execute_async_script(DRAW)
    assert r["shown"] == 1 and r["changed"] and r["status"].startswith(f"1 network (seed {draws[0]})")
    assert not any("other draws" in row for row in r["legend"]), r["legend"]
    assert not _site_errors(driver, base_url)


def test_explorer_in_light_and_dark_mode(site, base_url, browser):
    driver = browser
    _open(driver, base_url)
    for mode in ("light", "dark"):
        driver.execute_script(
            "document.documentElement.dataset.mode = arguments[0];"
            "document.documentElement.dataset.theme = arguments[0];", mode)
        time.sleep(0.4)
        colour = driver.execute_script(
            "return getComputedStyle(document.querySelector('.rp-explorer')).getPropertyValue('--rp-explorer-text')")
        assert colour.strip(), f"{mode}: the explorer's colours are not defined"
        if mode == "light":  # show the spread of the stored networks in the screenshots
            for _ in range(len(json.loads(SOURCE.read_text(encoding="utf8"))["draws"]) - 1):
                driver.execute_async_script(DRAW)
        driver.execute_script("document.querySelector('.rp-explorer').scrollIntoView()")
        shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png"})
        SHOTS.mkdir(parents=True, exist_ok=True)
        (SHOTS / f"explorer-{mode}.png").write_bytes(base64.b64decode(shot["data"]))
    assert not _outside_requests(driver, base_url)


def test_page_without_javascript_keeps_the_still_figure(site, base_url, browser):
    driver = browser
    driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
    try:
        driver.get(base_url + f"{PAGE}.html")
        assert _wait_for(driver, "return document.readyState === 'complete'"), "page did not load"
        loaded = driver.execute_script(
            "return [...document.images].filter(i => i.complete && i.naturalWidth > 0).length")
        note = driver.find_element("css selector", ".rp-explorer").text
        _screenshot(driver, SHOTS / "explorer-no-javascript.png")
    finally:
        driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": False})
    assert loaded >= 1, "no figure loaded with JavaScript off"
    assert "needs JavaScript" in note, f"no note in place of the explorer: {note!r}"


def test_vendored_uplot_is_the_pinned_version():
    """_ext/static/uplot holds the uPlot of tests/site/package.json (`make vendor-uplot` copies it)."""
    root = SITE.parents[1]
    pin = json.loads((root / "tests/site/package.json").read_text(encoding="utf8"))["devDependencies"]["uplot"]
    vendored = root / "_ext/static/uplot"
    assert f"(v{pin})" in (vendored / "uPlot.iife.min.js").read_text(encoding="utf8")[:200]
    installed = root / "tests/site/node_modules/uplot"
    if installed.is_dir():  # after `make site-deps`: byte for byte the package's files
        for name, source in [("uPlot.iife.min.js", "dist/uPlot.iife.min.js"), ("uPlot.min.css", "dist/uPlot.min.css"),
                             ("LICENSE", "LICENSE")]:
            assert (vendored / name).read_bytes() == (installed / source).read_bytes(), name


# Data of the same format with other controls (an architecture menu and a
# branch-scale slider, say): the page's script must offer and move them
# without any change.
EXTRA_CONTROLS = """
const done = arguments[arguments.length - 1];
const base = window.rpExplorerData["gradient_explorer.json"];
const controls = [
  {name: "architecture", label: "architecture", values: ["plain", "residual"], labels: ["plain", "residual"],
   initial: "plain"},
  {name: "branch_scale", label: "branch scale", values: [0.5, 1.0], initial: 1.0},
  {name: "depth", label: "depth L", values: [3, 5], initial: 3},
];
const layers = [[0, 1, 2, 3], [0, 1, 2, 3, 4, 5]];
const profiles = [];
for (let a = 0; a < 2; a++) for (let b = 0; b < 2; b++) for (let d = 0; d < 2; d++) {
  const n = layers[d].length, step = 10 * (1 + a) + 5 * b;  // a different slope for every record
  const rec = {status: base.draws.map(() => 0)};
  for (const key of base.series) {
    const series = (d) => [d].concat(Array(n - 1).fill(key.startsWith("dW") ? step + 1 : step));
    rec[key] = base.per_draw.includes(key) ? base.draws.map((_, d) => series(d)) : series(0);
  }
  profiles.push(rec);
}
window.rpExplorerData["extra.json"] = Object.assign({}, base, {controls, layers, profiles, statuses: ["synthetic"]});
const root = document.createElement("div");
root.className = "rp-explorer";
root.id = "rp-explorer-extra";
root.dataset.src = "extra.json";
root.dataset.script = "unused.js";
document.querySelector(".rp-explorer").after(root);
window.rpExplorers.start(root);
const wait = () => root.rpExplorer ? done("started")
  : root.classList.contains("rp-explorer-failed") ? done(root.textContent) : setTimeout(wait, 20);
wait();
"""


MOVE_EXTRA = """
const [name, position] = arguments;
const done = arguments[arguments.length - 1];
const root = document.getElementById("rp-explorer-extra");
const input = root.querySelector('[data-control="' + name + '"]');
const before = root.querySelector("canvas").toDataURL();
input.value = String(position);
input.dispatchEvent(new Event(input.tagName === "SELECT" ? "change" : "input", {bubbles: true}));
requestAnimationFrame(() => requestAnimationFrame(() =>
  done([Number(root.dataset.profile), root.querySelector("canvas").toDataURL() !== before])));
"""


def test_more_controls_need_no_new_script(site, base_url, browser):
    driver = browser
    _open(driver, base_url)
    assert driver.execute_async_script(EXTRA_CONTROLS) == "started"
    names = driver.execute_script(
        "return [...document.querySelectorAll('#rp-explorer-extra [data-control]')]"
        ".map(e => e.tagName + ':' + e.dataset.control)")
    assert names == ["SELECT:architecture", "INPUT:branch_scale", "INPUT:depth", "BUTTON:draw"]
    # strides 4, 2, 1; the initial record is (plain, 1.0, 3) = 0*4 + 1*2 + 0 = 2
    assert driver.execute_script("return document.getElementById('rp-explorer-extra').dataset.profile") == "2"
    for name, position, record in [("architecture", 1, 6), ("branch_scale", 0, 4), ("depth", 1, 5)]:
        shown, redrawn = driver.execute_async_script(MOVE_EXTRA, name, position)
        assert shown == record, f"{name} -> {position}: record {shown} shown, {record} expected"
        assert redrawn, f"{name} -> {position}: the chart did not change"
