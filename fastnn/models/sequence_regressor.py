"""One-step forecaster: a recurrent layer reads a window of past values, a linear head predicts the next."""
from .. import nn


class SequenceRegressor(nn.Module):
    """(B, T, input_size) windows -> (B, output_size) predictions from the last hidden state."""

    def __init__(self, input_size=1, hidden_size=32, num_layers=1, cell="gru", output_size=1, dropout=0.0):
        super().__init__()
        layers = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
        if cell not in layers:
            raise ValueError(f"cell must be one of {sorted(layers)}, got {cell!r}")
        self.cell = cell
        self.rnn = layers[cell](input_size, hidden_size, num_layers=num_layers, batch_first=True, dropout=dropout)
        self.head = nn.Linear(hidden_size, output_size)

    def forward(self, x):
        if x.ndim == 2:          # (B, T): a univariate series
            x = x.unsqueeze(-1)
        out, _ = self.rnn(x)
        return self.head(out[:, -1])
