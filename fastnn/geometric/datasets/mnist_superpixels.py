"""MNISTSuperpixels: 70,000 MNIST digits as graphs of 75 superpixels (Monti et al. 2017), read from the file
PyG's download unpacks, MNISTSuperpixels.pt: a PyTorch-saved pair (training graphs, test graphs), each a
list of dicts of tensors (x, edge_index, pos, y, ...), one Data per dict."""
import os

from ..data import Data, InMemoryDataset


class MNISTSuperpixels(InMemoryDataset):
    """MNISTSuperpixels(root, train=True, transform=None, pre_transform=None, pre_filter=None): the training
    (60,000) or test (10,000) graphs from root/raw/MNISTSuperpixels.pt (or root/MNISTSuperpixels.pt).
    Nothing is downloaded; the file is read with fastnn.load(weights_only=True), which admits tensors
    and plain containers only."""

    def __init__(self, root, train=True, transform=None, pre_transform=None, pre_filter=None, force_reload=False):
        from ...serialization import load
        super().__init__(root, transform, pre_transform, pre_filter)
        root = os.fspath(root)
        candidates = [os.path.join(root, "raw", "MNISTSuperpixels.pt"), os.path.join(root, "MNISTSuperpixels.pt")]
        path = next((p for p in candidates if os.path.isfile(p)), None)
        if path is None:
            raise FileNotFoundError(f"MNISTSuperpixels: no MNISTSuperpixels.pt in {root} or {root}/raw (from "
                                    "PyG's MNISTSuperpixels.zip); fastnn does not download")
        splits = load(path, weights_only=True)
        if not isinstance(splits, (list, tuple)) or len(splits) != 2:
            raise ValueError(f"MNISTSuperpixels: {path} must hold a pair (training graphs, test graphs)")
        graphs = []
        for i, fields in enumerate(splits[0 if train else 1]):
            if not isinstance(fields, dict):
                raise ValueError(f"MNISTSuperpixels: graph {i} of {path} is a {type(fields).__name__}, not a dict")
            graphs.append(Data(**fields))
        if pre_filter is not None:
            graphs = [g for g in graphs if pre_filter(g)]
        if pre_transform is not None:
            graphs = [pre_transform(g) for g in graphs]
        self._data_list = graphs

    def __repr__(self):
        return f"MNISTSuperpixels({len(self)})"
