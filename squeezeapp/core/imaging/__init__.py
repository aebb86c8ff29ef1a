"""Pictures in: decoding files and memory within a byte budget, reading headers, camera and video
sources.
"""
