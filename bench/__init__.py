"""Benchmarks of the farm against its own ceilings, side by side in the same run.

``python -m bench`` (``make bench``) runs them all; ``--quick`` is the < 3 min variant and
``--only NAME`` runs one. See ``bench/README.md`` for the latest table and how to read it.
"""
