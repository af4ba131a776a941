"""The version, in one place (pyproject.toml reads it; fastnn.__version__ and show_config use it)."""
__version__ = "0.1.0"
