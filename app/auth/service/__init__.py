"""Member identity use cases, one module per sub-domain (R-ID-1…R-ID-10, R-SUB-11).

- `registration`: sign-up (member, student) and email verification;
- `sessions`: login, token refresh, logout, the member's sessions;
- `guard`: brute-force protection around every password check;
- `passwords`: reset and change;
- `email_change`: change of the login email;
- `me`: profile and self-withdrawal;
- `account_status`: every status change (suspend, reinstate, withdraw, rejoin), shared by the
  member's and the staff's operations;
- `rejoin`: coming back after withdrawal with an emailed link (R-SUB-11);
- `links`: the emailed single-use links all of the above send;
- `terms`: current terms documents and acceptances.

Services decide and write through `app.auth.repository`; they never commit (app/db.py does).
"""
