"""nn.functional: the functional forms of layers, activations and losses.

A facade: every name is defined in a functional_* module, and none of those imports this one.
"""
from ..autograd.tensor import Tensor  # noqa: F401  (torch.nn.functional.Tensor, which scripts import from here)
from .functional_linear import linear, bilinear  # noqa: F401
from .functional_dropout import dropout  # noqa: F401
from .functional_act import (relu, relu6, leaky_relu, gelu, silu, sigmoid, tanh, hardtanh, softmax,  # noqa: F401
                             log_softmax, softmin, normalize, softplus)
from .functional_norm import batch_norm  # noqa: F401
from .functional_embedding import embedding, one_hot  # noqa: F401
from .functional_loss_core import (cross_entropy, nll_loss, mse_loss, l1_loss, smooth_l1_loss,  # noqa: F401
                                   huber_loss, binary_cross_entropy, binary_cross_entropy_with_logits, kl_div)
from .functional_conv import (conv2d, conv_transpose2d, max_pool2d, avg_pool2d, pad)  # noqa: F401
from .functional_attention import (layer_norm, scaled_dot_product_attention,  # noqa: F401
                                   multi_head_attention_forward)
from .functional_act import (elu, selu, celu, hardsigmoid, hardswish, mish, softsign, tanhshrink,  # noqa: F401
                             softshrink, hardshrink, threshold, logsigmoid, glu, prelu, rrelu, gumbel_softmax,
                             relu_, elu_, selu_, celu_, leaky_relu_, hardtanh_, threshold_, rrelu_)
from .functional_loss import (pairwise_distance, cosine_similarity, pdist, poisson_nll_loss,  # noqa: F401
                              gaussian_nll_loss, margin_ranking_loss, hinge_embedding_loss, soft_margin_loss,
                              multilabel_soft_margin_loss, cosine_embedding_loss, multi_margin_loss,
                              multilabel_margin_loss, triplet_margin_loss, triplet_margin_with_distance_loss,
                              linear_cross_entropy)
from .functional_unfold import unfold, fold  # noqa: F401
from .functional_convnd import conv1d, conv3d, conv_transpose1d, conv_transpose3d, conv_tbc  # noqa: F401
from .functional_pool import (max_pool1d, max_pool3d, max_pool1d_with_indices,  # noqa: F401
                              max_pool2d_with_indices, max_pool3d_with_indices, max_unpool1d, max_unpool2d,
                              max_unpool3d, avg_pool1d, avg_pool3d, lp_pool1d, lp_pool2d, lp_pool3d,
                              adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d, adaptive_max_pool1d,
                              adaptive_max_pool2d, adaptive_max_pool3d, adaptive_max_pool1d_with_indices,
                              adaptive_max_pool2d_with_indices, adaptive_max_pool3d_with_indices)
from .functional_norm import group_norm, instance_norm, local_response_norm, rms_norm  # noqa: F401
from .functional_interp import (interpolate, upsample, upsample_nearest, upsample_bilinear,  # noqa: F401
                                affine_grid, grid_sample)
from .functional_misc import (pixel_shuffle, pixel_unshuffle, channel_shuffle,  # noqa: F401
                              native_channel_shuffle, dropout1d, dropout2d, dropout3d, alpha_dropout,
                              feature_alpha_dropout, embedding_bag)
from .functional_ctc import ctc_loss  # noqa: F401
from .functional_fractional import (fractional_max_pool2d, fractional_max_pool3d,  # noqa: F401
                                    fractional_max_pool2d_with_indices, fractional_max_pool3d_with_indices)

# Pickles (whole saved modules) name a function by its __module__: give the public path, not the private
# functional_* file it lives in, so checkpoints survive moving code between those files (as torch.nn.functional).
for _fn in list(globals().values()):
    if callable(_fn) and getattr(_fn, "__module__", "").startswith(__name__ + "_"):
        _fn.__module__ = __name__
del _fn
