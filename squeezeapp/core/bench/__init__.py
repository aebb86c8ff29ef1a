"""`squeezeapp bench`: timing the stages and the pipeline against their bounds and the textbook
yardstick.
"""
