"""Analyzer service: deep analysis of a resume against a job, by an LLM or offline."""
