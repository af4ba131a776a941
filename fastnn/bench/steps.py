"""Whole training steps timed by `fastnn bench` and bench/: fastnn and the same step in PyTorch."""
import numpy as np


def _training_step(model, loss_fn, opt, x, target):
    """One forward, loss, backward and optimizer step; the same code drives fastnn and PyTorch objects.
    Returns the loss, so tests can compare the two libraries step by step."""
    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), target)
        loss.backward()
        opt.step()
        return loss
    return step


def mlp_step(use_torch):
    """4-16-3 MLP, batch 32: forward, cross-entropy, backward, SGD step."""
    import fastnn
    from fastnn import nn
    rng = np.random.default_rng(0)
    X = rng.standard_normal((32, 4)).astype(np.float32)
    y = rng.integers(0, 3, 32)
    fastnn.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))
    step = _training_step(model, nn.CrossEntropyLoss(), fastnn.optim.SGD(model.parameters(), lr=0.01),
                          fastnn.tensor(X), fastnn.tensor(y))

    torch_step = None
    if use_torch:
        import torch
        tmodel = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))
        torch_step = _training_step(tmodel, torch.nn.CrossEntropyLoss(), torch.optim.SGD(tmodel.parameters(), lr=0.01),
                                    torch.from_numpy(X), torch.from_numpy(y))
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
    step = _training_step(model, F.nll_loss, fastnn.optim.SGD(model.parameters(), lr=0.01, momentum=0.5),
                          fastnn.tensor(X), fastnn.tensor(y))

    torch_step = None
    if use_torch:
        import torch
        import torch.nn as tnn
        tmodel = tnn.Sequential(tnn.Conv2d(1, 20, 5), tnn.ReLU(), tnn.MaxPool2d(2), tnn.Conv2d(20, 50, 5), tnn.ReLU(),
                                tnn.MaxPool2d(2),
                                tnn.Flatten(), tnn.Linear(800, 500), tnn.ReLU(), tnn.Linear(500, 10),
                                tnn.LogSoftmax(dim=1))
        torch_step = _training_step(tmodel, torch.nn.functional.nll_loss,
                                    torch.optim.SGD(tmodel.parameters(), lr=0.01, momentum=0.5),
                                    torch.from_numpy(X), torch.from_numpy(y))
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
    step = _training_step(lambda x: model(x)[0].reshape(-1, 71), F.cross_entropy,
                          fastnn.optim.Adam(model.parameters(), lr=2e-3), fastnn.tensor(ids[:, :-1]),
                          fastnn.tensor(ids[:, 1:].reshape(-1)))

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
        torch_step = _training_step(lambda x: tmodel(x).reshape(-1, 71), torch.nn.functional.cross_entropy,
                                    torch.optim.Adam(tmodel.parameters(), lr=2e-3), torch.from_numpy(ids[:, :-1]),
                                    torch.from_numpy(ids[:, 1:].reshape(-1)))
    return step, torch_step


STEPS += [("LeNet training step, batch 64", lenet_step),
          ("CharLM LSTM-256 training step, 64 x 100 chars", charlm_step),
          ("CharLM GRU-256 training step, 64 x 100 chars", lambda use_torch: charlm_step(use_torch, "gru"))]


def dqn_step(use_torch):
    """DQN learning step: 4-128-128-2 MLP, batch 128, target-network values, Huber loss, gradient
    values clipped to 100, AdamW(amsgrad) step, soft target update (tau 0.005)."""
    import fastnn
    from fastnn import nn
    rng = np.random.default_rng(0)
    obs, next_obs = rng.standard_normal((2, 128, 4)).astype(np.float32)
    action = rng.integers(0, 2, (128, 1))
    reward, done = np.ones(128, np.float32), (rng.random(128) < 0.05).astype(np.float32)
    fastnn.manual_seed(0)

    def mlp(lib):
        return lib.nn.Sequential(lib.nn.Linear(4, 128), lib.nn.ReLU(), lib.nn.Linear(128, 128), lib.nn.ReLU(),
                                 lib.nn.Linear(128, 2))

    def make_step(lib, net, target, opt, loss_fn, clip, tensor):
        o, no, a, r, d = tensor(obs), tensor(next_obs), tensor(action), tensor(reward), tensor(done)

        def step():
            with lib.no_grad():
                target_q = (r + 0.99 * (1 - d) * target(no).max(1).values).unsqueeze(1)
            loss = loss_fn(net(o).gather(1, a), target_q)
            opt.zero_grad()
            loss.backward()
            clip(net.parameters(), 100)
            opt.step()
            with lib.no_grad():
                for t, p in zip(target.parameters(), net.parameters()):
                    t.mul_(0.995).add_(0.005 * p)
        return step

    net, target = mlp(fastnn), mlp(fastnn)
    target.load_state_dict(net.state_dict())
    step = make_step(fastnn, net, target, fastnn.optim.AdamW(net.parameters(), lr=3e-4, amsgrad=True),
                     nn.SmoothL1Loss(), nn.utils.clip_grad_value_, fastnn.tensor)
    torch_step = None
    if use_torch:
        import torch
        tnet, ttarget = mlp(torch), mlp(torch)
        _copy_into_torch(net, tnet)
        ttarget.load_state_dict(tnet.state_dict())
        torch_step = make_step(torch, tnet, ttarget, torch.optim.AdamW(tnet.parameters(), lr=3e-4, amsgrad=True),
                               torch.nn.SmoothL1Loss(), torch.nn.utils.clip_grad_value_, torch.from_numpy)
    return step, torch_step


def gan_step(use_torch):
    """MLP GAN step, batch 64 of 28x28 images: discriminator update on real and detached fake images,
    then generator update through the discriminator; BCE loss, Adam(2e-4, betas (0.5, 0.999))."""
    import fastnn
    from fastnn.models import GAN
    from fastnn.models.gan import gan_step as fastnn_gan_step
    rng = np.random.default_rng(0)
    real = rng.uniform(-1, 1, (64, 1, 28, 28)).astype(np.float32)
    fastnn.manual_seed(0)
    gan = GAN((1, 28, 28))
    adam = dict(lr=2e-4, betas=(0.5, 0.999))
    opt_d, opt_g = fastnn.optim.Adam(gan.discriminator.parameters(), **adam), fastnn.optim.Adam(
        gan.generator.parameters(), **adam)
    loss_fn, xt = fastnn.nn.BCELoss(), fastnn.tensor(real)

    def step():
        fastnn_gan_step(gan, xt, opt_d, opt_g, loss_fn)

    torch_step = None
    if use_torch:
        import torch
        tnn = torch.nn
        gen = tnn.Sequential(tnn.Linear(100, 256), tnn.LeakyReLU(0.2), tnn.Linear(256, 512), tnn.LeakyReLU(0.2),
                             tnn.Linear(512, 1024), tnn.LeakyReLU(0.2), tnn.Linear(1024, 784), tnn.Tanh())
        disc = tnn.Sequential(tnn.Linear(784, 1024), tnn.LeakyReLU(0.2), tnn.Dropout(0.3),
                              tnn.Linear(1024, 512), tnn.LeakyReLU(0.2), tnn.Dropout(0.3),
                              tnn.Linear(512, 256), tnn.LeakyReLU(0.2), tnn.Dropout(0.3), tnn.Linear(256, 1),
                              tnn.Sigmoid())
        t_opt_d, t_opt_g = torch.optim.Adam(disc.parameters(), **adam), torch.optim.Adam(gen.parameters(), **adam)
        t_loss, t_real = tnn.BCELoss(), torch.from_numpy(real).flatten(1)
        ones, zeros = torch.ones(64, 1), torch.zeros(64, 1)

        def torch_step():
            fake = gen(torch.randn(64, 100))
            t_opt_d.zero_grad()
            (t_loss(disc(t_real), ones) + t_loss(disc(fake.detach()), zeros)).backward()
            t_opt_d.step()
            t_opt_g.zero_grad()
            t_loss(disc(fake), ones).backward()
            t_opt_g.step()
    return step, torch_step


STEPS += [("DQN step, 4-128-128-2 MLP, batch 128, Huber, AdamW, clipping", dqn_step),
          ("GAN step, MLP generator + discriminator, batch 64", gan_step)]


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


def _cora_or_stand_in():
    """Cora (x, edge_index, y, train_mask) from $FASTNN_DATA or ../shared/data when present, else a random
    graph of Cora's size (2708 nodes, 10556 directed edges, 1433 binary features at Cora's 1.27% density)."""
    import os
    from fastnn.data import Planetoid, NormalizeFeatures
    for root in (os.environ.get("FASTNN_DATA"), os.path.join("..", "shared", "data")):
        if root and os.path.exists(os.path.join(root, "planetoid", "ind.cora.x")):
            data = Planetoid(os.path.join(root, "planetoid"), "Cora", transform=NormalizeFeatures())[0]
            return (data.x.numpy(), data.edge_index.numpy(), data.y.numpy(), data.train_mask.numpy())
    rng = np.random.default_rng(0)
    x = (rng.random((2708, 1433)) < 0.0127).astype(np.float32)
    x /= np.maximum(x.sum(1, keepdims=True), 1)
    src, dst = rng.integers(0, 2708, (2, 5278))
    edge_index = np.concatenate([np.stack([src, dst]), np.stack([dst, src])], axis=1)
    train = np.zeros(2708, bool)
    train[:140] = True
    return x, edge_index, rng.integers(0, 7, 2708), train


def gcn_epoch(use_torch):
    """One full-batch GCN epoch on Cora (Kipf & Welling: hidden 16, dropout 0.5, Adam 0.01, weight decay
    5e-4 on the first layer), against the same model built from PyTorch Geometric's GCNConv."""
    import fastnn
    from fastnn.models import GCN
    from fastnn.nn import functional as F
    x, edge_index, y, train = _cora_or_stand_in()
    fastnn.manual_seed(0)
    model = GCN(x.shape[1], 16, 7, cached=True)  # as the PyG model below
    opt = fastnn.optim.Adam([dict(params=model.conv1.parameters(), weight_decay=5e-4),
                             dict(params=model.conv2.parameters(), weight_decay=0.0)], lr=0.01)
    xt, et, yt, mt = fastnn.tensor(x), fastnn.tensor(edge_index), fastnn.tensor(y), fastnn.tensor(train)

    def step():
        model.train()
        opt.zero_grad()
        F.nll_loss(model(xt, et)[mt], yt[mt]).backward()
        opt.step()

    torch_step = None
    if use_torch:
        try:
            from torch_geometric.nn import GCNConv
        except ImportError:
            return step, None
        import torch

        class TorchGCN(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1, self.conv2 = GCNConv(x.shape[1], 16, cached=True), GCNConv(16, 7, cached=True)

            def forward(self, x, edge_index):
                x = torch.nn.functional.dropout(x, 0.5, self.training)
                x = torch.relu(self.conv1(x, edge_index))
                x = torch.nn.functional.dropout(x, 0.5, self.training)
                return torch.log_softmax(self.conv2(x, edge_index), dim=1)

        tmodel = TorchGCN()
        _copy_into_torch(model, tmodel)
        topt = torch.optim.Adam([dict(params=tmodel.conv1.parameters(), weight_decay=5e-4),
                                 dict(params=tmodel.conv2.parameters(), weight_decay=0.0)], lr=0.01)
        tx, te, ty, tm = (torch.from_numpy(a) for a in (x, edge_index, y, train))

        def torch_step():
            tmodel.train()
            topt.zero_grad()
            torch.nn.functional.nll_loss(tmodel(tx, te)[tm], ty[tm]).backward()
            topt.step()
    return step, torch_step


STEPS += [("GCN training epoch, Cora (PyTorch side: PyG GCNConv)", gcn_epoch)]


def _keras_conv_autoencoder(nn):
    """The convolutional autoencoder of the Keras blog for 28x28 digits, built from the library module nn.
    'same' max-pooling is ceil_mode: 28 -> 14 -> 7 -> 4, then 4 -> 8 -> 16 -> 14 (valid conv) -> 28."""
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, ceil_mode=True),
        nn.Conv2d(16, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, ceil_mode=True),
        nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, ceil_mode=True),
        nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(), nn.Upsample(scale_factor=2),
        nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(), nn.Upsample(scale_factor=2),
        nn.Conv2d(8, 16, 3), nn.ReLU(), nn.Upsample(scale_factor=2),
        nn.Conv2d(16, 1, 3, padding=1), nn.Sigmoid())


def conv_autoencoder_step(use_torch):
    """Keras-blog conv autoencoder on a batch of 128 random 28x28 images in [0, 1): forward, BCE against the
    input, backward, Adam(1e-3) step."""
    import fastnn
    X = np.random.default_rng(0).random((128, 1, 28, 28), dtype=np.float32)
    fastnn.manual_seed(0)
    model = _keras_conv_autoencoder(fastnn.nn)
    xt = fastnn.tensor(X)
    step = _training_step(model, fastnn.nn.BCELoss(), fastnn.optim.Adam(model.parameters(), lr=1e-3), xt, xt)
    torch_step = None
    if use_torch:
        import torch
        tmodel = _keras_conv_autoencoder(torch.nn)
        _copy_into_torch(model, tmodel)
        tx = torch.from_numpy(X)
        torch_step = _training_step(tmodel, torch.nn.BCELoss(), torch.optim.Adam(tmodel.parameters(), lr=1e-3),
                                    tx, tx)
    return step, torch_step


def _lstm_classifier(nn, hidden, layers, bidirectional):
    """nn.LSTM over (T, B, 128) sequences and a Linear head on the last step's output to 10 classes."""
    class LSTMClassifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(128, hidden, layers, bidirectional=bidirectional)
            self.head = nn.Linear(hidden * (2 if bidirectional else 1), 10)

        def forward(self, x):
            return self.head(self.lstm(x)[0][-1])
    return LSTMClassifier()


def lstm_step(use_torch, hidden=256, layers=1, bidirectional=False):
    """LSTM classifier on 32 random sequences of 50 steps x 128 features: forward, cross-entropy on the last
    step, backward through the whole sequence, Adam(1e-3) step."""
    import fastnn
    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 32, 128)).astype(np.float32)
    y = rng.integers(0, 10, 32)
    fastnn.manual_seed(0)
    model = _lstm_classifier(fastnn.nn, hidden, layers, bidirectional)
    step = _training_step(model, fastnn.nn.CrossEntropyLoss(), fastnn.optim.Adam(model.parameters(), lr=1e-3),
                          fastnn.tensor(X), fastnn.tensor(y))
    torch_step = None
    if use_torch:
        import torch
        tmodel = _lstm_classifier(torch.nn, hidden, layers, bidirectional)
        _copy_into_torch(model, tmodel)
        torch_step = _training_step(tmodel, torch.nn.CrossEntropyLoss(), torch.optim.Adam(tmodel.parameters(), lr=1e-3),
                                    torch.from_numpy(X), torch.from_numpy(y))
    return step, torch_step


STEPS += [("conv autoencoder training step, batch 128", conv_autoencoder_step),
          ("LSTM medium training step (T=50, B=32, I=128, H=256)", lstm_step),
          ("LSTM 2-layer bidirectional training step (T=50, B=32, I=128, H=128)",
           lambda use_torch: lstm_step(use_torch, hidden=128, layers=2, bidirectional=True))]


def transformer_lm_step(use_torch):
    """The zoo's character Transformer (fastnn.models.TransformerLM as `fastnn zoo transformer` builds it:
    d 128, 4 heads, 4 pre-norm layers, ff 512, ReLU, learned positions, causal mask, vocabulary 65) on
    a batch of 32 windows of 128 characters: forward, cross-entropy, backward, AdamW. Its tokens per
    second are 32 * 128 / the step's time."""
    import fastnn
    from fastnn.models import TransformerLM
    from fastnn.nn import functional as F
    vocab, batch, context = 65, 32, 128
    rng = np.random.default_rng(0)
    window = rng.integers(0, vocab, (batch, context + 1))
    fastnn.manual_seed(0)
    model = TransformerLM(vocab, d_model=128, nhead=4, num_layers=4, max_len=context, dropout=0.0,
                          activation="relu")
    opt = fastnn.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.98), weight_decay=0.1)
    ids, targets = fastnn.tensor(window[:, :-1]), fastnn.tensor(window[:, 1:].reshape(-1))
    step = _training_step(model, lambda logits, t: F.cross_entropy(logits.reshape(-1, vocab), t), opt, ids, targets)

    torch_step = None
    if use_torch:
        import torch
        tmodel = _torch_transformer_lm(vocab, context)
        _copy_into_torch(model, tmodel)
        topt = torch.optim.AdamW(tmodel.parameters(), lr=1e-3, betas=(0.9, 0.98), weight_decay=0.1)
        torch_step = _training_step(
            tmodel, lambda logits, t: torch.nn.functional.cross_entropy(logits.reshape(-1, vocab), t), topt,
            torch.from_numpy(window[:, :-1]), torch.from_numpy(window[:, 1:].reshape(-1)))
    return step, torch_step


def _torch_transformer_lm(vocab, context):
    """TransformerLM's layers in PyTorch, under the same state-dict names."""
    import torch
    from torch import nn

    class Body(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(vocab, 128)
            self.position = nn.Embedding(context, 128)
            self.dropout = nn.Dropout(0.0)
            layer = nn.TransformerEncoderLayer(128, 4, 512, 0.0, activation="relu", batch_first=True,
                                               norm_first=True)
            self.encoder = nn.TransformerEncoder(layer, 4, norm=nn.LayerNorm(128), enable_nested_tensor=False)

        def forward(self, ids, mask):
            x = self.dropout(self.embedding(ids) + self.position(torch.arange(ids.shape[1])))
            return self.encoder(x, mask=mask)

    class LM(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = Body()
            self.head = nn.Linear(128, vocab)

        def forward(self, ids):
            mask = nn.Transformer.generate_square_subsequent_mask(ids.shape[1])
            return self.head(self.body(ids, mask))
    return LM()


STEPS += [("zoo TransformerLM training step, d128 x4 h4, 32 x 128 chars", transformer_lm_step)]
