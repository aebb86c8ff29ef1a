"""Small Qt pieces every feature uses: conversions, labels and menus, file dialogs, settings,
canvas messages, the worker idioms.
"""
