"""What the graph layers share: PyTorch Geometric's glorot initialiser, bias and argument checks."""
import math

import numpy as np

from ..autograd.tensor import Tensor
from .parameter import Parameter
from ..autograd.random import generator
from ..graph.utils import check_edge_index


def glorot_(param):
    """U(-a, a) with a = sqrt(6 / (size(-2) + size(-1))), as PyG's glorot (also for 3-D attention vectors)."""
    a = math.sqrt(6.0 / (param.shape[-2] + param.shape[-1]))
    param._data[...] = generator().uniform(-a, a, param.shape)
    return param


def optional_bias(module, bias, width):
    """PyG's bias: a zero-initialised float32 parameter of `width`, or a registered None."""
    if bias:
        module.bias = Parameter(np.zeros(width, np.float32))
    else:
        module.register_parameter("bias", None)


def node_features(x, layer):
    if not isinstance(x, Tensor):
        raise TypeError(f"{layer}: x must be a Tensor, got {type(x).__name__}")
    if x.ndim != 2 or x.dtype.kind != "f":
        raise ValueError(f"{layer}: x must be a 2-D float tensor (num_nodes, features), got {x.dtype} "
                         f"of shape {tuple(x.shape)}")
    return x


def edges(edge_index, num_nodes):
    """The validated (2, E) int64 array; node ids must index the rows of x."""
    return check_edge_index(edge_index, num_nodes)


def adjacency_edges(edge_index, num_nodes, layer, weighted=False):
    """edge_index itself, or the (edge_index, values) of a sparse adjacency adj_t (fastnn.sparse_csr_tensor,
    rows = targets, as transforms.ToSparseTensor makes it), checked against num_nodes. A layer that does
    not weight its messages refuses an adjacency whose values are not all ones (rather than ignore them)."""
    from ..sparse import SparseCSRTensor
    if not isinstance(edge_index, SparseCSRTensor):
        return edge_index, None
    if edge_index.shape != (num_nodes, num_nodes):
        raise ValueError(f"{layer}: the sparse adjacency must be ({num_nodes}, {num_nodes}) for {num_nodes} nodes, "
                         f"got {edge_index.shape}")
    ei, values = edge_index._pyg_edges()
    if not weighted and (values.requires_grad or not (values._data == 1).all()):
        raise ValueError(f"{layer} does not weight messages: its sparse adjacency must hold ones")
    return ei, values
