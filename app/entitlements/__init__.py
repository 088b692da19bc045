"""Entitlements: the one place that decides "may this member open this item now" (R-CON-7).

Programs write grants (`service.grant`, `service.end_grants`); content asks `service.may_open_course`
/ `require_course_access` / `require_membership`, or joins `repository.course_access_clause`
into its own query so the check costs no extra round trip on hot reads.
"""
