"""default_collate / default_convert / collate (torch.utils.data._utils.collate's API).

default_collate turns a list of samples into a batch: tensors and arrays are stacked along a new
first dimension, Python numbers become int64 / float64 / bool tensors, strings stay a list, and
dicts, named tuples and sequences are collated field by field (a tuple sample gives a list, as in
PyTorch). default_convert turns arrays and NumPy scalars into tensors and leaves the rest.
"""
import collections.abc

import numpy as np

from ....autograd.tensor import Tensor, _wrap
from ....autograd.dtypes import as_supported_array
from ....multiprocessing.reductions import SUPPORTED as _SHARED_MEMORY, shared_empty
from .worker_info import get_worker_info

# Batches at least this big cross from a DataLoader worker to the main process through shared memory
# (a descriptor and a mapping, no copy); smaller ones are pickled through the pipe. Measured (fork, 2-core
# Xeon, main-process cost per batch): 200 KB 0.52 ms pickled / 0.63 ms shared, 3 MB 3.1 / 1.1 ms,
# 38 MB 145 / 5.7 ms.
SHARED_TRANSFER_BYTES = 1 << 20

_ERR = "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"


def _is_namedtuple(x):
    return isinstance(x, tuple) and hasattr(x, "_fields")


def _tensor_of(array):
    if array.dtype.kind in "OSUV":
        raise TypeError(_ERR.format(array.dtype))
    return _wrap(as_supported_array(array))


def _stack(arrays):
    """np.stack, straight into shared memory for a big batch in a DataLoader worker (saves the copy
    that sending it would otherwise make)."""
    first = arrays[0]
    if _SHARED_MEMORY and first.nbytes * len(arrays) >= SHARED_TRANSFER_BYTES and all(
            a.shape == first.shape and a.dtype == first.dtype for a in arrays):
        if get_worker_info() is not None:
            out = shared_empty((len(arrays),) + first.shape, first.dtype)
            return np.stack(arrays, out=out)
    return np.stack(arrays)


def collate_tensor_fn(batch, *, collate_fn_map=None):
    return _wrap(_stack([t._data for t in batch]))


def collate_numpy_array_fn(batch, *, collate_fn_map=None):
    return _tensor_of(_stack(batch))


def collate_numpy_scalar_fn(batch, *, collate_fn_map=None):
    return _tensor_of(np.asarray(batch))


def collate_float_fn(batch, *, collate_fn_map=None):
    return _wrap(np.asarray(batch, dtype=np.float64))


def collate_int_fn(batch, *, collate_fn_map=None):
    # a list of ints is int64; bools alone are bool; a float among ints makes the default float dtype
    if all(isinstance(b, bool) for b in batch):
        return _wrap(np.asarray(batch, dtype=np.bool_))
    if all(isinstance(b, int) for b in batch):
        return _wrap(np.asarray(batch, dtype=np.int64))
    return _wrap(np.asarray(batch, dtype=np.float32))


def collate_str_fn(batch, *, collate_fn_map=None):
    return batch


default_collate_fn_map = {Tensor: collate_tensor_fn, np.ndarray: collate_numpy_array_fn,
                          np.generic: collate_numpy_scalar_fn, float: collate_float_fn, int: collate_int_fn,
                          str: collate_str_fn, bytes: collate_str_fn}


def collate(batch, *, collate_fn_map=None):
    """Collate `batch` with the per-type functions of `collate_fn_map` (type -> fn(batch, *, collate_fn_map)),
    recursing into mappings, named tuples and sequences."""
    elem = batch[0]
    elem_type = type(elem)
    if collate_fn_map is not None:
        if elem_type in collate_fn_map:
            return collate_fn_map[elem_type](batch, collate_fn_map=collate_fn_map)
        for kind, fn in collate_fn_map.items():
            if isinstance(elem, kind):
                return fn(batch, collate_fn_map=collate_fn_map)
    if isinstance(elem, collections.abc.Mapping):
        fields = {k: collate([d[k] for d in batch], collate_fn_map=collate_fn_map) for k in elem}
        try:
            return elem_type(fields)
        except TypeError:
            return fields
    if _is_namedtuple(elem):
        return elem_type(*(collate(list(s), collate_fn_map=collate_fn_map) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        if any(len(b) != len(elem) for b in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        fields = [collate(list(s), collate_fn_map=collate_fn_map) for s in zip(*batch)]
        if isinstance(elem, tuple):
            return fields
        try:
            return elem_type(fields)
        except TypeError:
            return fields
    raise TypeError(_ERR.format(elem_type))


def default_collate(batch):
    """Stack a list of samples into a batch (see the module docstring)."""
    return collate(batch, collate_fn_map=default_collate_fn_map)


def default_convert(data):
    """Arrays and NumPy scalars to tensors, recursing into mappings and sequences (tuples become lists)."""
    if isinstance(data, Tensor):
        return data
    if isinstance(data, (np.ndarray, np.generic)):
        if data.dtype.kind in "OSUV":
            return data
        return _wrap(as_supported_array(np.asarray(data)))
    if isinstance(data, collections.abc.Mapping):
        fields = {k: default_convert(v) for k, v in data.items()}
        try:
            return type(data)(fields)
        except TypeError:
            return fields
    if _is_namedtuple(data):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        try:
            return type(data)([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data
