"""What every paper experiment shares: command-line options, datasets, the paper's
models, a resumable store of finished results, saved models, and the tables and
metadata it writes."""

import json
import os
import pickle
import platform
import sys
import time
from datetime import datetime, timezone

import numpy as np
from sklearn.multiclass import OneVsRestClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.svm import LinearSVC

from sk01loss import MLP01Classifier, SCD01Classifier
from sk01loss.datasets import load_image_folder, load_mnist

from ._common import DEFAULT_DATA, PAPER_PROTOCOL, environment, load_checked, resolve_data_dir

DATASETS = {
    # name: (loader, default location)
    "mnist": (load_mnist, os.path.join(DEFAULT_DATA, "mnist")),
    "fashion-mnist": (load_mnist, "/usr/share/datasets/fashion-mnist"),
    "cifar10-jpeg": (load_image_folder, os.path.join(DEFAULT_DATA, "cifar10-jpeg.tar.gz")),
}
QUICK_TRAIN, QUICK_TEST = 2000, 500
# the paper's per-dataset settings (Sec. II-C and III-B): L-infinity radius of the attacks
# (Fashion-MNIST is not in the paper: MNIST's value) and coordinates tried per
# iteration by SCD01/MLP01
EPS = {"mnist": 0.3, "fashion-mnist": 0.3, "cifar10-jpeg": 0.0625}
N_COORDINATES = {"mnist": 64, "fashion-mnist": 64, "cifar10-jpeg": 128}
MODELS = ("svm", "scd01", "mlp", "mlp01")


def add_common_arguments(parser):
    parser.add_argument("--dataset", choices=sorted(DATASETS), default="mnist")
    parser.add_argument("--data-dir", help="the datasets folder that holds the dataset "
                        "(mnist/, fashion-mnist/, cifar10-jpeg.tar.gz), or the dataset's own "
                        "folder or archive (default: $SK01LOSS_DATA or ../shared/datasets; "
                        "Fashion-MNIST: /usr/share/datasets/fashion-mnist)")
    parser.add_argument("--out", default="results",
                        help="results go to OUT/<experiment>/<dataset> (default: %(default)s)")
    parser.add_argument("--quick", action="store_true",
                        help=f"small subsets ({QUICK_TRAIN} train / {QUICK_TEST} test rows) "
                             "and few votes: minutes, not hours")
    parser.add_argument("--resume", action="store_true",
                        help="keep finished results and saved models of an earlier run")
    parser.add_argument("--seed", type=int, default=2018)
    parser.add_argument("--n-jobs", type=int, default=-1)


def ensemble_size(args):
    """Votes of the paper's ensembles: ``--votes``, else 32 (4 with ``--quick``)."""
    return args.votes or (4 if args.quick else 32)


def make_model(name, args, *, votes=1, scd01_iters=1000, n_classes=2):
    """One of the paper's four models with its settings for ``args.dataset``, the one
    definition every experiment uses: single runs by default (Tables III, IV);
    ``votes`` and ``scd01_iters`` for ensembles (500 iterations in Table I and the
    black box, the authors' code). ``--quick`` divides the
    0/1 solvers' iterations by 5 and trains the MLP for 30 epochs."""
    quick, seed = args.quick, args.seed
    if name == "svm":
        return LinearSVC(C=0.01, dual=False)
    if name == "mlp":
        mlp = MLPClassifier((20,), activation="logistic", solver="sgd",
                            learning_rate_init=0.01, max_iter=30 if quick else 200,
                            random_state=seed)
        # multiclass: ten binary MLPs, one-vs-all like the 0/1 models (the paper, Sec. III-A)
        return mlp if n_classes <= 2 else OneVsRestClassifier(mlp)
    # the paper's protocol (PAPER_PROTOCOL), whatever the defaults
    common = dict(n_estimators=votes, n_coordinates=N_COORDINATES[args.dataset],
                  random_state=seed, n_jobs=args.n_jobs)
    if name == "scd01":
        return SCD01Classifier(max_iter=scd01_iters // 5 if quick else scd01_iters, **common,
                               **PAPER_PROTOCOL["scd01"])
    if name == "mlp01":
        return MLP01Classifier(n_hidden=20, max_iter=200 if quick else 1000, **common,
                               **PAPER_PROTOCOL["mlp01"])
    raise ValueError(f"unknown model {name!r}")


def load_dataset(args, classes=None):
    """Train and test arrays (float32 in [0, 1]) of ``args.dataset``, restricted to
    ``classes``; with ``--quick`` a class-stratified random subset of each."""
    loader, default = DATASETS[args.dataset]
    path = resolve_data_dir(args.data_dir or default, os.path.basename(default))
    X, y = load_checked(loader, path, "train", classes=classes)
    X_test, y_test = load_checked(loader, path, "test", classes=classes)
    if args.quick:
        rng = np.random.default_rng(args.seed)
        X, y = _subsample(rng, X, y, QUICK_TRAIN)
        X_test, y_test = _subsample(rng, X_test, y_test, QUICK_TEST)
    return X, y, X_test, y_test


def _subsample(rng, X, y, size):
    if len(y) <= size:
        return X, y
    keep = np.sort(np.concatenate([
        rng.choice(np.flatnonzero(y == c), max(1, round(size * np.mean(y == c))), replace=False)
        for c in np.unique(y)
    ]))
    return X[keep], y[keep]


class Store:
    """Results of one experiment on one dataset under ``OUT/<experiment>/<dataset>``.

    Each finished unit of work is appended to ``results.jsonl`` at once, and fitted
    models are pickled beside it, so an interrupted run loses at most the unit in
    flight; ``--resume`` picks both up again (without it the folder starts empty).
    ``variant`` names a setting with a folder of its own (``<dataset>-<variant>``).
    """

    def __init__(self, args, experiment, variant=None):
        self.path = _folder(args, experiment, variant)
        os.makedirs(self.path, exist_ok=True)
        self.results_file = os.path.join(self.path, "results.jsonl")
        if not args.resume:
            for entry in os.listdir(self.path):
                if entry.endswith((".jsonl", ".pkl")):
                    os.remove(os.path.join(self.path, entry))
        self.reload()
        self.args = args
        self.experiment = experiment
        self.start = time.perf_counter()

    def reload(self):
        """Read the records again: a command that shares this folder with another
        running at the same time (``--models``, ``--targets`` split over two cores)
        sees the other's results before it writes its tables."""
        self.records = {}
        if os.path.exists(self.results_file):
            with open(self.results_file) as fh:
                for number, line in enumerate(fh, 1):
                    if not line.strip():
                        continue
                    try:
                        record = json.loads(line)
                    except json.JSONDecodeError:
                        # a write cut short (a killed run, a copy taken mid-write):
                        # that unit of work is done again
                        print(f"{self.results_file}:{number}: skipping an incomplete "
                              "record", flush=True)
                        continue
                    self.records[record["key"]] = record

    def get(self, key):
        return self.records.get(key)

    def add(self, key, **record):
        record = {"key": key, **record}
        self.records[key] = record
        line = json.dumps(record, separators=(",", ":")) + "\n"
        if not _ends_a_line(self.results_file):
            line = "\n" + line  # after a cut-short record, not glued to it
        # one unbuffered append, so the lines of two commands sharing the file never interleave
        with open(self.results_file, "ab", buffering=0) as fh:
            fh.write(line.encode())
        print(f"[{self.experiment}] {key}: " + ", ".join(
            f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}"
            for k, v in record.items() if k != "key" and not isinstance(v, (list, dict))),
            flush=True)
        return record

    def model(self, name, fit, elsewhere=None):
        """The model saved as ``name``, else ``elsewhere()`` (``(model, fit seconds)``
        that another experiment saved, see :func:`fitted_by`, or None), else
        ``fit()``'s result, saved (with its fit time)."""
        saved = self.saved_model(name)
        if saved is not None:
            return saved
        found = elsewhere() if elsewhere is not None else None
        if found is not None:
            print(f"[{self.experiment}] {name}: using the same model fitted by another "
                  "experiment", flush=True)
            return found
        print(f"[{self.experiment}] fitting {name} ...", flush=True)
        start = time.perf_counter()
        model = fit()
        seconds = time.perf_counter() - start
        self.save_model(name, model, seconds)
        return model, seconds

    def model_file(self, name):
        return os.path.join(self.path, f"{name}.pkl")

    def saved_model(self, name):
        """``(model, fit seconds)`` saved as ``name``, or None."""
        return _load_model(self.model_file(name))

    def save_model(self, name, model, seconds):
        _write_whole(self.model_file(name), "wb",
                     lambda fh: pickle.dump({"model": model, "seconds": seconds}, fh))

    def write_table(self, name, rows, columns, title):
        """``rows`` (list of dicts) as ``name.csv`` and ``name.md``; returns the markdown."""
        with open(os.path.join(self.path, f"{name}.csv"), "w") as fh:
            fh.write(",".join(columns) + "\n")
            for row in rows:
                fh.write(",".join(_cell(row.get(c, "")) for c in columns) + "\n")
        lines = [f"### {title}", "", "| " + " | ".join(columns) + " |",
                 "|" + "---|" * len(columns)]
        lines += ["| " + " | ".join(_cell(row.get(c, "")) for c in columns) + " |" for row in rows]
        markdown = "\n".join(lines) + "\n"
        with open(os.path.join(self.path, f"{name}.md"), "w") as fh:
            fh.write(markdown)
        return markdown

    def file(self, name):
        """Path of ``name`` in the results folder (figures and other outputs)."""
        return os.path.join(self.path, name)

    def write_meta(self, **extra):
        """``meta.json``: the experiment's settings (``extra`` among them) and, under
        ``runs``, every command that has worked in this folder since the last run
        without ``--resume``, so a long run done in pieces records all of them."""
        file = os.path.join(self.path, "meta.json")
        runs = _read_json(file).get("runs", []) if self.args.resume else []
        runs.append({
            "command": " ".join(sys.argv),
            "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "wall_seconds": round(time.perf_counter() - self.start, 1),
            "environment": environment(), "machine": platform.platform(),
        })
        meta = {"experiment": self.experiment, "dataset": self.args.dataset,
                "quick": self.args.quick, "seed": self.args.seed, **extra, "runs": runs}
        _write_whole(file, "w", lambda fh: json.dump(meta, fh, indent=1))


def _write_whole(file, mode, write):
    """``write(fh)`` into a temporary file of this process, then moved onto ``file`` in
    one step: a killed run leaves no truncated file, and a command sharing the folder
    never reads half of one."""
    temporary = f"{file}.{os.getpid()}.tmp"
    with open(temporary, mode) as fh:
        write(fh)
    os.replace(temporary, file)


def _read_json(file):
    """The object in ``file``, or an empty one if it is missing or unreadable."""
    try:
        with open(file) as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return {}


def _ends_a_line(file):
    """Whether ``file`` is missing, empty or ends with a newline."""
    if not os.path.exists(file) or os.path.getsize(file) == 0:
        return True
    with open(file, "rb") as fh:
        fh.seek(-1, os.SEEK_END)
        return fh.read(1) == b"\n"


def _folder(args, experiment, variant=None):
    name = args.dataset + ("-quick" if args.quick else "")
    name += f"-{variant}" if variant else ""
    return os.path.join(args.out, experiment, name)


#: parameters that change how a fit runs, not the model it makes
_RUN_PARAMETERS = ("n_jobs", "verbose", "warm_start", "device")


def fitted_by(args, experiment, name, like, variant=None):
    """``(model, fit seconds)`` that ``experiment`` saved as ``name`` on this dataset
    (in its folder of ``variant``), if its parameters are those of the estimator
    ``like``, else None.

    Lets one experiment use another's costly fits: the ten-class black box attacks
    the 32-vote ensembles of Table I. The caller must ask only for a model fitted on
    the same data (both experiments' ``load_dataset`` with the same classes)."""
    saved = _load_model(os.path.join(_folder(args, experiment, variant), f"{name}.pkl"))
    if saved is None:
        return None
    model, seconds = saved
    # getattr: models pickled by an older version lack newer run parameters
    if any(_as_json(_parameter(model, k)) != v for k, v in model_settings(like).items()):
        return None
    return model, seconds


def model_settings(estimator):
    """Every parameter of ``estimator`` that shapes the model it fits (nested
    estimators by their parameters), as a JSON record stores them: what ``--resume``
    compares before it reuses a result."""
    return _as_json({k: v for k, v in estimator.get_params().items()
                     if k.rpartition("__")[2] not in _RUN_PARAMETERS
                     and not hasattr(v, "get_params")})


def _as_json(value):
    return json.loads(json.dumps(value))


def _load_model(file):
    """``(model, fit seconds)`` pickled in ``file`` by :meth:`Store.save_model`, or None."""
    if not os.path.exists(file):
        return None
    with open(file, "rb") as fh:
        saved = pickle.load(fh)
    return saved["model"], saved["seconds"]


def _parameter(model, key):
    for part in key.split("__"):
        model = getattr(model, part, None)
    return model


def _cell(value):
    return f"{value:.4g}" if isinstance(value, float) else str(value)
