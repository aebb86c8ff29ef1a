"""Measuring fairly on a shared machine: interleaved timing, who used the CPUs, running live
metrics.
"""
