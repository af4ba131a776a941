"""torch_geometric.utils: scatter, softmax, degree and the edge_index utilities."""
from ._scatter import scatter, softmax
from .graph import (coalesce, to_undirected, is_undirected, contains_self_loops, remove_self_loops, add_self_loops,
                    add_remaining_self_loops, subgraph, k_hop_subgraph, to_dense_adj, negative_sampling,
                    normalized_cut, degree)

__all__ = ["scatter", "softmax", "coalesce", "to_undirected", "is_undirected", "contains_self_loops",
           "remove_self_loops", "add_self_loops", "add_remaining_self_loops", "subgraph", "k_hop_subgraph",
           "to_dense_adj", "negative_sampling", "normalized_cut", "degree"]
