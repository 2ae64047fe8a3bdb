"""The course's own Sphinx extension: the website's explorers and small corrections to the HTML.

Explorers. The directive ``explorer`` (in a notebook's markdown cell)::

    ```{explorer} gradient_explorer.json
    ```

places an explorer that moves on the static page: ``static/explorer.js``
reads the data file (written by ``make explorer-data``, see
:mod:`reluprop.explorer_data`) and draws it with uPlot, served from
``static/uplot`` (vendored, pinned in ``tests/site/package.json``). The data
is shipped beside the page's HTML as ``NAME.js``, the JSON wrapped in one
assignment, so that the page loads it with a script element: that works from
a server and from a copy opened straight from disk, where browsers refuse to
fetch a file. The scripts are added to that page only. Without JavaScript the
container shows a short note, and the still figure that precedes it on the
page remains.

Duplicate scripts. Sphinx 7.4 registers an inline script added after the
builder started twice (once as filename ``None``, once as ``''``), and
sphinx-thebe adds its configuration script that way: every page then declared
``THEBE_JS_URL`` twice and the browser logged a SyntaxError. The handler below
keeps the first of any identical scripts on each page.

Bibliography roles. Docutils marks each citation ``role="doc-biblioentry"``
inside a ``role="list"`` container; DPUB-ARIA 1.1 deprecated that role, so
assistive technology does not see the entries as items of the list (axe-core:
aria-deprecated-role, aria-required-children). They become
``role="listitem"``.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

from docutils import nodes
from sphinx.util.docutils import SphinxDirective

STATIC = Path(__file__).resolve().parent / "static"
EXPLORER_SCRIPTS = ("uplot/uPlot.iife.min.js", "explorer.js")
EXPLORER_STYLES = ("uplot/uPlot.min.css", "explorer.css")


# --- explorers ------------------------------------------------------------------


class explorer_node(nodes.General, nodes.Element):
    """Where an explorer goes; ``src`` is the data file's name beside the page."""


class ExplorerDirective(SphinxDirective):
    """``{explorer} DATA.json``: an explorer drawn from a data file next to the document."""

    required_arguments = 1
    has_content = False

    def run(self):
        name = self.arguments[0]
        if "/" in name or "\\" in name or not name.endswith(".json"):
            raise self.error(f"explorer: expected a .json file name beside the document, got {name!r}")
        source = Path(self.env.doc2path(self.env.docname)).parent / name
        if not source.is_file():
            raise self.error(f"explorer: data file {source} not found (run `make explorer-data`)")
        self.env.note_dependency(str(source))
        files = getattr(self.env, "rp_explorers", {})
        files.setdefault(self.env.docname, set()).add(str(source))
        self.env.rp_explorers = files
        node = explorer_node(src=name)
        self.set_source_info(node)
        return [node]


def data_script_name(src: str) -> str:
    """The name of the script that carries the data file ``src`` beside the page."""
    return src[: -len(".json")] + ".js"


def visit_explorer_html(self, node):
    src = html.escape(node["src"], quote=True)
    script = html.escape(data_script_name(node["src"]), quote=True)
    index = getattr(self, "_rp_explorer_count", 0)
    self._rp_explorer_count = index + 1
    self.body.append(
        f'<div class="rp-explorer" id="rp-explorer-{index}" data-src="{src}" data-script="{script}">'
        "<noscript><p>This explorer needs JavaScript: with it on, menus for the activation, "
        "architecture and init, sliders for the width, depth and init scale, and a new-draw "
        "button redraw the gradient profiles here. The figure above shows them for three "
        "depths and three scales; a figure further down shows both architectures and both "
        "inits, four networks each.</p></noscript>"
        "</div>"
    )
    raise nodes.SkipNode


def skip_node(self, node):
    raise nodes.SkipNode


def purge_explorers(app, env, docname):
    getattr(env, "rp_explorers", {}).pop(docname, None)


def merge_explorers(app, env, docnames, other):
    files = getattr(env, "rp_explorers", {})
    for docname, sources in getattr(other, "rp_explorers", {}).items():
        if docname in docnames:
            files[docname] = sources
    env.rp_explorers = files


def add_static_path(app):
    if str(STATIC) not in app.config.html_static_path:
        app.config.html_static_path.append(str(STATIC))


def explorer_assets(app, pagename, templatename, context, doctree):
    if pagename in getattr(app.env, "rp_explorers", {}):
        for css in EXPLORER_STYLES:
            app.add_css_file(css)
        for js in EXPLORER_SCRIPTS:
            app.add_js_file(js)


def copy_explorer_data(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    for docname, sources in getattr(app.env, "rp_explorers", {}).items():
        target = Path(app.outdir) / Path(docname).parent
        target.mkdir(parents=True, exist_ok=True)
        for source in sources:
            source = Path(source)
            text = source.read_text(encoding="utf8").strip()
            json.loads(text)  # a broken data file fails the build, not the reader's page
            (target / data_script_name(source.name)).write_text(
                f"/* {source.name}, the data of the explorer on this page (reluprop.explorer_data) */\n"
                f"(window.rpExplorerData = window.rpExplorerData || {{}})[{json.dumps(source.name)}] =\n"
                f"{text};\n",
                encoding="utf8",
            )


# --- corrections to the generated HTML ---------------------------------------------


def _script_key(script) -> tuple:
    if isinstance(script, str):
        return (script, ())
    attributes = getattr(script, "attributes", {}) or {}
    return (
        getattr(script, "filename", None) or "",
        tuple(sorted((k, str(v)) for k, v in attributes.items())),
    )


def drop_duplicate_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        key = _script_key(script)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


_BIBLIOENTRY = re.compile(r'(<div\b[^>]*\bclass="citation"[^>]*\brole=")doc-biblioentry(")')


def bibliography_roles(app, pagename, templatename, context, doctree):
    body = context.get("body")
    if body and "doc-biblioentry" in body:
        context["body"] = _BIBLIOENTRY.sub(r"\1listitem\2", body)


def setup(app):
    app.add_node(
        explorer_node,
        html=(visit_explorer_html, None),
        latex=(skip_node, None),
        text=(skip_node, None),
        man=(skip_node, None),
        texinfo=(skip_node, None),
    )
    app.add_directive("explorer", ExplorerDirective)
    app.connect("builder-inited", add_static_path)
    app.connect("env-purge-doc", purge_explorers)
    app.connect("env-merge-info", merge_explorers)
    app.connect("html-page-context", explorer_assets)
    app.connect("html-page-context", bibliography_roles)
    app.connect("html-page-context", drop_duplicate_scripts, priority=900)
    app.connect("build-finished", copy_explorer_data)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "env_version": 1}
