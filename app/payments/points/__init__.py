"""The points ledger (R-REF-10): grants with expiry, spending, returns. Points are never cash."""
