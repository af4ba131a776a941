"""fastnn.nn.parallel: DistributedDataParallel (data parallelism across processes, over MPI) and DataParallel."""
from .data_parallel import DataParallel
from .distributed import DistributedDataParallel

DDP = DistributedDataParallel
