"""get_worker_info(): what a DataLoader worker process knows about itself (collate asks it too)."""


class WorkerInfo:
    """What a worker knows about itself: id, num_workers, seed, dataset (its own copy). Read-only."""

    __slots__ = ("id", "num_workers", "seed", "dataset")

    def __init__(self, **kwargs):
        for k, v in kwargs.items():
            object.__setattr__(self, k, v)

    def __setattr__(self, key, value):
        raise RuntimeError(f"Cannot assign attributes to {type(self).__name__} objects")

    def __repr__(self):
        return (f"WorkerInfo(id={self.id}, num_workers={self.num_workers}, seed={self.seed}, "
                f"dataset={self.dataset!r})")


_worker_info = None  # set in a worker process by its loop (worker._worker_loop)


def get_worker_info():
    """In a DataLoader worker process, its WorkerInfo; None in the main process."""
    return _worker_info


def _set_worker_info(info):
    global _worker_info
    _worker_info = info
