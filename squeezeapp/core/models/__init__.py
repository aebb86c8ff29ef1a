"""Model files: where they live, their names, labels and pre-processing, the known-model registry
and downloads.
"""
