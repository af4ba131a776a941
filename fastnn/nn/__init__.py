"""fastnn.nn: layers, containers, losses (PyTorch's torch.nn API)."""
from .module import Module
from .parameter import Parameter, Buffer
from .container import Sequential, ModuleList, ModuleDict, ParameterList
from .linear import Linear, Identity
from .flatten import Flatten, Unflatten
from .activation import (ReLU, ReLU6, LeakyReLU, ELU, GELU, SiLU, Sigmoid, Tanh, Softplus, Hardtanh,
                         Softmax, LogSoftmax)
from .dropout import Dropout
from .normalization import LayerNorm
from .batchnorm import BatchNorm1d, BatchNorm2d
from .embedding import Embedding
from .conv import Conv2d, ConvTranspose2d
from .pooling import MaxPool2d, AvgPool2d
from .upsampling import Upsample
from .rnn import RNNBase, RNN, LSTM, GRU, RNNCellBase, RNNCell, LSTMCell, GRUCell
from .attention import MultiheadAttention
from .transformer import (TransformerEncoderLayer, TransformerEncoder, TransformerDecoderLayer,
                          TransformerDecoder, Transformer)
from .loss import (MSELoss, L1Loss, SmoothL1Loss, HuberLoss, CrossEntropyLoss, NLLLoss, BCELoss,
                   BCEWithLogitsLoss, KLDivLoss)
from .gcn_conv import GCNConv
from .sage_conv import SAGEConv
from .gat_conv import GATConv
from . import functional, init, utils, parallel
