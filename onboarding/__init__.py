"""Onboarding domain: the shared checklist (sales-operations steps 5–9), customer facts and reminder rules.

Pure code: no Slack, no SQL, and time is always passed in.
"""
