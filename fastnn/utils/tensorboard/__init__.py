"""torch.utils.tensorboard: SummaryWriter writes TensorBoard event files through the `tensorboard` package
(`pip install "fastnn[tensorboard]"`), which fastnn does not otherwise need."""
try:
    import tensorboard  # noqa: F401
except ImportError:
    raise ImportError('fastnn.utils.tensorboard needs the tensorboard package: pip install "fastnn[tensorboard]"') \
        from None

from .writer import SummaryWriter  # noqa: E402,F401
