"""Gateway service: REST/JWT API, orchestration of the pipeline, the only owner of Postgres."""
