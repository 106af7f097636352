"""The REST API by resource: each module has a router whose handlers only translate HTTP to the
services (services.gateway.operations, pipeline, auth, api_keys) and back."""
