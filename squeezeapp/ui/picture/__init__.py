"""The picture on the canvas: the frame view, the predictions overlay, the heatmap layer, snapshots
and the View menu.
"""
