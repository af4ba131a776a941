"""Node-feature and position transforms: NormalizeFeatures, Constant, OneHotDegree, Center, NormalizeScale,
RandomJitter."""
import numbers

import numpy as np

from ...autograd.tensor import _wrap
from ...autograd.ops.shape import cat
from ...autograd.random import generator
from .base import BaseTransform


def _with_columns(old, new, append):
    """PyG's cat option: `new`'s columns after `old`'s (a 1-D `old` is one column, `new` takes its dtype)
    when append is set and `old` exists, else `new` alone."""
    if old is None or not append:
        return new
    old = old.view(-1, 1) if old.ndim == 1 else old
    return cat([old, new.to(old.dtype)], dim=-1)


class NormalizeFeatures(BaseTransform):
    """NormalizeFeatures(attrs=['x']): shift each attribute so its minimum is 0, then scale every row
    to sum to 1 (rows summing to less than 1 are divided by 1), as PyG 2.x."""

    def __init__(self, attrs=None):
        self.attrs = list(attrs or ["x"])

    def forward(self, data):
        for key in self.attrs:
            value = data.get(key)
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
        data.x = _with_columns(data.x, c, self.cat)
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
        data.x = _with_columns(data.x, _wrap(onehot), self.cat)
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


class LinearTransformation(BaseTransform):
    """LinearTransformation(matrix): pos <- pos @ matrix.T (each position multiplied by the matrix)."""

    def __init__(self, matrix):
        m = matrix._data if hasattr(matrix, "_data") else np.asarray(matrix, np.float64)
        if m.ndim != 2 or m.shape[0] != m.shape[1]:
            raise ValueError(f"LinearTransformation: matrix must be square, got shape {m.shape}")
        self.matrix = m.T

    def forward(self, data):
        pos = data.pos.view(-1, 1) if data.pos.ndim == 1 else data.pos
        if pos.shape[-1] != self.matrix.shape[0]:
            raise ValueError(f"LinearTransformation: {pos.shape[-1]}-D positions and a {self.matrix.shape} matrix")
        data.pos = pos @ _wrap(self.matrix.astype(pos.dtype))
        return data


class RandomRotate(BaseTransform):
    """RandomRotate(degrees, axis=0): rotate the positions by an angle drawn uniformly from degrees
    ((low, high), or a number d for (-d, d)) about `axis` (3-D) or in the plane (2-D). The angle is drawn
    from Python's `random`, as PyG does, so seed_everything repeats it."""

    def __init__(self, degrees, axis=0):
        if isinstance(degrees, numbers.Number):
            degrees = (-abs(degrees), abs(degrees))
        if not isinstance(degrees, (tuple, list)) or len(degrees) != 2:
            raise ValueError(f"RandomRotate: degrees must be a number or a (low, high) pair, got {degrees!r}")
        if axis not in (0, 1, 2):
            raise ValueError(f"RandomRotate: axis must be 0, 1 or 2, got {axis!r}")
        self.degrees, self.axis = tuple(degrees), axis

    def forward(self, data):
        import math
        import random
        angle = math.pi * random.uniform(*self.degrees) / 180.0
        s, c = math.sin(angle), math.cos(angle)
        if data.pos.shape[-1] == 2:
            matrix = [[c, s], [-s, c]]
        elif self.axis == 0:
            matrix = [[1, 0, 0], [0, c, s], [0, -s, c]]
        elif self.axis == 1:
            matrix = [[c, 0, -s], [0, 1, 0], [s, 0, c]]
        else:
            matrix = [[c, s, 0], [-s, c, 0], [0, 0, 1]]
        return LinearTransformation(np.array(matrix))(data)


class Cartesian(BaseTransform):
    """Cartesian(norm=True, max_value=None, cat=True, interval=(0.0, 1.0)): edge_attr gets pos[src] - pos[dst],
    scaled into `interval` when norm (by the largest absolute offset, or max_value), appended to an
    existing edge_attr when cat."""

    def __init__(self, norm=True, max_value=None, cat=True, interval=(0.0, 1.0)):
        self.norm, self.max, self.cat, self.interval = bool(norm), max_value, bool(cat), tuple(interval)

    def forward(self, data):
        ei = data.edge_index
        pos = data.pos
        cart = pos.index_select(0, ei[0]) - pos.index_select(0, ei[1])
        cart = cart.view(-1, 1) if cart.ndim == 1 else cart
        if self.norm and cart.numel() > 0:
            max_val = float(cart.abs().max().item()) if self.max is None else self.max
            length = self.interval[1] - self.interval[0]
            center = (self.interval[0] + self.interval[1]) / 2
            cart = length * cart / (2 * max_val) + center
        data.edge_attr = _with_columns(data.edge_attr, cart, self.cat)
        return data


class SamplePoints(BaseTransform):
    """SamplePoints(num, remove_faces=True, include_normals=False): num points drawn uniformly on the mesh's
    surface (a triangle chosen with probability proportional to its area, then a uniform point on it)."""

    def __init__(self, num, remove_faces=True, include_normals=False):
        if isinstance(num, bool) or not isinstance(num, (int, np.integer)) or num <= 0:
            raise ValueError(f"SamplePoints: num must be a positive int, got {num!r}")
        self.num, self.remove_faces, self.include_normals = int(num), bool(remove_faces), bool(include_normals)

    def forward(self, data):
        pos, face = data.pos.numpy().astype(np.float64), data.face.numpy()
        if pos.shape[-1] != 3 or face.shape[0] != 3:
            raise ValueError("SamplePoints needs 3-D pos and triangular faces (3, F)")
        scale = np.abs(pos).max()
        pos = pos / scale
        vec1, vec2 = pos[face[1]] - pos[face[0]], pos[face[2]] - pos[face[0]]
        area = np.linalg.norm(np.cross(vec1, vec2), axis=1) / 2
        rng = generator()
        pick = rng.choice(len(area), self.num, p=area / area.sum())
        frac = rng.random((self.num, 2))
        flip = frac.sum(axis=1) > 1
        frac[flip] = 1 - frac[flip]  # reflect into the triangle: uniform over it
        vec1, vec2 = vec1[pick], vec2[pick]
        if self.include_normals:
            normal = np.cross(vec1, vec2)
            data.normal = _wrap((normal / np.maximum(np.linalg.norm(normal, axis=1, keepdims=True), 1e-12))
                                .astype(data.pos.dtype))
        sampled = pos[face[0, pick]] + frac[:, :1] * vec1 + frac[:, 1:] * vec2
        data.pos = _wrap((sampled * scale).astype(data.pos.dtype))
        if self.remove_faces:
            data.face = None
        return data
