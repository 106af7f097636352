"""Extractor service: resume files in, structured ParsedResume out."""
