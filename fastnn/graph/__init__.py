"""Graphs as PyTorch Geometric writes them: edge_index (2, E) int64, messages flowing edge_index[0] -> [1]."""
from .csr import GraphCSR
from .utils import (check_edge_index, add_self_loops, add_remaining_self_loops, remove_self_loops, degree,
                    to_csr)

__all__ = ["GraphCSR", "check_edge_index", "add_self_loops", "add_remaining_self_loops", "remove_self_loops",
           "degree", "to_csr"]
