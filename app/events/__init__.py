"""Live events: webinars (live with chat Q&A, or recorded without) and Zoom workshops with a
capacity, a wait list promoted automatically, and a minimum head-count for group work
(R-CON-5, R-CON-6).

- `router` (members, public list/page), `admin_router` (staff CRUD, registrants, wait list);
- `registrations` (register / cancel / promote under the event row's lock), `chat` (Q&A),
  `admin_service` (staff use cases), `rules` (pure), `repository` (SQL), `emails` (outbox).
"""
