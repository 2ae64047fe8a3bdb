"""Small corrections to the generated HTML, loaded from _config.yml.

Sphinx 7.4 registers an inline script added after the builder started twice
(once as filename ``None``, once as ``''``), and sphinx-thebe adds its
configuration script that way: every page then declared ``THEBE_JS_URL`` twice
and the browser logged a SyntaxError. The handler below keeps the first of
any identical scripts on each page.
"""

from __future__ import annotations


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


def setup(app):
    app.connect("html-page-context", drop_duplicate_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
