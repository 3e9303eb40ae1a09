"""Detection: models, tiling, merging across tiles, taxonomy, frames in, detections out."""
