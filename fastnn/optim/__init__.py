"""fastnn.optim: optimizers and learning-rate schedules (PyTorch's torch.optim API)."""
from .optimizer import Optimizer
from .sgd import SGD
from .adam import Adam, AdamW
from .rmsprop import RMSprop
from .adagrad import Adagrad
from .adadelta import Adadelta
from .adamax import Adamax
from .asgd import ASGD
from .nadam import NAdam
from .radam import RAdam
from .rprop import Rprop
from .sparse_adam import SparseAdam
from .adafactor import Adafactor
from .muon import Muon
from .lbfgs import LBFGS
from . import lr_scheduler, swa_utils
