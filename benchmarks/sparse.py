"""Sparse text-like data: fit and predict time and peak memory, against LinearSVC.

Draws a synthetic bag-of-words task in the shape of hashed text (``--rows`` x
``2**--log2-features`` features at ``--density``, 0.05 % by default: about 131
non-zeros per row; term frequencies Zipf-distributed over the features, rows
L2-normalised as ``TfidfVectorizer`` leaves them; labels from a planted sparse linear
rule with 5 % of them flipped), as a ``scipy.sparse`` CSR matrix, and splits it
80/20. Fits ``SCD01Classifier`` and ``MLP01Classifier`` with their defaults (but
``--votes`` votes) on it without densifying, and ``LinearSVC`` for scale, one core
each. Prints for each model the process CPU seconds and wall seconds of fit and
predict, the peak resident memory each call added (Linux ``VmHWM``) next to the size
of the sparse data and of the dense array it would have been, and the test accuracy.
"""

import time

import numpy as np
import scipy.sparse as sp
from sklearn.svm import LinearSVC

from sk01loss import MLP01Classifier, SCD01Classifier

from ._common import environment
from .memory import MIB, peak_added


def add_arguments(parser):
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--log2-features", type=int, default=18)
    parser.add_argument("--density", type=float, default=0.0005)
    parser.add_argument("--votes", type=int, default=8,
                        help="n_estimators of the 0/1 models (default: %(default)s)")
    parser.add_argument("--models", nargs="+", default=["svm", "scd01", "mlp01"],
                        choices=["svm", "scd01", "mlp01"])
    parser.add_argument("--seed", type=int, default=0)


def text_like(n, d, density, seed):
    """``(X, y)``: CSR (n, d) float64, rows of unit L2 norm, and 0/1 labels."""
    rng = np.random.default_rng(seed)
    per_row = max(1, int(round(density * d)))
    popularity = 1.0 / (np.arange(d) + 10.0)  # Zipf: a few frequent terms, a long tail
    popularity /= popularity.sum()
    features = rng.permutation(d)[rng.choice(d, size=n * per_row, p=popularity)]
    rows = np.repeat(np.arange(n), per_row)
    counts = rng.geometric(0.6, size=n * per_row).astype(np.float64)
    X = sp.csr_matrix((1.0 + np.log(counts), (rows, features)), shape=(n, d))
    X.sum_duplicates()
    norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
    X = sp.csr_matrix(sp.diags(1.0 / np.maximum(norms, 1e-12)) @ X)
    signal = rng.choice(d, size=2000, replace=False, p=popularity)
    coef = np.zeros(d)
    coef[signal] = rng.normal(size=signal.size)
    score = X @ coef
    y = (score > np.median(score)).astype(np.int64)
    flip = rng.random(n) < 0.05
    y[flip] = 1 - y[flip]
    return X, y


def run(args):
    if not 1 <= args.log2_features <= 30 or not 0 < args.density <= 1 or args.rows < 10:
        raise SystemExit("need --rows >= 10, --log2-features in [1, 30], --density in (0, 1]")
    d = 1 << args.log2_features
    print(environment())
    start = time.perf_counter()
    X, y = text_like(args.rows, d, args.density, args.seed)
    n_train = int(0.8 * args.rows)
    X_train, y_train, X_test, y_test = X[:n_train], y[:n_train], X[n_train:], y[n_train:]
    sparse_mib = (X_train.data.nbytes + X_train.indices.nbytes + X_train.indptr.nbytes) / MIB
    print(f"data: {args.rows} x {d} (2**{args.log2_features}), {X.nnz} non-zeros "
          f"({X.nnz / (args.rows * d):.3%}), drawn in {time.perf_counter() - start:.1f} s; "
          f"training part {n_train} rows: CSR {sparse_mib:.0f} MiB, dense float64 would be "
          f"{n_train * d * 8 / MIB:,.0f} MiB", flush=True)
    models = {
        "svm": lambda: LinearSVC(C=1.0),
        "scd01": lambda: SCD01Classifier(n_estimators=args.votes, random_state=args.seed),
        "mlp01": lambda: MLP01Classifier(n_estimators=args.votes, random_state=args.seed),
    }
    for name in args.models:
        if name != "svm":  # compile (or load Numba's cache) outside the timing
            models[name]().set_params(n_estimators=1, max_iter=2).fit(X_train[:200],
                                                                       y_train[:200])
        model = models[name]()
        cpu = time.process_time()
        added, wall, _ = peak_added(model.fit, X_train, y_train)
        cpu = time.process_time() - cpu
        print(f"{name} fit: {cpu:.1f} CPU s, {wall:.1f} s wall, peak +{added / MIB:.0f} MiB "
              f"({added / MIB / sparse_mib:.2f} x the CSR data)", flush=True)
        cpu = time.process_time()
        added, wall, predicted = peak_added(model.predict, X_test)
        cpu = time.process_time() - cpu
        accuracy = float(np.mean(predicted == y_test))
        print(f"{name} predict ({X_test.shape[0]} rows): {cpu:.1f} CPU s, {wall:.1f} s wall, "
              f"peak +{added / MIB:.0f} MiB; test accuracy {accuracy:.4f}", flush=True)
