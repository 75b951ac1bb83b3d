"""Table III: white-box transfer matrix of SVM, SCD01, MLP and MLP01 on classes 0 vs 1.

Single runs of the four models are trained on classes 0 and 1 (the paper's Sec. III-B and the
authors' code): LinearSVC(C=0.01, dual=False) (squared hinge; the authors' code fixes
C = 0.01 -- cross-validating C is Table I's protocol, not needed here), SCD01 with
one vote and 1000 iterations, MLPClassifier with 20 logistic units (SGD, learning
rate 0.01, 200 epochs) and MLP01 with 20 hidden units, one vote and 1000
iterations; SCD01 and MLP01 try 64 coordinates per iteration (128 on CIFAR-10).
Every model's white-box adversaries of the test set, crafted with the TRUE labels
(the paper's Sec. III-B: the linear sign attack for SVM and SCD01, FGSM for MLP, the MLP01
heuristic for MLP01), are given to every model: rows = source, columns = target,
cells = accuracy (%) on the source's adversaries, plus a "clean" row. eps = 0.3 on
MNIST (and Fashion-MNIST, which the paper does not use), 0.0625 on CIFAR-10.
The paper's Table III is written beside the results where it has the dataset.

``--quick``: 2000 training / 500 test rows, SCD01 200 iterations, MLP01 200, MLP
30 epochs. ``table4`` runs the same on binarised inputs (Table IV).
"""

import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from sk01loss import Saturate, transfer_matrix

from . import _figures
from ._experiment import EPS, MODELS, Store, add_common_arguments, load_dataset, make_model

ROWS = ("clean",) + MODELS
PAPER = {  # Table III (%): row -> accuracies of the targets svm, scd01, mlp, mlp01
    "mnist": {
        "clean": (100, 99.9, 100, 100), "svm": (11.9, 8.1, 40.4, 43.5),
        "scd01": (97, 0, 98.5, 53.2), "mlp": (25.5, 16.1, 31, 42.3),
        "mlp01": (99.9, 99.8, 99.6, 69.5),
    },
    "cifar10-jpeg": {
        "clean": (82.2, 81.1, 88.7, 84.2), "svm": (0, 41.3, 0.5, 70.1),
        "scd01": (76, 0.8, 86, 84.5), "mlp": (0, 43.5, 0.4, 63.7),
        "mlp01": (81.7, 80, 88.5, 66.9),
    },
}
DATASET_NAMES = {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST",
                 "cifar10-jpeg": "CIFAR-10 (JPEG copy)"}


def add_arguments(parser):
    add_common_arguments(parser)
    parser.add_argument("--eps", type=float,
                        help="L-infinity radius (default: 0.3 MNIST and Fashion-MNIST, "
                             "0.0625 CIFAR-10)")


def binarise(X, X_test):
    """Both sets saturated with p = inf (the paper's Sec. III-D): pixels above 0.5 become 1, below 0."""
    saturate = Saturate(p=np.inf).fit(X)
    return saturate.transform(X), saturate.transform(X_test)


def run(args):
    run_whitebox(args, "table3", binarised=False)


def run_whitebox(args, experiment, *, binarised, paper=PAPER, paper_name="Table III"):
    """The transfer matrix on classes 0 vs 1 (binarised inputs: Table IV); each fitted
    model and each source's row is saved as it is finished, so ``--resume`` goes on
    where a run stopped."""
    # sklearn's MLP warns at its epoch cap, which is part of the protocol here
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    store = Store(args, experiment)
    eps = EPS[args.dataset] if args.eps is None else args.eps
    X, y, X_test, y_test = load_dataset(args, classes=[0, 1])
    if binarised:
        # perturbations are later added to these inputs and clipped, never re-binarised
        X, X_test = binarise(X, X_test)
    print(f"[{experiment}] {args.dataset} 0 vs 1{' binarised' if binarised else ''}: "
          f"{len(y)} training and {len(y_test)} test rows, eps {eps}", flush=True)
    models, fit_seconds = {}, {}
    for name in MODELS:
        models[name], fit_seconds[name] = store.model(
            name, lambda: make_model(name, args).fit(X, y))
    for name in MODELS:
        record = store.get(name)
        if record is not None and record["eps"] == eps:
            continue
        start = time.perf_counter()
        # true labels, as the paper; the MLP01 heuristic's node order from the seed
        table = transfer_matrix({name: models[name]}, models, X_test, y_test, eps=eps,
                                random_state=args.seed, as_frame=False)
        if store.get("clean") is None:
            store.add("clean", **table["clean"])
        store.add(name, eps=eps, **table[name], fit_seconds=round(fit_seconds[name], 2),
                  attack_seconds=round(time.perf_counter() - start, 2))

    ours = np.array([[100 * store.get(row)[target] for target in MODELS] for row in ROWS])
    reference = paper.get(args.dataset)
    rows = []
    for i, row in enumerate(ROWS):
        cells = {"source": row, **{t: round(v, 1) for t, v in zip(MODELS, ours[i])}}
        if reference:
            cells.update({f"paper {t}": v for t, v in zip(MODELS, reference[row])})
        rows.append(cells)
    dataset = DATASET_NAMES[args.dataset]
    what = f"{dataset} 0 vs 1{', binarised (p = inf)' if binarised else ''}, eps = {eps}"
    title = (f"{paper_name}: {what}{' (quick)' if args.quick else ''}; accuracy (%) of "
             "each target (column) on the white-box adversaries of each source (row)")
    print(store.write_table(experiment, rows, list(rows[0]), title))
    panels = [("sk01loss, this run", ours)]
    if reference:
        panels.append((f"paper, {paper_name}", [reference[row] for row in ROWS]))
    _figures.heatmaps(store.file(f"{experiment}.png"), panels, ROWS, MODELS,
                      f"{paper_name}: white-box transfer, {what}")
    store.write_meta(eps=eps, classes=[0, 1], binarised=binarised,
                     train_rows=len(y), test_rows=len(y_test),
                     models={name: repr(make_model(name, args)) for name in MODELS})
