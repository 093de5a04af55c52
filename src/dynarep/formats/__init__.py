"""Data formats behind one seam (``base.Importer`` / ``base.Exporter``), registered by name.

Importing this package registers the built-in formats.
"""

from dynarep.formats import lerobot_export, lerobot_import, numpy_arrays, video_import  # noqa: F401  (importing registers them)
from dynarep.formats.base import (  # noqa: F401
    Exporter,
    Importer,
    export_data,
    exporter_names,
    get_exporter,
    get_importer,
    import_data,
    importer_names,
    register_exporter,
    register_importer,
)
