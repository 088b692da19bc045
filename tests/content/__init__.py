"""Tests of the catalog, the lesson page and staff catalog management (R-CON-1, R-CON-7,
R-CON-8)."""
