"""Pure-NumPy kernels: the oracle for tests and the baseline for benchmarks.

Written from the math, not ported from the Cython; each name and signature
matches its compiled twin in fastnn.kernels.
"""
from .softmax import softmax_forward, softmax_backward, cross_entropy_forward, cross_entropy_backward
from .conv import (conv2d_forward, conv2d_backward, conv_transpose2d_forward, conv_transpose2d_backward,
                   max_pool2d_forward, max_pool2d_backward, avg_pool2d_forward, avg_pool2d_backward,
                   upsample_nearest2d_forward, upsample_nearest2d_backward)
from .linear import linear_forward, linear_backward, embedding_backward, matmul
from .rnn import (rnn_forward, rnn_backward, lstm_forward, lstm_backward, lstm_forward_pair, lstm_backward_pair,
                  gru_forward, gru_backward,
                  rnn_cell_forward, rnn_cell_backward, lstm_cell_forward, lstm_cell_backward,
                  gru_cell_forward, gru_cell_backward)
from .graph import (edges_to_csr, csr_transpose, add_remaining_self_loops, gcn_norm_csr, spmm_csr,
                    spmm_csr_backward, spmm_max_csr, spmm_max_backward, segment_softmax, segment_softmax_backward,
                    freeze_csr, remaining_self_loops, gcn_norm_csr_backward, sample_neighbors)
from .attention import attention_forward, attention_backward, attention_tiled_forward, attention_tiled_backward
from .norm import (layer_norm_forward, layer_norm_backward, add_layer_norm_forward, batch_norm_forward,
                   batch_norm_backward)
from .optim import adam_step, sgd_step
from .dropout import (dropout_mask_apply, relu_dropout_forward, relu_dropout_backward, gelu_dropout_forward,
                      gelu_dropout_backward)
from .heads import split_heads, split_heads_backward, merge_heads, merge_heads_backward
from .activation import (leaky_relu_forward, leaky_relu_backward, relu_forward, relu_backward, sigmoid_forward,
                         sigmoid_backward, tanh_backward, silu_forward, silu_backward, gelu_forward, gelu_backward,
                         elu_forward, elu_backward, softplus_forward, softplus_backward, bce_logits_forward,
                         bce_logits_backward, hardsigmoid_forward, hardsigmoid_backward, hardswish_forward,
                         hardswish_backward, mish_forward, mish_backward, sum_float32)
