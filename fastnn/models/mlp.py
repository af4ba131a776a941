"""MLP: a feed-forward network of Linear layers with a chosen activation."""
from .. import nn

_ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "gelu": nn.GELU, "silu": nn.SiLU,
                "leaky_relu": nn.LeakyReLU}


class MLP(nn.Module):
    """in_features -> hidden_sizes... -> out_features, activation (and optional dropout) between layers."""

    def __init__(self, in_features, hidden_sizes=(16,), out_features=1, activation="relu", dropout=0.0):
        super().__init__()
        if activation not in _ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(_ACTIVATIONS)}, got {activation!r}")
        sizes = [in_features, *hidden_sizes]
        layers = []
        for a, b in zip(sizes[:-1], sizes[1:]):
            layers.append(nn.Linear(a, b))
            layers.append(_ACTIVATIONS[activation]())
            if dropout:
                layers.append(nn.Dropout(dropout))
        layers.append(nn.Linear(sizes[-1], out_features))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)
