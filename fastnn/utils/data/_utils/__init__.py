"""Internals of the data loader (torch.utils.data._utils's layout): collate, fetch, worker."""
from . import collate, fetch, worker  # noqa: F401
from .worker import MP_STATUS_CHECK_INTERVAL  # noqa: F401
