"""A file is what its structure says: an archive holding resumes is not a PDF, markup with a PDF comment
is not a PDF, and a small DOCX that unzips to a flood of XML is refused before anything parses it."""

from __future__ import annotations

import io
import random
import zipfile

import grpc

from screener.v1 import extractor_pb2, extractor_pb2_grpc
from services.common.files import MAX_DOCX_XML_ELEMENTS
from services.demo.factory import make_person, render
from services.demo.mailbox import MailSink
from services.demo.samples import SAMPLE_JOB, SAMPLE_RESUMES, render_pdf
from services.launcher import Mesh
from tests.security.conftest import signed_up


def _docx() -> bytes:
    rng = random.Random(3)
    return render(make_person(rng), "docx", rng)[1]


def docx_bomb(megabytes: int = 95) -> bytes:
    """A real DOCX whose document part is that many megabytes of paragraphs, deflated to well under one."""
    source = zipfile.ZipFile(io.BytesIO(_docx()))
    out = io.BytesIO()
    paragraph = b"<w:p><w:r><w:t>x</w:t></w:r></w:p>"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        for info in source.infolist():
            if info.filename == "word/document.xml":
                with bomb.open("word/document.xml", "w", force_zip64=True) as part:
                    part.write(
                        b'<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
                        b'wordprocessingml/2006/main"><w:body>'
                    )
                    for _ in range(megabytes * 1024 * 1024 // (len(paragraph) * 10_000)):
                        part.write(paragraph * 10_000)
                    part.write(b"</w:body></w:document>")
            else:
                bomb.writestr(info, source.read(info.filename))
    return out.getvalue()


def zip_of_two_resumes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("first.pdf", render_pdf(SAMPLE_RESUMES[0].lines))
        archive.writestr("second.pdf", render_pdf(SAMPLE_RESUMES[1].lines))
    return out.getvalue()


HTML_WITH_A_PDF_COMMENT = (
    b"<html><body><script>alert(document.cookie)</script><!-- %PDF-1.4 1 0 obj --></body></html>"
)


def test_archives_markup_and_bombs_are_refused_at_upload_with_their_reasons(
    security_mesh: Mesh, mailbox: MailSink
) -> None:
    client = signed_up(security_mesh, mailbox).client
    job = client.post("/api/jobs", json=SAMPLE_JOB).json()
    bomb = docx_bomb()
    assert len(bomb) < 1024 * 1024
    junk_then_pdf = b"\r\n\xef\xbb\xbf" + render_pdf(SAMPLE_RESUMES[2].lines)
    files = {
        "two.pdf": zip_of_two_resumes(),
        "page.pdf": HTML_WITH_A_PDF_COMMENT,
        "bomb.docx": bomb,
        "fine.docx": _docx(),
        "junk.pdf": junk_then_pdf,
    }
    uploaded = client.post(
        f"/api/jobs/{job['id']}/resumes",
        files=[("files", (name, content, "application/octet-stream")) for name, content in files.items()],
    )
    assert uploaded.status_code == 201, uploaded.text
    items = {item["filename"]: item for item in uploaded.json()["items"]}
    assert items["two.pdf"]["error"]["code"] == "unsupported_archive"
    assert "zip archive" in items["two.pdf"]["error"]["message"]
    assert items["page.pdf"]["error"]["code"] == "bad_file"
    assert items["bomb.docx"]["error"]["code"] == "too_large"
    # A real DOCX, and a PDF with a little leading junk as readers allow, are taken.
    assert items["fine.docx"]["id"] and items["junk.pdf"]["id"]
    assert client.get(f"/api/jobs/{job['id']}").json()["total_resumes"] == 2


def test_the_extractor_refuses_docx_bombs_before_parsing(security_mesh: Mesh) -> None:
    """Both bounds, through the extractor's own API: 95 MB unzipped, and 20 MB (under the size bound) of
    more elements than any resume has."""
    with grpc.insecure_channel(security_mesh.grpc_address("extractor")) as channel:
        stub = extractor_pb2_grpc.ExtractorServiceStub(channel)
        for content, says in (
            (docx_bomb(95), "unzips to"),
            (docx_bomb(20), f"{MAX_DOCX_XML_ELEMENTS:,} XML"),
        ):
            try:
                stub.Extract(extractor_pb2.ExtractRequest(filename="bomb.docx", content=content), timeout=20)
            except grpc.RpcError as exc:
                assert exc.code() == grpc.StatusCode.INVALID_ARGUMENT, exc
                assert exc.details().startswith("too_large") and says in exc.details(), exc.details()
            else:
                raise AssertionError("the DOCX bomb was extracted")
