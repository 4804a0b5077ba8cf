"""Where library materials live: the first ``MATERIAL_ROOTS`` folder, not ``MEDIA_ROOT``.

Post tasks may only read files inside the material roots, so uploads must land there. The
folder is read from settings each time (not frozen at import) so tests and operators can move it.
"""

from __future__ import annotations

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class MaterialStorage(FileSystemStorage):
    @property
    def base_location(self) -> str:
        return str(settings.MATERIAL_UPLOAD_ROOT)

    @property
    def location(self) -> str:
        return os.path.abspath(self.base_location)

    @property
    def base_url(self) -> None:
        # Materials are not served over HTTP; the dashboard streams them through a view.
        return None


material_storage = MaterialStorage()
