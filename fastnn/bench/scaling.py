"""The data-parallel scaling model: gradient bytes all-reduced per step, and the step time on N machines.

A ring all-reduce sends and receives 2(N-1)/N x size bytes over each machine's link, so with a
global batch split over N machines a step takes about compute/N + 2(N-1)/N x size / bandwidth
(the sum when communication does not overlap backward; max of the two when it overlaps fully).

    python -m fastnn.bench.scaling                       one process: step times and the model's table
    mpiexec -n 2 python -m fastnn.bench.scaling --allreduce   time all-reduce of each size on this machine
    mpiexec -n 2 python -m fastnn.bench.scaling --ddp         time LeNet DDP steps, overlap on and off
"""
import argparse
import time

import numpy as np

from .timing import median_time

BANDWIDTHS_GBIT = (10, 100)
MACHINES = (2, 4, 8, 16)


def _lenet():
    from .steps import lenet_step
    from ..models import LeNet
    return LeNet(), lenet_step(False)[0]


def _charlm():
    """The zoo's --full character LSTM (hidden 512) on a batch of 64 sequences of 100 characters."""
    import fastnn
    from ..data import load_text, CharVocab
    from ..models import CharLM
    from ..nn import functional as F
    from ..zoo.charlm import BATCH, SEQ_LEN
    vocab = len(CharVocab(load_text()))
    fastnn.manual_seed(0)
    model = CharLM(vocab, embedding_dim=64, hidden_size=512)
    opt = fastnn.optim.Adam(model.parameters(), lr=2e-3)
    window = fastnn.tensor(np.random.default_rng(0).integers(0, vocab, (BATCH, SEQ_LEN + 1)))

    def step():
        logits, _ = model(window[:, :-1])
        opt.zero_grad()
        F.cross_entropy(logits.reshape(-1, vocab), window[:, 1:].reshape(-1)).backward()
        opt.step()
    return model, step


def _resnet_layer():
    """One ResNet 3x3 convolution, 64 -> 64 channels on 56x56 maps, batch 16 (the conv bench case)."""
    import fastnn
    from .. import nn
    fastnn.manual_seed(0)
    model = nn.Conv2d(64, 64, 3, padding=1)
    x = fastnn.randn(16, 64, 56, 56)

    def step():
        model.zero_grad()
        model(x).sum().backward()
    return model, step


MODELS = (("LeNet (MNIST, batch 64)", _lenet), ("CharLM LSTM-512 (batch 64 x 100)", _charlm),
          ("ResNet conv 64->64 3x3 (batch 16, 56x56)", _resnet_layer))


def ring_seconds(nbytes, machines, gbit_per_s):
    """Bandwidth term of a ring all-reduce of nbytes over machines (latency left out)."""
    return 2 * (machines - 1) / machines * nbytes / (gbit_per_s * 1e9 / 8)


def model_table(repeat=3):
    """Markdown rows per model and bandwidth: gradient bytes, the measured one-process step, N-machine steps."""
    head = ["model", "gradient bytes/step", "1 process step", "link"] + [f"N={n}" for n in MACHINES]
    rows = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for name, build in MODELS:
        model, step = build()
        nbytes = sum(p._data.nbytes for p in model.parameters())
        t1 = median_time(step, repeat, min_time=0)  # one call per sample: a step lasts long enough
        for b in BANDWIDTHS_GBIT:
            cells = [name, f"{nbytes:,}", f"{t1 * 1e3:.1f} ms", f"{b} Gbit/s"]
            for n in MACHINES:
                comm = ring_seconds(nbytes, n, b)
                cells.append(f"{(t1 / n + comm) * 1e3:.1f} ms ({comm * 1e3:.2f})")
            rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def measure_allreduce(repeat=20):
    """Time a blocking all-reduce of each model's gradient size across the ranks of this mpiexec job."""
    from .. import distributed as dist
    from ..distributed._mpi import mpi
    from ..distributed.process_group import comm
    dist.init_process_group("mpi")
    world, c = dist.get_world_size(), comm()
    lines = []
    for name, build in MODELS:
        model, _ = build()
        buf = np.concatenate([p._data.ravel() for p in model.parameters()])
        times = []
        for _ in range(repeat):
            c.Barrier()
            t0 = time.perf_counter()
            c.Allreduce(mpi().IN_PLACE, buf)
            times.append(time.perf_counter() - t0)
        t = float(np.median(times))
        moved = 2 * (world - 1) / world * buf.nbytes
        lines.append(f"{name}: all-reduce of {buf.nbytes:,} bytes over {world} ranks {t * 1e3:.2f} ms "
                     f"(ring-equivalent {moved * 8 / t / 1e9:.1f} Gbit/s)")
    if dist.get_rank() == 0:
        print("\n".join(lines))
    dist.destroy_process_group()


def measure_ddp_steps(steps=100, rounds=2):
    """Time LeNet DDP steps (global batch 64 split over the ranks) with overlap on and off, alternately."""
    import fastnn
    from .. import distributed as dist
    from ..models import LeNet
    from ..nn import functional as F
    from ..nn.parallel import DistributedDataParallel
    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    fastnn.manual_seed(rank)
    x, y = fastnn.randn(64 // world, 1, 28, 28), fastnn.randint(0, 10, (64 // world,))
    for _ in range(rounds):
        for overlap in (True, False):
            fastnn.manual_seed(0)
            model = DistributedDataParallel(LeNet(), overlap=overlap)
            opt = fastnn.optim.SGD(model.parameters(), lr=0.01, momentum=0.5)

            def step():
                opt.zero_grad()
                F.nll_loss(model(x), y).backward()
                opt.step()
            for _ in range(5):
                step()
            model.reducer.seconds = 0.0
            dist.barrier()
            t0 = time.perf_counter()
            for _ in range(steps):
                step()
            t = (time.perf_counter() - t0) / steps
            if rank == 0:
                print(f"LeNet DDP, {world} process(es), overlap {'on ' if overlap else 'off'}: {t * 1e3:.1f} ms/step, "
                      f"{64 / t:.0f} samples/s, all-reduce {model.allreduce_seconds / steps * 1e3:.2f} ms/step",
                      flush=True)
    dist.destroy_process_group()


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m fastnn.bench.scaling", description=__doc__.split("\n")[0])
    p.add_argument("--allreduce", action="store_true", help="time all-reduce across the ranks of this mpiexec job")
    p.add_argument("--repeat", type=int, default=3, help="timed steps per model (median reported)")
    p.add_argument("--ddp", action="store_true",
                   help="time LeNet DistributedDataParallel steps with overlap on and off across this mpiexec job")
    args = p.parse_args(argv)
    if args.allreduce:
        measure_allreduce()
    elif args.ddp:
        measure_ddp_steps()
    else:
        print(model_table(args.repeat))


if __name__ == "__main__":
    main()
