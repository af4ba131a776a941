"""Node-feature and position transforms: NormalizeFeatures, Constant, OneHotDegree, Center, NormalizeScale,
RandomJitter."""
import numbers

import numpy as np

from ...autograd.tensor import _wrap
from ...autograd.ops.shape import cat
from ...autograd.random import generator
from .base import BaseTransform


class NormalizeFeatures(BaseTransform):
    """NormalizeFeatures(attrs=['x']): shift each attribute so its minimum is 0, then scale every row
    to sum to 1 (rows summing to less than 1 are divided by 1), as PyG 2.x."""

    def __init__(self, attrs=None):
        self.attrs = list(attrs or ["x"])

    def forward(self, data):
        for key in self.attrs:
            value = data[key]
            if value is not None and value.numel() > 0:
                value = value - value.min()
                data[key] = value / value.sum(dim=-1, keepdim=True).clamp(min=1.0)
        return data


class Constant(BaseTransform):
    """Constant(value=1.0, cat=True): append (or set) a constant node feature column."""

    def __init__(self, value=1.0, cat=True, node_types=None):
        if node_types is not None:
            raise NotImplementedError("Constant: node_types (heterogeneous graphs) are not supported")
        self.value, self.cat = float(value), bool(cat)

    def forward(self, data):
        c = _wrap(np.full((data.num_nodes, 1), self.value, np.float32))
        x = data.x
        if x is not None and self.cat:
            x = x.view(-1, 1) if x.ndim == 1 else x
            data.x = cat([x, c.to(x.dtype)], dim=-1)
        else:
            data.x = c
        return data


class OneHotDegree(BaseTransform):
    """OneHotDegree(max_degree, in_degree=False, cat=True): the one-hot (out- or in-)degree as node
    features (degrees above max_degree are an error, as in PyG's one_hot)."""

    def __init__(self, max_degree, in_degree=False, cat=True):
        self.max_degree, self.in_degree, self.cat = int(max_degree), bool(in_degree), bool(cat)

    def forward(self, data):
        idx = data.edge_index.numpy()[1 if self.in_degree else 0]
        deg = np.bincount(idx, minlength=data.num_nodes)
        if deg.size and deg.max() > self.max_degree:
            raise ValueError(f"OneHotDegree: a node has degree {deg.max()} > max_degree {self.max_degree}")
        onehot = np.zeros((data.num_nodes, self.max_degree + 1), np.float32)
        onehot[np.arange(data.num_nodes), deg] = 1
        x = data.x
        if x is not None and self.cat:
            x = x.view(-1, 1) if x.ndim == 1 else x
            data.x = cat([x, _wrap(onehot.astype(x.dtype))], dim=-1)
        else:
            data.x = _wrap(onehot)
        return data

    def __repr__(self):
        return f"OneHotDegree({self.max_degree})"


class Center(BaseTransform):
    """Center(): subtract the mean position."""

    def forward(self, data):
        data.pos = data.pos - data.pos.mean(dim=-2, keepdim=True)
        return data


class NormalizeScale(BaseTransform):
    """NormalizeScale(): center the positions and scale them into (-1, 1)."""

    def __init__(self):
        self.center = Center()

    def forward(self, data):
        data = self.center(data)
        data.pos = data.pos * ((1.0 / data.pos.abs().max()) * 0.999999)
        return data


class RandomJitter(BaseTransform):
    """RandomJitter(translate): add uniform noise in [-t, t] to every position (t per dimension or one number)."""

    def __init__(self, translate):
        self.translate = translate

    def forward(self, data):
        n, dim = data.pos.shape
        t = self.translate
        t = [t] * dim if isinstance(t, numbers.Number) else list(t)
        if len(t) != dim:
            raise ValueError(f"RandomJitter: translate has {len(t)} entries for {dim}-D positions")
        noise = np.stack([generator().uniform(-abs(v), abs(v), n) for v in t], axis=-1)
        data.pos = data.pos + _wrap(noise.astype(data.pos.dtype))
        return data
