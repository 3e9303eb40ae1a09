"""Datasets: label formats, splits, chips, GSD resampling, validation, synthetic scenes; training and evaluation."""
