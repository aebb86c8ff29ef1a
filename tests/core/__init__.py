"""Tests of squeezeapp.core."""
