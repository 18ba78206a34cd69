"""Tests of quantgeo.learning (geometric learning dynamics)."""
