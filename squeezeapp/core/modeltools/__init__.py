"""Working on model files rather than with them: int8 quantisation, speed/accuracy profiles, the
layer summary.
"""
