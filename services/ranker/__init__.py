"""Ranker service: scores a parsed resume against a job, with reasons."""
