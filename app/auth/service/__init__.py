"""Member identity use cases, one module per sub-domain (R-ID-1…R-ID-10).

- `registration`: sign-up (member, student) and email verification;
- `sessions`: login, token refresh, logout, the member's sessions;
- `guard`: brute-force protection around every password check;
- `passwords`: reset and change;
- `email_change`: change of the login email;
- `me`: profile and self-withdrawal;
- `terms`: current terms documents and acceptances.

Services decide and write through `app.auth.repository`; they never commit (app/db.py does).
"""
