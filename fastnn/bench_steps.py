"""Whole training steps timed by `fastnn bench` and bench/: fastnn and the same step in PyTorch."""
import numpy as np


def mlp_step(use_torch):
    """4-16-3 MLP, batch 32: forward, cross-entropy, backward, SGD step."""
    import fastnn
    from fastnn import nn
    rng = np.random.default_rng(0)
    X = rng.standard_normal((32, 4)).astype(np.float32)
    y = rng.integers(0, 3, 32)
    fastnn.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))
    opt = fastnn.optim.SGD(model.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()
    xt, yt = fastnn.tensor(X), fastnn.tensor(y)

    def step():
        opt.zero_grad()
        loss_fn(model(xt), yt).backward()
        opt.step()

    torch_step = None
    if use_torch:
        import torch
        tmodel = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))
        topt = torch.optim.SGD(tmodel.parameters(), lr=0.01)
        tloss = torch.nn.CrossEntropyLoss()
        tx, ty = torch.from_numpy(X), torch.from_numpy(y)

        def torch_step():
            topt.zero_grad()
            tloss(tmodel(tx), ty).backward()
            topt.step()
    return step, torch_step


STEPS = [("MLP 4-16-3 training step, batch 32", mlp_step)]
