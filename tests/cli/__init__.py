"""Tests of the command line (squeezeapp.cli), run as a user runs it."""
