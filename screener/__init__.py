"""Screener: generated protocol code lives in screener.v1 (see protos/)."""
