"""Generated from protos/screener/v1 by `make protos`. Do not edit."""
