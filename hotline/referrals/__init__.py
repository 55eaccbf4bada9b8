"""Referrals: the partner directory, suggestions, consent, the referral lifecycle and the partner's link."""
