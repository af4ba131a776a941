"""torch_geometric.transforms: callables on Data (compose them with Compose)."""
from .base import BaseTransform, Compose
from .features import (NormalizeFeatures, Constant, OneHotDegree, Center, NormalizeScale, RandomJitter,
                       LinearTransformation, RandomRotate, Cartesian, SamplePoints)
from .structure import ToUndirected, AddSelfLoops, GCNNorm, ToDevice, ToSparseTensor, gcn_norm
from .split import RandomNodeSplit, RandomLinkSplit

__all__ = ["BaseTransform", "Compose", "NormalizeFeatures", "Constant", "OneHotDegree", "Center", "NormalizeScale",
           "RandomJitter", "LinearTransformation", "RandomRotate", "Cartesian", "SamplePoints", "ToUndirected",
           "AddSelfLoops", "GCNNorm", "ToDevice", "ToSparseTensor", "RandomNodeSplit", "RandomLinkSplit", "gcn_norm"]
