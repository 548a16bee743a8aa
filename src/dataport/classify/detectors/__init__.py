"""Detectors, one per module, each defining ``DETECTOR``; ``classify.registry`` loads them."""
