"""The `squeezeapp` command line: classify, info, models, bench, gui, --selftest."""
