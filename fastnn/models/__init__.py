"""fastnn.models: the catalogue of classic architectures, ready to train."""
from .perceptron import Perceptron
from .mlp import MLP
from .lenet import LeNet
from .autoencoder import ConvAutoencoder
from .charlm import CharLM
from .sequence_regressor import SequenceRegressor
from .gnn import GCN, GAT
from .gan import GAN, train_gan
from .judge import DigitJudge
from .transformer import TransformerLM, TransformerClassifier
