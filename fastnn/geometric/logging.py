"""torch_geometric.logging: log prints one line of `key: value` pairs (ints as 3 digits, floats with 4
decimals) and sends them to Weights & Biases when init_wandb started a run."""
import sys

_wandb = {"run": False}


def init_wandb(name, **kwargs):
    """Start a Weights & Biases run named after the date in project `name`, only when the script was
    called with --wandb (as PyG; wandb must then be installed)."""
    if "--wandb" not in sys.argv:
        return
    from datetime import datetime
    import wandb
    wandb.init(project=name, entity="pytorch-geometric", name=datetime.now().strftime("%Y-%m-%d_%H:%M"),
               config=kwargs)
    _wandb["run"] = True


def log(**kwargs):
    def fmt(value):
        if isinstance(value, int) and not isinstance(value, bool):
            return f"{value:03d}"
        return f"{value:.4f}" if isinstance(value, float) else str(value)
    print(", ".join(f"{key}: {fmt(value)}" for key, value in kwargs.items()))
    if _wandb["run"]:
        import wandb
        wandb.log(kwargs)
