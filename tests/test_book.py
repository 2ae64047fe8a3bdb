"""Integrity of the book's sources: table of contents, configuration, notebooks.

These checks need no build and no kernel. They catch the mistakes that a
strict build reports late or not at all: a chapter missing from ``_toc.yml``
(``only_build_toc_files`` would silently leave it out), a toc entry whose file
does not exist, a library module without a reference section, a notebook
committed without its outputs.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ROOT / "chapters"
LIBRARY = ROOT / "lib" / "reluprop"

# Part captions in reading order; a part appears once it has a chapter.
CAPTIONS = ["Part I: Backpropagation by hand", "Part II: Depth", "Part III: A thousand layers in practice", "Appendix"]


def load_toc() -> dict:
    return yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf8"))


def load_config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf8"))


def toc_entries(toc: dict) -> list[str]:
    """Every document named by the toc, root first, in reading order."""
    entries = [toc["root"]]

    def walk(items):
        for item in items or []:
            if "file" in item:
                entries.append(item["file"])
            walk(item.get("sections"))

    for part in toc.get("parts") or []:
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return entries


def source_of(entry: str) -> Path | None:
    """The .ipynb or .md file behind a toc entry (given without extension)."""
    for suffix in (".ipynb", ".md"):
        path = ROOT / (entry + suffix)
        if path.is_file():
            return path
    return None


def notebooks() -> list[Path]:
    return sorted(CHAPTERS.glob("*.ipynb"))


# --- table of contents ------------------------------------------------------


def test_toc_format_and_root():
    toc = load_toc()
    assert toc["format"] == "jb-book"
    assert toc["root"] == "chapters/index"


def test_toc_is_not_empty():
    toc = load_toc()
    parts = toc.get("parts") or []
    assert parts, "_toc.yml has no parts"
    for part in parts:
        assert part.get("chapters"), (
            f"part {part.get('caption')!r} has no chapters: leave a part out of "
            "_toc.yml until its first chapter exists"
        )
    assert len(toc_entries(toc)) > 1


def test_toc_parts_have_known_captions_in_order():
    captions = [part.get("caption") for part in load_toc().get("parts") or []]
    unknown = [c for c in captions if c not in CAPTIONS]
    assert not unknown, f"unknown part captions {unknown}; expected some of {CAPTIONS}"
    assert captions == sorted(captions, key=CAPTIONS.index), (
        f"parts out of order: {captions}"
    )


def test_every_toc_entry_exists():
    missing = [e for e in toc_entries(load_toc()) if source_of(e) is None]
    assert not missing, f"_toc.yml names files that do not exist: {missing}"


def test_toc_entries_have_no_extension_and_no_duplicates():
    entries = toc_entries(load_toc())
    with_suffix = [e for e in entries if Path(e).suffix]
    assert not with_suffix, f"write toc entries without extension: {with_suffix}"
    duplicates = sorted({e for e in entries if entries.count(e) > 1})
    assert not duplicates, f"listed twice in _toc.yml: {duplicates}"


def test_every_chapter_source_is_in_the_toc():
    entries = set(toc_entries(load_toc()))
    sources = sorted(CHAPTERS.glob("*.ipynb")) + sorted(CHAPTERS.glob("*.md"))
    absent = [
        p.relative_to(ROOT).as_posix()
        for p in sources
        if p.relative_to(ROOT).with_suffix("").as_posix() not in entries
    ]
    assert not absent, f"not in _toc.yml (so not in the book): {absent}"


def test_no_chapter_has_both_ipynb_and_md():
    both = [p.stem for p in notebooks() if p.with_suffix(".md").exists()]
    assert not both, f"both .ipynb and .md exist for {both}"


# --- configuration ------------------------------------------------------------


def test_config_essentials():
    cfg = load_config()
    assert cfg["title"] == "Backpropagation through ReLU networks"
    assert cfg["only_build_toc_files"] is True
    # Stored outputs are shown as committed; nbval checks them (see _config.yml).
    assert cfg["execute"]["execute_notebooks"] == "off"
    repo = cfg["repository"]
    assert repo["url"].startswith("https://github.com/")
    assert repo["branch"] == "main"
    launch = cfg["launch_buttons"]
    assert launch["binderhub_url"] and launch["colab_url"] and launch["thebe"] is True
    assert cfg["sphinx"]["recursive_update"] is True


def test_config_enables_every_myst_extension():
    # Jupyter Book replaces its default list by ours, so each must be named.
    wanted = {
        "amsmath", "colon_fence", "deflist", "dollarmath", "html_image",
        "linkify", "replacements", "smartquotes", "substitution", "tasklist",
    }
    enabled = set(load_config()["parse"]["myst_enable_extensions"])
    assert wanted <= enabled, f"missing: {sorted(wanted - enabled)}"


def test_config_serves_mathjax_from_static():
    sphinx = load_config()["sphinx"]
    assert "sphinx-mathjax-offline" in sphinx["extra_extensions"]
    path = sphinx["config"]["mathjax_path"]
    assert not re.match(r"(https?:)?//", path), f"MathJax from a CDN: {path}"


def test_bibliography_file_is_configured_and_exists():
    bibfiles = load_config()["bibtex_bibfiles"]
    for bib in bibfiles:
        assert (ROOT / bib).is_file(), bib
    text = (ROOT / "chapters" / "references.bib").read_text(encoding="utf8")
    keys = set(re.findall(r"@\w+\{([^,\s]+),", text))
    for key in ["slater2017", "he2015", "glorot2010", "hanin2018", "nielsen2015"]:
        assert key in keys, f"references.bib lacks {key}"


def test_requirements_install_the_library_last():
    lines = [
        line.strip()
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    assert lines[-1] == "-e .", "requirements.txt must end with '-e .' (Binder installs it)"


# --- library reference --------------------------------------------------------


def public_modules() -> list[str]:
    """Every module of the package by its dotted name (subpackages included), private ones left out."""
    names = []
    for p in LIBRARY.rglob("*.py"):
        parts = p.relative_to(LIBRARY).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if parts[:1] == ("core",) and len(parts) == 2:
            parts = parts[1:]  # the core's modules are documented under their short names
        if parts and not any(part.startswith("_") for part in parts):
            names.append(".".join(("reluprop",) + parts))
    return sorted(names)


def test_library_reference_documents_every_public_module():
    page = (CHAPTERS / "library.md").read_text(encoding="utf8")
    documented = set(re.findall(r"\.\. automodule:: (reluprop(?:\.\w+)*)\s*$", page, re.M))
    missing = [m for m in public_modules() if m not in documented]
    assert not missing, f"add an automodule section to chapters/library.md for {missing}"
    stale = [m for m in documented if m != "reluprop" and m not in public_modules()]
    assert not stale, f"chapters/library.md documents modules that do not exist: {stale}"


# --- notebooks ------------------------------------------------------------------


def notebook_params():
    return [pytest.param(p, id=p.name) for p in notebooks()]


def code_cells(path: Path) -> list[dict]:
    nb = json.loads(path.read_text(encoding="utf8"))
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


SKIP_TAGS = {"skip-execution", "nbval-skip"}


@pytest.mark.parametrize("path", notebook_params())
def test_notebook_is_stored_executed_top_to_bottom(path):
    """Outputs on the site are the stored ones: every code cell was run, in order.

    `make notebooks` re-executes every chapter and satisfies this.
    """
    counts = []
    for cell in code_cells(path):
        tags = set(cell.get("metadata", {}).get("tags", []))
        if not "".join(cell["source"]).strip() or tags & SKIP_TAGS:
            continue
        count = cell.get("execution_count")
        source = "".join(cell["source"]).strip().splitlines()[0][:60]
        assert count is not None, f"cell not executed: {source!r} (run `make notebooks`)"
        counts.append(count)
    assert counts == sorted(counts) and len(set(counts)) == len(counts), (
        f"{path.name} was not executed top to bottom in one run: {counts}"
    )


@pytest.mark.parametrize("path", notebook_params())
def test_notebook_has_no_error_output(path):
    for cell in code_cells(path):
        tags = set(cell.get("metadata", {}).get("tags", []))
        if "raises-exception" in tags:
            continue
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        assert not errors, (
            f"{path.name}: stored error {errors[0].get('ename')}: {errors[0].get('evalue')}"
        )


@pytest.mark.parametrize("path", notebook_params())
def test_notebook_uses_the_python3_kernel(path):
    nb = json.loads(path.read_text(encoding="utf8"))
    kernelspec = nb.get("metadata", {}).get("kernelspec", {})
    assert kernelspec.get("name") == "python3", (
        f"{path.name}: kernelspec {kernelspec!r}; Binder, Colab and nbval expect python3"
    )


# --- chapter anatomy ----------------------------------------------------------


def markdown_text(path: Path) -> str:
    nb = json.loads(path.read_text(encoding="utf8"))
    return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")


def code_text(path: Path) -> str:
    return "\n".join("".join(c["source"]) for c in code_cells(path))


@pytest.mark.parametrize("path", notebook_params())
def test_chapter_has_the_agreed_anatomy(path):
    """Objectives, labelled equations, an assertion, exercises with a self-check, a summary."""
    md, code = markdown_text(path), code_text(path)
    assert re.search(r"learning objectives", md, re.I), f"{path.name}: no learning objectives"
    assert re.search(r"```\{math\}\s*\n:label: eq-", md), f"{path.name}: no labelled equation"
    assert re.search(r"\{eq\}`eq-", md), f"{path.name}: cites no equation"
    assert re.search(r"^\s*assert ", code, re.M), f"{path.name}: no assertion-backed check"
    assert md.count(":::{exercise}") >= 2, f"{path.name}: fewer than two exercises"
    assert ":::{solution}" in md and ":class: dropdown" in md, f"{path.name}: no dropdown solution"
    assert "rp.exercises.check_" in code, f"{path.name}: no self-checking exercise cell"
    assert re.search(r"^#+ Summary", md, re.M), f"{path.name}: no summary section"
    assert "{glue:text}`" in md, f"{path.name}: no number glued into the prose"
    for word in ("TODO", "FIXME", "XXX"):
        assert word not in md + code, f"{path.name}: {word} left in the chapter"


@pytest.mark.parametrize("path", notebook_params())
def test_every_figure_has_a_caption_and_alt_text(path):
    for cell in code_cells(path):
        if not any("image/png" in o.get("data", {}) for o in cell.get("outputs", [])):
            continue
        mystnb = cell.get("metadata", {}).get("mystnb", {})
        first = "".join(cell["source"]).strip().splitlines()[0][:60]
        assert mystnb.get("figure", {}).get("caption"), f"{path.name}: figure without caption ({first!r})"
        assert mystnb.get("figure", {}).get("name", "").startswith("fig-"), f"{path.name}: unnamed figure"
        assert mystnb.get("image", {}).get("alt"), f"{path.name}: figure without alt text ({first!r})"


@pytest.mark.parametrize("path", notebook_params())
def test_chapter_does_not_reimplement_the_library(path):
    """Chapters call reluprop: no backward pass or activation written out in a notebook."""
    code = code_text(path)
    for pattern, what in [
        (r"\.T\s*@\s*dz\b", "a weight gradient r.T @ dz"),
        (r"\bdz\s*@\s*\w+\.T\b", "an input gradient dz @ W.T"),
        (r"def\s+(relu|sigmoid|step)\s*\(", "an activation function"),
        (r"np\.random\.(seed|rand|randn|normal|uniform)\b", "global random state"),
    ]:
        hits = [m.group(0) for m in re.finditer(pattern, code)]
        # A learner's own attempt in an exercise cell may write these out.
        hits = [h for h in hits if not _inside_exercise_cell(path, h)]
        assert not hits, f"{path.name}: {what} in the notebook ({hits[0]!r}); call reluprop instead"


def _inside_exercise_cell(path: Path, snippet: str) -> bool:
    for cell in code_cells(path):
        src = "".join(cell["source"])
        if snippet in src and "rp.exercises.check_" in src:
            return True
    return False


@pytest.mark.parametrize("path", notebook_params())
def test_notebook_stores_no_widget_state(path):
    """Stored widget state makes the page load a widget manager from a CDN.

    The explorers need a kernel anyway; the website shows their still figures.
    `make notebooks` executes with store_widget_state=False.
    """
    nb = json.loads(path.read_text(encoding="utf8"))
    assert "widgets" not in nb.get("metadata", {}), (
        f"{path.name}: notebook metadata stores widget state; re-run `make notebooks`"
    )
