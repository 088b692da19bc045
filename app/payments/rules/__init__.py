"""Pure payment rules (R-SUB-2 … R-SUB-7, R-SUB-10, R-REF-1 … R-REF-11): no I/O, no clock reads.

- `subscription`: trial and renewal calendar, retries and grace, the subscription state machine.
- `refunds`: refund quotes by formula for online products.
- `points`: spending point grants and returning them.
- `goods`: physical goods cancellation deadlines and refund timing (R-REF-8).
"""
