"""GCN, GraphSAGE, GIN and GAT: PyTorch Geometric's basic GNN models (a stack of one convolution with
norm, activation and dropout between layers). Jumping knowledge (jk) is not provided."""
import copy

from ... import nn as _nn
from ...nn.module import Module
from .conv import GINConv
from .mlp import MLP, activation_resolver, normalization_resolver


class BasicGNN(Module):
    """BasicGNN(in_channels, hidden_channels, num_layers, out_channels=None, dropout=0.0, act='relu',
    act_first=False, act_kwargs=None, norm=None, norm_kwargs=None, jk=None, **conv_kwargs)."""
    supports_edge_weight = False

    def __init__(self, in_channels, hidden_channels, num_layers, out_channels=None, dropout=0.0, act="relu",
                 act_first=False, act_kwargs=None, norm=None, norm_kwargs=None, jk=None, **kwargs):
        super().__init__()
        if jk is not None:
            raise NotImplementedError("jumping knowledge (jk) is not supported; pass jk=None")
        if num_layers < 1:
            raise ValueError(f"num_layers must be at least 1, got {num_layers}")
        self.in_channels, self.hidden_channels, self.num_layers = in_channels, hidden_channels, num_layers
        self.dropout = _nn.Dropout(p=dropout)
        self.act = activation_resolver(act, **(act_kwargs or {}))
        self.act_first = bool(act_first)
        self.norm = norm if isinstance(norm, str) else None
        self.norm_kwargs = norm_kwargs
        self.out_channels = hidden_channels if out_channels is None else out_channels
        self.convs = _nn.ModuleList()
        width = in_channels
        for _ in range(num_layers - 1):
            self.convs.append(self.init_conv(width, hidden_channels, **kwargs))
            width = hidden_channels
        self._is_conv_to_out = out_channels is not None
        self.convs.append(self.init_conv(width, self.out_channels, **kwargs))
        norm_layer = normalization_resolver(norm, hidden_channels, **(norm_kwargs or {}))
        self.norms = _nn.ModuleList([copy.deepcopy(norm_layer) for _ in range(num_layers - 1)] + [_nn.Identity()])

    def init_conv(self, in_channels, out_channels, **kwargs):
        raise NotImplementedError

    def reset_parameters(self):
        for module in (*self.convs, *self.norms):
            if hasattr(module, "reset_parameters"):
                module.reset_parameters()

    def forward(self, x, edge_index, edge_weight=None, edge_attr=None, batch=None, batch_size=None):
        if edge_weight is not None and not self.supports_edge_weight:
            raise ValueError(f"{type(self).__name__} does not take edge_weight")
        if edge_attr is not None:
            raise ValueError(f"{type(self).__name__} does not take edge_attr")
        for i, (conv, norm) in enumerate(zip(self.convs, self.norms)):
            x = conv(x, edge_index, edge_weight) if self.supports_edge_weight else conv(x, edge_index)
            if i < self.num_layers - 1:
                if self.act is not None and self.act_first:
                    x = self.act(x)
                x = norm(x)
                if self.act is not None and not self.act_first:
                    x = self.act(x)
                x = self.dropout(x)
        return x

    def __repr__(self):
        return f"{type(self).__name__}({self.in_channels}, {self.out_channels}, num_layers={self.num_layers})"


class GCN(BasicGNN):
    supports_edge_weight = True

    def init_conv(self, in_channels, out_channels, **kwargs):
        return _nn.GCNConv(in_channels, out_channels, **kwargs)


class GraphSAGE(BasicGNN):
    def init_conv(self, in_channels, out_channels, **kwargs):
        return _nn.SAGEConv(in_channels, out_channels, **kwargs)


class GIN(BasicGNN):
    def init_conv(self, in_channels, out_channels, **kwargs):
        mlp = MLP([in_channels, out_channels, out_channels], act=self.act, act_first=self.act_first,
                  norm=self.norm, norm_kwargs=self.norm_kwargs)
        return GINConv(mlp, **kwargs)


class GAT(BasicGNN):
    def init_conv(self, in_channels, out_channels, **kwargs):
        if kwargs.pop("v2", False):
            raise NotImplementedError("GATv2Conv (v2=True) is not provided")
        heads = kwargs.pop("heads", 1)
        concat = kwargs.pop("concat", True)
        if getattr(self, "_is_conv_to_out", False):
            concat = False
        if concat and out_channels % heads:
            raise ValueError(f"the output channels of GATConv ({out_channels}) must be divisible by heads ({heads})")
        if concat:
            out_channels //= heads
        return _nn.GATConv(in_channels, out_channels, heads=heads, concat=concat, dropout=self.dropout.p, **kwargs)
