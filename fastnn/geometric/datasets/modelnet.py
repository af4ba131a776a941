"""ModelNet10 / ModelNet40 meshes (pos, face, y) from the OFF files of a local folder:
root/raw/<category>/<train|test>/<category>_*.off (or root/<category>/...); categories in sorted order
give the labels. Faces with four corners are split into two triangles, as PyG's read_off."""
import glob
import os

import numpy as np

from ...autograd.tensor import _wrap
from ..data import Data, InMemoryDataset


def read_off(path):
    """Data(pos (N, 3) float32, face (3, F) int64) of an OFF file (triangles and quads)."""
    with open(path) as f:
        lines = f.read().split("\n")[:-1]
    if not lines or not lines[0].startswith("OFF"):
        raise ValueError(f"{path} is not an OFF file (no OFF header)")
    lines = lines[1:] if lines[0] == "OFF" else [lines[0][3:]] + lines[1:]
    try:
        num_nodes, num_faces = (int(v) for v in lines[0].split()[:2])
        pos = np.array([[float(v) for v in line.split()] for line in lines[1:1 + num_nodes]], np.float32)
        faces = [[int(v) for v in line.split()] for line in lines[1 + num_nodes:1 + num_nodes + num_faces]]
    except ValueError as err:
        raise ValueError(f"{path}: malformed OFF ({err})") from None
    if pos.shape != (num_nodes, 3) or len(faces) != num_faces:
        raise ValueError(f"{path}: the header promises {num_nodes} vertices and {num_faces} faces")
    tri = [f[1:] for f in faces if f[0] == 3]
    quad = np.array([f[1:] for f in faces if f[0] == 4], np.int64).reshape(-1, 4)
    face = np.concatenate([np.array(tri, np.int64).reshape(-1, 3), quad[:, [0, 1, 2]], quad[:, [0, 2, 3]]])
    if face.size and (face.min() < 0 or face.max() >= num_nodes):
        raise ValueError(f"{path}: a face names a vertex outside [0, {num_nodes})")
    data = Data(pos=_wrap(pos))
    data.face = _wrap(np.ascontiguousarray(face.T))
    return data


class ModelNet(InMemoryDataset):
    """ModelNet(root, name='10', train=True, transform=None, pre_transform=None, pre_filter=None): one mesh
    per OFF file of the train (or test) split, y its category; nothing is downloaded. Files are read in
    sorted order (PyG takes the file system's)."""

    def __init__(self, root, name="10", train=True, transform=None, pre_transform=None, pre_filter=None,
                 force_reload=False):
        super().__init__(root, transform, pre_transform, pre_filter)
        if name not in ("10", "40"):
            raise ValueError(f"ModelNet: name must be '10' or '40', got {name!r}")
        self.name = name
        root = os.fspath(root)
        folder = os.path.join(root, "raw") if os.path.isdir(os.path.join(root, "raw")) else root
        categories = sorted(d for d in os.listdir(folder) if os.path.isdir(os.path.join(folder, d)))
        if not categories:
            raise FileNotFoundError(f"ModelNet: no category folders under {folder}; fastnn does not download")
        split = "train" if train else "test"
        graphs = []
        for target, category in enumerate(categories):
            for path in sorted(glob.glob(os.path.join(folder, category, split, f"{category}_*.off"))):
                data = read_off(path)
                data.y = _wrap(np.array([target], np.int64))
                graphs.append(data)
        self._keep(graphs)

    def __repr__(self):
        return f"ModelNet{self.name}({len(self)})"
