"""The catalog: public course listings, the member lesson page and staff catalog management.

R-CON-1 (course/seminar → ordered lessons of three kinds), R-CON-7 (titles and descriptions are
public; a lesson needs an entitlement, checked in the same statement that reads it), R-CON-8
(staff create, order, publish and unpublish). Media, materials and tests are other packages.
"""
