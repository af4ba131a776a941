"""torch_geometric.nn: graph convolutions, global pooling, MLP, BatchNorm and the basic GNN models.

GCNConv, SAGEConv and GATConv are fastnn.nn's layers (importable from both places)."""
from ...nn import GCNConv, SAGEConv, GATConv, Linear
from .conv import GINConv, GINEConv, GraphConv, NNConv
from .pool import global_add_pool, global_mean_pool, global_max_pool
from .mlp import MLP, BatchNorm
from .coarsen import graclus, max_pool, max_pool_x
from .interpolate import knn, knn_interpolate
from .spline_conv import SplineConv
from . import models
from .models import GCN, GraphSAGE, GIN, GAT

__all__ = ["GCNConv", "SAGEConv", "GATConv", "GINConv", "GINEConv", "GraphConv", "NNConv", "SplineConv", "Linear", "MLP", "BatchNorm",
           "global_add_pool", "global_mean_pool", "global_max_pool", "graclus", "max_pool", "max_pool_x", "knn", "knn_interpolate", "GCN", "GraphSAGE", "GIN", "GAT", "models"]
