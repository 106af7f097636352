"""Extractor settings."""

from pydantic import Field

from services.common.settings import ServiceSettings


class ExtractorSettings(ServiceSettings):
    grpc_port: int = Field(default=50051, alias="GRPC_PORT")
    ocr_dpi: int = Field(default=300, alias="OCR_DPI")
    ocr_workers: int = Field(default=2, alias="OCR_WORKERS")
    ocr_language: str = Field(default="eng", alias="OCR_LANGUAGE")
    max_file_bytes: int = Field(default=10 * 1024 * 1024, alias="MAX_FILE_BYTES")
