"""Tests of squeezeapp.ui."""
