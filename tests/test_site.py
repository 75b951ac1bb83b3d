"""The built documentation site: every page exists and no internal link is broken.

Runs on a built site (``sphinx-build -W docs docs/_build/html``, or the folder named by
``SK01LOSS_SITE``); skipped, saying so, where none has been built. The CI builds the
site after the test suite and then runs this file.
"""

import importlib
import os
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
SITE = Path(os.environ.get("SK01LOSS_SITE", ROOT / "docs" / "_build" / "html"))

pytestmark = pytest.mark.skipif(
    not (SITE / "index.html").exists(),
    reason=f"no built site in {SITE}: run sphinx-build -W docs docs/_build/html first",
)

PAGES = [
    "index.html", "install.html", "quickstart.html", "changelog.html", "citing.html",
    "user_guide/index.html", "user_guide/models.html", "user_guide/fit_cost.html",
    "user_guide/gpu.html", "user_guide/scale_out.html", "user_guide/robustness.html",
    "user_guide/reproducing.html", "user_guide/export.html", "attacks.html", "architecture.html",
    "performance.html", "results.html", "api/index.html", "auto_examples/index.html",
]


class _Links(HTMLParser):
    """The link targets (href, src) and the anchors (id, name) of one page."""

    def __init__(self):
        super().__init__()
        self.targets, self.anchors = [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("id", "name") if tag != "meta" else ():
            if attrs.get(key):
                self.anchors.add(attrs[key])
        for key in ("href", "src"):
            if attrs.get(key) and tag not in ("meta",):
                self.targets.append(attrs[key])


_parsed = {}


def parse(page):
    if page not in _parsed:
        parser = _Links()
        parser.feed(page.read_text(encoding="utf-8"))
        _parsed[page] = parser
    return _parsed[page]


@pytest.mark.parametrize("page", PAGES)
def test_page_exists(page):
    assert (SITE / page).is_file(), f"{page} is missing from the built site {SITE}"


def test_every_public_name_has_an_api_page():
    sys_path_modules = re.findall(r"^   (sk01loss[\w.]*)$",
                                  (ROOT / "docs" / "api" / "index.rst").read_text(), re.M)
    assert "sk01loss" in sys_path_modules and "sk01loss.attacks" in sys_path_modules
    missing = []
    for module_name in sys_path_modules:
        module = importlib.import_module(module_name)
        if not (SITE / "api" / "generated" / f"{module_name}.html").is_file():
            missing.append(module_name)
        for name in module.__all__:
            if callable(getattr(module, name)):
                if not (SITE / "api" / "generated" / f"{module_name}.{name}.html").is_file():
                    missing.append(f"{module_name}.{name}")
    assert not missing, f"public names without an API page: {missing}"


def test_gallery_has_at_least_eight_examples():
    examples = sorted((SITE / "auto_examples").glob("*.html"))
    examples = [p.name for p in examples if p.name not in ("index.html", "sg_execution_times.html")]
    assert len(examples) >= 8, examples


def test_no_internal_link_is_broken():
    broken = []
    for page in sorted(SITE.rglob("*.html")):
        if page.relative_to(SITE).parts[0] == "_static":
            continue  # the theme's own templates, copied as they are
        for target in parse(page).targets:
            parts = urlsplit(target)
            if parts.scheme or target.startswith("//"):
                continue  # external (http, https, mailto, data)
            path = unquote(parts.path)
            resolved = (page.parent / path).resolve() if path else page
            if path.endswith("/") or (resolved.is_dir() and path):
                resolved = resolved / "index.html"
            where = f"{page.relative_to(SITE)}: {target}"
            if not resolved.exists():
                broken.append(where)
            elif parts.fragment and resolved.suffix == ".html":
                if unquote(parts.fragment) not in parse(resolved).anchors:
                    broken.append(where + " (no such anchor)")
    assert not broken, f"{len(broken)} broken internal links:\n" + "\n".join(broken[:40])
