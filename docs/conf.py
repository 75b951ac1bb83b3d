"""Sphinx configuration of the sk01loss documentation.

Build with ``sphinx-build -W docs docs/_build/html`` from the repository root (the
``docs`` extra installs what it needs). The API reference is generated from each
public module's ``__all__`` (``api.rst``, ``_templates/autosummary``), the gallery
from ``docs/examples`` (run at build time).
"""

import os
import re
import sys
import warnings
from pathlib import Path

import sk01loss

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the gallery examples import sk01loss from the tree

project = "sk01loss"
author = "The sk01loss developers"
copyright = f"2026, {author}"
release = sk01loss.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "**.ipynb_checkpoints", "examples"]
templates_path = ["_templates"]

# MyST: the markdown pages of docs/ carry over; "#memory"-style links need anchors
myst_enable_extensions = ["colon_fence", "dollarmath", "deflist"]
myst_heading_anchors = 4

# API reference: autosummary pages from each module's __all__. The page itself,
# api/index.rst, is written here from the package's public modules (every module
# without an underscore in its dotted name that defines __all__), so a new module
# or a new name in an __all__ appears at the next build without editing anything.
_API_INTRO = """\
API reference
=============

Every public name of sk01loss, module by module: each module's page lists the
names of its ``__all__``.

.. autosummary::
   :toctree: generated
   :template: autosummary/module.rst

"""


def public_modules():
    """Dotted names of the public modules of sk01loss that define ``__all__``."""
    import importlib
    import pkgutil

    names = ["sk01loss"]
    for info in pkgutil.walk_packages(sk01loss.__path__, "sk01loss."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            names.append(info.name)
    return [name for name in names
            if hasattr(importlib.import_module(name), "__all__")]


_api_page = _API_INTRO + "".join(f"   {name}\n" for name in public_modules())
_api_file = Path(__file__).parent / "api" / "index.rst"
_api_file.parent.mkdir(exist_ok=True)
if not _api_file.exists() or _api_file.read_text() != _api_page:
    _api_file.write_text(_api_page)

autosummary_generate = True
autosummary_ignore_module_all = False
autosummary_imported_members = True
autodoc_default_options = {}
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

intersphinx_mapping = {
    "python": ("https://docs.python.org/3", None),
    "numpy": ("https://numpy.org/doc/stable", None),
    "sklearn": ("https://scikit-learn.org/stable", None),
}
# The build must work offline (CI machines may reach package indexes only): with
# no inventories, cross-references to other projects render as plain text.
if os.environ.get("SK01LOSS_DOCS_OFFLINE", "1") == "1":
    intersphinx_mapping = {}

# Gallery: every example runs at build time (each well under a minute on 2 cores)
sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",  # run_*.py are shown, not run
    "ignore_pattern": r"/_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "matplotlib_animations": False,
    "show_memory": False,
    "reset_modules": ("matplotlib",),
    "doc_module": ("sk01loss",),
    "backreferences_dir": "api/generated",
}
# matplotlib draws without a display
os.environ.setdefault("MPLBACKEND", "Agg")
warnings.filterwarnings("ignore", message="Matplotlib is currently using agg")

html_theme = "pydata_sphinx_theme"
html_title = f"sk01loss {release}"
html_static_path = ["_static"]
html_css_files = ["sk01loss.css"]
html_theme_options = {
    "navbar_align": "left",
    "header_links_before_dropdown": 7,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
    "navigation_with_keys": False,
}
html_sidebars = {"index": [], "citing": [], "changelog": [], "install": [],
                 "quickstart": []}
html_show_sourcelink = False
# the page outline of a class lists "fit()", not "SCD01Classifier.fit()"
toc_object_entries_show_parents = "hide"


def _skip_scikit_learn_members(app, what, name, obj, skip, options):
    """Leave out the methods every scikit-learn estimator inherits (``get_params``,
    ``set_output``, ``set_*_request``, ...): their docstrings cite scikit-learn's own
    pages; the class pages say where they are documented."""
    module = getattr(obj, "__module__", None) or ""
    if what == "class" and module.startswith("sklearn."):
        return True
    return skip


_SHAPE_WITH_ATTRIBUTE = re.compile(r"\(([a-z][a-z0-9_]*_),\)")


def _quote_fitted_attributes(app, what, name, obj, options, lines):
    """``(n_features_in_,)`` in a type line reads as a reST reference; quote it."""
    for i, line in enumerate(lines):
        lines[i] = _SHAPE_WITH_ATTRIBUTE.sub(r"(`\1`,)", line)


def setup(app):
    app.connect("autodoc-skip-member", _skip_scikit_learn_members)
    # before numpydoc (priority 500) parses the docstring
    app.connect("autodoc-process-docstring", _quote_fitted_attributes, priority=400)
