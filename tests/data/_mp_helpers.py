"""Datasets and process targets for the worker and multiprocessing tests: importable by name, so that
spawned children can unpickle them (and cheap to import: no torch)."""
import os
import random
import time

import numpy as np

import fastnn
from fastnn.utils.data import Dataset, IterableDataset, get_worker_info


class Squares(Dataset):
    """Sample i is (i, i*i) as float32 arrays; optionally slow, failing at one index, or exiting."""

    def __init__(self, n=40, delay=0.0, fail_at=None, delay_at=None):
        self.n, self.delay, self.fail_at, self.delay_at = n, delay, fail_at, delay_at

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if i == self.fail_at:
            raise ValueError(f"bad sample {i}")
        if self.delay_at is not None and i == self.delay_at:
            time.sleep(self.delay)
        elif self.delay_at is None and self.delay:
            time.sleep(self.delay)
        return np.float32(i), np.float32(i * i)


class WhoAmI(Dataset):
    """Each sample reports the process that loaded it and its random state."""

    def __init__(self, n=8):
        self.n = n
        self.tag = None

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        info = get_worker_info()
        return {"index": i, "pid": os.getpid(), "worker": -1 if info is None else info.id,
                "seed": -1 if info is None else info.seed, "tag": self.tag or "",
                "fastnn": float(fastnn.rand(1).item()), "numpy": float(np.random.rand()), "py": random.random()}


def tag_worker(worker_id):
    get_worker_info().dataset.tag = f"init{worker_id}"


class Sharded(IterableDataset):
    """range(n), each worker taking every num_workers-th item from its id."""

    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = get_worker_info()
        start, step = (0, 1) if info is None else (info.id, info.num_workers)
        return iter(range(start, self.n, step))


class Uneven(IterableDataset):
    """Worker 0 yields 7 items, worker 1 yields 2: one worker runs out long before the other."""

    def __iter__(self):
        info = get_worker_info()
        wid = 0 if info is None else info.id
        return iter([100 * wid + k for k in range(7 if wid == 0 else 2)])


class Big(Dataset):
    """Samples of 64 KB: a batch of 32 is 2 MB and crosses through shared memory."""

    def __len__(self):
        return 64

    def __getitem__(self, i):
        return np.full((128, 128), i, np.float32)


def write_index(i, t):
    t[i] = 100 + i


def raise_in_one(i):
    if i == 1:
        raise ValueError("process one failed")
    time.sleep(0.05)


def exit_with_code(i):
    if i == 0:
        os._exit(3)
    time.sleep(0.05)


def kill_self(i):
    if i == 1:
        os.kill(os.getpid(), 9)


def add_from_queue(q, n):
    for _ in range(n):
        t = q.get()
        with fastnn.no_grad():
            t += 1


def hogwild_train(rank, model, x, y, steps):
    fastnn.manual_seed(rank)
    opt = fastnn.optim.SGD(model.parameters(), lr=0.05)
    for _ in range(steps):
        idx = fastnn.randint(0, len(x), (16,))
        opt.zero_grad()
        fastnn.nn.functional.mse_loss(model(x[idx]), y[idx]).backward()
        opt.step()


def failing_init(worker_id):
    raise RuntimeError(f"init of worker {worker_id} failed")


def conv_in_child(out):
    x = fastnn.randn(4, 3, 16, 16)
    out[0] = float(fastnn.nn.functional.conv2d(x, fastnn.ones(8, 3, 3, 3)).sum().item())
    out[1] = fastnn.get_num_threads()


class Gated(Dataset):
    """Sample 0 waits until `gate` (a multiprocessing Event) is set."""

    def __init__(self, gate, n=8):
        self.gate, self.n = gate, n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if i == 0:
            self.gate.wait(timeout=20)
        return i
