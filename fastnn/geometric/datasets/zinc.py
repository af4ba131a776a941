"""ZINC: about 250,000 molecular graphs (12,000 in the subset) with their penalised logP as the regression
target, read from the files PyG's download leaves in root/raw: {train,val,test}.pickle (the benchmarking-gnns
molecules: Python pickles of lists of dicts of PyTorch tensors) and {split}.index (the subset's ids).

The pickles name exactly two PyTorch functions per tensor (rebuild a tensor, load a storage from the bytes
of a legacy torch.save); those are served by fastnn's checkpoint reader and every other global is refused,
so reading a file runs no code it names.
"""
import io
import os

import numpy as np

from ...autograd.tensor import Tensor, _wrap
from ...serialization import _torch_files, _torch_pickle
from ..data import Data, InMemoryDataset

SPLITS = ("train", "val", "test")


def _storage_from_bytes(data):
    """torch.storage._load_from_bytes: a storage saved alone in PyTorch's legacy format."""
    if not isinstance(data, bytes):
        raise _torch_pickle.Malformed("a storage's bytes are not bytes")
    f = io.BytesIO(data)
    if not _torch_files.is_torch_legacy(f):
        raise _torch_pickle.Malformed("a storage's bytes are not a legacy PyTorch file")
    storage = _torch_files.load_legacy(f)
    if not isinstance(storage, _torch_pickle.Storage):
        raise _torch_pickle.Malformed(f"a storage's bytes hold a {type(storage).__name__}, not a storage")
    return storage


class _MoleculeUnpickler(_torch_pickle.RestrictedUnpickler):
    def find_class(self, module, name):
        if (module, name) == ("torch.storage", "_load_from_bytes"):
            return _storage_from_bytes
        return super().find_class(module, name)


def _no_persistent_ids(pid):
    raise _torch_pickle.Malformed("a molecule pickle names a persistent id")


def read_molecules(path):
    """The list of molecule dicts (atom_type, bond_type, logP_SA_cycle_normalized as fastnn Tensors)."""
    with open(path, "rb") as f:
        mols = _MoleculeUnpickler(_torch_pickle._Capped(f), _no_persistent_ids).load()
    if not isinstance(mols, list):
        raise ValueError(f"ZINC: {path} holds a {type(mols).__name__}, not a list of molecules")
    return mols


def _molecule(mol, where):
    keys = ("atom_type", "bond_type", "logP_SA_cycle_normalized")
    if not isinstance(mol, dict) or not all(isinstance(mol.get(k), Tensor) for k in keys):
        raise ValueError(f"ZINC: {where} is not a dict of tensors {keys}")
    atoms = mol["atom_type"].numpy().astype(np.int64).reshape(-1, 1)
    adj = mol["bond_type"].numpy()
    if adj.shape != (len(atoms), len(atoms)):
        raise ValueError(f"ZINC: {where} has {len(atoms)} atoms but a bond matrix of shape {adj.shape}")
    rows, cols = np.nonzero(adj)  # row-major order, as PyTorch's nonzero
    return Data(x=_wrap(atoms), edge_index=_wrap(np.stack([rows, cols]).astype(np.int64)),
                edge_attr=_wrap(adj[rows, cols].astype(np.int64)),
                y=_wrap(mol["logP_SA_cycle_normalized"].numpy().astype(np.float32).reshape(-1)))


class ZINC(InMemoryDataset):
    """ZINC(root, subset=False, split='train', transform=None, pre_transform=None, pre_filter=None): one
    Data per molecule (x: atom types (N, 1), edge_index and edge_attr: the bonds and their types, y:
    penalised logP), from root/raw (or root/molecules, or root). subset=True keeps the molecules listed
    in {split}.index. Nothing is downloaded."""

    def __init__(self, root, subset=False, split="train", transform=None, pre_transform=None, pre_filter=None,
                 force_reload=False):
        super().__init__(root, transform, pre_transform, pre_filter)
        if split not in SPLITS:
            raise ValueError(f"ZINC: split must be one of {SPLITS}, got {split!r}")
        self.subset, self.split = bool(subset), split
        root = os.fspath(root)
        folders = [os.path.join(root, "raw"), os.path.join(root, "molecules"), root]
        folder = next((d for d in folders if os.path.isfile(os.path.join(d, f"{split}.pickle"))), None)
        if folder is None:
            raise FileNotFoundError(f"ZINC: no {split}.pickle in {root}/raw, {root}/molecules or {root} (from "
                                    "PyG's molecules.zip); fastnn does not download")
        mols = read_molecules(os.path.join(folder, f"{split}.pickle"))
        indices = range(len(mols))
        if self.subset:
            with open(os.path.join(folder, f"{split}.index")) as f:
                text = f.read().strip()
            try:
                indices = [int(v) for v in text.split(",")] if text else []
            except ValueError:
                raise ValueError(f"ZINC: {split}.index must be comma-separated molecule ids") from None
            if any(not 0 <= i < len(mols) for i in indices):
                raise IndexError(f"ZINC: {split}.index names a molecule outside [0, {len(mols)})")
        graphs = []
        for i in indices:
            data = _molecule(mols[i], f"molecule {i} of {split}.pickle")
            if pre_filter is not None and not pre_filter(data):
                continue
            graphs.append(data if pre_transform is None else pre_transform(data))
        self._data_list = graphs

    def __repr__(self):
        return f"ZINC({len(self)})"
