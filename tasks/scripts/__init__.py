"""Automation scripts: the registry (``registry.py``) and each script's runner module."""
