"""torch_geometric.datasets: Planetoid, TUDataset, Reddit, Flickr and PPI, read from local files (nothing is
downloaded)."""
from .planetoid import Planetoid
from .tu import TUDataset
from .social import Reddit, Flickr
from .ppi import PPI

__all__ = ["Planetoid", "TUDataset", "Reddit", "Flickr", "PPI"]
