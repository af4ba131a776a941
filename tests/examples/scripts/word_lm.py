"""A word-level recurrent language model in the style of PyTorch's word_language_model example, with ONNX export."""
import argparse
import math
import os
import tempfile

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.onnx


class RNNModel(nn.Module):
    def __init__(self, rnn_type, ntoken, ninp, nhid, nlayers, dropout=0.2):
        super().__init__()
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = getattr(nn, rnn_type)(ninp, nhid, nlayers, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)
        self.rnn_type, self.nhid, self.nlayers = rnn_type, nhid, nlayers
        nn.init.uniform_(self.encoder.weight, -0.1, 0.1)
        nn.init.zeros_(self.decoder.bias)

    def forward(self, input, hidden):
        output, hidden = self.rnn(self.drop(self.encoder(input)), hidden)
        decoded = self.decoder(self.drop(output)).view(-1, self.decoder.out_features)
        return F.log_softmax(decoded, dim=1), hidden

    def init_hidden(self, bsz):
        weight = next(self.parameters())
        if self.rnn_type == "LSTM":
            return (weight.new_zeros(self.nlayers, bsz, self.nhid), weight.new_zeros(self.nlayers, bsz, self.nhid))
        return weight.new_zeros(self.nlayers, bsz, self.nhid)


def repackage_hidden(h):
    if isinstance(h, torch.Tensor):
        return h.detach()
    return tuple(repackage_hidden(v) for v in h)


def batchify(data, bsz):
    nbatch = data.size(0) // bsz
    data = data.narrow(0, 0, nbatch * bsz)
    return data.view(bsz, -1).t().contiguous()


def get_batch(source, i, bptt):
    seq_len = min(bptt, len(source) - 1 - i)
    return source[i:i + seq_len], source[i + 1:i + 1 + seq_len].view(-1)


def evaluate(model, data, bptt, criterion):
    model.eval()
    total = 0.0
    hidden = model.init_hidden(data.size(1))
    with torch.no_grad():
        for i in range(0, data.size(0) - 1, bptt):
            x, y = get_batch(data, i, bptt)
            out, hidden = model(x, hidden)
            hidden = repackage_hidden(hidden)
            total += len(x) * criterion(out, y).item()
    return total / (len(data) - 1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="LSTM")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--lr", type=float, default=5.0)
    parser.add_argument("--onnx-export", action="store_true")
    args = parser.parse_args()
    torch.manual_seed(1111)
    # a corpus with structure: a repeating phrase with noise words
    gen = torch.Generator().manual_seed(0)
    phrase = torch.LongTensor([3, 7, 1, 9, 4, 4, 2, 8, 5, 6])
    corpus = phrase.repeat(60)
    noise = torch.randint(0, 12, (len(corpus),), generator=gen)
    keep = torch.rand(len(corpus), generator=gen) > 0.1
    corpus = torch.where(keep, corpus, noise)
    train, val = batchify(corpus[:480], 8), batchify(corpus[480:], 4)
    model = RNNModel(args.model, 12, 16, 32, 2)
    criterion = nn.NLLLoss()
    bptt = 10
    first = evaluate(model, val, bptt, criterion)
    lr = args.lr
    for epoch in range(1, args.epochs + 1):
        model.train()
        hidden = model.init_hidden(8)
        for i in range(0, train.size(0) - 1, bptt):
            data, targets = get_batch(train, i, bptt)
            model.zero_grad()
            hidden = repackage_hidden(hidden)
            output, hidden = model(data, hidden)
            loss = criterion(output, targets)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
            for p in model.parameters():
                p.data.add_(p.grad, alpha=-lr)
        val_loss = evaluate(model, val, bptt, criterion)
        print(f"| end of epoch {epoch:3d} | valid loss {val_loss:5.2f} | valid ppl {math.exp(val_loss):8.2f}")
    # as the example does: save the whole model, load it back with its classes allow-listed (PyTorch >= 2.6)
    path = os.path.join(tempfile.mkdtemp(), "model.pt")
    with open(path, "wb") as f:
        torch.save(model, f)
    with open(path, "rb") as f:
        with torch.serialization.safe_globals([RNNModel, nn.Dropout, nn.Linear, getattr(nn, args.model),
                                               nn.Embedding]):
            model = torch.load(f)
        model.rnn.flatten_parameters()
    reloaded = evaluate(model, val, bptt, criterion)
    assert abs(reloaded - val_loss) < 1e-6, (reloaded, val_loss)
    if args.onnx_export:
        model.eval()
        path = os.path.join(tempfile.mkdtemp(), "model.onnx")
        dummy = torch.LongTensor(bptt * 1).zero_().view(-1, 1)
        torch.onnx.export(model, (dummy, model.init_hidden(1)), path)
        print(f"exported {os.path.getsize(path)} bytes")
    print(f"RESULT loss_ratio {val_loss / first:.4f}")


if __name__ == "__main__":
    main()
