"""fastnn.utils: data loading (fastnn.utils.data, PyTorch's torch.utils.data path)."""
from . import data
