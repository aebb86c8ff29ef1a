"""The main window that puts the features together, the application start-up and the help dialogs.
"""
