"""torch_geometric.datasets: Planetoid, TUDataset, Reddit and Flickr, read from local files (nothing is
downloaded)."""
from .planetoid import Planetoid
from .tu import TUDataset
from .social import Reddit, Flickr

__all__ = ["Planetoid", "TUDataset", "Reddit", "Flickr"]
