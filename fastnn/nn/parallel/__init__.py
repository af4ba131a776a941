"""fastnn.nn.parallel: DistributedDataParallel (data parallelism across processes, over MPI)."""
from .distributed import DistributedDataParallel

DDP = DistributedDataParallel
