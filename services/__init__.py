"""Screener services: extractor, ranker, analyzer, gateway, and the code they share (services.common)."""
