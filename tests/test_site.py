"""The built website, opened page by page in headless Chromium with no network.

Run after `make book` (`make site-test`, or `.ci/run`). The site in
``_build/html`` is served on 127.0.0.1 from a thread; Debian's ``chromium`` is
driven through ``chromedriver`` (selenium) with every non-loopback host made
unresolvable, so a page that needs the internet to show its math or figures
fails here. For every page in ``_toc.yml`` the test checks that

- the page loads and has a title;
- MathJax (served from ``_static/mathjax``) has typeset every math element,
  and no raw ``\\(``, ``\\[`` or ``$$`` is left in the visible text;
- no displayed equation is wider than the text column at the window's width
  (1280 px), where part of it would hide behind a scroll bar;
- every image has loaded (``naturalWidth > 0``);
- every same-site link, image, script and stylesheet resolves to a file of
  the build, and every ``#anchor`` exists on its target page;
- notebook pages offer Binder, Colab and Live Code launch buttons that point
  at the repository and branch of ``_config.yml``, and do not show the
  Colab setup cell;
- the site's own scripts log no error to the console, and the page asks
  for nothing outside the local server (DevTools network log);
- no output area shows a bare object repr (``<Figure size``, ``Figure(``,
  ``interactive(``, ``<function ``, ``<matplotlib.``), nor only a widget
  that cannot render without a kernel.

A full-page screenshot of each page is saved to ``_build/screenshots/`` (and
of the first page in the theme's dark mode too), to be looked at.

Without a built site, Chromium or selenium the tests are skipped, unless the
environment sets ``REQUIRE_SITE=1`` (as ``.ci/run`` does): then they fail.
"""

from __future__ import annotations

import base64
import functools
import http.server
import json
import math
import os
import re
import threading
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml
from test_book import load_toc, toc_entries  # tests/ is on sys.path under pytest

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "_build" / "html"
SHOTS = ROOT / "_build" / "screenshots"
REQUIRE_SITE = os.environ.get("REQUIRE_SITE") == "1"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")

WINDOW = (1280, 900)
MAX_SHOT_HEIGHT = 16000  # pixels; Chromium cannot capture much taller images
FORBIDDEN_IN_OUTPUTS = ["<Figure size", "Figure(", "interactive(", "<function ", "<matplotlib."]
RAW_MATH = ["\\(", "\\[", "$$"]
NETWORK_SCHEMES = {"http", "https", "ws", "wss", "ftp"}


def _toc_pages() -> list[str]:
    return toc_entries(load_toc())


def _repository() -> tuple[str, str]:
    cfg = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf8"))
    return cfg["repository"]["url"].rstrip("/"), cfg["repository"].get("branch", "master")


PAGES = _toc_pages()


def _unavailable(reason: str):
    if REQUIRE_SITE:
        pytest.fail(f"{reason} (REQUIRE_SITE=1 forbids skipping the browser tests)")
    pytest.skip(reason)


def _is_notebook(page: str) -> bool:
    return (ROOT / f"{page}.ipynb").is_file()


# --- fixtures: the site, a local server, a browser ------------------------------


@pytest.fixture(scope="module")
def site() -> Path:
    if not (SITE / "index.html").is_file():
        _unavailable(f"no built site in {SITE}: run `make book` first")
    return SITE


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


@pytest.fixture(scope="module")
def base_url(site):
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser(base_url, tmp_path_factory):
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.access(path, os.X_OK):
            _unavailable(f"{path} not found: apt-get install chromium chromium-driver")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _unavailable("selenium is not installed (it is in requirements.txt)")

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--disable-default-apps",
        "--mute-audio",
        "--force-device-scale-factor=1",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
        # No network but loopback: other hosts do not resolve, and anything
        # that slips through goes to a proxy on a port where nothing listens.
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
        "--proxy-server=http://127.0.0.1:9",
        "--proxy-bypass-list=127.0.0.1",
    ]:
        options.add_argument(arg)
    # "performance" records the DevTools network events: _outside_requests reads them.
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    service = Service(executable_path=CHROMEDRIVER, log_output=os.devnull)
    driver = webdriver.Chrome(service=service, options=options)
    # guards against a hang, not limits on speed: axe on the longest page (the library
    # reference) has taken 45-50 s on two busy cores
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(180)
    yield driver
    driver.quit()


# --- helpers --------------------------------------------------------------------


@functools.lru_cache(maxsize=None)
def _anchors(path: Path) -> frozenset[str]:
    html = path.read_text(encoding="utf8", errors="replace")
    return frozenset(re.findall(r"""\s(?:id|name)=["']([^"']+)["']""", html))


def _local_target(url: str, base_url: str) -> tuple[Path, str] | None:
    """The file of the build behind a same-site URL, and its fragment."""
    if not url.startswith(base_url):
        return None
    parts = urlsplit(url)
    path = SITE / unquote(parts.path).lstrip("/")
    if parts.path.endswith("/") or path.is_dir():
        path = path / "index.html"
    return path, unquote(parts.fragment)


def _wait_for(driver, script: str, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if driver.execute_script(script):
            return True
        time.sleep(0.05)
    return False


def _screenshot(driver, path: Path) -> None:
    """A full-page PNG: the viewport is stretched to the page's height first."""

    def content_height() -> int:
        metrics = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
        size = metrics.get("cssContentSize") or metrics["contentSize"]
        return max(WINDOW[1], min(MAX_SHOT_HEIGHT, math.ceil(size["height"])))

    height = content_height()
    try:
        for _ in range(2):  # the height can change once the viewport is taller
            driver.execute_cdp_cmd(
                "Emulation.setDeviceMetricsOverride",
                {"width": WINDOW[0], "height": height, "deviceScaleFactor": 1, "mobile": False},
            )
            time.sleep(0.15)
            if content_height() == height:
                break
            height = content_height()
        shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png"})
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(base64.b64decode(shot["data"]))


def _shot_name(page: str) -> str:
    return page.split("/")[-1] if page.count("/") <= 1 else page.replace("/", "__")


# Displayed equations whose box scrolls sideways: (label or first characters, width, column width).
WIDE_MATH = """
const out = [];
document.querySelectorAll('main div.math-wrapper, main div.math, main mjx-container[display="true"]').forEach(e => {
  const box = e.closest('.math-wrapper') || e;
  if (box.scrollWidth > box.clientWidth + 2) {
    const where = (e.closest('[id]') || {}).id || (e.textContent || '').slice(0, 40);
    out.push(`${where} (${box.scrollWidth} px in ${box.clientWidth})`);
  }
});
return [...new Set(out)];
"""

WAIT_FOR_MATHJAX = """
const done = arguments[arguments.length - 1];
const mj = window.MathJax;
if (!mj || !mj.startup || !mj.startup.promise) { done("absent"); return; }
mj.startup.promise.then(() => done("typeset"), (e) => done("error: " + e));
"""

# Visible text outside code, for raw TeX delimiters left untypeset.
VISIBLE_PROSE = """
const skip = "pre, code, script, style, textarea, mjx-container, .highlight";
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
const out = [];
for (let node = walker.nextNode(); node; node = walker.nextNode()) {
  const el = node.parentElement;
  if (!el || el.closest(skip)) continue;
  if (el.checkVisibility && !el.checkVisibility()) continue;
  out.push(node.textContent);
}
return out.join(" ");
"""

MATH_STATUS = """
const maths = [...document.querySelectorAll("span.math, div.math")];
return {
  math: maths.length,
  untypeset: maths.filter(m => !m.querySelector("mjx-container")).map(m => m.textContent.slice(0, 80)),
  containers: document.querySelectorAll("mjx-container").length,
  mathjax: window.MathJax && window.MathJax.version || null,
  scripts: [...document.querySelectorAll("script[src]")].map(s => s.src).filter(s => /mathjax/i.test(s)),
};
"""

IMAGES_EAGER = """
for (const img of document.images) { if (img.loading === "lazy") img.loading = "eager"; }
"""
IMAGES_DONE = "return [...document.images].every(img => img.complete);"
BROKEN_IMAGES = """
return [...document.images].filter(img => !(img.naturalWidth > 0)).map(img => img.getAttribute("src"));
"""

SAME_SITE_URLS = """
const urls = [];
for (const a of document.querySelectorAll("a[href]")) urls.push(["link", a.href]);
for (const e of document.querySelectorAll("img[src], script[src]")) urls.push(["resource", e.src]);
for (const l of document.querySelectorAll("link[href]")) {
  if (/stylesheet|icon|preload|prefetch/.test(l.rel)) urls.push(["resource", l.href]);
}
return urls;
"""

LAUNCH_BUTTONS = """
const group = document.querySelector(".dropdown-launch-buttons");
if (!group) return null;
return [...group.querySelectorAll("a, button")].map(e => ({
  text: e.textContent.trim(),
  href: e.getAttribute("href"),
  onclick: e.getAttribute("onclick"),
}));
"""

# Output areas whose only content is a widget view: with no kernel (and no
# network for the widget manager) a reader sees an empty box.
EMPTY_WIDGET_OUTPUTS = """
return [...document.querySelectorAll(".cell_output")].filter(o =>
  o.querySelector('script[type="application/vnd.jupyter.widget-view+json"]') &&
  !o.innerText.trim() && !o.querySelector("img, svg, canvas, mjx-container, iframe")
).length;
"""

OUTPUT_TEXT = """
return [...document.querySelectorAll(".cell_output, .output")].map(e => e.innerText).join("\\n");
"""


def _site_errors(driver, base_url: str) -> list[str]:
    """Console errors raised by the site's own scripts or failed same-site loads."""
    errors = []
    for entry in driver.get_log("browser"):
        message = entry.get("message", "")
        if entry.get("level") != "SEVERE" or not message.startswith(base_url):
            continue
        if message.startswith(base_url + "favicon.ico "):
            continue  # the browser asks for it by itself; the site declares none
        errors.append(message)
    return errors


def _outside_requests(driver, base_url: str) -> list[str]:
    """Network URLs asked for since the last call that are not on the local server.

    Browser-internal schemes (``chrome:``, ``data:``, ``blob:``) never reach
    the network and are not counted.
    """
    outside = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") != "Network.requestWillBeSent":
            continue
        url = message["params"]["request"]["url"]
        if url.split(":", 1)[0].lower() in NETWORK_SCHEMES and not url.startswith(base_url):
            outside.append(url)
    return outside


# --- the tests --------------------------------------------------------------------


def test_every_toc_page_was_built(site):
    missing = [p for p in PAGES if not (site / f"{p}.html").is_file()]
    assert not missing, f"pages in _toc.yml without HTML in {site}: {missing}"


def test_mathjax_is_served_locally(site):
    assert (site / "_static" / "mathjax" / "tex-chtml.js").is_file()
    fonts = site / "_static" / "mathjax" / "output" / "chtml" / "fonts"
    assert fonts.is_dir() and any(fonts.rglob("*.woff*")), "MathJax fonts missing"
    remote = re.compile(r"""<script[^>]+src=["'](?:https?:)?//[^"']*mathjax""", re.I)
    offenders = [
        p.relative_to(site).as_posix()
        for p in site.rglob("*.html")
        if remote.search(p.read_text(encoding="utf8", errors="replace"))
    ]
    assert not offenders, f"pages loading MathJax from a CDN: {offenders}"


@pytest.mark.parametrize("page", PAGES)
def test_page(page, site, base_url, browser):
    driver = browser
    problems: list[str] = []
    assert (site / f"{page}.html").is_file(), f"{page} is not in the build: run `make book`"
    driver.get_log("browser")  # drop entries of earlier pages
    driver.get_log("performance")
    driver.get(base_url + f"{page}.html")
    assert _wait_for(driver, "return document.readyState === 'complete'"), "page did not load"

    # Math: wait for MathJax's first typeset, then look at every math element.
    mathjax = driver.execute_async_script(WAIT_FOR_MATHJAX)
    driver.execute_script(IMAGES_EAGER)
    images_done = _wait_for(driver, IMAGES_DONE, timeout=10)
    time.sleep(0.2)
    _screenshot(driver, SHOTS / f"{_shot_name(page)}.png")

    if not driver.title.strip() or not driver.find_elements("css selector", "main h1"):
        problems.append(f"no title or no <h1> (title {driver.title!r})")

    status = driver.execute_script(MATH_STATUS)
    if status["math"]:
        if mathjax != "typeset":
            problems.append(f"page has {status['math']} math elements but MathJax is {mathjax}")
        if status["untypeset"]:
            problems.append(f"math not typeset: {status['untypeset'][:5]}")
        if not str(status["mathjax"] or "").startswith("3"):
            problems.append(f"expected MathJax 3, got {status['mathjax']}")
        remote = [s for s in status["scripts"] if not s.startswith(base_url)]
        if remote:
            problems.append(f"MathJax loaded from outside the site: {remote}")
    wide = driver.execute_script(WIDE_MATH)
    if wide:
        problems.append(f"equations wider than the column (split them into lines): {wide}")
    prose = re.sub(r"\s+", " ", driver.execute_script(VISIBLE_PROSE))
    for delimiter in RAW_MATH:
        if delimiter in prose:
            at = prose.index(delimiter)
            problems.append(f"raw {delimiter!r} visible: ...{prose[max(0, at - 40):at + 40]}...")

    # Images.
    if not images_done:
        problems.append("images still loading after 10 s")
    broken = driver.execute_script(BROKEN_IMAGES)
    if broken:
        problems.append(f"images that did not load: {broken}")

    # Same-site links and resources.
    for kind, url in driver.execute_script(SAME_SITE_URLS):
        target = _local_target(url, base_url)
        if target is None:
            continue
        path, fragment = target
        shown = url[len(base_url):]
        if not path.is_file():
            problems.append(f"broken {kind}: {shown}")
        elif kind == "link" and fragment and path.suffix == ".html":
            if fragment not in _anchors(path):
                problems.append(f"missing anchor: {shown}")

    # Launch buttons on notebook pages.
    buttons = driver.execute_script(LAUNCH_BUTTONS)
    if _is_notebook(page):
        repo, branch = _repository()
        owner_repo = urlsplit(repo).path.strip("/")
        expect = {
            "Binder": f"https://mybinder.org/v2/gh/{owner_repo}/{branch}?urlpath=tree/{page}.ipynb",
            "Colab": f"https://colab.research.google.com/github/{owner_repo}/blob/{branch}/{page}.ipynb",
        }
        found = {b["text"]: b for b in buttons or []}
        for name, url in expect.items():
            if name not in found:
                problems.append(f"no {name} launch button (found {sorted(found)})")
            elif found[name]["href"] != url:
                problems.append(f"{name} button points at {found[name]['href']}, expected {url}")
        live = found.get("Live Code")
        if not live or "initThebe" not in (live["onclick"] or ""):
            problems.append(f"no Live Code (Thebe) button (found {sorted(found)})")
        # Thebe asks Binder for this repository and branch, and starts the
        # kernel in the notebook's own folder.
        thebe = driver.execute_script(
            "const s = document.querySelector('script[type=\"text/x-thebe-config\"]');"
            "return s ? s.textContent : '';"
        )
        folder = "./" + page.rsplit("/", 1)[0] if "/" in page else "."
        for wanted in (f'repo: "{owner_repo}"', f'ref: "{branch}"', f'path: "{folder}"'):
            if wanted not in thebe:
                problems.append(f"Thebe configuration lacks {wanted}")
        # The Colab setup cell is tagged remove-cell: readers never see it.
        if "google.colab" in driver.execute_script("return document.body.innerText"):
            problems.append("the Colab setup cell is visible (tag it remove-cell)")
    elif buttons:
        problems.append("launch buttons on a page that is not a notebook")

    # Output areas show results, never bare reprs.
    outputs = driver.execute_script(OUTPUT_TEXT)
    for text in FORBIDDEN_IN_OUTPUTS:
        if text in outputs:
            at = outputs.index(text)
            problems.append(f"output shows {text!r}: ...{outputs[max(0, at - 30):at + 60]!r}")

    empty = driver.execute_script(EMPTY_WIDGET_OUTPUTS)
    if empty:
        problems.append(
            f"{empty} widget output(s) show an empty box without a kernel: tag the "
            "cell remove-output and show the explorer's still figure beside it"
        )

    # The site's own scripts, and requests that would have left the machine.
    problems += [f"console error: {e}" for e in _site_errors(driver, base_url)]
    problems += [f"request to outside the site: {u}" for u in _outside_requests(driver, base_url)]

    # The first page once more in the theme's dark mode.
    if page == PAGES[0]:
        driver.execute_script(
            "document.documentElement.dataset.mode = 'dark';"
            "document.documentElement.dataset.theme = 'dark';"
        )
        time.sleep(0.3)
        background = driver.execute_script(
            "return getComputedStyle(document.body).backgroundColor"
        )
        rgb = [int(v) for v in re.findall(r"\d+", background)[:3]]
        if len(rgb) == 3 and sum(rgb) / 3 > 100:
            problems.append(f"dark mode has a light background: {background}")
        _screenshot(driver, SHOTS / f"{_shot_name(page)}-dark.png")

    assert not problems, f"{page}:\n  " + "\n  ".join(problems)


def test_screenshots_were_saved(site):
    """Runs last in this module: one screenshot per page, plus the dark one."""
    if not SHOTS.is_dir():
        _unavailable("no screenshots: the page tests did not run")
    names = {p.name for p in SHOTS.glob("*.png")}
    wanted = _wanted_screenshots()
    assert wanted <= names, f"missing screenshots: {sorted(wanted - names)}"


def _wanted_screenshots() -> set[str]:
    """The screenshots this module saves: every page, and the first one in dark mode too."""
    return {f"{_shot_name(p)}.png" for p in PAGES} | {f"{_shot_name(PAGES[0])}-dark.png"}


@pytest.fixture(scope="module", autouse=True)
def _fresh_screenshots():
    """Screenshots of an earlier run would hide a page that failed to load.

    Only this module's own are removed: the other browser-test files may be
    writing theirs into the same folder at the same time, in another process.
    """
    for name in _wanted_screenshots():
        (SHOTS / name).unlink(missing_ok=True)
    yield
