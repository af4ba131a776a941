"""Graph neural networks for node classification: GCN (Kipf & Welling 2017) and GAT (Velickovic et al. 2018)."""
from .. import nn
from ..nn import functional as F


class GCN(nn.Module):
    """Two GCNConv layers with ReLU and dropout between them; returns log-probabilities per node.

    cached=True (PyG's default is False, and so is this one) keeps each layer's normalised graph
    between calls on the same edge_index (see GCNConv)."""

    def __init__(self, in_channels, hidden_channels, out_channels, dropout=0.5, cached=False):
        super().__init__()
        self.conv1 = nn.GCNConv(in_channels, hidden_channels, cached=cached)
        self.conv2 = nn.GCNConv(hidden_channels, out_channels, cached=cached)
        self.dropout = dropout

    def forward(self, x, edge_index, edge_weight=None):
        x = F.dropout(x, self.dropout, self.training)
        x = F.relu(self.conv1(x, edge_index, edge_weight))
        x = F.dropout(x, self.dropout, self.training)
        return F.log_softmax(self.conv2(x, edge_index, edge_weight), dim=1)

    def embed(self, x, edge_index, edge_weight=None):
        """The hidden node features (after the first layer), e.g. for a 2-D picture of what it learned."""
        return F.relu(self.conv1(x, edge_index, edge_weight))


class GAT(nn.Module):
    """GATConv with `heads` heads (ELU) then a one-head output GATConv, dropout on inputs and attention."""

    def __init__(self, in_channels, hidden_channels, out_channels, heads=8, dropout=0.6):
        super().__init__()
        self.conv1 = nn.GATConv(in_channels, hidden_channels, heads=heads, dropout=dropout)
        self.conv2 = nn.GATConv(hidden_channels * heads, out_channels, heads=1, concat=False, dropout=dropout)
        self.dropout = dropout

    def forward(self, x, edge_index):
        x = F.dropout(x, self.dropout, self.training)
        x = F.elu(self.conv1(x, edge_index))
        x = F.dropout(x, self.dropout, self.training)
        return F.log_softmax(self.conv2(x, edge_index), dim=1)
