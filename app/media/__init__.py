"""Media: lesson materials (R-CON-3), the tools library (R-CON-4) and video playback (R-CON-2)."""
