"""Scale-out: every large argument of a fit's joblib tasks is one that joblib's Dask
backend ships once (a top-level array), and a fit on a Dask cluster of processes is
the local model."""

import pickle

import numpy as np
import pytest
from joblib import parallel_config
from sklearn.datasets import make_classification

import sk01loss._base
from sk01loss import MLP01Classifier, SCD01Classifier

# joblib's Dask backend scatters a top-level argument once when it is weakref-able and
# larger than 1 kB (joblib/_dask.py); everything else travels with every task
SCATTERED_ABOVE = 1e3


def shipped_once(arg):
    try:
        from dask.sizeof import sizeof
    except ImportError:  # the same rule with the array's own size
        def sizeof(a):
            return getattr(a, "nbytes", 0)
    import weakref

    try:
        weakref.ref(arg)
    except TypeError:
        return False
    return sizeof(arg) > SCATTERED_ABOVE


class RecordingParallel(sk01loss._base.Parallel):
    tasks = []

    def __call__(self, iterable):
        tasks = list(iterable)
        RecordingParallel.tasks.extend(tasks)
        return super().__call__(tasks)


@pytest.mark.parametrize("Estimator", [SCD01Classifier, MLP01Classifier])
@pytest.mark.parametrize("device", ["cpu", "numpy"])
def test_what_a_task_carries_inline_stays_small(monkeypatch, Estimator, device):
    X, y = make_classification(3000, 200, n_informative=20, n_classes=3, random_state=0)
    X[X < 0.5] = 0  # sparse columns: the CPU kernel lists their non-zero rows (MBs)
    monkeypatch.setattr(sk01loss._base, "Parallel", RecordingParallel)
    RecordingParallel.tasks = []
    Estimator(n_estimators=3, max_iter=2, device=device, random_state=0).fit(X, y)
    assert RecordingParallel.tasks
    for func, args, kwargs in RecordingParallel.tasks:
        inline = [a for a in list(args) + list(kwargs.values()) if not shipped_once(a)]
        assert len(pickle.dumps(inline)) < 10_000  # the bound is 1 MB
        assert sum(getattr(a, "nbytes", 0) for a in args) > X.nbytes  # the data is there


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        yield client


@pytest.mark.parametrize("Estimator", [SCD01Classifier, MLP01Classifier])
def test_a_fit_on_a_dask_cluster_of_processes_is_the_local_model(dask_client, Estimator):
    X, y = make_classification(400, 30, n_informative=10, n_classes=3, random_state=0)
    params = dict(n_estimators=2, max_iter=20, random_state=0, n_jobs=-1)
    local = Estimator(**params).fit(X, y)
    with parallel_config(backend="dask"):
        remote = Estimator(**params).fit(X, y)
    for name in local._per_vote_attributes():
        np.testing.assert_array_equal(getattr(remote, name), getattr(local, name))
