"""Appearance embedders (behind `roadtrack.core.Embedder`)."""

from roadtrack.reid.histogram import ColorHistogramEmbedder

__all__ = ["ColorHistogramEmbedder"]
