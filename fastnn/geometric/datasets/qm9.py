"""QM9: about 130,000 small organic molecules with 19 regression targets, from the pre-processed file PyG
downloads when RDKit is absent, qm9_v3.pt: a PyTorch-saved list of dicts (x, edge_index, edge_attr, y, pos,
z, name, idx), one Data per dict. The raw SDF route (gdb9.sdf with RDKit) is not provided."""
import os

import numpy as np

from ..data import InMemoryDataset
from ._local import graphs_from_dicts, raw_folder


class QM9(InMemoryDataset):
    """QM9(root, transform=None, pre_transform=None, pre_filter=None): the molecules of root/raw/qm9_v3.pt
    (or root/qm9_v3.pt), read with fastnn.load(weights_only=True), which admits tensors and plain
    containers only. Nothing is downloaded."""

    def __init__(self, root, transform=None, pre_transform=None, pre_filter=None, force_reload=False):
        from ...serialization import load
        super().__init__(root, transform, pre_transform, pre_filter)
        path = os.path.join(raw_folder(root, ["qm9_v3.pt"], "QM9", "PyG's pre-processed qm9_v3.zip; the gdb9.sdf "
                                       "route needs RDKit and is not provided"), "qm9_v3.pt")
        molecules = load(path, weights_only=True)
        if not isinstance(molecules, (list, tuple)):
            raise ValueError(f"QM9: {path} must hold a list of molecule dicts, got a {type(molecules).__name__}")
        graphs = graphs_from_dicts(molecules, path, "QM9", "molecule")
        self._keep(graphs)

    def _targets(self, target):
        y = np.concatenate([self.get(i).y.numpy().reshape(1, -1) for i in range(len(self))])
        if isinstance(target, bool) or not isinstance(target, (int, np.integer)) or not 0 <= target < y.shape[1]:
            raise IndexError(f"QM9: target must be an int in [0, {y.shape[1]}), got {target!r}")
        return y[:, target].astype(np.float64)

    def mean(self, target):
        """The mean of regression target `target` over the molecules."""
        return float(self._targets(target).mean())

    def std(self, target):
        """The standard deviation (with Bessel's correction, as torch.std) of regression target `target`."""
        return float(self._targets(target).std(ddof=1))

    def __repr__(self):
        return f"QM9({len(self)})"
