"""The REST API's contract: request and response models, enums, error codes and the accepted file
types, shared by the gateway and the clients. Nothing here imports a service."""
