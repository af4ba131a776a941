"""torch_geometric.datasets: Planetoid, TUDataset, Reddit, Flickr, PPI, ModelNet, ShapeNet,
MNISTSuperpixels, ZINC and QM9, read from local files (nothing is downloaded)."""
from .planetoid import Planetoid
from .tu import TUDataset
from .social import Reddit, Flickr
from .ppi import PPI
from .modelnet import ModelNet
from .shapenet import ShapeNet
from .mnist_superpixels import MNISTSuperpixels
from .zinc import ZINC
from .qm9 import QM9

__all__ = ["Planetoid", "TUDataset", "Reddit", "Flickr", "PPI", "ModelNet", "ShapeNet", "MNISTSuperpixels", "ZINC",
           "QM9"]
