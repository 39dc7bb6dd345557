"""torch networks for the torch-based embedders; importing anything here imports torch."""
