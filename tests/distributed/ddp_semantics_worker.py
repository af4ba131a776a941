"""Run under mpiexec -n 2 by test_ddp_semantics.py: `python ddp_semantics_worker.py MODE`.

unused       find_unused_parameters: a parameter no rank uses keeps grad None; one used on rank 0 only is
             averaged with rank 1's zeros; without the flag an unused parameter is an error
twice        a second backward(retain_graph=True) after the synced one raises
serialized   with MPI_THREAD_SERIALIZED there is no progress thread, and DDP still averages
timeout      a collective that times out aborts the job even when the caller catches exceptions
Each mode asserts here and prints "rank R: MODE OK" at the end.
"""
import datetime
import os
import sys
import threading
import time

if sys.argv[1] == "serialized":  # must be set before mpi4py initialises MPI
    import mpi4py
    mpi4py.rc.thread_level = "serialized"

import numpy as np

import fastnn
import fastnn.distributed as dist
import fastnn.nn as nn
from fastnn.nn.parallel import DistributedDataParallel as DDP


class ThreeHeads(nn.Module):
    """a is used on every rank, b on rank 0 only, c on none."""

    def __init__(self):
        super().__init__()
        self.a = nn.Linear(3, 1, bias=False)
        self.b = nn.Linear(3, 1, bias=False)
        self.c = nn.Linear(3, 1, bias=False)

    def forward(self, x, use_b):
        return self.a(x) + self.b(x) if use_b else self.a(x)


def expect_raise(fn, text):
    try:
        fn()
    except RuntimeError as err:
        assert text in str(err), str(err)
    else:
        raise AssertionError(f"expected a RuntimeError containing {text!r}")


def unused(rank):
    # The expected values are what PyTorch 2.13 (gloo, 2 processes) gives for the same model and inputs.
    x = fastnn.full((2, 3), float(rank + 1))  # d(sum)/d(weight) = column sums of x = 2 * (rank + 1)
    ddp = DDP(ThreeHeads(), find_unused_parameters=True, bucket_cap_mb=1e-6)
    c_before = ddp.module.c.weight.detach().numpy().copy()
    opt = fastnn.optim.SGD(ddp.parameters(), lr=0.1, momentum=0.9, weight_decay=0.1)
    for _ in range(2):
        opt.zero_grad()
        ddp(x, use_b=rank == 0).sum().backward()
        np.testing.assert_allclose(ddp.module.a.weight.grad.numpy(), np.full((1, 3), (2 + 4) / 2))
        np.testing.assert_allclose(ddp.module.b.weight.grad.numpy(), np.full((1, 3), (2 + 0) / 2))
        assert ddp.module.c.weight.grad is None, "a parameter no rank used must keep grad None"
        opt.step()
    np.testing.assert_array_equal(ddp.module.c.weight.detach().numpy(), c_before)  # weight decay left it alone

    # Use under no_sync counts: b, used by rank 1 in the accumulated pass only, is averaged with rank 0's
    # zeros (PyTorch 2.13 with gloo gives b.grad = (0 + 4) / 2 = 2 on both ranks, a.grad = (4 + 8) / 2 = 6).
    acc = DDP(ThreeHeads(), find_unused_parameters=True)
    with acc.no_sync():
        acc(x, use_b=rank == 1).sum().backward()
    acc(x, use_b=False).sum().backward()
    np.testing.assert_allclose(acc.module.a.weight.grad.numpy(), np.full((1, 3), 6.0))
    np.testing.assert_allclose(acc.module.b.weight.grad.numpy(), np.full((1, 3), 2.0))
    assert acc.module.c.weight.grad is None

    strict = DDP(ThreeHeads())
    expect_raise(lambda: strict(x, use_b=True).sum().backward(), "Parameters which did not receive grad: c.weight")
    strict(x, use_b=False)  # the next iteration starts cleanly after the error
    expect_raise(lambda: strict(x, use_b=False).sum().backward(),
                 "Parameters which did not receive grad: b.weight, c.weight")


def twice(rank):
    ddp = DDP(nn.Linear(3, 1, bias=False))
    x = fastnn.full((1, 3), float(rank + 1))
    loss = ddp(x).sum()
    loss.backward(retain_graph=True)
    np.testing.assert_allclose(ddp.module.weight.grad.numpy(), np.full((1, 3), 1.5))
    expect_raise(lambda: loss.backward(), "a second backward pass reached the module's parameters")
    ddp.module.weight.grad = None
    ddp(x).sum().backward()  # a new forward syncs again
    np.testing.assert_allclose(ddp.module.weight.grad.numpy(), np.full((1, 3), 1.5))


def serialized(rank):
    from mpi4py import MPI
    assert MPI.Query_thread() == MPI.THREAD_SERIALIZED, MPI.Query_thread()
    fastnn.manual_seed(0)
    # The last layer (1.2 MB) fills the first bucket (1 MiB), so two all-reduces overlap backward.
    ddp = DDP(nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 300_000)), bucket_cap_mb=1e-4)
    assert ddp.reducer.progress is None and len(ddp.reducer.buckets) > 1
    x = fastnn.full((3, 4), float(rank + 1))
    ddp(x).sum().backward()
    assert "fastnn-mpi-progress" not in [t.name for t in threading.enumerate()]
    for p in ddp.parameters():  # every rank holds the same (averaged) gradient
        theirs = fastnn.tensor(p.grad.numpy().copy())
        dist.broadcast(theirs, src=0)
        np.testing.assert_array_equal(theirs.numpy(), p.grad.numpy())


def timeout(rank):
    t = fastnn.ones(1)
    if rank == 1:
        time.sleep(60)
    try:
        dist.all_reduce(t)
    except Exception as err:  # noqa: BLE001 - the point: catching must not let the rank carry on
        print(f"rank {rank}: caught {err!r} and carried on", flush=True)


def main():
    mode = sys.argv[1]
    fastnn.set_num_threads(1)
    dist.init_process_group("mpi", timeout=datetime.timedelta(seconds=float(os.environ.get("DDP_TEST_TIMEOUT", 60))))
    rank = dist.get_rank()
    {"unused": unused, "twice": twice, "serialized": serialized, "timeout": timeout}[mode](rank)
    dist.barrier()
    print(f"rank {rank}: {mode} OK", flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
