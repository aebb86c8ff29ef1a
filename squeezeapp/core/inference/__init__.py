"""Running a model on a picture: pre-processing, the onnxruntime session and its graph rewrite, the
load-time check, post-processing, class maps, smoothing.
"""
