"""MLP and BatchNorm with PyTorch Geometric's signatures and parameter names (lins.*, norms.*.module.*)."""
from ... import nn as _nn
from ...nn import functional as F
from ...nn.module import Module

_ACTIVATIONS = {"relu": _nn.ReLU, "elu": _nn.ELU, "gelu": _nn.GELU, "silu": _nn.SiLU, "swish": _nn.SiLU,
                "tanh": _nn.Tanh, "sigmoid": _nn.Sigmoid, "leaky_relu": _nn.LeakyReLU, "leakyrelu": _nn.LeakyReLU}


def activation_resolver(act, **kwargs):
    """None, a Module or callable (kept), or a name such as 'relu', 'elu', 'gelu', 'leaky_relu', 'tanh'."""
    if act is None or callable(act):
        return act
    key = str(act).lower().replace("_", "") if str(act).lower() not in _ACTIVATIONS else str(act).lower()
    if key not in _ACTIVATIONS:
        raise ValueError(f"act must be one of {sorted(_ACTIVATIONS)}, a Module or None, got {act!r}")
    return _ACTIVATIONS[key](**kwargs)


class BatchNorm(Module):
    """BatchNorm(in_channels, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
    allow_single_element=False): BatchNorm1d over the nodes, held as `module` (PyG's layout)."""

    def __init__(self, in_channels, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 allow_single_element=False):
        super().__init__()
        self.in_channels = in_channels
        self.allow_single_element = bool(allow_single_element)
        self.module = _nn.BatchNorm1d(in_channels, eps, momentum, affine, track_running_stats)

    def reset_parameters(self):
        self.module.reset_parameters()

    def forward(self, x):
        if self.allow_single_element and x.shape[0] <= 1:
            m = self.module
            return F.batch_norm(x, m.running_mean, m.running_var, m.weight, m.bias, False, 0.0, m.eps)
        return self.module(x)

    def extra_repr(self):
        return f"{self.in_channels}"


def normalization_resolver(norm, channels, **kwargs):
    if norm is None:
        return _nn.Identity()
    if isinstance(norm, Module):
        return norm
    if str(norm).lower() in ("batch_norm", "batchnorm", "batch"):
        return BatchNorm(channels, **kwargs)
    if str(norm).lower() in ("layer_norm", "layernorm", "layer"):
        return _nn.LayerNorm(channels, **kwargs)
    raise ValueError(f"norm must be 'batch_norm', 'layer_norm', a Module or None, got {norm!r}")


class MLP(Module):
    """MLP(channel_list=None, *, in_channels=None, hidden_channels=None, out_channels=None, num_layers=None,
    dropout=0.0, act='relu', act_first=False, act_kwargs=None, norm='batch_norm', norm_kwargs=None,
    plain_last=True, bias=True): Linear layers each followed (except a plain last one) by norm, act
    and dropout, as PyG's MLP."""

    def __init__(self, channel_list=None, *, in_channels=None, hidden_channels=None, out_channels=None,
                 num_layers=None, dropout=0.0, act="relu", act_first=False, act_kwargs=None, norm="batch_norm",
                 norm_kwargs=None, plain_last=True, bias=True):
        super().__init__()
        if isinstance(channel_list, int):
            in_channels, channel_list = channel_list, None
        if in_channels is not None:
            if num_layers is None:
                raise ValueError("MLP: num_layers must be given with in_channels")
            if num_layers > 1 and hidden_channels is None:
                raise ValueError(f"MLP: hidden_channels must be given for num_layers={num_layers}")
            if out_channels is None:
                raise ValueError("MLP: out_channels must be given with in_channels")
            channel_list = [in_channels] + [hidden_channels] * (num_layers - 1) + [out_channels]
        if not isinstance(channel_list, (list, tuple)) or len(channel_list) < 2:
            raise ValueError(f"MLP: channel_list must list at least two widths, got {channel_list!r}")
        self.channel_list = list(channel_list)
        layers = len(channel_list) - 1
        self.act = activation_resolver(act, **(act_kwargs or {}))
        self.act_first, self.plain_last = bool(act_first), bool(plain_last)
        if isinstance(dropout, (int, float)):
            dropout = [float(dropout)] * layers
            if plain_last:
                dropout[-1] = 0.0
        if len(dropout) != layers:
            raise ValueError(f"MLP: {len(dropout)} dropout values for {layers} layers")
        self.dropout = list(dropout)
        bias = [bias] * layers if isinstance(bias, bool) else list(bias)
        if len(bias) != layers:
            raise ValueError(f"MLP: {len(bias)} bias values for {layers} layers")
        self.lins = _nn.ModuleList([_nn.Linear(i, o, bias=b) for i, o, b in
                                    zip(channel_list[:-1], channel_list[1:], bias)])
        widths = channel_list[1:-1] if plain_last else channel_list[1:]
        self.norms = _nn.ModuleList([normalization_resolver(norm, w, **(norm_kwargs or {})) for w in widths])

    @property
    def in_channels(self):
        return self.channel_list[0]

    @property
    def out_channels(self):
        return self.channel_list[-1]

    @property
    def num_layers(self):
        return len(self.channel_list) - 1

    def reset_parameters(self):
        for module in (*self.lins, *self.norms):
            if hasattr(module, "reset_parameters"):
                module.reset_parameters()

    def forward(self, x, batch=None, batch_size=None, return_emb=None):
        emb = None
        for i, (lin, norm) in enumerate(zip(self.lins, self.norms)):
            x = lin(x)
            if self.act is not None and self.act_first:
                x = self.act(x)
            x = norm(x)
            if self.act is not None and not self.act_first:
                x = self.act(x)
            x = F.dropout(x, p=self.dropout[i], training=self.training)
            if return_emb is True:
                emb = x
        if self.plain_last:
            x = self.lins[-1](x)
            x = F.dropout(x, p=self.dropout[-1], training=self.training)
        return (x, emb) if isinstance(return_emb, bool) else x

    def __repr__(self):
        return f"MLP({str(self.channel_list)[1:-1]})"
