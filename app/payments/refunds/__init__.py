"""Refunds of one-off purchases by formula (R-REF-1…11): quotes for members and staff, staff
execution through the provider, points back as points."""
