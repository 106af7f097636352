"""The Screener Python SDK: `Client` (sync) and `AsyncClient`, on httpx, with the gateway's own schemas.

from screener.client import Client, errors

with Client("http://127.0.0.1:8080", api_key="sk_...") as client:
    job = client.create_job({"title": "Backend engineer", "required_skills": ["Python", "Go"]})
    client.upload(job.id, ["resumes/"])
    client.wait_for_batch(client.start_batch(job.id).id)
    top = client.list_resumes(job.id, page_size=10).items
"""

from screener.client import errors
from screener.client._base import Credentials
from screener.client.aio import AsyncClient
from screener.client.errors import ScreenerError, WaitTimeout
from screener.client.sync import Client
from screener.contract import schemas

__all__ = ["AsyncClient", "Client", "Credentials", "ScreenerError", "WaitTimeout", "errors", "schemas"]
