"""torch.nn.modules.transformer's import path: transformer layers (defined in fastnn.nn)."""
from ..transformer import (TransformerEncoderLayer, TransformerEncoder, TransformerDecoderLayer,
    TransformerDecoder, Transformer)

__all__ = [
    "TransformerEncoderLayer", "TransformerEncoder", "TransformerDecoderLayer", "TransformerDecoder",
    "Transformer"]
