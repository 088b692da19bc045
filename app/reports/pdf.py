"""Certificate PDFs (R-ENR-13): A4 landscape, IPAexGothic embedded (subset) so every reader shows
the Japanese text and it extracts back as text.

The font ships in `app/reports/fonts/` (IPAexGothic 3.01, IPA Font License Agreement v1.0, which
allows redistribution with the licence text beside it). The PDF is drawn from the certificate's
stored fields only, so the same certificate always renders the same content.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from fpdf import FPDF

from app.models import Certificate, CertificateKind

FONT_PATH = Path(__file__).parent / "fonts" / "ipaexg.ttf"
ISSUER = "学びオンライン事務局"
_BODY = {
    CertificateKind.completion: "あなたは本講座の全課程を修了されたことを証します。",
    CertificateKind.excellent: "あなたは本講座の全課程を優秀な成績で修了されたことを証します。",
}
_TITLE = {CertificateKind.completion: "修了証書", CertificateKind.excellent: "優秀修了証書"}


def japanese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def render_certificate(certificate: Certificate) -> bytes:
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_title(f"{_TITLE[certificate.kind]} {certificate.number}")
    pdf.set_creator("Manabi")
    pdf.add_font("IPAexGothic", fname=str(FONT_PATH))
    pdf.set_auto_page_break(auto=False)
    pdf.add_page()
    width = pdf.w - 40

    pdf.set_draw_color(120, 100, 40)
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, pdf.w - 20, pdf.h - 20)

    pdf.set_font("IPAexGothic", size=10)
    pdf.set_xy(20, 18)
    pdf.cell(width, 6, f"証書番号 {certificate.number}", align="R")

    pdf.set_font("IPAexGothic", size=36)
    pdf.set_xy(20, 40)
    pdf.cell(width, 18, _TITLE[certificate.kind], align="C")

    pdf.set_font("IPAexGothic", size=24)
    pdf.set_xy(20, 78)
    pdf.cell(width, 12, f"{certificate.learner_name} 様", align="C")

    pdf.set_font("IPAexGothic", size=16)
    pdf.set_xy(20, 102)
    pdf.cell(width, 10, f"講座名 {certificate.course_title}", align="C")
    pdf.set_xy(20, 120)
    pdf.cell(width, 10, _BODY[certificate.kind], align="C")

    pdf.set_font("IPAexGothic", size=14)
    pdf.set_xy(20, 150)
    pdf.cell(width, 8, f"修了日 {japanese_date(certificate.completed_on)}", align="C")
    pdf.set_xy(20, 170)
    pdf.cell(width, 8, ISSUER, align="R")
    return bytes(pdf.output())
