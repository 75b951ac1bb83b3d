"""GPU against CPU: 32-vote SCD01/MLP01 fits on MNIST with both back-ends.

For one model, in one run: a 32-vote fit of class 0 vs all on each back-end (the
CPU with ``n_jobs=-1``; the ratio says how many CPU cores the GPU is worth), then
the whole 10-class one-vs-all 32-vote fit on the GPU, timed against the target
(SCD01 10 s, MLP01 60 s on one H200) with its test accuracy. The paper's protocol
(64 coordinates, batches of 75 % of each class, 500 (SCD01) or 1000 (MLP01, 20
hidden units) iterations, no early stopping) unless ``--defaults``: the estimators'
defaults (SCD01's stop early). Each result is printed as it comes and appended to
``--out``/gpu-fit.jsonl.

``--device cpu`` runs the "GPU" side on the CPU (to test the script anywhere).
"""

import json
import os
import time
from contextlib import nullcontext

import numpy as np
from joblib import parallel_config

from sk01loss import MLP01Classifier, SCD01Classifier
from sk01loss._kernels import cuda_status
from sk01loss.datasets import load_mnist

from ._common import (DEFAULT_DATA, PAPER_PROTOCOL, CommandError, environment, load_checked,
                      resolve_data_dir)

MODELS = {
    # name: (estimator, paper iterations, target seconds for 10 classes x 32 votes)
    "scd01": (SCD01Classifier, 500, 10.0),
    "mlp01": (MLP01Classifier, 1000, 60.0),
}


def add_arguments(parser):
    parser.add_argument("--model", choices=sorted(MODELS), default="scd01")
    parser.add_argument("--data-dir", default=DEFAULT_DATA,
                        help="the datasets folder that holds mnist/, or the MNIST folder "
                             "itself (default: $SK01LOSS_DATA or %(default)s)")
    parser.add_argument("--out", default=os.path.join("results", "gpu"))
    parser.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    parser.add_argument("--votes", type=int, default=32)
    parser.add_argument("--defaults", action="store_true",
                        help="fit with the estimator's defaults, not the paper's protocol")
    parser.add_argument("--max-iter", type=int,
                        help="default: the paper's (the estimator's with --defaults)")
    parser.add_argument("--n-jobs", type=int, default=-1,
                        help="joblib workers (GPU: problems fitted side by side)")
    parser.add_argument("--backend", help="joblib backend of the multiclass fit, e.g. threading "
                        "(default: the estimator's choice, one process per problem on a GPU)")
    parser.add_argument("--steps", nargs="+", default=["binary-gpu", "binary-cpu", "multiclass"],
                        choices=["binary-gpu", "binary-cpu", "multiclass"])
    parser.add_argument("--seed", type=int, default=2018)


def run(args):
    Estimator, paper_iter, target = MODELS[args.model]
    settings = {} if args.defaults else dict(PAPER_PROTOCOL[args.model], max_iter=paper_iter)
    if args.max_iter:
        settings["max_iter"] = args.max_iter
    max_iter = settings.get("max_iter", Estimator().max_iter)
    if args.device == "cuda":
        missing = cuda_status()
        if missing is not None:
            raise CommandError(f"gpu-fit --device cuda needs a CUDA GPU through CuPy: {missing}; "
                               "or run --device cpu")
    X, y = load_checked(load_mnist, resolve_data_dir(args.data_dir, "mnist"), "train")
    X_test, y_test = load_checked(load_mnist, resolve_data_dir(args.data_dir, "mnist"), "test")
    os.makedirs(args.out, exist_ok=True)
    print(environment(), flush=True)
    if args.device == "cuda":
        import cupy

        props = cupy.cuda.runtime.getDeviceProperties(0)
        print(f"GPU: {props['name'].decode()}, cupy {cupy.__version__}", flush=True)
    # compile (CuPy kernels, Numba's cache) outside the timings
    for device in {args.device, "cpu"}:
        Estimator(n_estimators=2, max_iter=3, device=device).fit(X[:600], y[:600])

    def fit(step, device, labels, truth):
        clf = Estimator(n_estimators=args.votes, device=device, n_jobs=args.n_jobs,
                        random_state=args.seed, **settings)
        start = time.perf_counter()
        clf.fit(X, labels)
        seconds = time.perf_counter() - start
        record = {"model": args.model, "step": step, "device": device, "votes": args.votes,
                  "protocol": "defaults" if args.defaults else "paper",
                  "max_iter": max_iter, "n_iter_mean": round(float(np.mean(clf.n_iter_)), 1),
                  "n_jobs": args.n_jobs, "backend": args.backend,
                  "seconds": round(seconds, 2),
                  "test_accuracy": round(float(clf.score(X_test, truth)), 4)}
        print(f"[gpu-fit] {json.dumps(record)}", flush=True)
        with open(os.path.join(args.out, "gpu-fit.jsonl"), "a") as f:
            f.write(json.dumps(record) + "\n")
        return clf, seconds

    times = {}
    for step in ("binary-gpu", "binary-cpu"):
        if step in args.steps:
            device = args.device if step == "binary-gpu" else "cpu"
            times[step] = fit(step, device, y == 0, y_test == 0)
    if len(times) == 2:
        (gpu, gpu_s), (cpu, cpu_s) = times["binary-gpu"], times["binary-cpu"]
        same = np.mean(gpu.predict(X_test) == cpu.predict(X_test))
        print(f"[gpu-fit] class 0 vs all, {args.votes} votes: {args.device} {gpu_s:.1f} s, "
              f"cpu ({os.cpu_count()} cores) {cpu_s:.1f} s: speed-up {cpu_s / gpu_s:.1f}; "
              f"test predictions agree on {same:.4f} of rows", flush=True)
    if "multiclass" in args.steps:
        with parallel_config(backend=args.backend) if args.backend else nullcontext():
            _, seconds = fit("multiclass", args.device, y, y_test)
        print(f"[gpu-fit] 10 classes x {args.votes} votes on {args.device}: {seconds:.1f} s "
              f"(target {target:.0f} s: ratio {seconds / target:.2f})", flush=True)
