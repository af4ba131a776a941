"""DataLoader with worker processes: same batches as num_workers=0 (and as torch's workers), seeding,
worker_init_fn, prefetching, persistence, errors with the worker's traceback, and no workers left behind."""
import gc
import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from conftest import interruptible_child

import fastnn
from fastnn.utils.data import DataLoader, TensorDataset

from _mp_helpers import Big, Gated, Sharded, Squares, Uneven, WhoAmI, failing_init, tag_worker

torch = pytest.importorskip("torch")
tud = torch.utils.data

HERE = os.path.dirname(os.path.abspath(__file__))


def gone(pid):
    """True once `pid` has exited (a zombie counts: it runs nothing)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            return any(line.startswith("State:") and "Z" in line for line in f)
    except FileNotFoundError:
        return True


def wait_gone(pids, seconds=5.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if all(gone(p) for p in pids):
            return True
        time.sleep(0.05)
    return False


def flat(batches):
    return [[t.tolist() for t in b] for b in batches]


def test_same_batches_as_the_main_process_given_the_seed():
    ds = Squares(n=37)
    runs = []
    for workers in (0, 2):
        g = fastnn.Generator().manual_seed(11)
        runs.append(flat(DataLoader(ds, batch_size=5, shuffle=True, num_workers=workers, generator=g)))
    assert runs[0] == runs[1]
    assert sorted(x for b in runs[0] for x in b[0]) == list(range(37))
    fastnn.manual_seed(4)
    a = flat(DataLoader(ds, batch_size=5, shuffle=True, num_workers=2))
    fastnn.manual_seed(4)
    assert flat(DataLoader(ds, batch_size=5, shuffle=True, num_workers=0)) == a


def test_tensor_dataset_shuffled_alike_with_and_without_workers():
    ds = TensorDataset(fastnn.arange(50), fastnn.arange(50) * 2)
    runs = [flat(DataLoader(ds, batch_size=6, shuffle=True, num_workers=w, generator=fastnn.Generator().manual_seed(2)))
            for w in (0, 2)]
    assert runs[0] == runs[1] and sorted(i for b in runs[0] for i in b[0]) == list(range(50))


def test_tensor_dataset_through_workers():
    x = fastnn.arange(60).reshape(30, 2).float()
    y = fastnn.arange(30)
    out = list(DataLoader(TensorDataset(x, y), batch_size=8, num_workers=2))
    assert [b[1].tolist() for b in out] == [list(range(i, min(i + 8, 30))) for i in range(0, 30, 8)]
    assert np.array_equal(np.concatenate([b[0].numpy() for b in out]), x.numpy())


def test_iterable_dataset_order_matches_torch_workers():
    class TorchSharded(tud.IterableDataset):
        def __iter__(self):
            info = tud.get_worker_info()
            return iter(range(info.id, 11, info.num_workers))

    ours = [b.tolist() for b in DataLoader(Sharded(11), batch_size=2, num_workers=2)]
    theirs = [b.tolist() for b in tud.DataLoader(TorchSharded(), batch_size=2, num_workers=2)]
    assert ours == theirs
    assert sorted(x for b in ours for x in b) == list(range(11))


def test_a_worker_running_out_first_does_not_stop_the_other():
    out = list(DataLoader(Uneven(), batch_size=None, num_workers=2))
    assert sorted(out) == sorted([0, 1, 2, 3, 4, 5, 6, 100, 101])
    assert out[:4] == [0, 100, 1, 101]  # round robin while both have data


def test_worker_seeds_info_and_init_fn():
    g = fastnn.Generator().manual_seed(3)
    rows = [b for b in DataLoader(WhoAmI(8), batch_size=None, num_workers=2, worker_init_fn=tag_worker,
                                  generator=g)]
    assert {r["worker"] for r in rows} == {0, 1}
    pids = {r["pid"] for r in rows}
    assert os.getpid() not in pids and len(pids) == 2
    seeds = {r["worker"]: r["seed"] for r in rows}
    assert seeds[1] == seeds[0] + 1  # base_seed + worker_id
    assert all(r["tag"] == f"init{r['worker']}" for r in rows)
    first = {r["worker"]: r for r in rows[:2]}
    for lib in ("fastnn", "numpy", "py"):
        assert first[0][lib] != first[1][lib]  # every generator seeded per worker
    again = list(DataLoader(WhoAmI(8), batch_size=None, num_workers=2, worker_init_fn=tag_worker,
                            generator=fastnn.Generator().manual_seed(3)))
    assert [(r["fastnn"], r["numpy"], r["py"]) for r in again] == [(r["fastnn"], r["numpy"], r["py"]) for r in rows]


def test_prefetching_loads_prefetch_factor_batches_per_worker_ahead():
    loader = DataLoader(Squares(n=200, delay=0.002), batch_size=4, num_workers=2, prefetch_factor=3)
    it = iter(loader)
    time.sleep(0.3)  # 6 batches of 4 samples at 2 ms take ~25 ms per worker
    got = [it._worker_result_queue.get(timeout=2) for _ in range(6)]
    assert sorted(i for i, _ in got) == list(range(6))
    assert it._worker_result_queue.empty()  # nothing beyond prefetch_factor * num_workers was requested
    it._shutdown_workers()


def test_in_order_false_yields_batches_as_they_arrive():
    gate = multiprocessing.get_context("fork").Event()
    it = iter(DataLoader(Gated(gate), batch_size=2, num_workers=2, in_order=False,
                         multiprocessing_context="fork"))
    first = next(it)  # batch 0 is held back until the gate opens: batch 1 (worker 1's) comes first
    gate.set()
    rest = [b.tolist() for b in it]
    assert first.tolist() == [2, 3]
    assert sorted(rest) == [[0, 1], [4, 5], [6, 7]]
    in_order = [b.tolist() for b in DataLoader(Gated(gate), batch_size=2, num_workers=2)]
    assert in_order == [[0, 1], [2, 3], [4, 5], [6, 7]]


def test_persistent_workers_survive_epochs():
    loader = DataLoader(WhoAmI(6), batch_size=None, num_workers=2, persistent_workers=True)
    e1 = list(loader)
    e2 = list(loader)
    assert [r["index"] for r in e1] == [r["index"] for r in e2] == list(range(6))
    assert {r["pid"] for r in e1} == {r["pid"] for r in e2}
    pids = list({r["pid"] for r in e1})
    transient = DataLoader(WhoAmI(6), batch_size=None, num_workers=2)
    assert {r["pid"] for r in transient} != {r["pid"] for r in transient}
    abandoned = iter(loader)
    next(abandoned)  # an epoch left after one batch: the next epoch starts clean
    assert [r["index"] for r in loader] == list(range(6))
    loader._iterator._shutdown_workers()
    assert wait_gone(pids)


def test_worker_init_fn_error_is_raised_in_the_main_process():
    loader = DataLoader(Squares(n=8), batch_size=2, num_workers=2, worker_init_fn=failing_init,
                        multiprocessing_context=multiprocessing.get_context("fork"))
    with pytest.raises(RuntimeError, match="(?s)Caught RuntimeError in DataLoader worker process 0.*init of worker 0"):
        list(loader)


def test_worker_exception_reraised_with_its_traceback_and_workers_stopped():
    loader = DataLoader(Squares(n=20, fail_at=13), batch_size=4, num_workers=2)
    with pytest.raises(ValueError) as err:
        list(loader)
    text = str(err.value)
    assert "Caught ValueError in DataLoader worker process 1" in text
    assert "bad sample 13" in text and "_mp_helpers.py" in text and "in __getitem__" in text
    del err
    assert not multiprocessing.active_children() or wait_gone([p.pid for p in multiprocessing.active_children()])


def test_timeout_raises_and_stops_workers():
    it = iter(DataLoader(Squares(n=4, delay=3.0), batch_size=2, num_workers=1, timeout=0.3))
    pids = [w.pid for w in it._workers]
    t = time.monotonic()
    with pytest.raises(RuntimeError, match="DataLoader timed out after 0.3 seconds"):
        next(it)
    assert time.monotonic() - t < 2.9
    assert wait_gone(pids)


def test_a_killed_worker_is_reported():
    it = iter(DataLoader(Squares(n=40, delay=0.5), batch_size=1, num_workers=2))
    os.kill(it._workers[0].pid, signal.SIGKILL)
    with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid\(s\) \d+\) exited unexpectedly"):
        for _ in range(4):
            next(it)


def test_collecting_the_iterator_stops_its_workers():
    it = iter(DataLoader(Squares(n=100), batch_size=2, num_workers=2))
    next(it)
    pids = [w.pid for w in it._workers]
    del it
    gc.collect()
    assert wait_gone(pids)


def test_large_batches_cross_in_shared_memory():
    batches = list(DataLoader(Big(), batch_size=32, num_workers=2))
    assert len(batches) == 2 and batches[0].shape == (32, 128, 128)
    assert batches[0].is_shared()  # 2 MB: mapped, not pickled
    np.testing.assert_array_equal(batches[1].numpy()[:, 0, 0], np.arange(32, 64, dtype=np.float32))
    small = next(iter(DataLoader(Squares(), batch_size=4, num_workers=1)))
    assert not small[0].is_shared()
    own = list(DataLoader(Big(), batch_size=32, num_workers=1, collate_fn=lambda b: fastnn.tensor(np.stack(b) + 1)))
    assert own[1].is_shared()  # a custom collate's big result is moved into shared memory to be sent
    np.testing.assert_array_equal(own[1].numpy()[:, 5, 5], np.arange(33, 65, dtype=np.float32))


def test_spawn_context():
    out = flat(DataLoader(Squares(n=6), batch_size=2, num_workers=2, multiprocessing_context="spawn"))
    assert out == flat(DataLoader(Squares(n=6), batch_size=2))


SCRIPT = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {here!r})
    from fastnn.utils.data import DataLoader
    from _mp_helpers import Squares
    it = iter(DataLoader(Squares(n=10000, delay=0.01), batch_size=2, num_workers=2))
    next(it)
    print(" ".join(str(w.pid) for w in it._workers), flush=True)
    for _ in it:
        pass
""")


@pytest.mark.parametrize("how", ["sigint", "sigkill"])
def test_no_orphans_after_ctrl_c_or_a_killed_parent(tmp_path, how):
    script = tmp_path / "loop.py"
    script.write_text(SCRIPT.format(here=HERE))
    # the fastnn under test first (the checkout when built in place, site-packages for an installed wheel)
    home = os.path.dirname(os.path.dirname(os.path.abspath(fastnn.__file__)))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([home, *sys.path]))
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                            text=True, preexec_fn=interruptible_child)
    try:
        pids = [int(p) for p in proc.stdout.readline().split()]
        assert len(pids) == 2, proc.stderr.read()
        proc.send_signal(signal.SIGINT if how == "sigint" else signal.SIGKILL)
        proc.wait(timeout=10)
        if how == "sigint":
            assert "KeyboardInterrupt" in proc.stderr.read()
        assert wait_gone(pids, seconds=6)
    finally:
        proc.kill()
        proc.wait()
