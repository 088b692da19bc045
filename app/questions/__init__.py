"""Study and non-study questions (seeds 001, 002): quotas, usage period, attachments, answers."""
