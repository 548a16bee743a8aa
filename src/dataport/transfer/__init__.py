"""Transfers abroad: scope check, de-identification, watermark, signed package, delivery, receipt.

The steps of one transfer are in ``service``; the data path (``deidentify``, ``watermark``,
``package``) works on Polars frames with expressions only; ``destinations`` writes packages
through fsspec; ``trace`` finds the transfer a leaked file came from.
"""
