"""Supervision: flows abroad, alerts, spot-check campaigns and leak tracing, for regulators."""
