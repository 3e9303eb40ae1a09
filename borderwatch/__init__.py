"""borderwatch: count vehicles in photos and satellite images of border cities and check news claims.

Data flows one way, each stage reading and writing plain tables (see ``borderwatch.tables``):
frames -> detections -> geotagged detections -> counts -> comparisons -> report.
"""

__version__ = "0.1.0"
