"""A whole training checkpoint (model, optimizer, scheduler, epoch, RNG state) resumes to the same parameters
as a run that was never interrupted."""
import numpy as np

import fastnn
from fastnn import nn
from fastnn.data import load_iris
from fastnn.utils.data import DataLoader, TensorDataset


def _setup():
    X, y, _ = load_iris()
    X = ((X - X.mean(0)) / X.std(0)).astype(np.float32)
    fastnn.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Dropout(0.3), nn.Linear(32, 3))
    opt = fastnn.optim.Adam(model.parameters(), lr=0.01, weight_decay=1e-4)
    sched = fastnn.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    loader = DataLoader(TensorDataset(fastnn.tensor(X), fastnn.tensor(y)), batch_size=16, shuffle=True)
    return model, opt, sched, loader


def _epochs(model, opt, sched, loader, first, last):
    for _ in range(first, last):
        for xb, yb in loader:  # shuffling and dropout both draw from the default generator
            opt.zero_grad()
            nn.functional.cross_entropy(model(xb), yb).backward()
            opt.step()
        sched.step()


def test_resumed_training_equals_uninterrupted_training(tmp_path):
    model, opt, sched, loader = _setup()
    _epochs(model, opt, sched, loader, 0, 6)
    want = [p.detach().numpy().copy() for p in model.parameters()]

    model, opt, sched, loader = _setup()
    _epochs(model, opt, sched, loader, 0, 3)
    path = tmp_path / "checkpoint.safetensors"
    fastnn.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
                 "epoch": 3, "rng": fastnn.default_generator.get_state()}, path)
    del model, opt, sched

    fastnn.manual_seed(12345)  # the resumed process starts from some other state
    model, opt, sched, loader = _setup()
    ckpt = fastnn.load(path)
    model.load_state_dict(ckpt["model"])
    opt.load_state_dict(ckpt["optimizer"])
    sched.load_state_dict(ckpt["scheduler"])
    fastnn.default_generator.set_state(ckpt["rng"])
    _epochs(model, opt, sched, loader, ckpt["epoch"], 6)
    got = [p.detach().numpy() for p in model.parameters()]
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)
    assert opt.param_groups[0]["lr"] == 0.01 * 0.5 ** 3
