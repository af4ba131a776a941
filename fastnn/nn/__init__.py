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
from .activation import (SELU, CELU, GLU, Hardsigmoid, Hardswish, Mish, Softsign, Softshrink, Hardshrink,
                         Tanhshrink, Threshold, PReLU, RReLU, LogSigmoid, Softmin, Softmax2d)
from .container import ParameterDict, Container
from .dropout import Dropout1d, Dropout2d, Dropout3d, AlphaDropout, FeatureAlphaDropout
from .normalization import GroupNorm, LocalResponseNorm, CrossMapLRN2d, RMSNorm
from .batchnorm import BatchNorm3d, SyncBatchNorm
from .instancenorm import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d
from .linear import Bilinear
from .embedding import EmbeddingBag
from .conv import Conv1d, Conv3d, ConvTranspose1d, ConvTranspose3d
from .pooling import (MaxPool1d, MaxPool3d, AvgPool1d, AvgPool3d, LPPool1d, LPPool2d, LPPool3d, MaxUnpool1d,
                      MaxUnpool2d, MaxUnpool3d, AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveAvgPool3d,
                      AdaptiveMaxPool1d, AdaptiveMaxPool2d, AdaptiveMaxPool3d, FractionalMaxPool2d,
                      FractionalMaxPool3d)
from .padding import (ConstantPad1d, ConstantPad2d, ConstantPad3d, ZeroPad1d, ZeroPad2d, ZeroPad3d,
                      ReflectionPad1d, ReflectionPad2d, ReflectionPad3d, ReplicationPad1d, ReplicationPad2d,
                      ReplicationPad3d, CircularPad1d, CircularPad2d, CircularPad3d)
from .shuffle import (PixelShuffle, PixelUnshuffle, ChannelShuffle, Fold, Unfold, CosineSimilarity,
                      PairwiseDistance)
from .upsampling import UpsamplingNearest2d, UpsamplingBilinear2d
from .loss import (NLLLoss2d, PoissonNLLLoss, GaussianNLLLoss, MarginRankingLoss, HingeEmbeddingLoss,
                   CosineEmbeddingLoss, SoftMarginLoss, MultiLabelMarginLoss, MultiLabelSoftMarginLoss,
                   MultiMarginLoss, TripletMarginLoss, TripletMarginWithDistanceLoss)
from .lazy import (LazyLinear, LazyConv1d, LazyConv2d, LazyConv3d, LazyConvTranspose1d, LazyConvTranspose2d,
                   LazyConvTranspose3d, LazyBatchNorm1d, LazyBatchNorm2d, LazyBatchNorm3d, LazyInstanceNorm1d,
                   LazyInstanceNorm2d, LazyInstanceNorm3d)
from .adaptive import AdaptiveLogSoftmaxWithLoss, CTCLoss, LinearCrossEntropyLoss
from . import functional, init, utils, parallel
from . import modules  # noqa: E402,F401 (torch.nn.modules.* import paths)
from .parallel import DataParallel  # noqa: E402,F401
