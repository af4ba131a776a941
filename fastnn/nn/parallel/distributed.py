"""DistributedDataParallel: one model replica per process, gradients averaged during backward."""
from contextlib import contextmanager

from ...autograd.grad_mode import is_grad_enabled
from ...distributed import process_group as _pg
from ...distributed.collectives import all_gather_object, wait_requests
from ..module import Module
from .reducer import Reducer


def _signature(module):
    """What must match on every rank: each parameter's and buffer's name, shape and dtype."""
    return ([(n, tuple(p.shape), str(p.dtype), p.requires_grad) for n, p in module.named_parameters()],
            [(n, tuple(b.shape), str(b.dtype)) for n, b in module.named_buffers()])


def _check_same_model(module):
    mine = _signature(module)
    every = [None] * _pg.get_world_size()
    all_gather_object(every, mine)
    for rank, theirs in enumerate(every):
        if theirs == every[0]:
            continue
        for kind, a, b in (("parameters", every[0][0], theirs[0]), ("buffers", every[0][1], theirs[1])):
            if len(a) != len(b):
                raise ValueError(f"DistributedDataParallel: the module differs between ranks: rank 0 has "
                                 f"{len(a)} {kind}, rank {rank} has {len(b)}")
            for x, y in zip(a, b):
                if x != y:
                    raise ValueError(f"DistributedDataParallel: the module differs between ranks: rank 0 has "
                                     f"{x[0]} {x[1:]}, rank {rank} has {y[0]} {y[1:]}")


def _broadcast_from_rank0(tensors, what):
    comm = _pg.comm()
    wait_requests([comm.Ibcast(t._data, root=0) for t in tensors], what)


class DistributedDataParallel(Module):
    """Wrap module so that backward() leaves the gradient averaged over every rank in each .grad.

    At construction rank 0's parameters and buffers are copied to every rank (after checking
    that the ranks hold the same model); before each forward rank 0's buffers are broadcast
    (broadcast_buffers, as BatchNorm's running statistics follow rank 0 in PyTorch). Gradients
    are all-reduced in buckets of about bucket_cap_mb MB, each started as soon as its gradients
    are ready. overlap=False (fastnn's addition, for measuring) starts them all after backward.
    `allreduce_seconds` sums the time backward spent starting and waiting for the all-reduces.
    A parameter that gets no gradient in a synced backward is an error unless
    find_unused_parameters=True; with it, such a parameter contributes zeros on that rank, and one
    that no rank used keeps its .grad (None stays None), as in PyTorch. Unlike PyTorch, a second
    backward through the same forward after its gradients were averaged (retain_graph=True) raises
    instead of leaving that pass's gradients unsynced, and the unused-parameter error is raised at
    the end of that backward rather than at the next forward. device_ids, output_device, dim,
    check_reduction, gradient_as_bucket_view and static_graph are accepted so PyTorch code runs,
    and change nothing.
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0, broadcast_buffers=True,
                 process_group=None, bucket_cap_mb=None, find_unused_parameters=False, check_reduction=False,
                 gradient_as_bucket_view=False, static_graph=False, overlap=True):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"module must be a fastnn.nn.Module, got {type(module).__name__}")
        if process_group is not None:
            raise ValueError("only the default process group (process_group=None) is supported")
        bucket_cap_mb = 25 if bucket_cap_mb is None else bucket_cap_mb
        if isinstance(bucket_cap_mb, bool) or not isinstance(bucket_cap_mb, (int, float)) or bucket_cap_mb <= 0:
            raise ValueError(f"bucket_cap_mb must be a positive number, got {bucket_cap_mb!r}")
        world = _pg.get_world_size()
        self.module = module
        self.broadcast_buffers = broadcast_buffers
        self.require_backward_grad_sync = True
        _check_same_model(module)
        state = list(module.parameters()) + list(module.buffers())
        if world > 1 and state:
            _broadcast_from_rank0(state, "DistributedDataParallel's initial broadcast of rank 0's state")
        params = [p for p in module.parameters() if p.requires_grad]
        if not params:
            raise RuntimeError("DistributedDataParallel is not needed when a module has no parameter that "
                               "requires a gradient")
        self.find_unused_parameters = bool(find_unused_parameters)
        names = {id(p): n for n, p in module.named_parameters()}
        self.reducer = Reducer(params, int(bucket_cap_mb * 1024 * 1024), world, overlap,
                               self.find_unused_parameters, names)

    @property
    def allreduce_seconds(self):
        return self.reducer.seconds

    def forward(self, *inputs, **kwargs):
        if self.reducer.expect_backward:
            self.reducer.reset()  # the previous forward had no backward, or its backward raised
        self.reducer.synced = False
        buffers = list(self.module.buffers())
        if self.broadcast_buffers and buffers and _pg.get_world_size() > 1:
            _broadcast_from_rank0(buffers, "DistributedDataParallel's broadcast of rank 0's buffers")
        self.reducer.expect_backward = is_grad_enabled() and self.require_backward_grad_sync
        return self.module(*inputs, **kwargs)

    @contextmanager
    def no_sync(self):
        """Backward passes inside accumulate gradients locally; the first one after syncs them all."""
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old
