"""Planetoid (Cora, CiteSeer, PubMed) as a fastnn.geometric dataset, read by fastnn.data's reader."""
from ..data import Data, InMemoryDataset


class Planetoid(InMemoryDataset):
    """Planetoid(root, name, split='public', transform=None, pre_transform=None): one graph with x,
    edge_index, y and train/val/test masks (the public split). The raw files `ind.<name>.*` must be
    under root (fastnn.data.Planetoid's search); nothing is downloaded."""

    def __init__(self, root, name, split="public", num_train_per_class=20, num_val=500, num_test=1000,
                 transform=None, pre_transform=None, force_reload=False):
        from ...data.graphs import Planetoid as _Reader
        super().__init__(root, transform, pre_transform)
        if split != "public":
            raise NotImplementedError(f"Planetoid: split {split!r} is not supported (only 'public')")
        graph = _Reader(root, name, split)[0]
        data = Data(**{k: v for k, v in vars(graph).items()})
        self._data_list = [pre_transform(data) if pre_transform is not None else data]
        self.name = name

    @property
    def num_classes(self):
        return int(self._data_list[0].y.numpy().max()) + 1

    def __repr__(self):
        return f"{self.name}()"
