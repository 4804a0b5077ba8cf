"""gunicorn server hooks for ``manage.py serve`` (``-c python:web.gunicorn_hooks``).

The gunicorn master runs this module when it loads its configuration: like every child of
``serve``, it shuts down when ``serve`` dies (its workers follow their master on their own).
Nothing here imports Django: the master process does not set Django up.
"""

from core.supervision import die_with_supervisor


def on_starting(server) -> None:
    die_with_supervisor()
