"""A checkpoint survives SIGKILL at any moment of a save: the file on disk is always one whole saved version."""
import os
import random
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import fastnn

# The child saves versions 0, 1, 2, ... of a ~24 MB state_dict in a loop, each version's tensors filled
# with its number, and prints the number after each save returns.
CHILD = textwrap.dedent("""
    import sys, numpy as np, fastnn
    path, start = sys.argv[1], int(sys.argv[2])
    version = start
    while True:
        state = {f"layer{i}.weight": fastnn.tensor(np.full((1000, 1000), version, np.float32)) for i in range(6)}
        state["version"] = fastnn.tensor(np.array(version))
        fastnn.save(state, path)
        print(version, flush=True)
        version += 1
""")


def _check(path, newest_done):
    state = fastnn.load(path)
    version = int(state["version"].item())
    # the file is the version last reported saved, or the one in flight when the kill came
    assert newest_done <= version <= newest_done + 1, (version, newest_done)
    for i in range(6):
        w = state[f"layer{i}.weight"].numpy()
        assert w.shape == (1000, 1000) and (w == version).all()
    return version


def _kill_loop(tmp_path, kills):
    path = str(tmp_path / "ckpt.safetensors")
    fastnn.save({"version": fastnn.tensor(np.array(0))}, path)
    rng = random.Random(0)
    version, survived = 0, 0
    for _ in range(kills):
        child = subprocess.Popen([sys.executable, "-c", CHILD, path, str(version + 1)], stdout=subprocess.PIPE,
                                 text=True, cwd=tmp_path)
        first = child.stdout.readline()  # one save done: the child is past start-up and mid-loop from here
        assert first.strip(), "child printed nothing"
        time.sleep(rng.uniform(0, 0.15))
        child.send_signal(signal.SIGKILL)
        out, _ = child.communicate()
        done = [int(v) for v in (first + out).split()]
        version = _check(path, done[-1])
        survived += 1
    # a kill between mkstemp and rename leaves a temporary file; the next save removes such orphans
    fastnn.save({"version": fastnn.tensor(np.array(-1))}, path)
    assert sorted(os.listdir(tmp_path)) == ["ckpt.safetensors"]
    return survived


def test_checkpoint_survives_20_kills(tmp_path):
    assert _kill_loop(tmp_path, 20) == 20


@pytest.mark.slow
def test_checkpoint_survives_200_kills(tmp_path):
    assert _kill_loop(tmp_path, 200) == 200
