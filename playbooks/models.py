"""Playbooks, incidents, responses, Q&A pages, notices and ambassadors (tenant schema)."""
