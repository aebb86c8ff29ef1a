"""Where pictures come from in the window: opening paths, folders, videos, cameras and the
clipboard, the image list, Open Recent.
"""
