"""fastnn.optim: optimizers and learning-rate schedules (PyTorch's torch.optim API)."""
from .optimizer import Optimizer
from .sgd import SGD
from .adam import Adam, AdamW
from .rmsprop import RMSprop
from .adagrad import Adagrad
from . import lr_scheduler
