"""Extractor settings."""

from pydantic import Field

from services.common.settings import ServiceSettings


class ExtractorSettings(ServiceSettings):
    grpc_port: int = Field(default=50051, alias="GRPC_PORT")
    ocr_dpi: int = Field(default=300, alias="OCR_DPI")
    # Pages of one file OCRed at once (Tesseract processes, one thread each).
    ocr_workers: int = Field(default=2, alias="OCR_WORKERS")
    ocr_language: str = Field(default="eng+spa", alias="OCR_LANGUAGE")
    max_file_bytes: int = Field(default=10 * 1024 * 1024, alias="MAX_FILE_BYTES")
    # Files are extracted in this many worker processes, each bounded in time and memory.
    extract_workers: int = Field(default=2, alias="EXTRACT_WORKERS")
    extract_timeout_seconds: float = Field(default=120.0, alias="EXTRACT_TIMEOUT_SECONDS")
    extract_memory_limit_mb: int = Field(default=2048, alias="EXTRACT_MEMORY_LIMIT_MB")
    max_pages: int = Field(default=30, alias="MAX_PAGES")
    max_image_pixels: int = Field(default=60_000_000, alias="MAX_IMAGE_PIXELS")
    max_render_pixels: int = Field(default=16_000_000, alias="MAX_RENDER_PIXELS")
    min_font_size: float = Field(default=4.0, alias="MIN_FONT_SIZE")
