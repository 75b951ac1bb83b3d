"""The main job: 0/1-loss vs convex models on scikit-learn's digits (nothing to download).

Prints test accuracy and fit time of SCD01Classifier (32 votes, one-vs-all) next to
LinearSVC on the 10-class digits data scaled to [0, 1]; then the white-box transfer
matrix of single runs of SVM, SCD01, MLP and MLP01 on digits 0 vs 1 (the layout of
the paper's Table III).
"""

import time
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.svm import LinearSVC

from sk01loss import MLP01Classifier, SCD01Classifier, transfer_matrix

from ._common import PAPER_PROTOCOL


def add_arguments(parser):
    parser.add_argument("--n-jobs", type=int, default=-1,
                        help="joblib workers (default: all cores)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--eps", type=float, default=0.3,
                        help="L-infinity radius of the white-box attacks (default: 0.3, "
                             "the paper's MNIST value)")


def run(args):
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=args.seed)
    models = {
        "LinearSVC (C=0.01)": LinearSVC(C=0.01, dual=False),
        "SCD01 (32 votes)": SCD01Classifier(random_state=args.seed, n_jobs=args.n_jobs),
    }
    print(f"digits: {len(X_train)} training and {len(X_test)} test images, "
          f"{X.shape[1]} features, 10 classes (one-vs-all)\n")
    print(f"{'model':<22}{'test accuracy':>15}{'fit time':>12}")
    for name, model in models.items():
        start = time.perf_counter()
        model.fit(X_train, y_train)
        elapsed = time.perf_counter() - start
        print(f"{name:<22}{model.score(X_test, y_test):>15.3f}{elapsed:>11.1f}s", flush=True)

    transfer(args)


def transfer(args):
    """White-box transferability on digits 0 vs 1 (cf. the paper's Table III, MNIST)."""
    X, y = load_digits(n_class=2, return_X_y=True)
    X = X / 16.0
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.5, stratify=y, random_state=args.seed)
    # single runs (one vote) with the paper's white-box settings: SCD01 1000 iterations,
    # MLP01 20 hidden units and 1000 iterations, MLP 20 sigmoid units trained by SGD
    models = {
        "SVM": LinearSVC(C=0.01, dual=False),
        "SCD01": SCD01Classifier(n_estimators=1, max_iter=1000, random_state=args.seed,
                                 **PAPER_PROTOCOL["scd01"]),
        "MLP": MLPClassifier((20,), activation="logistic", solver="sgd",
                             learning_rate_init=0.01, max_iter=200, random_state=args.seed),
        "MLP01": MLP01Classifier(n_hidden=20, n_estimators=1, max_iter=1000, random_state=args.seed,
                                 **PAPER_PROTOCOL["mlp01"]),
    }
    print(f"\nWhite-box transfer on digits 0 vs 1: {len(X_train)} training and "
          f"{len(X_test)} test images; single runs: LinearSVC (C=0.01), SCD01 (1 vote, "
          "1000 iterations), MLP (20 sigmoid units, SGD lr 0.01, 200 epochs), MLP01 "
          "(20 hidden units, 1 vote, 1000 iterations)")
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for model in models.values():
            model.fit(X_train, y_train)
    table = transfer_matrix(models, models, X_test, y_test, eps=args.eps,
                            random_state=args.seed, as_frame=False)
    elapsed = time.perf_counter() - start
    print(f"Adversaries of the test images with their true labels, eps = {args.eps}: "
          "linear sign attack on SVM and SCD01, FGSM on MLP, the MLP01 heuristic on MLP01.")
    print("Test accuracy (%) of each target (columns) on the adversaries of each source "
          "(rows):\n")
    names = list(models)
    print(f"{'source':<8}" + "".join(f"{name:>8}" for name in names))
    for row, accuracies in table.items():
        print(f"{row:<8}" + "".join(f"{100 * accuracies[name]:>8.1f}" for name in names))
    convex = ("SVM", "MLP")
    between_convex = np.mean([table[a][b] for a in convex for b in convex if a != b])
    with_01 = np.mean([table[a][b] for a in names for b in names
                       if a != b and (a not in convex or b not in convex)])
    own = np.mean([table[name][name] for name in names])
    print(f"\nmean accuracy on the source's own adversaries {100 * own:.1f}%; across models: "
          f"{100 * between_convex:.1f}% between the convex ones, {100 * with_01:.1f}% when "
          f"source or target is a 0/1-loss model ({elapsed:.1f} s).\nThe paper's finding: "
          "white-box adversaries transfer between convex models far more than between "
          "convex and 0/1-loss models or between two 0/1-loss models (Table III).")
