import pytest

from sk01loss._kernels import cuda_status


def pytest_collection_modifyitems(config, items):
    missing = cuda_status()
    if missing is None:
        return
    skip = pytest.mark.skip(reason=f"needs a CUDA GPU: {missing}")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)
