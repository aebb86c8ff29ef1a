"""The results view for folders and many files: the table and thumbnail grid, filtering, background
classification, exports.
"""
