"""Report units, submissions, grading, completion and certificates of correspondence courses
(R-ENR-6 … R-ENR-15). See each module's docstring; routers: `router` (learners, certificates,
public verification), `grader_router`, `admin_router`."""
