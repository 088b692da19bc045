"""Correspondence courses (seed 001): enrollments, report units, completion, re-enrollment, leave."""
