"""Tests of webinars and workshops (R-CON-5, R-CON-6)."""
