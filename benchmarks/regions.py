"""Why black-box curves go flat: the convex substitute's linear regions, per round.

Re-runs the convex-substitute attacks of ``blackbox`` (the same options, seed and
targets, which it reads from ``blackbox``'s folder, or for ``--classes all`` from
``table1``'s: run those first) and records, every round, on the evaluation points:

- the share of points in the substitute's most common linear region (every ReLU
  unit in the same on/off state). A ReLU network is affine on a region, so points
  that share one get FGSM perturbations that differ only through the softmax weights
  of the classes (binary: one ``+-eps`` vector up to the label's sign);
- the share of each hidden layer's units whose state is one over all points;
- the mean agreement of a point's FGSM signs with the most common pattern of its
  class;
- the share of the substitute's training values outside [0, 1] (augmentation
  drift; its last set, from which the round's substitute was trained).

The targets' accuracies per round are those of ``blackbox``: the attack is the
same, only watched. Writes a table of all rounds and a figure of the targets'
accuracy and the modal region's share per round. One saved unit per target;
``--resume`` skips finished ones.
"""

import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from sk01loss.attacks import input_gradient, mlp_forward

from . import _figures, blackbox, table1
from ._experiment import MODELS, Store, ensemble_size, fitted_by, load_dataset, make_model
from .table3 import DATASET_NAMES


def add_arguments(parser):
    blackbox.add_arguments(parser)


def region_watcher(X_eval, y_eval, regions):
    """A ``SubstituteAttack`` callback that measures the round's substitute's linear
    regions on the evaluation set and appends them to ``regions`` (one dict per
    round)."""

    def watch(info):
        substitute = info["substitute"]
        activations, _ = mlp_forward(substitute, X_eval)
        states = [a > 0 for a in activations[1:]]
        _, counts = np.unique(np.hstack(states), axis=0, return_counts=True)
        known = np.isin(y_eval, substitute.classes_)  # labels the substitute has seen
        labels = y_eval[known]
        signs = np.sign(input_gradient(substitute, X_eval[known], labels, scaled=True))
        agreement = np.empty(len(signs))
        for c in np.unique(labels):
            rows = labels == c
            agreement[rows] = np.mean(signs[rows] == np.sign(signs[rows].sum(axis=0)), axis=1)
        trained_on = info["X_substitute"]
        regions.append({
            "modal_region": counts.max() / len(X_eval),
            "n_regions": len(counts),
            "constant_units": [float(np.mean(s.all(axis=0) | ~s.any(axis=0))) for s in states],
            "sign_agreement": float(agreement.mean()),
            "set_outside": float(np.mean((trained_on < 0) | (trained_on > 1))),
        })

    return watch


def run(args):
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    warnings.filterwarnings("ignore", message="Got `batch_size`", category=UserWarning)
    if args.substitute != ["mlp"] or args.inputs != ["original"] or args.augmentation != "jacobian":
        raise SystemExit("regions watches the convex substitute (Jacobian augmentation) on "
                         "original inputs: use --substitute mlp --inputs original "
                         "--augmentation jacobian")
    classes, tag = blackbox._classes(args.classes)
    variant = blackbox.variant_of(args, tag)
    store = Store(args, "regions", variant=variant)
    votes = ensemble_size(args)
    protocol = blackbox.protocol_of(args)
    X, y, X_test, y_test = load_dataset(args, classes=classes)
    seeds, evaluation = blackbox.split(args, len(y_test))
    X_eval, y_eval = X_test[evaluation], y_test[evaluation]
    for name in args.targets:
        model = make_model(name, args, votes=votes, scd01_iters=500, n_classes=len(np.unique(y)))
        model_name = blackbox._model_name(name, "original", model)
        settings = dict(model=model_name, **protocol)
        record = store.get(name)
        if record is not None and record["settings"] == settings:
            continue
        # the ten-class blackbox attacks Table I's models without saving a copy
        found = (fitted_by(args, "blackbox", model_name, model, variant=tag)
                 or (classes is None and fitted_by(args, "table1",
                                                   table1.model_name(name, votes), model)))
        if not found:
            raise SystemExit(f"no {model_name} fitted by blackbox on {args.dataset} "
                             f"classes {tag}: run blackbox with the same options first")
        start = time.perf_counter()
        attack = blackbox._attack("mlp", args, protocol, found[0], f"[regions] {name}",
                                  len(evaluation))
        regions = []
        attack.set_params(callback=region_watcher(X_eval, y_eval, regions))
        attack.fit(X_test[seeds], eval_set=(X_eval, y_eval))
        history = blackbox.recorded_history(attack)
        store.add(name, target=name, settings=settings,
                  attack_seconds=round(time.perf_counter() - start, 1),
                  clean=history[-1]["target_accuracy"],
                  history=[{**h, **r} for h, r in zip(history, regions)])
    store.reload()
    records = [record for record in map(store.get, MODELS)
               if record is not None and blackbox.ran_with(record, protocol)]
    rows = [{"target": record["target"], "round": r["round"],
             "target accuracy %": blackbox._percent(r["target_accuracy_adv"]),
             "points in the modal region %": blackbox._percent(r["modal_region"]),
             "regions": r["n_regions"],
             **{f"constant units, layer {i} %": blackbox._percent(share)
                for i, share in enumerate(r["constant_units"], 1)},
             "sign agreement %": blackbox._percent(r["sign_agreement"]),
             "set outside [0, 1] %": blackbox._percent(r["set_outside"])}
            for record in records for r in record["history"]]
    if rows:
        what = (f"{DATASET_NAMES[args.dataset]} classes {variant}"
                f"{' (quick)' if args.quick else ''}")
        print(store.write_table(
            "regions", rows, list(rows[0]),
            f"Convex substitute's linear regions on the evaluation points, {what}"))
        _figures.curves(store.file("curves.png"),
                        [("target accuracy on the substitute's adversaries",
                          blackbox._lines(records, "target_accuracy_adv")),
                         ("evaluation points in the substitute's most common region",
                          blackbox._lines(records, "modal_region"))],
                        f"Convex substitute's black box and linear regions, {what}",
                        ylabel="%", xlabel="round")
    store.write_meta(classes=tag, **protocol, evaluation_points=len(evaluation))

