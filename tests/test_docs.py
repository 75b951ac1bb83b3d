"""The documents' relative links and figures point at files of the repository."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# [text](target) and ![alt](target); external and in-page links are not files
LINK = re.compile(r"\]\(([^)\s#]+)(?:#[^)]*)?\)")


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.name)
def test_relative_links_resolve(document):
    targets = [t for t in LINK.findall(document.read_text())
               if not re.match(r"[a-z]+:", t)]
    missing = [t for t in targets if not (document.parent / t).exists()]
    assert not missing, f"{document.name} links to missing files: {missing}"
