import os

import pytest
from hypothesis import HealthCheck, settings

from sk01loss._kernels import cuda_status

# Property-based tests: a short profile for CI (the default) and a long one for a
# developer's fuzzing run: ``pytest --hypothesis-profile=long`` (or set
# SK01LOSS_HYPOTHESIS_PROFILE=long).
settings.register_profile(
    "ci", max_examples=25, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile(
    "long", max_examples=1000, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("SK01LOSS_HYPOTHESIS_PROFILE", "ci"))


def pytest_collection_modifyitems(config, items):
    missing = cuda_status()
    if missing is None:
        return
    skip = pytest.mark.skip(reason=f"needs a CUDA GPU: {missing}")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)
