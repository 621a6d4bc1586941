"""Ticket domain: severities, statuses and the rules between them.

Pure code: no Slack, no SQL, and time is always passed in.
"""
