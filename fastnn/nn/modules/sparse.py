"""torch.nn.modules.sparse's import path: embeddings (defined in fastnn.nn)."""
from ..embedding import (Embedding, EmbeddingBag)

__all__ = ["Embedding", "EmbeddingBag"]
