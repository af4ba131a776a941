"""Run under mpiexec by the distributed tests: `python ddp_worker.py MODE OUTDIR`.

equal        train each recipe with DistributedDataParallel, save every rank's parameters
collectives  check all_reduce/broadcast/all_gather/barrier, buffers, checkpoints (asserts here)
raise, die, kill, hang, mismatch, worldsize   the faults the tests expect to stop every rank
"""
import datetime
import os
import signal
import sys
import time

import numpy as np

import fastnn
import fastnn.distributed as dist
import fastnn.nn as nn
from fastnn.nn.parallel import DistributedDataParallel as DDP

import ddp_recipes


def equal(out):
    rank, world = dist.get_rank(), dist.get_world_size()
    for name, accumulate in (("mlp", False), ("lenet", False), ("lstm", False), ("mlp", True)):
        ddp = DDP(ddp_recipes.build(name), bucket_cap_mb=0.001)  # small buckets: several all-reduces overlap
        ddp_recipes.train(ddp, name, rank, world, accumulate)
        tag = name + ("_accumulate" if accumulate else "")
        np.savez(os.path.join(out, f"{tag}_rank{rank}.npz"), **ddp_recipes.parameters(ddp.module))


def collectives(out):
    rank, world = dist.get_rank(), dist.get_world_size()
    t = fastnn.tensor([rank + 1.0, -rank - 1.0])
    dist.all_reduce(t)
    assert t.tolist() == [world * (world + 1) / 2, -world * (world + 1) / 2], t
    for op, want in ((dist.ReduceOp.MAX, world), (dist.ReduceOp.MIN, 1), (dist.ReduceOp.AVG, (world + 1) / 2),
                     (dist.ReduceOp.PRODUCT, float(np.prod(np.arange(1, world + 1))))):
        t = fastnn.tensor([rank + 1.0])
        dist.all_reduce(t, op=op)
        assert t.item() == want, (op, t.item(), want)
    ints = fastnn.arange(6).reshape(2, 3).t()  # a non-contiguous int64 view is reduced in place too
    dist.all_reduce(ints)
    assert ints.tolist() == (np.arange(6).reshape(2, 3).T * world).tolist()
    ones = fastnn.ones(3)
    work = dist.all_reduce(ones, async_op=True)
    assert work.wait(timeout=datetime.timedelta(seconds=30)) and work.is_completed()
    assert ones.tolist() == [world] * 3
    src = world - 1
    t = fastnn.full((2, 2), float(rank))
    dist.broadcast(t, src=src)
    assert (t.numpy() == src).all()
    gathered = [fastnn.zeros(2) for _ in range(world)]
    dist.all_gather(gathered, fastnn.tensor([rank, rank * 10.0]))
    assert [g.tolist() for g in gathered] == [[r, r * 10.0] for r in range(world)]
    for call, err, name in ((lambda: dist.all_reduce([1.0]), TypeError, "tensor must be"),
                            (lambda: dist.broadcast(t, src=world), ValueError, "src must be"),
                            (lambda: dist.all_reduce(t, op="mean"), ValueError, "op must be"),
                            (lambda: dist.all_gather([t], t), ValueError, "tensor_list must be")):
        try:
            call()
        except err as e:
            assert name in str(e), e
        else:
            raise AssertionError(f"bad input accepted ({name})")
    dist.barrier()

    # BatchNorm's running statistics follow rank 0: after an eval forward every rank holds rank 0's.
    fastnn.manual_seed(rank)  # different initial weights per rank: DDP must replace them with rank 0's
    model = DDP(nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2)))
    for step in range(3):
        model(fastnn.randn(8, 3)).sum().backward()
    model.eval()
    model(fastnn.randn(8, 3))
    mine = {k: v.numpy() for k, v in model.state_dict().items()}
    assert all(k.startswith("module.") for k in mine), list(mine)
    for k, v in mine.items():
        ref = fastnn.tensor(v.copy())
        dist.broadcast(ref, src=0)
        assert np.array_equal(ref.numpy(), v), f"{k} differs from rank 0's"

    # Checkpoints: rank 0 writes (atomically), the others wait at a barrier, then everyone loads.
    path = os.path.join(out, "checkpoint.safetensors")
    if rank == 0:
        fastnn.save(model.module.state_dict(), path)
    dist.barrier()
    loaded = fastnn.load(path)
    assert all(np.array_equal(loaded[k[len("module."):]].numpy(), v) for k, v in mine.items())
    print(f"rank {rank}: collectives OK", flush=True)


def faults(mode):
    rank = dist.get_rank()
    if mode == "mismatch":
        DDP(nn.Linear(4, 4 + rank))
    t = fastnn.ones(1)
    dist.all_reduce(t)  # everyone is here once before the fault
    if rank == 1:
        if mode == "raise":
            raise RuntimeError("rank 1 fails on purpose")
        if mode == "die":
            os._exit(3)
        if mode == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        if mode == "hang":
            time.sleep(60)
    dist.all_reduce(t)


def main():
    mode, out = sys.argv[1], sys.argv[2]
    fastnn.set_num_threads(1)
    if mode == "worldsize":
        dist.init_process_group("mpi", world_size=3)
    dist.init_process_group("mpi", timeout=datetime.timedelta(seconds=float(os.environ.get("DDP_TEST_TIMEOUT", 60))))
    {"equal": equal, "collectives": collectives}.get(mode, lambda _: faults(mode))(out)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
