"""Shared pieces of the benchmark scripts."""

import os
import platform

import numba
import numpy as np
import sklearn

import sk01loss

DEFAULT_DATA = os.environ.get("SK01LOSS_DATA", os.path.join("..", "shared", "datasets"))


def environment():
    """One line naming the machine and versions, printed with every result."""
    return (f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
            f"python {platform.python_version()}, numpy {np.__version__}, "
            f"scikit-learn {sklearn.__version__}, numba {numba.__version__}, "
            f"sk01loss {sk01loss.__version__}")
