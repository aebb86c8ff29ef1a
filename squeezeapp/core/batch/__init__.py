"""Many files at once: the folder pipeline, remembered results, sorting into label folders, the
output formats.
"""
