"""Automation scripts: one module per script (``post.py``, ``follow.py``…, each declaring its
``SCRIPT``), the registry that lists them (``registry.py``), what they share (``base.py``,
``flows.py``, ``fields.py``, ``captions.py``) and the apps' selector files (``selectors/``)."""
