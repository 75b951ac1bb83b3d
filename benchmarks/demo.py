"""The main job: 0/1-loss vs convex models on scikit-learn's digits (nothing to download).

Prints test accuracy and fit time of SCD01Classifier (32 votes, one-vs-all) next to
LinearSVC on the 10-class digits data scaled to [0, 1].
"""

import time

from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.svm import LinearSVC

from sk01loss import SCD01Classifier


def add_arguments(parser):
    parser.add_argument("--n-jobs", type=int, default=-1, help="joblib workers (default: all cores)")
    parser.add_argument("--seed", type=int, default=0)


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
