"""The live session and its worker threads (capture, inference, image and model loading). Emits
state; never touches a widget.
"""
