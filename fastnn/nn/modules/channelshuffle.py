"""torch.nn.modules.channelshuffle's import path: channel shuffle (defined in fastnn.nn)."""
from ..shuffle import (ChannelShuffle)

__all__ = ["ChannelShuffle"]
