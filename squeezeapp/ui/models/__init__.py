"""Which model runs in the window: start-up choice, switches, the first-run dialog and downloads."""
