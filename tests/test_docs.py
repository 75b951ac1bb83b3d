"""The documents' relative links and figures point at files of the repository."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
# written by the site build (sphinx-build docs docs/_build/html), not sources
GENERATED = ("_build", "auto_examples", "api")
DOCUMENTS = [ROOT / "README.md", *sorted(
    p for p in DOCS.rglob("*.md") if p.relative_to(DOCS).parts[0] not in GENERATED)]
# [text](target) and ![alt](target); external and in-page links are not files
LINK = re.compile(r"\]\(([^)\s#]+)(?:#[^)]*)?\)")


def _exists(document, target):
    path = (document.parent / target).resolve()
    if path.exists():
        return True
    try:
        parts = path.relative_to(DOCS).parts
    except ValueError:
        return False
    if parts[0] == "auto_examples":  # a gallery page: its example's source
        return parts[1] == "index.rst" or (DOCS / "examples" / parts[1]).with_suffix(".py").exists()
    if parts == ("api", "index.rst"):  # written by docs/conf.py
        return True
    return False


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(document):
    targets = [t for t in LINK.findall(document.read_text())
               if not re.match(r"[a-z]+:", t)]
    missing = [t for t in targets if not _exists(document, t)]
    assert not missing, f"{document.name} links to missing files: {missing}"
