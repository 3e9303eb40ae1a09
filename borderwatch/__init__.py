"""borderwatch: count vehicles in photos and satellite images of border cities and check news claims.

Data flows one way, each stage reading and writing plain tables (see ``borderwatch.tables``):
frames -> detections -> geotagged detections -> counts -> comparisons -> report.
"""

__version__ = "0.1.0"

# Ultralytics pip-installs missing runtimes unless told not to; borderwatch never lets it (see trust.py).
from borderwatch.trust import disable_autoinstall as _disable_autoinstall  # noqa: E402

_disable_autoinstall()
