"""``python -m benchmarks``: clean help with defaults, --data-dir in both forms, and
one-line errors that leave no empty results folder behind."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATASETS = Path(os.environ.get("SK01LOSS_DATA", ROOT.parent / "shared" / "datasets"))

# makes one module unimportable, as if it were not installed, then runs the CLI
HIDE = """
import importlib.abc, sys
class Hide(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] == {module!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
sys.meta_path.insert(0, Hide())
from benchmarks.__main__ import main
sys.exit(main(sys.argv[1:]))
"""


def cli(*args, cwd, hide=None):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SK01LOSS_DATA": str(DATASETS)}
    command = ([sys.executable, "-c", HIDE.format(module=hide)] if hide
               else [sys.executable, "-m", "benchmarks"])
    return subprocess.run([*command, *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_help_is_plain_text_with_whole_sentences(tmp_path):
    out = cli("--help", cwd=tmp_path)
    assert out.returncode == 0
    assert "``" not in out.stdout
    # the one-line summaries end their sentence
    assert "against their convex counterparts, and a sweep" in " ".join(out.stdout.split())


@pytest.mark.parametrize("experiment", ["table1", "blackbox", "vote-time", "fig7", "gpu-fit"])
def test_subcommand_help_shows_defaults(tmp_path, experiment):
    out = cli(experiment, "--help", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    text = " ".join(out.stdout.split())
    assert "``" not in text and "spec §" not in text
    assert "(default: 2018)" in text or "(default: 0)" in text
    assert "--data-dir" not in text or "datasets folder" in text


def _one_line_error(out, *words):
    assert out.returncode == 2, (out.stdout, out.stderr)
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in out.stderr, out.stderr
    for word in words:
        assert word in lines[0], lines[0]


def test_missing_data_is_one_line_and_leaves_no_folder(tmp_path):
    out = cli("table3", "--quick", "--data-dir", tmp_path / "nowhere", "--out",
              tmp_path / "results", cwd=tmp_path)
    _one_line_error(out, "--data-dir", "no such file or directory", "datasets folder")
    assert not (tmp_path / "results").exists()


def test_unreadable_data_is_one_line_and_leaves_no_folder(tmp_path):
    (tmp_path / "mnist").mkdir()  # a dataset folder without the IDX files
    out = cli("table3", "--quick", "--data-dir", tmp_path, "--out", tmp_path / "results",
              cwd=tmp_path)
    _one_line_error(out, "cannot load the data from", "mnist")
    assert not (tmp_path / "results").exists()


def test_an_existing_results_folder_is_kept(tmp_path):
    (tmp_path / "results" / "old").mkdir(parents=True)
    out = cli("table3", "--quick", "--data-dir", tmp_path / "nowhere", "--out",
              tmp_path / "results", cwd=tmp_path)
    assert out.returncode == 2
    assert (tmp_path / "results" / "old").is_dir()
    assert sorted(os.listdir(tmp_path / "results")) == ["old"]


def test_missing_torch_is_one_line(tmp_path):
    out = cli("fig7", "--quick", "--out", tmp_path / "results", cwd=tmp_path, hide="torch")
    _one_line_error(out, "torch", "download.pytorch.org/whl/cpu")
    assert not (tmp_path / "results").exists()


def test_missing_cupy_is_one_line(tmp_path):
    out = cli("gpu-fit", "--out", tmp_path / "gpu", cwd=tmp_path, hide="cupy")
    _one_line_error(out, "CUDA", "CuPy")
    assert not (tmp_path / "gpu").exists()


@pytest.mark.skipif(not (DATASETS / "mnist").is_dir(), reason=f"no MNIST in {DATASETS}")
def test_data_dir_accepts_the_datasets_folder_and_the_dataset_folder():
    from types import SimpleNamespace

    from benchmarks._experiment import load_dataset

    shapes = []
    for data_dir in (DATASETS, DATASETS / "mnist"):
        args = SimpleNamespace(dataset="mnist", data_dir=str(data_dir), quick=True, seed=0)
        X, y, X_test, y_test = load_dataset(args, classes=[0, 1])
        shapes.append((X.shape, X_test.shape))
    assert shapes[0] == shapes[1] and shapes[0][0][1] == 784


@pytest.mark.parametrize("args, words", [
    (["--n-test", "0"], ["--n-test", ">= 1"]),
    (["--votes", "-2"], ["--votes", ">= 1"]),
    (["--certify", "-1"], ["--certify", ">= 0"]),
    (["--eps", "0.1", "-0.1"], ["--eps", ">= 0"]),
    (["--time-limit", "0"], ["--time-limit", "> 0"]),
    (["--parts", "certify"], ["--certify N"]),
])
def test_robustness_arguments_are_checked_before_anything_is_fitted(tmp_path, args, words):
    out = cli("robustness", "--out", tmp_path / "results", *args, cwd=tmp_path)
    assert out.returncode == 2 and "Traceback" not in out.stderr, out.stderr
    assert all(word in out.stderr for word in words), out.stderr
    assert "fitted in" not in out.stdout
    assert not (tmp_path / "results").exists()
