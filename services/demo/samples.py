"""Generated sample resumes and a sample job, for the demo and the tests.

Every person here is fictional. The PDFs are written by PyMuPDF; one of them is image-only (no text
layer at all), so the OCR path is exercised whenever the samples are screened.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pymupdf

SAMPLE_JOB = {
    "title": "Senior Backend Engineer (Python)",
    "description": (
        "We are hiring a senior backend engineer to build and run Python microservices. You will design "
        "REST and gRPC APIs, model data in PostgreSQL, run services on Kubernetes with Docker, and "
        "improve reliability of distributed systems with message queues such as NATS or Kafka. "
        "Experience with CI/CD, observability and mentoring engineers is valued."
    ),
    "required_skills": ["Python", "PostgreSQL", "Docker"],
    "preferred_skills": ["Kubernetes", "gRPC", "Apache Kafka", "AWS"],
    "min_years_experience": 4,
    # Each of the three is a must for this job: a resume without one fails the screen.
    "rules": {"required_skills": "hard"},
}


@dataclass
class SampleResume:
    filename: str
    lines: list[str]
    image_only: bool = False
    tags: list[str] = field(default_factory=list)


SAMPLE_RESUMES: list[SampleResume] = [
    SampleResume(
        "ada_quinlan.pdf",
        [
            "Ada Quinlan",
            "Senior Backend Engineer",
            "ada.quinlan@example.com | +1 415 555 0134 | San Francisco, CA",
            "linkedin.com/in/ada-quinlan-example | github.com/adaq-example",
            "Summary",
            "Backend engineer with eight years building Python services, PostgreSQL data models and "
            "event-driven systems on Kubernetes.",
            "Experience",
            "Staff Software Engineer | Northwind Logistics | Remote",
            "Jan 2021 - Present",
            "• Designed gRPC and REST APIs in Python (FastAPI) serving 3,000 requests per second",
            "• Ran 40 microservices on Kubernetes with Docker images built in CI/CD (GitHub Actions)",
            "• Moved order events to Apache Kafka and cut batch latency from hours to seconds",
            "Software Engineer | Bluebird Payments | Oakland, CA",
            "Mar 2016 - Dec 2020",
            "• Built payment reconciliation services in Python and PostgreSQL",
            "• Mentored four engineers; introduced Prometheus and Grafana dashboards",
            "Education",
            "B.S. in Computer Science, University of Washington, 2015",
            "Skills",
            "Python, PostgreSQL, Docker, Kubernetes, gRPC, Kafka, AWS, Redis, Terraform",
            "Projects",
            "Queue Inspector: open-source CLI in Python for inspecting NATS JetStream consumers",
        ],
        tags=["strong"],
    ),
    SampleResume(
        "bruno_takeda.pdf",
        [
            "Bruno Takeda",
            "Python Developer",
            "bruno.takeda@example.org | (312) 555-0188 | Chicago, IL",
            "Profile",
            "Developer focused on Django web applications and data pipelines.",
            "Work Experience",
            "Python Developer, Lakeside Analytics",
            "06/2019 - 05/2024",
            "- Built Django REST APIs backed by PostgreSQL",
            "- Wrote ETL jobs with pandas and Airflow",
            "- Packaged services with Docker for deployment on AWS",
            "Junior Developer, Prairie Web Studio",
            "2018 - 2019",
            "- Maintained WordPress and PHP sites",
            "Education",
            "Bachelor of Science in Information Systems, DePaul University, 2018",
            "Technical Skills",
            "Python; Django; PostgreSQL; Docker; AWS; pandas; Airflow; Git",
        ],
        tags=["good"],
    ),
    SampleResume(
        "carmen_velez.pdf",
        [
            "Carmen Velez",
            "Frontend Engineer",
            "carmen.velez@example.net | +44 20 7946 0958 | London, UK",
            "Summary",
            "Frontend engineer building accessible React and TypeScript applications.",
            "Experience",
            "Frontend Engineer | Thames Digital | London",
            "September 2020 - Present",
            "• Led migration of a large React app to TypeScript and Next.js",
            "• Built a design system in Figma and Storybook",
            "Web Developer | Camden Creative | London",
            "July 2017 - August 2020",
            "• Built marketing sites with HTML, CSS and JavaScript",
            "Education",
            "BA in Graphic Design, Kingston University, 2017",
            "Skills",
            "JavaScript, TypeScript, React, Next.js, CSS, Figma, Node.js",
        ],
        tags=["weak"],
    ),
    SampleResume(
        "dmitri_olsen.pdf",
        [
            "Dmitri Olsen",
            "Platform Engineer",
            "dmitri.olsen@example.com | +1 206 555 0147 | Seattle, WA",
            "Professional Summary",
            "Platform engineer running Kubernetes clusters and Go services; some Python automation.",
            "Professional Experience",
            "Platform Engineer | Cascade Cloud | Seattle, WA",
            "Feb 2020 - Present",
            "• Operated Kubernetes (EKS) clusters and Helm charts on AWS",
            "• Wrote Python and Bash automation; maintained Terraform modules",
            "Systems Administrator | Evergreen Hosting | Tacoma, WA",
            "May 2017 - Jan 2020",
            "• Administered Linux servers, Docker hosts and PostgreSQL backups",
            "Education",
            "B.S. Computer Engineering, Washington State University, 2017",
            "Skills",
            "Kubernetes, Docker, Terraform, AWS, Python, Linux, PostgreSQL, Prometheus",
        ],
        tags=["good"],
    ),
    SampleResume(
        "eliza_park_scan.pdf",
        [
            "Eliza Park",
            "Backend Engineer",
            "eliza.park@example.com | +1 617 555 0199 | Boston, MA",
            "Summary",
            "Backend engineer with six years of Python, PostgreSQL and Docker.",
            "Experience",
            "Backend Engineer | Harbor Health Tech | Boston, MA",
            "Apr 2018 - Present",
            "• Built Python microservices with gRPC and PostgreSQL",
            "• Containerized services with Docker and deployed them to Kubernetes",
            "Education",
            "M.S. in Computer Science, Boston University, 2018",
            "Skills",
            "Python, PostgreSQL, Docker, gRPC, Kubernetes",
        ],
        image_only=True,
        tags=["strong", "ocr"],
    ),
    SampleResume(
        "farah_nadeem.pdf",
        [
            "Farah Nadeem",
            "Staff Accountant",
            "farah.nadeem@example.com | +1 713 555 0102 | Houston, TX",
            "Summary",
            "Accountant with five years of general ledger, reconciliation and month-end close experience.",
            "Experience",
            "Staff Accountant | Gulf Coast Supply | Houston, TX",
            "Jan 2019 - Present",
            "• Prepared journal entries, account reconciliations and financial statements",
            "• Managed accounts payable for 300 vendors in QuickBooks",
            "Education",
            "Bachelor of Business Administration in Accounting, University of Houston, 2018",
            "Skills",
            "General Ledger, Reconciliation, QuickBooks, Excel, Accounts Payable",
        ],
        tags=["unrelated"],
    ),
]


def render_pdf(lines: list[str], *, image_only: bool = False) -> bytes:
    """Write resume lines to a one- or two-page PDF; image_only rasterizes it with no text layer."""
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    y = 60.0
    for index, line in enumerate(lines):
        is_heading = (
            index > 0
            and len(line.split()) <= 3
            and not line.startswith(("•", "-"))
            and line[0].isupper()
            and line.rstrip(":").title() == line.rstrip(":")
        )
        size = 18 if index == 0 else (13 if is_heading else 10.5)
        if is_heading:
            y += 8
        wrapped = wrap_words(line, 95 if size < 12 else 60)
        for part in wrapped:
            if y > 800:
                page = doc.new_page(width=595, height=842)
                y = 60.0
            page.insert_text((50, y), part, fontsize=size, fontname="hebo" if size > 11 else "helv")
            y += size + 5
    data = doc.tobytes()
    doc.close()
    if not image_only:
        return data
    source = pymupdf.open(stream=data, filetype="pdf")
    raster = pymupdf.open()
    for index in range(source.page_count):
        src_page = source[index]
        pix = src_page.get_pixmap(dpi=200)
        out = raster.new_page(width=src_page.rect.width, height=src_page.rect.height)
        out.insert_image(out.rect, stream=pix.tobytes("png"))
    result = raster.tobytes(deflate=True)
    raster.close()
    source.close()
    return result


def wrap_words(text: str, width: int) -> list[str]:
    """Greedy word wrap to at most `width` characters a line."""
    words, lines, current = text.split(), [], ""
    for word in words:
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    return [*lines, current] if current else lines


def blank_pdf() -> bytes:
    """A valid PDF with one empty page: extraction must fail with no_text."""
    doc = pymupdf.open()
    doc.new_page()
    data = doc.tobytes()
    doc.close()
    return data


def write_samples(folder: Path) -> list[Path]:
    """Write every sample resume into `folder` and return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for sample in SAMPLE_RESUMES:
        path = folder / sample.filename
        path.write_bytes(render_pdf(sample.lines, image_only=sample.image_only))
        paths.append(path)
    return paths
