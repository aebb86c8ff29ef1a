"""Tests of the packaging/ recipes and of what they build."""
