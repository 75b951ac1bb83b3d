"""The convolutional networks of Fig. 7 as scikit-learn classifiers (PyTorch).

They bring their own input gradient (``decision_function_vjp``), so that they can be
the targets of the black box and the substitute of ``SubstituteAttack``. Rows of
``X`` are images flattened channel-major, as ``sk01loss.datasets`` loads them.
PyTorch is imported only when a network is fitted (``pip install torch``).
"""

import io
import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

NETWORKS = ("cnn4", "lenet", "simplenet80")
_CHUNK = 1024  # rows per forward pass outside training


def import_torch():
    try:
        import torch
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("the networks of Fig. 7 need PyTorch, which is not installed: "
                          "pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu") from None
    return torch


def build_network(name, image_shape, n_outputs):
    """A fresh ``torch.nn.Module`` (the paper's Sec. III-E and the authors' code):

    - ``cnn4``: the paper's substitute, four blocks of 3x3 convolution (padding 1),
      ReLU, 2x2 max-pool and batch norm, with 32, 64, 128 and 256 channels, then a
      linear output layer;
    - ``lenet``: conv 6@5x5, ReLU, max-pool, conv 16@5x5, ReLU, max-pool, then
      fully connected layers of 120 and 84 ReLU units;
    - ``simplenet80``: LeNet's two convolutions, then one hidden layer of 80.
    """
    nn = import_torch().nn
    channels, height, width = image_shape
    if name == "cnn4":
        layers, size = [], channels
        for out in (32, 64, 128, 256):
            layers += [nn.Conv2d(size, out, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                       nn.BatchNorm2d(out)]
            size, height, width = out, height // 2, width // 2
        return nn.Sequential(*layers, nn.Flatten(), nn.Linear(size * height * width, n_outputs))
    if name in ("lenet", "simplenet80"):
        convolutions = [nn.Conv2d(channels, 6, 5), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten()]
        def side(n):  # two 5x5 convolutions, each followed by a 2x2 max-pool
            return ((n - 4) // 2 - 4) // 2

        flat = 16 * side(height) * side(width)
        hidden = (120, 84) if name == "lenet" else (80,)
        dense = []
        for size in hidden:
            dense += [nn.Linear(flat, size), nn.ReLU()]
            flat = size
        return nn.Sequential(*convolutions, *dense, nn.Linear(flat, n_outputs))
    raise ValueError(f"network must be one of {NETWORKS}; got {name!r}")


class TorchClassifier(ClassifierMixin, BaseEstimator):
    """One of the networks of :func:`build_network`, trained with Adam on the
    softmax cross-entropy of one logit per class.

    Parameters
    ----------
    network : {"cnn4", "lenet", "simplenet80"}, default="lenet"
    image_shape : (channels, height, width), default=(3, 32, 32)
    learning_rate : float, default=1e-3
    batch_size : int, default=128
    max_iter : int, default=30
        Epochs per call of ``fit``.
    warm_start : bool, default=False
        Go on from the previous fit's weights and optimiser state (the substitute's
        rounds), unless the classes changed.
    random_state : None, int or RandomState, default=None
        Seeds the initial weights and the order of the batches.
    device : str, default="cpu"
        Where PyTorch computes ("cpu", "cuda").

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.random((64, 3 * 32 * 32)).astype(np.float32)
    >>> y = (X[:, :100].mean(axis=1) > 0.5).astype(int)
    >>> net = TorchClassifier(max_iter=2, random_state=0).fit(X, y)  # doctest: +SKIP
    >>> net.decision_function_vjp(X[:2], np.ones((2, 1))).shape  # doctest: +SKIP
    (2, 3072)
    """

    def __init__(self, network="lenet", image_shape=(3, 32, 32), learning_rate=1e-3,
                 batch_size=128, max_iter=30, warm_start=False, random_state=None,
                 device="cpu"):
        self.network = network
        self.image_shape = image_shape
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.warm_start = warm_start
        self.random_state = random_state
        self.device = device

    def fit(self, X, y):
        torch = import_torch()
        X, y = validate_data(self, X, y, dtype=np.float32)
        check_classification_targets(y)
        if X.shape[1] != np.prod(self.image_shape):
            raise ValueError(f"X has {X.shape[1]} features, but image_shape="
                             f"{tuple(self.image_shape)} holds {np.prod(self.image_shape)}.")
        classes, y_index = np.unique(y, return_inverse=True)
        if not (self.warm_start and hasattr(self, "module_")
                and np.array_equal(classes, self.classes_)):
            rng = check_random_state(self.random_state)
            self.shuffle_rng_ = np.random.default_rng(rng.randint(np.iinfo(np.int32).max))
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(rng.randint(np.iinfo(np.int32).max))
                self.module_ = build_network(self.network, tuple(self.image_shape),
                                             len(classes)).to(self.device)
            self.optimizer_ = torch.optim.Adam(self.module_.parameters(),
                                               lr=self.learning_rate)
        self.classes_ = classes
        inputs = self._tensor(X)
        targets = torch.as_tensor(y_index, device=self.device)
        self.module_.train()
        for _ in range(self.max_iter):
            order = torch.as_tensor(self.shuffle_rng_.permutation(len(y)), device=self.device)
            for batch in order.split(self.batch_size):
                self.optimizer_.zero_grad()
                loss = torch.nn.functional.cross_entropy(self.module_(inputs[batch]),
                                                         targets[batch])
                loss.backward()
                self.optimizer_.step()
        self.n_iter_ = self.max_iter
        return self

    def __getstate__(self):
        # the weights and the optimiser's state as torch.save bytes, which torch.load
        # maps to the device at hand: a model fitted on a GPU unpickles without one
        state = self.__dict__.copy()
        if "module_" in state:
            buffer = io.BytesIO()
            import_torch().save({"module": state.pop("module_").state_dict(),
                                 "optimizer": state.pop("optimizer_").state_dict()}, buffer)
            state["_weights"] = buffer.getvalue()
        return state

    def __setstate__(self, state):
        weights = state.pop("_weights", None)
        self.__dict__.update(state)
        if weights is None:
            return
        torch = import_torch()
        if self.device != "cpu" and not torch.cuda.is_available():
            warnings.warn(f"TorchClassifier was fitted with device={self.device!r}, which "
                          "this machine lacks: it goes on with device='cpu'.", UserWarning)
            self.device = "cpu"
        saved = torch.load(io.BytesIO(weights), map_location=self.device)
        self.module_ = build_network(self.network, tuple(self.image_shape),
                                     len(self.classes_)).to(self.device)
        self.module_.load_state_dict(saved["module"])
        self.optimizer_ = torch.optim.Adam(self.module_.parameters(), lr=self.learning_rate)
        self.optimizer_.load_state_dict(saved["optimizer"])

    def _tensor(self, X):
        torch = import_torch()
        images = np.ascontiguousarray(X, dtype=np.float32).reshape(-1, *self.image_shape)
        return torch.as_tensor(images, device=self.device)

    def _logits(self, X, *, requires_grad=False):
        """All class logits of the rows of ``X`` in eval mode (batch norm's running
        statistics, as the authors' code), and the input tensor."""
        inputs = self._tensor(X).requires_grad_(requires_grad)
        self.module_.eval()
        return self.module_(inputs), inputs

    def decision_function(self, X):
        """Logits, shape (n_samples, n_classes); binary: the score of ``classes_[1]``,
        the difference of the two logits, shape (n_samples,)."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float32, reset=False)
        torch = import_torch()
        with torch.no_grad():
            Z = np.concatenate([self._logits(chunk)[0].cpu().numpy().astype(np.float64)
                                for chunk in _chunks(X)])
        return Z[:, 1] - Z[:, 0] if len(self.classes_) == 2 else Z

    def predict(self, X):
        scores = self.decision_function(X)
        index = (scores > 0).astype(int) if scores.ndim == 1 else scores.argmax(axis=1)
        return self.classes_[index]

    def decision_function_vjp(self, X, G):
        """``sum_k G[:, k] * d decision_function_k / dx`` for every row, shape
        (n_samples, n_features): the input gradient the attacks follow."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float32, reset=False)
        torch = import_torch()
        G = np.asarray(G, dtype=np.float32).reshape(len(X), -1)
        if len(self.classes_) == 2:  # the score is logit 1 - logit 0
            G = np.column_stack([-G[:, 0], G[:, 0]])
        grads = []
        for chunk, weights in zip(_chunks(X), _chunks(G)):
            Z, inputs = self._logits(chunk, requires_grad=True)
            (grad,) = torch.autograd.grad(Z, inputs, torch.as_tensor(weights,
                                                                     device=self.device))
            grads.append(grad.reshape(len(chunk), -1).cpu().numpy().astype(np.float64))
        return np.concatenate(grads)


def _chunks(A):
    return [A[i:i + _CHUNK] for i in range(0, len(A), _CHUNK)] or [A]
