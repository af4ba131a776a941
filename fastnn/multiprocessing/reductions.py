"""Tensors in shared memory, and how they cross process boundaries.

A shared tensor's array lives in an anonymous shared-memory file (memfd, or an unlinked POSIX
shm object where memfd is missing) mapped MAP_SHARED: forked children inherit the mapping, and
pickling for another process (multiprocessing's Queue, Pipe, spawn's Process arguments) sends a
duplicate of the file descriptor (multiprocessing.reduction.DupFd), so the receiver maps the same
pages and writes on either side are seen by the other. Nothing is left in /dev/shm: the memory is
freed when the last process holding a mapping or descriptor lets go.

A tensor that is not shared is copied by value when pickled (PyTorch would move it into shared
memory first; fastnn's arrays cannot be moved under views that already exist, so it copies).
"""
import ctypes
import mmap
import os
import weakref
from multiprocessing import reduction

import numpy as np

from ..autograd.tensor import Tensor


def _anonymous_fd():
    if hasattr(os, "memfd_create"):
        return os.memfd_create("fastnn_shared", os.MFD_CLOEXEC)
    import _posixshmem
    import secrets
    name = "/fastnn_" + secrets.token_hex(8)
    fd = _posixshmem.shm_open(name, os.O_CREAT | os.O_EXCL | os.O_RDWR, mode=0o600)
    _posixshmem.shm_unlink(name)  # anonymous from here on: freed when the last descriptor and mapping go
    return fd


SUPPORTED = os.name == "posix"  # shared-memory files and fd passing; elsewhere tensors travel as copies
_libc = None


def _c_library():
    global _libc
    if _libc is None:
        if not SUPPORTED:
            raise RuntimeError("tensors in shared memory need a POSIX system (Linux or macOS)")
        libc = ctypes.CDLL(None, use_errno=True)
        libc.mmap.restype = ctypes.c_void_p
        libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                              ctypes.c_long]
        libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
        _libc = libc
    return _libc


def _unmap(address, nbytes, fd):
    _libc.munmap(address, nbytes)
    os.close(fd)


def _map(fd, nbytes):
    """A MAP_SHARED mapping of `fd` as a ctypes buffer that owns `fd` (mapped through libc rather than the
    mmap module, which would hold a second descriptor of its own per mapping)."""
    libc = _c_library()
    address = libc.mmap(None, nbytes, mmap.PROT_READ | mmap.PROT_WRITE, mmap.MAP_SHARED, fd, 0)
    if address in (None, ctypes.c_void_p(-1).value):
        err = ctypes.get_errno()
        raise OSError(err, f"mmap of {nbytes} shared bytes failed: {os.strerror(err)}")
    block = (ctypes.c_char * nbytes).from_address(address)
    block.fastnn_fd, block.fastnn_nbytes, block.fastnn_address = fd, nbytes, address
    # not at interpreter exit: arrays may still be read during shutdown, and the system unmaps anyway
    weakref.finalize(block, _unmap, address, nbytes, fd).atexit = False
    return block


def _block_of(array):
    """The shared block under `array` (a view's base chain included), or None."""
    base = array
    while isinstance(base, np.ndarray):
        base = base.base
    if isinstance(base, memoryview):
        base = base.obj
    return base if isinstance(base, ctypes.Array) and hasattr(base, "fastnn_fd") else None


def _view(block, offset, dtype, shape, strides):
    return np.ndarray(shape, dtype=np.dtype(dtype), buffer=block, offset=offset, strides=strides)


def shared_empty(shape, dtype):
    """A new C-contiguous array of `shape` and `dtype` in shared memory (zero-filled)."""
    dtype = np.dtype(dtype)
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    fd = _anonymous_fd()
    try:
        os.ftruncate(fd, max(nbytes, 1))
        block = _map(fd, max(nbytes, 1))
    except BaseException:
        os.close(fd)
        raise
    return _view(block, 0, dtype, tuple(shape), None)


def shared_copy(array):
    out = shared_empty(array.shape, array.dtype)
    np.copyto(out, array)
    return out


def is_shared_array(array):
    return _block_of(array) is not None


def share_tensor_(tensor):
    """Move `tensor`'s data into shared memory in place (a no-op when it is already there)."""
    if _block_of(tensor._data) is None:
        tensor._data = shared_copy(tensor._data)
    return tensor


def _new_tensor(cls, array, requires_grad):
    t = cls.__new__(cls)
    t._data = array
    t.grad = None
    t._ctx = None
    t._idx = 0
    t.requires_grad = requires_grad
    return t


def _rebuild_shared(cls, dupfd, nbytes, offset, dtype, shape, strides, requires_grad):
    block = _map(dupfd.detach(), nbytes)
    return _new_tensor(cls, _view(block, offset, dtype, shape, strides), requires_grad)


def _rebuild_copy(cls, array, requires_grad):
    return _new_tensor(cls, array, requires_grad)


def reduce_tensor(tensor):
    if tensor.requires_grad and tensor._ctx is not None:
        raise RuntimeError("Cowardly refusing to serialize non-leaf tensor which requires_grad, since autograd "
                           "does not support crossing process boundaries. Detach it first (tensor.detach()).")
    array = tensor._data
    block = _block_of(array)
    if block is None:
        return _rebuild_copy, (type(tensor), array, tensor.requires_grad)
    offset = array.__array_interface__["data"][0] - block.fastnn_address
    return _rebuild_shared, (type(tensor), reduction.DupFd(block.fastnn_fd), block.fastnn_nbytes, offset,
                             array.dtype.str, array.shape, array.strides, tensor.requires_grad)


_registered = False


def init_reductions():
    """Register the tensor reducers with multiprocessing's pickler (done when fastnn.multiprocessing loads)."""
    global _registered
    if _registered:
        return
    from ..nn.parameter import Parameter
    for cls in (Tensor, Parameter):
        reduction.ForkingPickler.register(cls, reduce_tensor)
    _registered = True
