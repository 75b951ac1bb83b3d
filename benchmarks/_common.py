"""Shared pieces of the benchmark scripts."""

import argparse
import os
import platform

import numba
import numpy as np
import sklearn

import sk01loss

DEFAULT_DATA = os.environ.get("SK01LOSS_DATA", os.path.join("..", "shared", "datasets"))

#: The paper's protocol beyond its iteration counts, whatever the estimators' defaults:
#: every iteration run (``tol=None``), batches of 75 % of each class (``nrows``) and,
#: for SCD01, votes that keep the side of their random start (``flip_orientation=False``).
PAPER_PROTOCOL = {"scd01": {"tol": None, "batch_fraction": 0.75, "flip_orientation": False},
                  "mlp01": {"tol": None, "batch_fraction": 0.75}}
#: The paper's iterations per vote of its multiclass models (Table I-II).
PAPER_ITERATIONS = {"scd01": 500, "mlp01": 1000}


def environment():
    """One line naming the machine and versions, printed with every result."""
    return (f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
            f"python {platform.python_version()}, numpy {np.__version__}, "
            f"scikit-learn {sklearn.__version__}, numba {numba.__version__}, "
            f"sk01loss {sk01loss.__version__}")


class CommandError(Exception):
    """A failure the command line reports as one line, without a traceback: missing
    data, a missing optional package (CuPy, PyTorch), an unusable GPU."""


def parameter(text):
    """``NAME=VALUE`` from the command line as ``(name, value)``: an estimator
    parameter, its value an int, a float, true, false or none (any case), else the
    string (an argparse ``type``)."""
    name, sep, value = text.partition("=")
    if not (sep and name.isidentifier()):
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME=VALUE (e.g. batch_fraction=0.25)")
    for kind in (int, float):
        try:
            return name, kind(value)
        except ValueError:
            pass
    return name, {"true": True, "false": False, "none": None}.get(value.lower(), value)


def add_set_option(parser, help):
    """``--set NAME=VALUE ...``: estimator parameters (:func:`parameter`), in one
    option or repeated; ``args.set`` is the list of ``(name, value)``."""
    parser.add_argument("--set", nargs="+", action="extend", type=parameter, default=[],
                        metavar="NAME=VALUE", help=help)


def resolve_data_dir(path, name):
    """The dataset ``name`` (a folder such as ``mnist`` or an archive such as
    ``cifar10-jpeg.tar.gz``) given either the datasets folder that holds it or the
    dataset's own folder or archive.

    Raises
    ------
    CommandError
        If ``path`` does not exist, naming both accepted forms.
    """
    path = os.fspath(path)
    inside = os.path.join(path, name)
    if os.path.isdir(path) and os.path.exists(inside) and os.path.basename(
            os.path.normpath(path)) != name:
        return inside
    if not os.path.exists(path):
        raise CommandError(
            f"--data-dir {path}: no such file or directory; give the datasets folder "
            f"that holds {name} or the path of {name} itself (default: $SK01LOSS_DATA or "
            f"{os.path.join('..', 'shared', 'datasets')})")
    return path


def require(module, purpose, install):
    """Import the optional ``module`` or raise a one-line :class:`CommandError`."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise CommandError(f"{purpose} needs {module}, which is not installed: {install}") from None


def load_checked(loader, path, *args, **kwargs):
    """``loader(path, ...)``; a file it cannot use becomes a one-line CommandError."""
    try:
        return loader(path, *args, **kwargs)
    except (OSError, ValueError) as exc:
        raise CommandError(f"cannot load the data from {path}: {exc}") from None
