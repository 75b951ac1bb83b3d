"""Smoke tests of the benchmarks CLI on a tiny generated MNIST-format dataset, so
the experiments cannot rot; the real runs are not part of the test suite."""

import argparse
import gzip
import json
import pickle
import shutil

import numpy as np
import pytest

from benchmarks.__main__ import main
from benchmarks import table1, vote_quality
from benchmarks._common import add_set_option, parameter
from sk01loss import SCD01Classifier


def write_idx(path, array, magic):
    header = magic.to_bytes(4, "big") + b"".join(n.to_bytes(4, "big") for n in array.shape)
    with gzip.open(path, "wb") as fh:
        fh.write(header + array.astype(np.uint8).tobytes())


@pytest.fixture(scope="module")
def tiny_mnist(tmp_path_factory):
    """Ten classes of 28x28 images, each class a bright block in its own place."""
    path = tmp_path_factory.mktemp("mnist")
    rng = np.random.default_rng(0)
    for split, n in [("train", 200), ("t10k", 100)]:
        labels = np.arange(n) % 10
        images = rng.integers(0, 60, (n, 28, 28))
        for i, label in enumerate(labels):
            images[i, 2 * label:2 * label + 6, 4:20] += 180
        write_idx(path / f"{split}-images-idx3-ubyte.gz", images, 2051)
        write_idx(path / f"{split}-labels-idx1-ubyte.gz", labels, 2049)
    return path


def read_records(folder):
    return [json.loads(line) for line in (folder / "results.jsonl").read_text().splitlines()]


def test_table1_quick_runs_and_resumes(tiny_mnist, tmp_path, capsys):
    args = ["table1", "--quick", "--data-dir", str(tiny_mnist), "--out", str(tmp_path),
            "--votes", "2", "--n-jobs", "1"]
    main(args)
    folder = tmp_path / "table1" / "mnist-quick"
    table = (folder / "table1.md").read_text()
    for model in ("svm", "scd01", "mlp", "mlp01"):
        assert f"| {model} |" in table
    records = read_records(folder)
    results = [r for r in records if r["key"].endswith(("/accuracy", "/time"))]
    assert len(results) == 8
    assert all(0 <= r["single"] <= 1 for r in results if r["key"].endswith("accuracy"))
    meta = json.loads((folder / "meta.json").read_text())
    assert meta["seed"] == 2018 and len(meta["runs"]) == 1
    assert "numba" in meta["runs"][0]["environment"] and meta["runs"][0]["wall_seconds"] > 0
    capsys.readouterr()
    main(args + ["--resume"])  # everything is on disk: nothing is fitted again
    assert "fitting" not in capsys.readouterr().out
    assert len(read_records(folder)) == len(records)
    # a run done in pieces records every piece; a fresh run starts the list again
    runs = json.loads((folder / "meta.json").read_text())["runs"]
    assert len(runs) == 2 and runs[0] == meta["runs"][0]
    main(args + ["--models", "svm"])  # the cheapest fresh run
    assert len(json.loads((folder / "meta.json").read_text())["runs"]) == 1
    assert not list(folder.glob("*.tmp"))


def test_table1_resume_refits_only_the_missing_bootstrap_member(tiny_mnist, tmp_path, capsys):
    args = ["table1", "--quick", "--data-dir", str(tiny_mnist), "--out", str(tmp_path),
            "--votes", "3", "--n-jobs", "2", "--models", "svm"]
    main(args)
    folder = tmp_path / "table1" / "mnist-quick"
    before = {r["key"]: r for r in read_records(folder)}["svm/accuracy"]
    # as if the run had been killed while fitting member 1
    lines = (folder / "results.jsonl").read_text().splitlines()
    (folder / "results.jsonl").write_text("\n".join(
        line for line in lines if not any(k in line for k in ("svm/accuracy", "member01"))) + "\n")
    capsys.readouterr()
    main(args + ["--resume"])
    out = capsys.readouterr().out
    assert "fitting 1 members of svm-3" in out and "fitting svm" not in out
    assert "svm-3-member01: seconds" in out and "member00" not in out
    after = {r["key"]: r for r in read_records(folder)}["svm/accuracy"]
    assert (after["single"], after["ensemble"]) == (before["single"], before["ensemble"])


def test_table1_resumes_after_a_record_cut_short(tiny_mnist, tmp_path, capsys):
    args = ["table1", "--quick", "--data-dir", str(tiny_mnist), "--out", str(tmp_path),
            "--votes", "2", "--n-jobs", "1", "--models", "svm", "--svm-C", "0.1"]
    main(args)
    folder = tmp_path / "table1" / "mnist-quick"
    records = read_records(folder)
    before = {r["key"]: r for r in records}
    # killed (or copied) while writing member 1, the last unit of work
    kept = [json.dumps(r) + "\n" for r in records
            if not r["key"].endswith(("/accuracy", "member01"))]
    cut = json.dumps(before["svm-2-member01"])[:100]
    (folder / "results.jsonl").write_text("".join(kept) + cut)
    capsys.readouterr()
    main(args + ["--resume"])
    out = capsys.readouterr().out
    assert "results.jsonl:4: skipping an incomplete record" in out
    assert "fitting 1 members of svm-2" in out
    # the cut line stands alone; every other line is a whole record again
    lines = (folder / "results.jsonl").read_text().splitlines()
    assert lines[3] == cut and len(lines) == len(records) + 1
    after = {r["key"]: r for r in map(json.loads, lines[:3] + lines[4:])}
    assert set(after) == set(before)
    assert after["svm-2-member01"]["predictions"] == before["svm-2-member01"]["predictions"]
    assert after["svm/accuracy"]["ensemble"] == before["svm/accuracy"]["ensemble"]


def test_table1_resumes_the_bootstrap_rows_from_the_records_alone(tiny_mnist, tmp_path, capsys):
    # what a run moved to another machine without its model files does
    args = ["table1", "--quick", "--data-dir", str(tiny_mnist), "--out", str(tmp_path),
            "--votes", "3", "--n-jobs", "1", "--models", "svm", "mlp", "--svm-C", "0.1"]
    main(args)
    folder = tmp_path / "table1" / "mnist-quick"
    before = read_records(folder)
    for file in folder.glob("*.pkl"):
        file.unlink()
    (folder / "results.jsonl").write_text("".join(
        json.dumps(r) + "\n" for r in before if not r["key"].endswith("/accuracy")))
    capsys.readouterr()
    main(args + ["--resume"])
    assert "fitting" not in capsys.readouterr().out
    after = {r["key"]: r for r in read_records(folder)}
    for r in before:
        assert after[r["key"]] == r


def test_majority_vote_counts_columns_and_breaks_ties_to_the_lowest_class():
    rng = np.random.default_rng(0)
    predictions = rng.integers(0, 4, (5, 300))
    expected = [min(set(column), key=lambda k: (-list(column).count(k), k))
                for column in predictions.T]
    np.testing.assert_array_equal(table1.majority_vote(predictions, 4), expected)
    np.testing.assert_array_equal(table1.majority_vote(np.array([[2, 1], [1, 2]]), 3), [1, 1])


def test_table1_svm_with_a_fixed_C_skips_cross_validation(tiny_mnist, tmp_path):
    args = ["table1", "--quick", "--data-dir", str(tiny_mnist), "--out", str(tmp_path),
            "--votes", "2", "--n-jobs", "1", "--models", "svm"]
    main(args + ["--svm-C", "0.1"])
    folder = tmp_path / "table1" / "mnist-quick"
    record = {r["key"]: r for r in read_records(folder)}["svm/accuracy"]
    assert (record["C"], record["C_chosen_by"]) == (0.1, "--svm-C")
    assert "svm/cv" not in {r["key"] for r in read_records(folder)}
    # Table II's time is the first record a resume with another C would reuse
    with pytest.raises(SystemExit, match="svm with other settings"):
        main(args + ["--svm-C", "0.01", "--resume"])
    (folder / "results.jsonl").unlink()  # the saved model alone is checked too
    with pytest.raises(SystemExit, match="svm with other settings"):
        main(args + ["--svm-C", "0.01", "--resume"])


def test_table1_grows_0_1_ensembles_in_saved_steps(tiny_mnist, tmp_path, capsys):
    args = ["table1", "--quick", "--data-dir", str(tiny_mnist), "--out", str(tmp_path),
            "--votes", "6", "--n-jobs", "1", "--models", "scd01"]
    main(args)
    out = capsys.readouterr().out
    assert "scd01-6: 4/6 votes" in out and "scd01-6: 6/6 votes" in out
    folder = tmp_path / "table1" / "mnist-quick"
    assert not (folder / "scd01-6-partial.pkl").exists()
    whole = pickle.loads((folder / "scd01-6.pkl").read_bytes())
    # as if the run had been killed after the first step
    partial = whole["model"].select_votes(4).set_params(warm_start=True)
    (folder / "scd01-6-partial.pkl").write_bytes(
        pickle.dumps({"model": partial, "seconds": 1.0}))
    (folder / "scd01-6.pkl").unlink()
    (folder / "results.jsonl").unlink()
    main(args + ["--resume"])
    out = capsys.readouterr().out
    assert "scd01-6: 6/6 votes" in out and "4/6" not in out
    resumed = pickle.loads((folder / "scd01-6.pkl").read_bytes())["model"]
    for name in ("coef_", "intercept_", "train_objective_"):
        np.testing.assert_array_equal(getattr(resumed, name), getattr(whole["model"], name))


def test_table1_reports_the_models_of_earlier_runs_with_the_same_votes(tiny_mnist, tmp_path):
    args = ["table1", "--quick", "--data-dir", str(tiny_mnist), "--out", str(tmp_path),
            "--n-jobs", "1", "--svm-C", "0.1", "--resume"]
    main(args + ["--votes", "2", "--models", "svm"])
    main(args + ["--votes", "2", "--models", "scd01"])
    table = (tmp_path / "table1" / "mnist-quick" / "table1.md").read_text()
    assert "| svm |" in table and "| scd01 |" in table and "| 2 votes % |" in table
    # other votes: refitted, and the 2-vote rows are not this table's
    main(args + ["--votes", "3", "--models", "scd01"])
    table = (tmp_path / "table1" / "mnist-quick" / "table1.md").read_text()
    assert "| scd01 |" in table and "| 3 votes % |" in table
    assert "| svm |" not in table and "| 2 votes % |" not in table


def test_table1_reports_the_models_a_concurrent_run_finished(tiny_mnist, tmp_path,
                                                            monkeypatch):
    args = ["table1", "--quick", "--data-dir", str(tiny_mnist), "--out", str(tmp_path),
            "--n-jobs", "1", "--votes", "2", "--resume"]
    main(args + ["--models", "mlp"])
    folder = tmp_path / "table1" / "mnist-quick"
    mlp_records = (folder / "results.jsonl").read_text()
    (folder / "results.jsonl").write_text("")
    timing = table1._fit_seconds

    def another_command_finishes_mlp(*a):
        with open(folder / "results.jsonl", "a") as fh:  # while this one fits SCD01
            fh.write(mlp_records)
        return timing(*a)

    monkeypatch.setattr(table1, "_fit_seconds", another_command_finishes_mlp)
    main(args + ["--models", "scd01"])
    table = (folder / "table1.md").read_text()
    assert "| mlp |" in table and "| scd01 |" in table


@pytest.mark.parametrize("experiment", ["table3", "table4"])
def test_transfer_tables_quick_run_and_resume(experiment, tiny_mnist, tmp_path, capsys):
    args = [experiment, "--quick", "--data-dir", str(tiny_mnist), "--out", str(tmp_path),
            "--n-jobs", "1"]
    main(args)
    folder = tmp_path / experiment / "mnist-quick"
    table = (folder / f"{experiment}.md").read_text()
    for row in ("clean", "svm", "scd01", "mlp", "mlp01"):
        assert f"| {row} |" in table
    # the paper's MNIST numbers stand beside Table III; Table IV has CIFAR-10 only
    assert ("paper svm" in table) == (experiment == "table3")
    assert (folder / f"{experiment}.csv").read_text().startswith("source,svm,scd01,mlp,mlp01")
    assert (folder / f"{experiment}.png").stat().st_size > 1000
    records = {r["key"]: r for r in read_records(folder)}
    assert set(records) == {"clean", "svm", "scd01", "mlp", "mlp01"}
    assert all(0 <= records[row][target] <= 1 for row in records
               for target in ("svm", "scd01", "mlp", "mlp01"))
    meta = json.loads((folder / "meta.json").read_text())
    assert meta["eps"] == 0.3 and meta["binarised"] == (experiment == "table4")
    capsys.readouterr()
    main(args + ["--resume"])  # models and rows are on disk: nothing is fitted or attacked
    out = capsys.readouterr().out
    assert "fitting" not in out and "[{}] svm:".format(experiment) not in out
    assert len(read_records(folder)) == 5


def test_blackbox_quick_runs_and_resumes(tiny_mnist, tmp_path, capsys):
    args = ["blackbox", "--quick", "--data-dir", str(tiny_mnist), "--out", str(tmp_path),
            "--votes", "2", "--rounds", "2", "--n-initial", "8", "--n-jobs", "1"]
    main(args)
    folder = tmp_path / "blackbox" / "mnist-quick-0v1"
    records = read_records(folder)
    assert [r["key"] for r in records] == [f"mlp/original/{t}"
                                           for t in ("svm", "scd01", "mlp", "mlp01")]
    for r in records:
        assert [h["round"] for h in r["history"]] == [1, 2]
        assert [h["set_size"] for h in r["history"]] == [8, 16]
        assert 0 <= r["adversarial"] <= 1 and r["queries"] == 24
    assert "2votes" in records[1]["settings"]["model"]
    summary = (folder / "blackbox.md").read_text()
    assert "| mlp | original | mlp01 |" in summary and "epoch 2 %" in summary
    rounds = (folder / "rounds.csv").read_text().splitlines()
    assert len(rounds) == 1 + 4 * 3  # epochs 0 (clean), 1, 2 of each target
    for figure in ("curves-mlp-original.png", "match-mlp-original.png"):
        assert (folder / figure).stat().st_size > 1000
    meta = json.loads((folder / "meta.json").read_text())
    assert meta["evaluation_points"] == 12 and meta["rounds"] == 2
    capsys.readouterr()
    main(args + ["--resume"])  # every attack is on disk: nothing is fitted or queried
    out = capsys.readouterr().out
    assert "fitting" not in out and "target labelled" not in out
    assert len(read_records(folder)) == 4


def test_blackbox_scd01_substitute_binarised_multiclass(tiny_mnist, tmp_path):
    main(["blackbox", "--quick", "--data-dir", str(tiny_mnist), "--out", str(tmp_path),
          "--classes", "all", "--substitute", "mlp", "scd01", "--inputs", "original",
          "binarised", "--targets", "scd01", "mlp01", "--votes", "2", "--rounds", "2",
          "--n-initial", "20", "--n-jobs", "1"])
    folder = tmp_path / "blackbox" / "mnist-quick-all"
    records = {r["key"]: r for r in read_records(folder)}
    assert len(records) == 8
    # the SCD01 substitute attacks single runs (Fig. 4), the convex one the ensembles
    assert records["scd01/binarised/scd01"]["settings"]["model"] == \
        "binarised-scd01-1votes-200iters"
    assert records["mlp/original/mlp01"]["settings"]["model"] == \
        "original-mlp01-2votes-200iters"
    for kind in ("mlp", "scd01"):
        assert (folder / f"binarised-{kind}.png").exists()  # Fig. 6: original vs binarised
        for inputs in ("original", "binarised"):
            assert (folder / f"curves-{kind}-{inputs}.png").exists()


def test_ten_class_blackbox_attacks_table1s_models_when_their_settings_match(
        tiny_mnist, tmp_path, capsys):
    common = ["--quick", "--data-dir", str(tiny_mnist), "--out", str(tmp_path), "--n-jobs", "1"]
    main(["table1", *common, "--votes", "2", "--models", "scd01", "mlp"])
    table1_fits = {name: pickle.loads((tmp_path / "table1" / "mnist-quick" / f"{name}.pkl")
                   .read_bytes())["seconds"] for name in ("scd01-2", "mlp")}
    blackbox = ["blackbox", *common, "--classes", "all", "--targets", "scd01", "mlp",
                "--rounds", "1", "--n-initial", "20"]
    capsys.readouterr()
    main(blackbox + ["--votes", "2"])
    out = capsys.readouterr().out
    assert out.count("using the same model fitted by another experiment") == 2
    assert "fitting" not in out
    records = {r["key"]: r for r in read_records(tmp_path / "blackbox" / "mnist-quick-all")}
    assert records["mlp/original/scd01"]["fit_seconds"] == round(table1_fits["scd01-2"], 1)
    assert records["mlp/original/mlp"]["fit_seconds"] == round(table1_fits["mlp"], 1)
    # other settings: fitted afresh
    main(blackbox + ["--votes", "3", "--resume"])
    out = capsys.readouterr().out
    assert "fitting original-scd01-3votes-100iters" in out
    assert "using the same model" not in out


def test_blackbox_reports_the_attacks_of_earlier_runs_with_the_same_protocol(
        tiny_mnist, tmp_path):
    args = ["blackbox", "--quick", "--data-dir", str(tiny_mnist), "--out", str(tmp_path),
            "--rounds", "1", "--n-initial", "10", "--n-jobs", "1", "--resume"]
    folder = tmp_path / "blackbox" / "mnist-quick-0v1"
    main(args + ["--targets", "mlp"])
    main(args + ["--targets", "svm", "--substitute", "scd01"])
    main(args + ["--targets", "svm"])
    summary = (folder / "blackbox.md").read_text()
    units = ["| mlp | original | svm |", "| mlp | original | mlp |", "| scd01 | original | svm |"]
    assert [summary.index(unit) for unit in units] == sorted(summary.index(u) for u in units)
    assert len((folder / "rounds.csv").read_text().splitlines()) == 1 + 3 * 2
    # another eps is another protocol: its table holds only its own attacks
    main(args + ["--targets", "svm", "--eps", "0.1"])
    summary = (folder / "blackbox.md").read_text()
    assert "| mlp | original | svm |" in summary
    assert "| mlp | original | mlp |" not in summary and "| scd01 |" not in summary


def test_blackbox_uniform_augmentation_has_a_folder_of_its_own(tiny_mnist, tmp_path):
    args = ["blackbox", "--quick", "--data-dir", str(tiny_mnist), "--out", str(tmp_path),
            "--targets", "svm", "--rounds", "2", "--n-initial", "10", "--n-jobs", "1"]
    main(args + ["--substitute", "scd01", "--augmentation", "uniform"])
    records = read_records(tmp_path / "blackbox" / "mnist-quick-0v1-uniform")
    assert [r["key"] for r in records] == ["scd01/original/svm"]
    assert not (tmp_path / "blackbox" / "mnist-quick-0v1").exists()
    with pytest.raises(SystemExit, match="--substitute scd01"):
        main(args + ["--augmentation", "uniform"])


def test_attack_variants_attack_the_targets_of_their_task_in_folders_of_their_own(
        tiny_mnist, tmp_path, capsys):
    args = ["blackbox", "--quick", "--data-dir", str(tiny_mnist), "--out", str(tmp_path),
            "--targets", "mlp", "--rounds", "3", "--n-initial", "10", "--n-jobs", "1"]
    main(args)
    capsys.readouterr()
    main(args + ["--attack-seed", "1"])
    main(args + ["--clip-augmented"])
    main(args + ["--keep-seeds", "--max-set-size", "20"])
    out = capsys.readouterr().out
    assert "fitting" not in out
    assert out.count("using the same model fitted by another experiment") == 3
    history = {variant: read_records(tmp_path / "blackbox" / f"mnist-quick-0v1{variant}")[0]
               ["history"] for variant in ("", "-attack-seed1", "-clipped", "-keep-seeds")}
    assert [h["set_size"] for h in history["-keep-seeds"]] == [10, 20, 20]
    assert history[""][0]["target_accuracy"] == history["-attack-seed1"][0]["target_accuracy"]
    # a round-1 substitute trained from another seed crafts other adversaries ...
    assert history[""] != history["-attack-seed1"]
    # ... while clipping first acts on the points augmented after round 1
    assert history[""][0] == history["-clipped"][0]
    assert history[""][1:] != history["-clipped"][1:]
    main(["regions", *args[1:], "--attack-seed", "1"])  # watches the variant's attack
    watched = read_records(tmp_path / "regions" / "mnist-quick-0v1-attack-seed1")[0]["history"]
    assert [r["target_accuracy_adv"] for r in watched] == \
        [h["target_accuracy_adv"] for h in history["-attack-seed1"]]
    assert "[regions] mlp: target labelled" in capsys.readouterr().out
    with pytest.raises(SystemExit, match="--substitute mlp"):
        main(args + ["--substitute", "scd01", "--clip-augmented"])


def test_regions_watches_the_blackbox_attack_it_repeats(tiny_mnist, tmp_path, capsys):
    args = ["--quick", "--data-dir", str(tiny_mnist), "--out", str(tmp_path), "--targets",
            "svm", "mlp", "--rounds", "3", "--n-initial", "10", "--n-jobs", "1"]
    with pytest.raises(SystemExit, match="run blackbox with the same options first"):
        main(["regions", *args])
    for other in (["--substitute", "scd01"], ["--augmentation", "uniform"]):
        with pytest.raises(SystemExit, match="use --substitute mlp .* --augmentation jacobian"):
            main(["regions", *args, *other])
    main(["blackbox", *args])
    main(["regions", *args])
    attacks = {r["target"]: r for r in read_records(tmp_path / "blackbox" / "mnist-quick-0v1")}
    watched = {r["target"]: r for r in read_records(tmp_path / "regions" / "mnist-quick-0v1")}
    assert set(watched) == {"svm", "mlp"}
    for target, record in watched.items():
        # the same attack: the same sets, labels and accuracies every round
        fields = list(attacks[target]["history"][0])
        assert [{k: r[k] for k in fields} for r in record["history"]] == \
            attacks[target]["history"]
        assert record["clean"] == attacks[target]["clean"]
        for r in record["history"]:
            # 20 test points of classes 0 and 1, less 10 seeds
            assert 1 <= r["n_regions"] <= 10 and r["modal_region"] >= 1 / r["n_regions"]
            assert len(r["constant_units"]) == 2 and 0 <= r["sign_agreement"] <= 1
            if r["n_regions"] == 1:  # one region: every unit is constant over the points
                assert r["modal_region"] == 1 and r["constant_units"] == [1, 1]
        assert record["history"][0]["set_outside"] == 0  # trained on the seeds
    table = (tmp_path / "regions" / "mnist-quick-0v1" / "regions.md").read_text()
    assert "| svm | 3 |" in table and "points in the modal region %" in table
    assert (tmp_path / "regions" / "mnist-quick-0v1" / "curves.png").stat().st_size > 1000
    capsys.readouterr()
    main(["regions", *args, "--resume"])
    assert "target labelled" not in capsys.readouterr().out


def test_vote_time_and_mnist_ensemble_run(tiny_mnist, tmp_path, capsys):
    main(["vote-time", "--model", "mlp01", "--data-dir", str(tiny_mnist), "--max-iter", "5"])
    assert "mlp01 one vote, MNIST 0 vs all, 5 iterations:" in capsys.readouterr().out
    main(["vote-time", "--model", "scd01", "--data-dir", str(tiny_mnist), "--max-iter", "5",
          "--set", "batch_fraction=auto"])
    assert ("scd01 one vote, MNIST 0 vs all, 5 iterations, batch_fraction=auto:"
            in capsys.readouterr().out)
    args = ["mnist-ensemble", "--model", "scd01", "--data-dir", str(tiny_mnist), "--out",
            str(tmp_path), "--votes", "3", "--max-iter", "20", "--n-jobs", "1"]
    main(args + ["--classes", "0", "1"])
    assert "not all classes fitted yet" in capsys.readouterr().out
    main(args + ["--resume"])  # classes 0 and 1 are kept, the other eight fitted
    out = capsys.readouterr().out
    assert "class 0: already fitted" in out and "class 2: 3 votes" in out
    result = json.loads((tmp_path / "scd01-3votes-20iters" / "result.json").read_text())
    assert result["votes"] == 3 and result["baseline"] == "LinearSVC(C=0.01)"
    assert 0 <= result["single_run_test_accuracy"] <= 1 and result["test_accuracy"] > 0.5


def test_mnist_ensemble_options_get_folders_and_records_of_their_own(tiny_mnist, tmp_path,
                                                                     capsys):
    record = tmp_path / "record"
    args = ["mnist-ensemble", "--model", "scd01", "--data-dir", str(tiny_mnist), "--out",
            str(tmp_path), "--votes", "1", "--max-iter", "5", "--n-jobs", "1"]
    main(args + ["--flip-orientation", "--record", str(record)])
    capsys.readouterr()
    folder = tmp_path / "scd01-1votes-5iters-flip"
    with open(folder / "class3.pkl", "rb") as fh:
        model = pickle.load(fh)["model"]
    assert model.flip_orientation is True and model.tol is None
    lines = [json.loads(line) for line in (record / "classes.jsonl").read_text().splitlines()]
    assert [line["class"] for line in lines] == list(range(10))
    assert all(line["settings"]["flip_orientation"] is True for line in lines)
    assert [line["random_state"] for line in lines] == [2018 + c for c in range(10)]
    assert json.loads((record / "result.json").read_text()) == json.loads(
        (folder / "result.json").read_text())
    # --compare-to: a copy of the folder is bit-identical, vote for vote
    shutil.copytree(folder, tmp_path / "copy")
    main(args + ["--flip-orientation", "--classes", "--compare-to", "copy"])
    assert "class 9 against copy: 1 of 1 votes bit-identical" in capsys.readouterr().out
    same = json.loads((folder / "compare-copy.json").read_text())
    assert [row["identical"] for row in same["classes"]] == [1] * 10
    assert same["test_accuracy"] == same["other_test_accuracy"] == json.loads(
        (folder / "result.json").read_text())["test_accuracy"]
    with open(tmp_path / "copy" / "class0.pkl", "rb") as fh:
        saved = pickle.load(fh)
    saved["model"].intercept_[0, 0] += 1.0
    with open(tmp_path / "copy" / "class0.pkl", "wb") as fh:
        pickle.dump(saved, fh)
    main(args + ["--flip-orientation", "--classes", "--compare-to", "copy"])
    assert "class 0 against copy: 0 of 1 votes bit-identical" in capsys.readouterr().out
    # against the paper's rule: identical votes predict alike, the others are listed
    main(args)
    main(args + ["--flip-orientation", "--classes", "--compare-to", "scd01-1votes-5iters",
                 "--record", str(record)])
    capsys.readouterr()
    rows = json.loads((record / "compare-scd01-1votes-5iters.json").read_text())["classes"]
    assert len(rows) == 10
    for row in rows:
        assert row["identical"] + len(row["differing_votes"]) == 1
        if row["identical"]:
            assert row["test_accuracy"] == row["other_test_accuracy"]
    # early stopping: a folder of its own, the settings reach the estimator
    main(args + ["--tol", "1e-4", "--n-iter-no-change", "3", "--classes", "0"])
    with open(tmp_path / "scd01-1votes-5iters-tol0.0001-n3" / "class0.pkl", "rb") as fh:
        model = pickle.load(fh)["model"]
    assert (model.tol, model.n_iter_no_change, model.flip_orientation) == (1e-4, 3, False)
    with pytest.raises(SystemExit, match="MLP01 option"):
        main(args + ["--bias-init", "authors"])
    with pytest.raises(SystemExit, match="SCD01 option"):
        main(["mnist-ensemble", "--model", "mlp01", "--flip-orientation", "--data-dir",
              str(tiny_mnist), "--out", str(tmp_path)])
    main(["mnist-ensemble", "--model", "mlp01", "--bias-init", "authors", "--data-dir",
          str(tiny_mnist), "--out", str(tmp_path), "--votes", "1", "--max-iter", "3",
          "--n-jobs", "1", "--classes", "0"])
    with open(tmp_path / "mlp01-1votes-3iters-bias-authors" / "class0.pkl", "rb") as fh:
        assert pickle.load(fh)["model"].bias_init == "authors"


def test_batch_size_runs_resumes_and_refuses_bad_options(tiny_mnist, tmp_path, capsys):
    args = ["batch-size", "--quick", "--data-dir", str(tiny_mnist), "--out", str(tmp_path),
            "--fractions", "0.5", "1", "--iterations", "4", "1"]
    main(args)
    folder = tmp_path / "batch-size" / "mnist-quick"
    records = {r["key"]: r for r in read_records(folder)}
    assert set(records) == {"nrows0.5-iter1", "nrows0.5-iter4", "nrows1-iter1", "nrows1-iter4"}
    for which in ("train", "test"):
        # rows sorted by iterations, a column per batch size
        rows = (folder / f"{which}.md").read_text().splitlines()[4:]
        got = [[float(cell) for cell in row.strip("| ").split(" | ")] for row in rows]
        assert got == [[k] + [round(100 * records[f"nrows{f}-iter{k}"][f"{which}_accuracy"], 1)
                              for f in ("0.5", "1")] for k in (1, 4)]
    assert (folder / "curves.png").stat().st_size > 1000
    assert "first iteration count with 80 % train accuracy" in capsys.readouterr().out
    main(args + ["--resume"])
    assert "[batch-size] nrows" not in capsys.readouterr().out  # nothing fitted again
    main(args + ["--resume", "--seed", "1"])
    assert capsys.readouterr().out.count("[batch-size] nrows") == 4  # another seed: refitted
    for bad in (["--fractions", "0"], ["--fractions", "1.5"], ["--iterations", "0"]):
        with pytest.raises(SystemExit, match="must"):
            main(args + bad)


def test_gpu_fit_runs_with_the_cpu_standing_in(tiny_mnist, tmp_path, capsys):
    main(["gpu-fit", "--model", "mlp01", "--device", "cpu", "--data-dir", str(tiny_mnist),
          "--out", str(tmp_path), "--votes", "2", "--max-iter", "5", "--n-jobs", "2"])
    out = capsys.readouterr().out
    assert "speed-up" in out and "10 classes x 2 votes on cpu" in out
    with open(tmp_path / "gpu-fit.jsonl") as f:
        records = [json.loads(line) for line in f]
    assert [r["step"] for r in records] == ["binary-gpu", "binary-cpu", "multiclass"]
    assert all(0 <= r["test_accuracy"] <= 1 for r in records)
    assert {(r["protocol"], r["max_iter"]) for r in records} == {("paper", 5)}
    main(["gpu-fit", "--model", "scd01", "--device", "cpu", "--data-dir", str(tiny_mnist),
          "--out", str(tmp_path), "--votes", "2", "--steps", "binary-gpu", "--defaults"])
    with open(tmp_path / "gpu-fit.jsonl") as f:
        last = [json.loads(line) for line in f][-1]
    assert (last["protocol"], last["max_iter"]) == ("defaults", SCD01Classifier().max_iter)
    assert 1 <= last["n_iter_mean"] <= last["max_iter"]


def test_fig7_quick_runs_and_resumes(tiny_mnist, tmp_path, capsys):
    pytest.importorskip("torch")
    args = ["fig7", "--quick", "--dataset", "mnist", "--data-dir", str(tiny_mnist),
            "--out", str(tmp_path), "--n-jobs", "1", "--votes", "2", "--hidden", "8",
            "--rounds", "2", "--n-initial", "10"]
    main(args)
    folder = tmp_path / "fig7" / "mnist-quick-6v8"
    table = (folder / "fig7.md").read_text()
    for target in ("mlp01", "mlp", "lenet", "simplenet80"):
        assert f"| {target} |" in table
    records = {r["key"]: r for r in read_records(folder)}
    assert set(records) == {"mlp01", "mlp", "lenet", "simplenet80"}
    for record in records.values():
        assert [h["set_size"] for h in record["history"]] == [10, 20]
        assert 0 <= record["adversarial"] <= 1 and record["settings"]["n_initial"] == 10
        assert record["settings"]["substitute"]["network"] == "cnn4"
    assert (folder / "curves.png").stat().st_size > 1000
    assert (folder / "rounds.csv").read_text().startswith("target,epoch,target accuracy %")
    capsys.readouterr()
    main(args + ["--resume"])  # every attack is on disk: nothing is fitted or attacked
    out = capsys.readouterr().out
    assert "fitting" not in out and "labelled" not in out
    with pytest.raises(SystemExit, match="other settings"):
        main(args[:-6] + ["--hidden", "9", "--rounds", "2", "--n-initial", "10", "--resume"])


def test_memory_reports_fit_and_predict_against_their_budgets(tiny_mnist, capsys):
    main(["memory", "--data-dir", str(tiny_mnist), "--max-iter", "1"])
    out = capsys.readouterr().out
    for name in ("SCD01Classifier", "MLP01Classifier"):
        assert f"{name} fit on uint8: peak +" in out
        assert f"{name} predict on float32: peak +" in out and f"{name} predict on uint8" in out


def test_fit_cost_compares_and_sweeps_resumably(tiny_mnist, tmp_path, capsys):
    args = ["fit-cost", "--quick", "--data-dir", str(tiny_mnist), "--out", str(tmp_path),
            "--votes", "2", "--n-jobs", "1"]
    main(args)
    out = capsys.readouterr().out
    assert "| SCD01Classifier() |" in out and "| MLP01Classifier() |" in out
    main(args + ["--sweep", "scd01"])
    folder = tmp_path / "fit-cost" / "mnist-quick-sweep-scd01"
    records = read_records(folder)
    assert len(records) == 14  # 2 max_iter x 7 stopping settings
    paper = [r for r in records if "tol=None" in r["key"]]
    # --quick: a fifth of the iterations
    assert all(r["mean_iterations"] == int(r["key"].split("max_iter=")[1].split("/")[0]) // 5
               for r in paper)
    capsys.readouterr()
    main(args + ["--sweep", "scd01", "--resume"])
    assert "fitting" not in capsys.readouterr().out
    # a chosen subset of settings: kept records are reused, new ones fitted
    main(args + ["--sweep", "scd01", "--resume", "--settings", "500:none", "50:1e-2:3"])
    out = capsys.readouterr().out
    assert "fitting" in out and out.count("fitting") == 1 and "tol=0.01/n=3/" in out
    assert len(read_records(folder)) == 15
    # other vote counts and flip_orientation are records of their own, and the
    # table lists every record of the folder, not only the settings just swept
    main(args + ["--sweep", "scd01", "--resume", "--votes", "1", "--flip-orientation",
                 "--settings", "50:1e-2:3"])
    records = read_records(folder)
    assert len(records) == 16 and records[-1]["key"] == ("scd01/1votes/max_iter=50/tol=0.01/n=3/"
                                                         "batch_fraction=auto/flip")
    table = (folder / "fit-cost-sweep-scd01.md").read_text().splitlines()[4:]
    assert len(table) == 16
    assert table[-1].startswith("| 1 | 50 | 0.01 | 3 | True | batch_fraction=auto |")
    assert sum("| 2 | 50 | 0.01 | 3 | False |" in row for row in table) == 1
    # --set: other estimator parameters are fitted with, and named in the key and table
    main(args + ["--sweep", "scd01", "--resume", "--votes", "1", "--settings", "50:1e-2:3",
                 "--set", "batch_fraction=0.5", "bias_window=7"])
    records = read_records(folder)
    assert records[-1]["key"] == ("scd01/1votes/max_iter=50/tol=0.01/n=3/batch_fraction=0.5/"
                                  "bias_window=7")
    table = (folder / "fit-cost-sweep-scd01.md").read_text().splitlines()[4:]
    assert table[-1].startswith("| 1 | 50 | 0.01 | 3 | False | batch_fraction=0.5, "
                                "bias_window=7 |")
    # the figure draws the records without fitting, and writes the tables again from
    # them; no records, no figure
    capsys.readouterr()
    written = (folder / "fit-cost-sweep-scd01.md").read_text()
    (folder / "fit-cost-sweep-scd01.md").unlink()
    main(args + ["--sweep", "scd01", "--figure"])
    assert "fitting" not in capsys.readouterr().out
    assert (folder / "fit-cost-sweep-scd01.md").read_text() == written
    assert (tmp_path / "fit-cost" / "fit-cost-sweep-scd01.png").stat().st_size > 0
    with pytest.raises(SystemExit, match="no mlp01 sweep records"):
        main(args + ["--sweep", "mlp01", "--figure"])


@pytest.mark.parametrize("text", ["200", "200:1e-3", "x:none", "200:none:3", "200:1e-3:x"])
def test_fit_cost_settings_are_checked(text, capsys):
    with pytest.raises(SystemExit):
        main(["fit-cost", "--sweep", "scd01", "--settings", text])
    assert "MAX_ITER:TOL:N_ITER_NO_CHANGE" in capsys.readouterr().err


@pytest.mark.parametrize("text, expected", [
    ("batch_fraction=0.25", ("batch_fraction", 0.25)), ("max_iter=7", ("max_iter", 7)),
    ("tol=None", ("tol", None)), ("flip_orientation=true", ("flip_orientation", True)),
    ("bias_init=authors", ("bias_init", "authors")), ("tol=1e-3", ("tol", 1e-3))])
def test_command_line_parameters_are_typed(text, expected):
    value = parameter(text)
    assert value == expected and type(value[1]) is type(expected[1])


def test_set_takes_several_parameters_at_once_or_repeated():
    parser = argparse.ArgumentParser()
    add_set_option(parser, "")
    expected = [("batch_fraction", 0.5), ("bias_window", 7)]
    assert parser.parse_args(["--set", "batch_fraction=0.5", "bias_window=7"]).set == expected
    assert parser.parse_args(["--set", "batch_fraction=0.5", "--set",
                              "bias_window=7"]).set == expected
    assert parser.parse_args([]).set == []


@pytest.mark.parametrize("text", ["batch_fraction", "=0.5", "2x=1", "a b=1"])
def test_command_line_parameters_need_a_name(text):
    with pytest.raises(argparse.ArgumentTypeError, match="NAME=VALUE"):
        parameter(text)


def test_vote_quality_runs(tmp_path, capsys):
    out = tmp_path / "vote-quality.json"
    main(["vote-quality", "--datasets", "digits-1-7", "--seeds", "2", "--votes", "2",
          "--toy", "1", "--max-iter", "20", "--out", str(out)])
    text = capsys.readouterr().out
    assert "| digits-1-7 | flip_orientation=True |" in text
    assert "| 1 problems x 2 seeds | flip_orientation=False |" in text
    results = json.loads(out.read_text())
    assert len(results["datasets"]["digits-1-7"]["flip_orientation=True"]["test"]) == 2
    assert min(results["toy"]["flip_orientation=True"]["excess"]) >= 0
    main(["vote-quality", "--model", "mlp01", "--datasets", "breast-cancer", "--seeds", "1",
          "--votes", "0", "--max-iter", "10"])
    out = capsys.readouterr().out
    assert "| breast-cancer | bias_init=median |" in out
    assert "| breast-cancer | bias_init=authors |" in out


def test_vote_quality_splits_and_settings(tmp_path, capsys):
    out = tmp_path / "vote-quality.json"
    main(["vote-quality", "--datasets", "digits-3-8", "--seeds", "2", "--votes", "2",
          "--toy", "0", "--max-iter", "10", "--flip", "on", "--splits", "2", "--tol", "1e-4",
          "--n-iter-no-change", "3", "--set", "bias_window=5", "--out", str(out)])
    text = capsys.readouterr().out
    assert "gap's range over splits" in text
    assert "| digits-3-8 | flip_orientation=True, tol=0.0001, n_iter_no_change=3, bias_window=5 |" in text
    splits = json.loads(out.read_text())["datasets"]["digits-3-8"]["flip_orientation=True"]
    assert len(splits) == 2 and all(len(split["test"]) == 2 for split in splits)
    # the splits differ: their test sets are different rows
    assert not np.array_equal(vote_quality.load("digits-3-8", 0)[1],
                              vote_quality.load("digits-3-8", 1)[1])
    # --set reaches the estimator (an invalid value is refused by its validation)
    with pytest.raises(ValueError, match="bias_window"):
        main(["vote-quality", "--datasets", "digits-3-8", "--seeds", "1", "--votes", "0",
              "--toy", "0", "--max-iter", "2", "--set", "bias_window=-1"])
    with pytest.raises(SystemExit, match="needs --tol"):
        main(["vote-quality", "--datasets", "digits-3-8", "--seeds", "1", "--votes", "0",
              "--toy", "0", "--n-iter-no-change", "3"])
