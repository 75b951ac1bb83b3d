"""Fig. 1: train and test accuracy of one linear SCD01 search against its iterations,
for several batch sizes.

The batch size is ``batch_fraction`` (the paper's ``nrows``): the fraction of each
class drawn per iteration. The paper runs it on CIFAR-10 classes 0 vs 1 and finds
that 75 % reaches 80 % train accuracy fastest and that the search flattens after
about 15 iterations. Each point is one fit of ``SCD01Classifier`` with one vote,
``max_iter`` set to the point's iteration count, the same ``random_state`` and the
dataset's coordinates per iteration (128 on CIFAR-10). Accuracy is measured on the
whole training set and on the test set.
"""

from . import _figures
from ._experiment import Store, add_common_arguments, load_dataset, make_model, model_settings
from .table3 import DATASET_NAMES

THRESHOLD = 0.8  # the paper's "reaches a train accuracy of 80 %"


def add_arguments(parser):
    add_common_arguments(parser)
    parser.add_argument("--fractions", type=float, nargs="+",
                        default=[0.1, 0.25, 0.5, 0.75, 1.0],
                        help="batch sizes, as fractions of each class (the paper's nrows)")
    parser.add_argument("--iterations", type=int, nargs="+",
                        default=[1, 2, 3, 5, 7, 10, 15, 20, 30, 50, 75, 100, 150, 200],
                        help="iteration counts to fit and score")


def run(args):
    if not all(0 < f <= 1 for f in args.fractions):
        raise SystemExit(f"--fractions must lie in (0, 1], not {args.fractions}")
    if not all(k >= 1 for k in args.iterations):
        raise SystemExit(f"--iterations must be at least 1, not {args.iterations}")
    fractions, iterations = sorted(set(args.fractions)), sorted(set(args.iterations))
    store = Store(args, "batch-size")
    X, y, X_test, y_test = load_dataset(args, classes=[0, 1])
    for fraction in fractions:
        for k in iterations:
            key = f"nrows{fraction:g}-iter{k}"
            model = make_model("scd01", args).set_params(max_iter=k, batch_fraction=fraction)
            settings = model_settings(model)
            record = store.get(key)
            if record is not None and record["settings"] == settings:
                continue
            model.fit(X, y)
            store.add(key, fraction=fraction, iterations=k, settings=settings,
                      train_accuracy=float(model.score(X, y)),
                      test_accuracy=float(model.score(X_test, y_test)))
    store.reload()

    def accuracy(fraction, k, which):
        return 100 * store.get(f"nrows{fraction:g}-iter{k}")[f"{which}_accuracy"]

    name = DATASET_NAMES[args.dataset]
    columns = ["iterations"] + [f"nrows {f:g}" for f in fractions]
    markdown = []
    for which in ("train", "test"):
        rows = [{"iterations": k, **{f"nrows {f:g}": round(accuracy(f, k, which), 1)
                                     for f in fractions}} for k in iterations]
        markdown.append(store.write_table(which, rows, columns,
                                          f"{which} accuracy (%), {name} 0 vs 1"))
    first = {f: next((k for k in iterations if accuracy(f, k, "train") >= 100 * THRESHOLD),
                     None) for f in fractions}
    summary = ", ".join(f"nrows {f:g}: {'not reached' if k is None else f'{k} iterations'}"
                        for f, k in first.items())
    print("\n".join(markdown), flush=True)
    print(f"[batch-size] first iteration count with {100 * THRESHOLD:.0f} % train accuracy: "
          f"{summary}", flush=True)
    panels = [(which, [(f"nrows {f:g}", iterations, [accuracy(f, k, which) for k in iterations],
                        {}) for f in fractions]) for which in ("train", "test")]
    _figures.curves(store.file("curves.png"), panels,
                    f"Fig. 1: linear SCD01, one vote, {name} 0 vs 1, by batch size",
                    xlabel="iterations", xscale="log")
    store.write_meta(fractions=fractions, iterations=iterations,
                     first_at_threshold={f"{f:g}": k for f, k in first.items()})
