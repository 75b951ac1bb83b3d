"""What a release needs: metadata, one version source, an sdist whose tests can run,
and private scikit-learn APIs reached through ``sk01loss._sklearn_compat`` only."""

import re
import subprocess
import sys
import tarfile
import tomllib
from pathlib import Path

import pytest

import sk01loss

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]


def test_pep639_licence():
    assert PROJECT["license"] == "BSD-3-Clause"
    assert PROJECT["license-files"] == ["LICENSE"]
    assert (ROOT / "LICENSE").read_text().startswith("BSD 3-Clause License")
    # a licence classifier next to a licence expression is an error under PEP 639
    assert not [c for c in PROJECT["classifiers"] if c.startswith("License ::")]


def test_authors_keywords_classifiers():
    assert PROJECT["authors"] and PROJECT["keywords"] and PROJECT["classifiers"]


def test_one_version_source():
    assert "version" not in PROJECT, "the version is written in pyproject.toml too"
    assert "version" in PROJECT["dynamic"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {
        "attr": "sk01loss._version.__version__"}
    cff = (ROOT / "CITATION.cff").read_text()
    assert re.search(r"^version: (\S+)$", cff, re.M).group(1) == sk01loss.__version__, \
        "CITATION.cff gives another version than sk01loss.__version__"


def test_citation_cites_the_package_and_the_paper():
    cff = (ROOT / "CITATION.cff").read_text()
    assert "type: software" in cff and "preferred-citation:" in cff
    assert "On the transferability of adversarial examples between convex and 01 loss" in cff


def test_extras_match_what_the_wheel_ships():
    extras = PROJECT["optional-dependencies"]
    # the wheel ships sk01loss only: no extra may promise benchmarks/
    assert PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"] == ["sk01loss*"]
    assert "bench" not in extras
    docs = " ".join(extras["docs"])
    for needed in ("sphinx", "pydata-sphinx-theme", "numpydoc", "sphinx-gallery", "myst-parser"):
        assert needed in docs, f"the docs extra lacks {needed}"


def test_oldest_scikit_learn_is_the_one_ci_tests():
    lower = next(d for d in PROJECT["dependencies"] if d.startswith("scikit-learn"))
    oldest = lower.split(">=")[1]
    assert f"scikit-learn=={oldest}" in (ROOT / ".ci" / "run").read_text(), \
        "the CI does not test the oldest scikit-learn pyproject.toml allows"


# Private scikit-learn names: sklearn.utils._param_validation and friends, and the
# underscored names of public modules (sklearn.base._fit_context).
PRIVATE = re.compile(
    r"^\s*(?:from\s+sklearn(?:\.\w+)*\._\w+|import\s+sklearn(?:\.\w+)*\._\w+"
    r"|from\s+sklearn(?:\.\w+)*\s+import\s+[^#\n]*\b_\w+)", re.M)


def test_private_scikit_learn_apis_go_through_the_compat_module():
    found = set()
    for path in sorted((ROOT / "sk01loss").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel != "sk01loss/_sklearn_compat.py" and PRIVATE.search(path.read_text()):
            found.add(rel)
    assert not found, (
        f"{sorted(found)} import private scikit-learn APIs: import them "
        "from sk01loss._sklearn_compat")


def _setuptools_version():
    try:
        from importlib.metadata import version
        return tuple(int(p) for p in version("setuptools").split(".")[:2])
    except Exception:
        return (0, 0)


@pytest.mark.skipif(_setuptools_version() < (77, 0),
                    reason="building the sdist here needs setuptools>=77 (PEP 639)")
def test_sdist_holds_what_its_tests_need(tmp_path):
    code = ("import sys; from setuptools import build_meta; "
            "print(build_meta.build_sdist(sys.argv[1]))")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], cwd=ROOT,
                         capture_output=True, text=True, check=True)
    name = out.stdout.strip().splitlines()[-1]
    with tarfile.open(tmp_path / name) as sdist:
        members = {m.split("/", 1)[1] for m in sdist.getnames() if "/" in m}
    needed = {"LICENSE", "CITATION.cff", "README.md", "setup.cfg", "pyproject.toml",
              "tests/conftest.py", "tests/isolation.py", "tests/reference/__init__.py",
              "tests/reference/scd01.py", "tests/reference/mlp01.py",
              "benchmarks/__main__.py", "docs/conf.py", "docs/index.md"}
    assert not needed - members, f"the sdist lacks {sorted(needed - members)}"
    junk = [m for m in members
            if "__pycache__" in m
            or m.startswith(("docs/_build", "docs/auto_examples", "docs/api/"))]
    assert not junk, f"the sdist holds built files: {junk[:5]}"
