"""fastnn.multiprocessing: shared-memory tensors seen across fork and spawn, spawn()'s error reporting
(as torch.multiprocessing.spawn's), and Hogwild training of a shared model."""
import pickle

import numpy as np
import pytest

import fastnn
import fastnn.multiprocessing as mp
from fastnn import nn

from _mp_helpers import (add_from_queue, conv_in_child, exit_with_code, hogwild_train, kill_self, raise_in_one,
                         write_index)

torch = pytest.importorskip("torch")


def test_api_names_of_torch_multiprocessing():
    import torch.multiprocessing as tmp
    wanted = {"Process", "Queue", "SimpleQueue", "Pool", "Pipe", "Event", "Lock", "Value", "Array", "Manager",
              "get_context", "set_start_method", "get_start_method", "get_all_start_methods", "cpu_count",
              "current_process", "active_children", "spawn", "start_processes", "ProcessContext", "SpawnContext",
              "ProcessRaisedException", "ProcessExitedException", "get_sharing_strategy", "set_sharing_strategy",
              "get_all_sharing_strategies", "init_reductions"}
    assert wanted <= set(dir(tmp))
    missing = [n for n in wanted if not hasattr(mp, n)]
    assert not missing
    assert mp.get_sharing_strategy() in mp.get_all_sharing_strategies()
    with pytest.raises(ValueError, match="file_descriptor"):
        mp.set_sharing_strategy("file_system")


def test_share_memory_in_place():
    t = fastnn.arange(6).float().reshape(2, 3)
    before = t.tolist()
    assert not t.is_shared() and not torch.arange(3).is_shared()
    assert t.share_memory_() is t
    assert t.is_shared(), "Tensor.share_memory_/is_shared must be fastnn.multiprocessing's, not no-op stubs"
    assert t.tolist() == before and t.shape == (2, 3) and t.dtype == fastnn.float32
    assert t[1].is_shared()  # a view of shared memory is shared, as in torch
    assert fastnn.zeros(0).share_memory_().is_shared()  # empty tensors too
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    model(fastnn.randn(5, 3)).sum().backward()
    assert model.share_memory() is model
    assert all(p.is_shared() and p.grad.is_shared() for p in model.parameters())
    assert all(b.is_shared() for b in model.buffers())


def test_pickling_outside_multiprocessing_copies():
    t = fastnn.ones(3).share_memory_()
    u = pickle.loads(pickle.dumps(t))
    u += 1
    assert t.tolist() == [1.0, 1.0, 1.0]


def test_non_leaf_requiring_grad_refused_as_torch():
    x = fastnn.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="non-leaf"):
        mp.reductions.reduce_tensor(x)


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_child_writes_through_process_args_and_queue(method):
    ctx = mp.get_context(method)
    arg = fastnn.zeros(3).share_memory_()
    sent = fastnn.zeros(2, 2).share_memory_()
    param = nn.Parameter(fastnn.zeros(2)).share_memory_()
    copied = fastnn.zeros(2)  # not shared: the child gets a copy
    q = ctx.Queue()
    procs = [ctx.Process(target=write_index, args=(1, arg)), ctx.Process(target=add_from_queue, args=(q, 3))]
    for p in procs:
        p.start()
    q.put(sent[1])  # a view: the child maps the same bytes
    q.put(param)
    q.put(copied)
    for p in procs:
        p.join(timeout=30)
        assert p.exitcode == 0
    assert arg.tolist() == [0.0, 101.0, 0.0]
    assert sent.tolist() == [[0.0, 0.0], [1.0, 1.0]]
    assert param.tolist() == [1.0, 1.0]
    assert copied.tolist() == [0.0, 0.0]


def test_parameter_keeps_its_type_through_a_queue():
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    q.put(nn.Parameter(fastnn.ones(2)).share_memory_())
    got = q.get(timeout=10)
    assert type(got) is nn.Parameter and got.requires_grad and got.is_shared()


def test_spawn_runs_fn_with_index():
    # (the spawn start method itself is covered by the Process test above: this stays fast with fork)
    t = fastnn.zeros(3).share_memory_()
    assert mp.start_processes(write_index, args=(t,), nprocs=2, start_method="fork") is None
    assert t.tolist() == [100.0, 101.0, 0.0]


def test_spawn_join_false_returns_a_context():
    t = fastnn.zeros(2).share_memory_()
    ctx = mp.start_processes(write_index, args=(t,), nprocs=2, join=False, start_method="fork")
    assert isinstance(ctx, mp.ProcessContext) and len(ctx.pids()) == 2
    while not ctx.join(timeout=5):
        pass
    assert t.tolist() == [100.0, 101.0]


def test_spawn_reraises_a_child_exception_with_its_traceback():
    with pytest.raises(mp.ProcessRaisedException) as err:
        mp.start_processes(raise_in_one, nprocs=2, start_method="fork")
    msg = str(err.value)
    assert msg.startswith("\n\n-- Process 1 terminated with the following error:\nTraceback")
    assert "ValueError: process one failed" in msg and "raise_in_one" in msg
    assert err.value.error_index == 1 and err.value.pid > 0


def test_spawn_reports_exit_codes_and_signals():
    with pytest.raises(mp.ProcessExitedException, match="process 0 terminated with exit code 3") as err:
        mp.start_processes(exit_with_code, nprocs=2, start_method="fork")
    assert err.value.exit_code == 3 and err.value.error_index == 0
    with pytest.raises(mp.ProcessExitedException, match="process 1 terminated with signal SIGKILL") as err:
        mp.start_processes(kill_self, nprocs=2, start_method="fork")
    assert err.value.signal_name == "SIGKILL"
    with pytest.raises(ValueError, match="nprocs"):
        mp.spawn(write_index, nprocs=0)


def test_pool_from_the_standard_api():
    with mp.get_context("fork").Pool(2) as pool:
        assert pool.map(abs, [-1, 2, -3]) == [1, 2, 3]


def test_hogwild_two_processes_train_one_shared_model():
    fastnn.manual_seed(0)
    x = fastnn.randn(256, 4)
    y = x @ fastnn.tensor([[1.0], [-2.0], [0.5], [3.0]])
    model = nn.Linear(4, 1)
    model.share_memory()
    before = model.weight.detach().numpy().copy()
    loss0 = fastnn.nn.functional.mse_loss(model(x), y).item()
    ctx = mp.get_context("fork")
    procs = [ctx.Process(target=hogwild_train, args=(rank, model, x, y, 60)) for rank in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    loss1 = fastnn.nn.functional.mse_loss(model(x), y).item()
    assert not np.allclose(model.weight.detach().numpy(), before)  # the parent sees the children's updates
    assert loss1 < 0.05 * loss0
    # one process alone for the same steps moves less far than two did together
    solo = nn.Linear(4, 1)
    solo.load_state_dict({k: fastnn.tensor(v) for k, v in
                          {"weight": before, "bias": np.zeros(1, np.float32)}.items()})
    solo.share_memory()
    p = ctx.Process(target=hogwild_train, args=(0, solo, x, y, 60))
    p.start()
    p.join(timeout=60)
    assert fastnn.nn.functional.mse_loss(solo(x), y).item() > loss1


def test_a_forked_child_runs_openmp_kernels_after_the_parent_did():
    fastnn.set_num_threads(2)
    x = fastnn.randn(8, 3, 32, 32)
    fastnn.nn.functional.conv2d(x, fastnn.ones(8, 3, 3, 3))  # the parent's OpenMP pool is up
    out = fastnn.zeros(2, dtype=fastnn.float64).share_memory_()
    p = mp.get_context("fork").Process(target=conv_in_child, args=(out,))
    p.start()
    p.join(timeout=20)
    alive = p.is_alive()
    if alive:
        p.kill()
    assert not alive and p.exitcode == 0, "a forked child hung in (or failed at) its first parallel region"
    assert out[0].item() != 0 and out[1].item() == 1
    assert fastnn.get_num_threads() == 2  # the parent keeps its threads


def test_one_descriptor_per_shared_tensor_released_with_it():
    import gc
    import os

    def open_fds():
        return len(os.listdir("/proc/self/fd"))

    before = open_fds()
    shared = [fastnn.ones(1000).share_memory_() for _ in range(20)]
    views = [t[10:20] for t in shared]
    assert open_fds() - before == 20
    del shared
    gc.collect()
    assert open_fds() - before == 20  # the views keep their memory (and descriptor) alive
    assert all(v.tolist() == [1.0] * 10 for v in views)
    del views
    gc.collect()
    assert open_fds() == before
