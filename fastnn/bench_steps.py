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


def _copy_into_torch(model, tmodel):
    import torch
    tmodel.load_state_dict({k: torch.from_numpy(v.detach().numpy().copy()) for k, v in model.state_dict().items()})


def lenet_step(use_torch):
    """LeNet on a batch of 64 MNIST-sized images: forward, NLL loss, backward, SGD(momentum 0.5) step."""
    import fastnn
    from fastnn.models import LeNet
    from fastnn.nn import functional as F
    rng = np.random.default_rng(0)
    X = rng.random((64, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, 64)
    fastnn.manual_seed(0)
    model = LeNet()
    opt = fastnn.optim.SGD(model.parameters(), lr=0.01, momentum=0.5)
    xt, yt = fastnn.tensor(X), fastnn.tensor(y)

    def step():
        opt.zero_grad()
        F.nll_loss(model(xt), yt).backward()
        opt.step()

    torch_step = None
    if use_torch:
        import torch
        import torch.nn as tnn
        tmodel = tnn.Sequential(tnn.Conv2d(1, 20, 5), tnn.ReLU(), tnn.MaxPool2d(2), tnn.Conv2d(20, 50, 5), tnn.ReLU(),
                                tnn.MaxPool2d(2),
                                tnn.Flatten(), tnn.Linear(800, 500), tnn.ReLU(), tnn.Linear(500, 10),
                                tnn.LogSoftmax(dim=1))
        topt = torch.optim.SGD(tmodel.parameters(), lr=0.01, momentum=0.5)
        tx, ty = torch.from_numpy(X), torch.from_numpy(y)

        def torch_step():
            topt.zero_grad()
            torch.nn.functional.nll_loss(tmodel(tx), ty).backward()
            topt.step()
    return step, torch_step


def charlm_step(use_torch, cell="lstm"):
    """Character LM (embedding 64, one 256-unit layer, 71 symbols) on 64 windows of 100 characters:
    forward, cross-entropy, backward, Adam step."""
    import fastnn
    from fastnn.models import CharLM
    from fastnn.nn import functional as F
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 71, (64, 101))
    fastnn.manual_seed(0)
    model = CharLM(71, 64, 256, cell=cell)
    opt = fastnn.optim.Adam(model.parameters(), lr=2e-3)
    xt, yt = fastnn.tensor(ids[:, :-1]), fastnn.tensor(ids[:, 1:].reshape(-1))

    def step():
        opt.zero_grad()
        F.cross_entropy(model(xt)[0].reshape(-1, 71), yt).backward()
        opt.step()

    torch_step = None
    if use_torch:
        import torch
        import torch.nn as tnn

        class TorchCharLM(tnn.Module):
            def __init__(self):
                super().__init__()
                self.embedding = tnn.Embedding(71, 64)
                self.rnn = (tnn.LSTM if cell == "lstm" else tnn.GRU)(64, 256, batch_first=True)
                self.head = tnn.Linear(256, 71)

            def forward(self, x):
                return self.head(self.rnn(self.embedding(x))[0])
        tmodel = TorchCharLM()
        _copy_into_torch(model, tmodel)
        topt = torch.optim.Adam(tmodel.parameters(), lr=2e-3)
        tx, ty = torch.from_numpy(ids[:, :-1]), torch.from_numpy(ids[:, 1:].reshape(-1))

        def torch_step():
            topt.zero_grad()
            torch.nn.functional.cross_entropy(tmodel(tx).reshape(-1, 71), ty).backward()
            topt.step()
    return step, torch_step


STEPS += [("LeNet training step, batch 64", lenet_step),
          ("CharLM LSTM-256 training step, 64 x 100 chars", charlm_step),
          ("CharLM GRU-256 training step, 64 x 100 chars", lambda use_torch: charlm_step(use_torch, "gru"))]


def encoder_layer_step(use_torch):
    """TransformerEncoderLayer(d_model 128, 8 heads, ff 512), batch 32 x 64: forward, MSE, backward, Adam."""
    import fastnn
    from fastnn import nn
    from fastnn.nn import functional as F
    rng = np.random.default_rng(0)
    X = rng.standard_normal((32, 64, 128)).astype(np.float32)
    Y = rng.standard_normal((32, 64, 128)).astype(np.float32)
    fastnn.manual_seed(0)
    layer = nn.TransformerEncoderLayer(128, 8, 512, dropout=0.0, batch_first=True)
    opt = fastnn.optim.Adam(layer.parameters(), lr=1e-3)
    xt, yt = fastnn.tensor(X), fastnn.tensor(Y)

    def step():
        opt.zero_grad()
        F.mse_loss(layer(xt), yt).backward()
        opt.step()

    torch_step = None
    if use_torch:
        import torch
        tlayer = torch.nn.TransformerEncoderLayer(128, 8, 512, dropout=0.0, batch_first=True)
        _copy_into_torch(layer, tlayer)
        topt = torch.optim.Adam(tlayer.parameters(), lr=1e-3)
        tx, ty = torch.from_numpy(X), torch.from_numpy(Y)

        def torch_step():
            topt.zero_grad()
            torch.nn.functional.mse_loss(tlayer(tx), ty).backward()
            topt.step()
    return step, torch_step


STEPS += [("TransformerEncoderLayer training step, d128 h8 ff512, 32 x 64", encoder_layer_step)]
