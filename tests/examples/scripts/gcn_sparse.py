"""A graph convolutional network on a sparse COO adjacency, in the style of PyTorch's gcn example."""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class GraphConv(nn.Module):
    def __init__(self, input_dim, output_dim):
        super(GraphConv, self).__init__()
        self.kernel = nn.Parameter(torch.FloatTensor(input_dim, output_dim))
        nn.init.xavier_normal_(self.kernel)

    def forward(self, input_tensor, adj_mat):
        support = torch.mm(input_tensor, self.kernel)
        return torch.spmm(adj_mat, support)


class GCN(nn.Module):
    def __init__(self, input_dim, hidden_dim, output_dim):
        super(GCN, self).__init__()
        self.gc1 = GraphConv(input_dim, hidden_dim)
        self.gc2 = GraphConv(hidden_dim, output_dim)

    def forward(self, x, adj):
        x = F.dropout(F.relu(self.gc1(x, adj)), 0.2, training=self.training)
        return F.log_softmax(self.gc2(x, adj), dim=1)


def two_communities(n, rng):
    labels = np.repeat([0, 1], n // 2)
    edges = [(i, j) for i in range(n) for j in range(i + 1, n)
             if rng.random() < (0.3 if labels[i] == labels[j] else 0.02)]
    return np.array(edges), labels


def main():
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    edges, labels = two_communities(60, rng)
    V, E = len(labels), len(edges)
    both = np.concatenate([edges, edges[:, ::-1]])
    adj = torch.sparse_coo_tensor(torch.tensor(both.T), torch.ones(2 * E), (V, V))
    adj = (torch.eye(V) + adj.to_dense())
    degree = torch.sqrt(1 / torch.sum(adj, dim=1))
    adj = (torch.diag(degree) @ adj @ torch.diag(degree)).to_sparse()
    features = torch.eye(V)
    target = torch.tensor(labels)
    train_mask = torch.zeros(V, dtype=torch.bool)
    train_mask[[0, 1, 2, 30, 31, 32]] = True
    model = GCN(V, 16, 2)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05, weight_decay=5e-4)
    for epoch in range(40):
        model.train()
        optimizer.zero_grad()
        loss = F.nll_loss(model(features, adj)[train_mask], target[train_mask])
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        acc = (model(features, adj).argmax(1) == target)[~train_mask].float().mean().item()
    print(f"RESULT accuracy {acc:.4f}")


if __name__ == "__main__":
    main()
