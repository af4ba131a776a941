"""DataLoader workers keeping a training step fed: a dataset whose __getitem__ costs 1 ms (time.sleep)
feeds LeNet (28x28, batch 64, SGD) with num_workers = 0 and 2; prints samples/s and how long the
step waited for data (also with no step: the loader's own rate).
Run: python bench/dataloader_workers.py [--batches N] [--workers 0 2 4]."""
import argparse
import time

import numpy as np

import fastnn
import fastnn.nn.functional as F
from fastnn.models import LeNet
from fastnn.utils.data import DataLoader, Dataset


class SlowDigits(Dataset):
    """Random 28x28 images; each sample costs `cost` seconds to 'load'."""

    def __init__(self, n=4096, cost=1e-3):
        rng = np.random.default_rng(0)
        self.x = rng.standard_normal((n, 1, 28, 28)).astype(np.float32)
        self.y = rng.integers(0, 10, n)
        self.cost = cost

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        time.sleep(self.cost)
        return fastnn.from_numpy(self.x[i]), int(self.y[i])


def run(num_workers, batches, batch_size=64, train=True):
    fastnn.manual_seed(0)
    model = LeNet()
    opt = fastnn.optim.SGD(model.parameters(), lr=0.01)
    loader = DataLoader(SlowDigits(n=batches * batch_size), batch_size=batch_size, shuffle=True,
                        num_workers=num_workers)
    wait = step = 0.0
    it = iter(loader)
    x, y = next(it)  # worker start-up and the first batch are not the steady state
    t_start = time.perf_counter()
    n = 0
    while True:
        t0 = time.perf_counter()
        if train:
            opt.zero_grad()
            F.nll_loss(model(x), y).backward()
            opt.step()
        t1 = time.perf_counter()
        try:
            x, y = next(it)
        except StopIteration:
            break
        t2 = time.perf_counter()
        step += t1 - t0
        wait += t2 - t1
        n += 1
    total = time.perf_counter() - t_start
    return n * batch_size / total, step / n * 1e3, wait / n * 1e3


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batches", type=int, default=30)
    ap.add_argument("--workers", type=int, nargs="+", default=[0, 2])
    args = ap.parse_args()
    print(f"{'workers':>7} {'step':>5} {'samples/s':>10} {'step ms':>8} {'wait ms':>8}")
    for train in (False, True):
        for w in args.workers:
            rate, step_ms, wait_ms = run(w, args.batches, train=train)
            print(f"{w:>7} {'LeNet' if train else 'none':>5} {rate:>10.0f} {step_ms:>8.1f} {wait_ms:>8.1f}")


if __name__ == "__main__":
    main()
