"""retention: customer-retention metrics on a numpy core with a pandas adapter."""

__version__ = "0.1.0"
