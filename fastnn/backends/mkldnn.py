"""torch.backends.mkldnn (oneDNN): not used by fastnn."""
enabled = False


def is_available():
    return False
