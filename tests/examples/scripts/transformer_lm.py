"""A causal Transformer language model in the style of PyTorch's word_language_model example (--model Transformer):
a subclass of nn.Transformer using only its encoder, a sinusoidal position buffer, a log(tril(ones)) mask built in
forward, and the whole model saved and loaded back with its classes allow-listed by their torch.nn.modules paths."""
import math
import os
import tempfile

import torch
import torch.nn as nn
import torch.nn.functional as F


class PositionalEncoding(nn.Module):
    def __init__(self, d_model, dropout=0.1, max_len=64):
        super().__init__()
        self.dropout = nn.Dropout(p=dropout)
        position = torch.arange(0, max_len, dtype=torch.float).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2).float() * (-math.log(10000.0) / d_model))
        pe = torch.zeros(max_len, d_model)
        pe[:, 0::2] = torch.sin(position * div_term)
        pe[:, 1::2] = torch.cos(position * div_term)
        self.register_buffer("pe", pe.unsqueeze(0).transpose(0, 1))

    def forward(self, x):
        return self.dropout(x + self.pe[:x.size(0), :])


class TransformerModel(nn.Transformer):
    def __init__(self, ntoken, ninp, nhead, nhid, nlayers, dropout=0.2):
        super().__init__(d_model=ninp, nhead=nhead, dim_feedforward=nhid, num_encoder_layers=nlayers)
        self.src_mask = None
        self.pos_encoder = PositionalEncoding(ninp, dropout)
        self.input_emb = nn.Embedding(ntoken, ninp)
        self.ninp = ninp
        self.decoder = nn.Linear(ninp, ntoken)
        nn.init.uniform_(self.input_emb.weight, -0.1, 0.1)
        nn.init.zeros_(self.decoder.bias)
        nn.init.uniform_(self.decoder.weight, -0.1, 0.1)

    def forward(self, src):
        if self.src_mask is None or self.src_mask.size(0) != len(src):
            self.src_mask = torch.log(torch.tril(torch.ones(len(src), len(src))))
        src = self.pos_encoder(self.input_emb(src) * math.sqrt(self.ninp))
        return F.log_softmax(self.decoder(self.encoder(src, mask=self.src_mask)), dim=-1)


def batchify(data, bsz):
    nbatch = data.size(0) // bsz
    return data.narrow(0, 0, nbatch * bsz).view(bsz, -1).t().contiguous()


def evaluate(model, data, bptt, ntokens, criterion):
    model.eval()
    total = 0.0
    with torch.no_grad():
        for i in range(0, data.size(0) - 1, bptt):
            seq_len = min(bptt, len(data) - 1 - i)
            x, y = data[i:i + seq_len], data[i + 1:i + 1 + seq_len].reshape(-1)
            total += len(x) * criterion(model(x).view(-1, ntokens), y).item()
    return total / (len(data) - 1)


def main():
    torch.manual_seed(1111)
    gen = torch.Generator().manual_seed(0)
    corpus = torch.LongTensor([3, 7, 1, 9, 4, 4, 2, 8, 5, 6]).repeat(60)
    noise = torch.randint(0, 12, (len(corpus),), generator=gen)
    corpus = torch.where(torch.rand(len(corpus), generator=gen) > 0.1, corpus, noise)
    train, val = batchify(corpus[:480], 8), batchify(corpus[480:], 4)
    ntokens, bptt, lr = 12, 10, 1.0
    model = TransformerModel(ntokens, 16, 2, 32, 2)
    criterion = nn.NLLLoss()
    first = evaluate(model, val, bptt, ntokens, criterion)
    for epoch in range(1, 6):
        model.train()
        for i in range(0, train.size(0) - 1, bptt):
            seq_len = min(bptt, len(train) - 1 - i)
            data, targets = train[i:i + seq_len], train[i + 1:i + 1 + seq_len].reshape(-1)
            model.zero_grad()
            loss = criterion(model(data).view(-1, ntokens), targets)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
            for p in model.parameters():
                p.data.add_(p.grad, alpha=-lr)
        val_loss = evaluate(model, val, bptt, ntokens, criterion)
        print(f"| end of epoch {epoch:3d} | valid loss {val_loss:5.2f} | valid ppl {math.exp(val_loss):8.2f}")
    path = os.path.join(tempfile.mkdtemp(), "model.pt")
    with open(path, "wb") as f:
        torch.save(model, f)
    safe = [PositionalEncoding, TransformerModel, torch.nn.functional.relu,
            torch.nn.modules.activation.MultiheadAttention, torch.nn.modules.container.ModuleList,
            torch.nn.modules.dropout.Dropout, torch.nn.modules.linear.Linear,
            torch.nn.modules.linear.NonDynamicallyQuantizableLinear, torch.nn.modules.normalization.LayerNorm,
            torch.nn.modules.sparse.Embedding, torch.nn.modules.transformer.TransformerEncoder,
            torch.nn.modules.transformer.TransformerEncoderLayer]
    with open(path, "rb") as f:
        with torch.serialization.safe_globals(safe):
            model = torch.load(f)
    reloaded = evaluate(model, val, bptt, ntokens, criterion)
    assert abs(reloaded - val_loss) < 1e-5, (reloaded, val_loss)
    print(f"RESULT loss_ratio {val_loss / first:.4f}")


if __name__ == "__main__":
    main()
