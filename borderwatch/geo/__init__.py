"""Geo: areas and the gazetteer, rasters, spatial join, coverage and counts."""
