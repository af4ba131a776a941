"""ShapeNet part segmentation (Yi et al. 2016) from the raw files of a local folder: <category id>/<name>.txt
(x y z nx ny nz part per line) and train_test_split/shuffled_<split>_file_list.json."""
import json
import os

import numpy as np

from ...autograd.tensor import _wrap
from ..data import Data, InMemoryDataset

# the dataset's 16 categories: folder ids, and the global part labels each category's points take
_CATEGORIES = (("Airplane", "02691156", 4), ("Bag", "02773838", 2), ("Cap", "02954340", 2), ("Car", "02958343", 4),
               ("Chair", "03001627", 4), ("Earphone", "03261776", 3), ("Guitar", "03467517", 3),
               ("Knife", "03624134", 2), ("Lamp", "03636649", 4), ("Laptop", "03642806", 2),
               ("Motorbike", "03790512", 6), ("Mug", "03797390", 2), ("Pistol", "03948459", 3),
               ("Rocket", "04099429", 3), ("Skateboard", "04225987", 3), ("Table", "04379243", 3))


def _seg_classes():
    out, start = {}, 0
    for name, _, parts in _CATEGORIES:
        out[name] = list(range(start, start + parts))
        start += parts
    return out


class ShapeNet(InMemoryDataset):
    """ShapeNet(root, categories=None, include_normals=True, split='trainval', transform=None, pre_transform=None,
    pre_filter=None): one point cloud per listed file of the split ('train', 'val', 'test', 'trainval'),
    with pos, x (the normals, when include_normals), y (part labels 0..49) and category."""
    category_ids = {name: folder for name, folder, _ in _CATEGORIES}
    seg_classes = _seg_classes()

    def __init__(self, root, categories=None, include_normals=True, split="trainval", transform=None,
                 pre_transform=None, pre_filter=None, force_reload=False):
        super().__init__(root, transform, pre_transform, pre_filter)
        categories = list(self.category_ids) if categories is None else \
            ([categories] if isinstance(categories, str) else list(categories))
        unknown = [c for c in categories if c not in self.category_ids]
        if unknown:
            raise ValueError(f"ShapeNet: unknown categories {unknown}; known: {list(self.category_ids)}")
        if split not in ("train", "val", "test", "trainval"):
            raise ValueError(f"ShapeNet: split must be 'train', 'val', 'test' or 'trainval', got {split!r}")
        self.categories = categories
        root = os.fspath(root)
        folder = os.path.join(root, "raw") if os.path.isdir(os.path.join(root, "raw")) else root
        if not os.path.isdir(os.path.join(folder, "train_test_split")):
            raise FileNotFoundError(f"ShapeNet: no train_test_split folder under {folder}; fastnn does not download")
        wanted = {self.category_ids[c]: i for i, c in enumerate(categories)}
        graphs = []
        for part in (("train", "val") if split == "trainval" else (split,)):
            with open(os.path.join(folder, "train_test_split", f"shuffled_{part}_file_list.json")) as f:
                names = json.load(f)
            for name in names:
                pieces = str(name).split("/")[1:]  # drop the leading folder, as PyG
                if len(pieces) != 2 or pieces[0] not in wanted or ".." in pieces:
                    continue
                table = np.loadtxt(os.path.join(folder, *pieces) + ".txt", dtype=np.float32, ndmin=2)
                if table.shape[1] < 7:
                    raise ValueError(f"ShapeNet: {'/'.join(pieces)}.txt needs x y z nx ny nz part per line")
                data = Data(pos=_wrap(np.ascontiguousarray(table[:, :3])), x=_wrap(np.ascontiguousarray(table[:, 3:6]))
                            if include_normals else None, y=_wrap(table[:, -1].astype(np.int64)),
                            category=wanted[pieces[0]])
                if pre_filter is not None and not pre_filter(data):
                    continue
                graphs.append(data if pre_transform is None else pre_transform(data))
        self._data_list = graphs
        self.y_mask = np.zeros((len(self.seg_classes), 50), bool)
        for i, labels in enumerate(self.seg_classes.values()):
            self.y_mask[i, labels] = True

    @property
    def num_classes(self):
        return self.y_mask.shape[-1]
