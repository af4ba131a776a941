"""`fastnn zoo` as a user meets it: budgets, live progress off a terminal, rows as models finish,
a clean stop on Ctrl-C, a readable report, and one-line errors for bad input."""
import io
import os
import re
import signal
import subprocess
import sys
import time
import types

import pytest

from fastnn import zoo

from conftest import interruptible_child
from fastnn.cli import main


def _fake_entry(monkeypatch, seconds=0.0):
    """A zoo entry that records how it was called and trains (sleeps) through a wrapped loop."""
    calls = []

    def train(quick=False, data_dir=None, plot_dir=None, seed=0, full=False):
        calls.append(dict(quick=quick, full=full))
        steps = 0
        for _ in zoo.progress(range(50), desc="fake"):
            time.sleep(seconds)
            steps += 1
        return {"model": "Fake", "data": "none", "metric": "steps", "value": steps}

    module = types.ModuleType("fake_zoo_entry")
    module.train = train
    monkeypatch.setitem(sys.modules, "fake_zoo_entry", module)
    monkeypatch.setitem(zoo.ENTRIES, "fake", "fake_zoo_entry")
    return calls


@pytest.mark.parametrize("budget,quick,full", [("quick", True, False), ("default", False, False),
                                               ("full", False, True)])
def test_budgets_reach_the_entries(monkeypatch, budget, quick, full):
    calls = _fake_entry(monkeypatch)
    zoo.run(["fake"], budget=budget)
    assert calls == [dict(quick=quick, full=full)]


def test_time_budget_stops_the_loops_and_plans_the_full_recipe(monkeypatch):
    calls = _fake_entry(monkeypatch, seconds=0.05)
    result = zoo.run(["fake"], time_budget=0.5)[0]
    assert calls[0]["full"] is True
    assert 3 <= result["value"] < 50 and result["seconds"] < 1.5


@pytest.mark.parametrize("name,optimizer", [("lenet", "SGD"), ("autoencoder", "Adam")])
def test_time_budget_stops_inside_an_epoch(monkeypatch, name, optimizer):
    # An MNIST epoch can outlast the whole budget on a busy machine, so the batch loop checks it too.
    from fastnn import optim
    steps = []
    original = getattr(optim, optimizer).step
    monkeypatch.setattr(getattr(optim, optimizer), "step", lambda self, *a: steps.append(1) or original(self, *a))
    row = zoo.run([name], time_budget=1e-3)[0]  # spent before the first batch (loading the data takes longer)
    assert row["epochs"] == 1 and steps == []  # a whole digits epoch would be 90 steps


def test_rows_are_reported_the_moment_each_model_finishes(monkeypatch):
    _fake_entry(monkeypatch)
    seen = []
    zoo.run(["fake", "perceptron"], budget="quick", on_result=lambda r: seen.append((r["name"], len(seen))))
    assert seen == [("fake", 0), ("perceptron", 1)]


def _zoo_process(args, tmp_path, **env):
    return subprocess.Popen([sys.executable, "-m", "fastnn", "zoo", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=tmp_path, env={**os.environ, **env},
                            preexec_fn=interruptible_child)


def test_progress_lines_off_a_terminal(tmp_path):
    proc = _zoo_process(["mlp"], tmp_path, FASTNN_PROGRESS_SECONDS="0.005")
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    lines = [l for l in err.splitlines() if re.search(r"mlp: \d+/100\s+\d+ s", l)]
    assert len(lines) >= 2, err
    assert "MLP 4-16-3" in out


def test_heartbeat_lines_while_no_loop_prints(monkeypatch):
    """An evaluation phase outside any progress loop still shows a line every LINE_EVERY seconds."""
    progress_module = sys.modules["fastnn.zoo.progress"]
    stream = io.StringIO()
    monkeypatch.setitem(progress_module._state, "stream", stream)
    monkeypatch.setattr(progress_module, "LINE_EVERY", 0.1)

    def train(quick=False, data_dir=None, plot_dir=None, seed=0):
        time.sleep(0.75)  # e.g. evaluating the test set
        return {"model": "Quiet", "data": "none", "metric": "x", "value": 1.0}

    module = types.ModuleType("quiet_zoo_entry")
    module.train = train
    monkeypatch.setitem(sys.modules, "quiet_zoo_entry", module)
    monkeypatch.setitem(zoo.ENTRIES, "quiet", "quiet_zoo_entry")
    zoo.run(["quiet"])
    beats = [l for l in stream.getvalue().splitlines() if re.fullmatch(r"  quiet: working, \d+ s", l)]
    assert 4 <= len(beats) <= 8, stream.getvalue()
    settled = stream.getvalue()
    time.sleep(0.3)
    assert stream.getvalue() == settled  # the heartbeat stops with the model


def test_ctrl_c_keeps_the_finished_rows(tmp_path):
    proc = _zoo_process(["perceptron", "lstm"], tmp_path)
    first = [proc.stdout.readline() for _ in range(3)]  # header, rule, the perceptron's row
    assert "Perceptron" in first[2]
    time.sleep(1.0)  # the LSTM is training now
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130
    assert "interrupted: 1 model(s) finished" in err and "Traceback" not in err


def test_report_is_markdown_whose_pictures_exist(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    report = tmp_path / "report"
    assert main(["zoo", "perceptron", "mlp", "--quick", "--report", str(report)]) == 0
    text = (report / "report.md").read_text()
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert "Perceptron" in text and "| cpu |" in text and "| vector build |" in text
    assert len(images) >= 2 and all((report / i).is_file() for i in images)
    assert (report / "results.json").is_file()


def test_bench_report_has_a_ratio_chart(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    pytest.importorskip("torch")
    assert main(["bench", "--filter", "MLP", "--repeat", "1", "--no-reference", "--report", str(tmp_path)]) == 0
    text = (tmp_path / "report.md").read_text()
    assert "| case |" in text and "speed_vs_pytorch.png" in text and (tmp_path / "speed_vs_pytorch.png").is_file()


@pytest.mark.parametrize("args,message", [
    (["zoo", "nosuchmodel"], "unknown zoo model"),
    (["zoo", "mlp", "--time-budget", "-3"], "--time-budget must be a positive"),
    (["zoo", "mlp", "--quick", "--full"], "choose one of --quick and --full"),
    (["zoo", "mlp", "--report", "/proc/fastnn-report"], "--report folder /proc/fastnn-report is not writable"),
    (["bench", "--report", "/proc/fastnn-report"], "--report folder /proc/fastnn-report is not writable"),
])
def test_bad_input_is_one_line_and_status_2(args, message, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]


def test_a_data_folder_without_any_dataset_is_refused(tmp_path, capsys):
    assert main(["zoo", "mlp", "--data", str(tmp_path)]) == 2
    assert "holds neither MNIST" in capsys.readouterr().err


def _row(value, target=None, **more):
    return {"model": "M", "data": "D", "metric": "acc", "value": value, "seconds": 1.0, "target": target, **more}


def test_rows_show_the_target_its_reference_and_pass_or_miss():
    passed = zoo.result_row(_row(0.981, zoo.target(">=", 0.97, "small CNN 97-98%")))
    assert "0.9810" in passed and "≥ 0.97 (small CNN 97-98%)" in passed and re.search(r"\bpass\b", passed)
    missed = zoo.result_row(_row(0.95, zoo.target(">=", 0.97, "small CNN 97-98%")))
    assert re.search(r"\bMISS\b", missed) and "pass" not in missed
    lower = zoo.result_row(_row(1.80, zoo.target("<=", 1.67, "5-gram model 1.67")))
    assert "≤ 1.67 (5-gram model 1.67)" in lower and "MISS" in lower
    assert "MISS" not in zoo.result_row(_row(1.60, zoo.target("<=", 1.67, "5-gram")))
    bare = zoo.result_row(_row(0.5))
    assert "no reference" in bare and "MISS" not in bare and "pass" not in bare
    header = zoo.table_header().splitlines()[0]
    assert "target (reference)" in header and "result" in header


def test_a_gan_row_misses_when_too_few_classes_even_if_confident():
    goal = zoo.target(">=", 0.8, "judge confidence", classes=8)
    assert "≥ 0.8, ≥ 8/10 classes" in zoo.describe(goal)
    assert zoo.verdict(_row(0.95, goal, classes=1)) == "MISS"
    assert zoo.verdict(_row(0.75, goal, classes=10)) == "MISS"
    assert zoo.verdict(_row(0.85, goal, classes=8)) == "pass"
    with pytest.raises(ValueError, match="op"):
        zoo.target(">", 1.0, "x")


def test_every_default_entry_states_a_target(monkeypatch):
    rows = zoo.run(["perceptron", "mlp", "rnn"], budget="quick")
    assert all(r["target"]["reference"] and zoo.verdict(r) in ("pass", "MISS") for r in rows)


def test_report_without_matplotlib_is_written_without_pictures(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` now raises ImportError
    report = tmp_path / "report"
    assert main(["zoo", "perceptron", "--quick", "--report", str(report)]) == 0
    text = (report / "report.md").read_text()
    assert "Perceptron" in text and "matplotlib is not installed" in text and "![" not in text
    assert "no pictures" in capsys.readouterr().err
    assert not (report / "plots").exists() and (report / "results.json").is_file()


def test_plot_without_matplotlib_fails_before_training(tmp_path, monkeypatch, capsys):
    calls = _fake_entry(monkeypatch)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert main(["zoo", "fake", "--plot", str(tmp_path / "plots")]) == 2
    assert "--plot needs matplotlib" in capsys.readouterr().err and calls == []
