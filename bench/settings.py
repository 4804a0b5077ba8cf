"""Production settings plus, only when ``BENCH_BARE_VIEW=1``, the bench's bare JSON view.

Used by the benchmarks as ``DJANGO_SETTINGS_MODULE=bench.settings``; nothing in the product
imports it, so the route never exists in a real install.
"""

import os

from tikmatrix_site.settings import *  # noqa: F403

if os.environ.get("BENCH_BARE_VIEW") == "1":
    ROOT_URLCONF = "bench.urls"
