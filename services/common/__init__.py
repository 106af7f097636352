"""Code shared by every service: settings, logging, errors, gRPC bootstrap, NATS helpers."""
