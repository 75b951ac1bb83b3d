"""The PyTorch networks of Fig. 7 (``benchmarks/_torch.py``): their input gradient
against the Jacobian autograd computes for one image at a time, reproducibility,
warm starts, pickling and their use by the attacks."""

import pickle

import numpy as np
import pytest

from benchmarks import _torch
from benchmarks._torch import TorchClassifier
from sk01loss.attacks import FGSMAttack
from sk01loss.attacks._gradients import loss_gradient

torch = pytest.importorskip("torch")

SHAPE = (1, 16, 16)


def images(n=60, seed=0, n_classes=2):
    """Each class a bright square in its own corner."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % n_classes
    X = rng.random((n, *SHAPE)).astype(np.float32) * 0.3
    for i, label in enumerate(y):
        row, col = divmod(int(label), 2)
        X[i, 0, 8 * row:8 * row + 6, 8 * col:8 * col + 6] += 0.7
    return X.reshape(n, -1), y


@pytest.mark.parametrize("network", _torch.NETWORKS)
@pytest.mark.parametrize("n_classes", [2, 3])
def test_decision_function_vjp_is_the_jacobian_of_the_scores(network, n_classes, monkeypatch):
    X, y = images(n_classes=n_classes)
    net = TorchClassifier(network, SHAPE, max_iter=2, random_state=0).fit(X, y)
    monkeypatch.setattr(_torch, "_CHUNK", 7)  # several chunks
    points = X[:10].astype(np.float64)
    n_scores = 1 if n_classes == 2 else n_classes
    G = np.random.default_rng(1).normal(size=(10, n_scores))
    module = net.module_.eval()

    def scores(image):  # one image, as the decision function defines them
        logits = module(image.reshape(1, *SHAPE))[0]
        return logits[1:] - logits[:1] if n_classes == 2 else logits

    expected = np.stack([
        G[i] @ torch.autograd.functional.jacobian(
            scores, torch.as_tensor(points[i], dtype=torch.float32)).numpy()
        for i in range(10)])
    np.testing.assert_allclose(net.decision_function_vjp(points, G), expected,
                               rtol=1e-4, atol=1e-6)
    decision = net.decision_function(points)
    assert decision.shape == ((10,) if n_classes == 2 else (10, n_classes))
    with torch.no_grad():
        direct = np.stack([scores(torch.as_tensor(p, dtype=torch.float32)).numpy()
                           for p in points]).reshape(decision.shape)
    np.testing.assert_allclose(decision, direct, rtol=1e-5, atol=1e-6)


def test_fits_are_reproducible_and_a_warm_start_goes_on_where_the_fit_stopped():
    X, y = images()
    kwargs = dict(network="simplenet80", image_shape=SHAPE, batch_size=16, random_state=3)
    once = TorchClassifier(max_iter=4, **kwargs).fit(X, y)
    again = TorchClassifier(max_iter=4, **kwargs).fit(X, y)
    in_steps = TorchClassifier(max_iter=2, warm_start=True, **kwargs).fit(X, y).fit(X, y)
    other = TorchClassifier(max_iter=4, **{**kwargs, "random_state": 4}).fit(X, y)
    scores = once.decision_function(X)
    np.testing.assert_array_equal(scores, again.decision_function(X))
    np.testing.assert_allclose(scores, in_steps.decision_function(X), rtol=1e-5, atol=1e-6)
    assert not np.allclose(scores, other.decision_function(X))
    restored = pickle.loads(pickle.dumps(once))
    np.testing.assert_array_equal(restored.decision_function(X), scores)
    assert once.score(X, y) == 1.0


def test_images_of_another_shape_are_refused():
    X, y = images()
    with pytest.raises(ValueError, match=r"256 features, but image_shape=\(3, 32, 32\)"):
        TorchClassifier("lenet").fit(X, y)
    with pytest.raises(ValueError, match="network must be one of"):
        TorchClassifier("resnet", SHAPE).fit(X, y)


def test_fgsm_on_a_network_raises_its_loss():
    X, y = images()
    net = TorchClassifier("lenet", SHAPE, max_iter=5, random_state=0).fit(X, y)
    attack = FGSMAttack(net, eps=0.1).fit(X, y)
    X_adv = attack.generate(X, y)
    assert np.max(np.abs(X_adv - X)) <= 0.1 + 1e-6
    fitted = attack.estimator_
    index = np.searchsorted(fitted.classes_, y)

    def loss(points):
        z = fitted.decision_function(points)
        return np.mean(np.logaddexp(0, np.where(index == 1, -z, z)))

    assert loss(X_adv) > loss(X)
    assert np.all(np.sign(X_adv - X)[np.abs(X_adv - X) > 1e-6]
                  == np.sign(loss_gradient(fitted, X, index))[np.abs(X_adv - X) > 1e-6])


def test_a_model_fitted_on_a_gpu_unpickles_on_the_cpu():
    X, y = images()
    net = TorchClassifier("lenet", SHAPE, max_iter=3, random_state=0).fit(X, y)
    net.device = "cuda"  # as if fitted there
    data = pickle.dumps(net)
    net.device = "cpu"
    if torch.cuda.is_available():
        restored = pickle.loads(data)
        assert next(restored.module_.parameters()).is_cuda
        restored = pickle.loads(pickle.dumps(restored.set_params(device="cpu")))
    else:
        with pytest.warns(UserWarning, match="goes on with device='cpu'"):
            restored = pickle.loads(data)
    assert restored.device == "cpu"
    np.testing.assert_allclose(restored.decision_function(X), net.decision_function(X),
                               rtol=1e-5, atol=1e-6)
    # the optimiser's state travels too: a warm start goes on as the original would
    restored.set_params(warm_start=True, max_iter=1)
    net.set_params(warm_start=True, max_iter=1)
    np.testing.assert_allclose(restored.fit(X, y).decision_function(X),
                               net.fit(X, y).decision_function(X), rtol=1e-5, atol=1e-6)
