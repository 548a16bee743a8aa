"""dataport: an international data port for lawful, verifiable cross-border data flows."""

__version__ = "0.1.0"
