"""MNISTSuperpixels: 70,000 MNIST digits as graphs of 75 superpixels (Monti et al. 2017), read from the file
PyG's download unpacks, MNISTSuperpixels.pt: a PyTorch-saved pair (training graphs, test graphs), each a
list of dicts of tensors (x, edge_index, pos, y, ...), one Data per dict."""
import os

from ..data import InMemoryDataset
from ._local import graphs_from_dicts, raw_folder


class MNISTSuperpixels(InMemoryDataset):
    """MNISTSuperpixels(root, train=True, transform=None, pre_transform=None, pre_filter=None): the training
    (60,000) or test (10,000) graphs from root/raw/MNISTSuperpixels.pt (or root/MNISTSuperpixels.pt).
    Nothing is downloaded; the file is read with fastnn.load(weights_only=True), which admits tensors
    and plain containers only."""

    def __init__(self, root, train=True, transform=None, pre_transform=None, pre_filter=None, force_reload=False):
        from ...serialization import load
        super().__init__(root, transform, pre_transform, pre_filter)
        path = os.path.join(raw_folder(root, ["MNISTSuperpixels.pt"], "MNISTSuperpixels",
                                       "from PyG's MNISTSuperpixels.zip"), "MNISTSuperpixels.pt")
        splits = load(path, weights_only=True)
        if not isinstance(splits, (list, tuple)) or len(splits) != 2:
            raise ValueError(f"MNISTSuperpixels: {path} must hold a pair (training graphs, test graphs)")
        graphs = graphs_from_dicts(splits[0 if train else 1], path, "MNISTSuperpixels")
        self._keep(graphs)

    def __repr__(self):
        return f"MNISTSuperpixels({len(self)})"
