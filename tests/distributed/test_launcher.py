"""`fastnn run`, `python -m fastnn.distributed.run`, `fastnn zoo lenet --distributed`, and the missing-MPI errors."""
import os
import re
import subprocess
import sys

import pytest

import fastnn.distributed.run as launcher
from fastnn.cli import main
from mpirun import require_mpi

SCRIPT = """
import sys, fastnn, fastnn.distributed as dist
dist.init_process_group()
t = fastnn.tensor([float(dist.get_rank() + 1)])
dist.all_reduce(t)
with open(f"rank{dist.get_rank()}.txt", "w") as f:  # a file per rank: mpiexec may interleave their stdout
    f.write(f"{dist.get_world_size()} ranks: {t.item():g} {sys.argv[1:]}")
"""


def _run(args, tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    return subprocess.run(args, capture_output=True, text=True, timeout=60, cwd=tmp_path, env=env)


@pytest.mark.parametrize("entry, program", [
    (["-m", "fastnn", "run"], ["script.py"]),
    (["-m", "fastnn.distributed.run"], ["script.py"]),
    (["-m", "fastnn", "run"], ["--", "-m", "script"]),
])
def test_launchers_start_n_ranks(entry, program, tmp_path):
    require_mpi()
    (tmp_path / "script.py").write_text(SCRIPT)
    done = _run([sys.executable, *entry, "-n", "2", *program, "--flag", "x"], tmp_path)
    assert done.returncode == 0, done.stderr
    for rank in (0, 1):
        assert (tmp_path / f"rank{rank}.txt").read_text() == "2 ranks: 3 ['--flag', 'x']"


def test_zoo_lenet_distributed_prints_the_table_and_samples_per_second(tmp_path):
    require_mpi()
    done = _run([sys.executable, "-m", "fastnn", "zoo", "lenet", "--quick", "--distributed", "2"], tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("model") and sum(line.startswith("LeNet") for line in lines) == 1  # rank 0 only
    assert "lenet data-parallel on 2 process(es):" in done.stdout and "samples/s" in done.stdout
    columns = re.split(r"\s{2,}", lines[0].strip())
    row = re.split(r"\s{2,}", next(line for line in lines if line.startswith("LeNet")).strip())
    accuracy = float(row[columns.index("value")])
    assert accuracy > 0.8


def test_missing_mpiexec_exits_2_naming_the_extra(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    assert main(["run", "-n", "2", "script.py"]) == 2
    assert 'pip install "fastnn[distributed]"' in capsys.readouterr().err


@pytest.mark.parametrize("argv, message", [
    (["run", "-n", "0", "script.py"], "-n must be a positive number"),
    (["run", "-n", "2"], "give the script to run"),
    (["zoo", "mlp", "--distributed", "2"], "--distributed trains lenet only"),
    (["zoo", "lenet", "--distributed", "2", "--time-budget", "5"], "--time-budget cannot be combined"),
    (["zoo", "lenet", "--no-overlap"], "--no-overlap applies to --distributed runs only"),
])
def test_usage_errors_exit_2(argv, message, capsys):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_mpiexec_beside_python_comes_first(monkeypatch, tmp_path):
    fake = tmp_path / "mpiexec"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    assert launcher.find_mpiexec() == str(fake)
    assert launcher.mpiexec_command(3, ["t.py"])[:3] == [str(fake), "-n", "3"]


def test_fastnn_imports_without_mpi4py_and_init_names_the_extra(tmp_path):
    code = ("import sys; sys.modules['mpi4py'] = None\n"
            "import fastnn, fastnn.distributed as dist\n"
            "from fastnn.nn.parallel import DistributedDataParallel\n"
            "assert not dist.is_available()\n"
            "try:\n    dist.init_process_group()\n"
            "except ImportError as e:\n    print(e)\n")
    done = _run([sys.executable, "-c", code], tmp_path)
    assert done.returncode == 0, done.stderr
    assert 'pip install "fastnn[distributed]"' in done.stdout


def test_calls_before_init_process_group_say_so():
    import fastnn.distributed as dist
    assert not dist.is_initialized()
    with pytest.raises(ValueError, match="has not been initialized"):
        dist.get_rank()
    with pytest.raises(ValueError, match="backend"):
        dist.init_process_group("nccl")


def test_bad_arguments_are_named_before_any_mpi_call():
    import fastnn.distributed as dist
    from fastnn.nn import Linear
    from fastnn.nn.parallel import DistributedDataParallel
    with pytest.raises(ValueError, match="timeout"):
        dist.init_process_group("mpi", timeout=5)
    with pytest.raises(ValueError, match="init_method"):
        dist.init_process_group("mpi", init_method="tcp://10.0.0.1:23456")
    with pytest.raises(TypeError, match="module"):
        DistributedDataParallel(lambda x: x)
    with pytest.raises(ValueError, match="bucket_cap_mb"):
        DistributedDataParallel(Linear(2, 2), bucket_cap_mb=0)
    assert not dist.is_initialized()
