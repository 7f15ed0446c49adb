"""The HTTP answer that hands over an uploaded material, shared by the applicant's and the staff's pages."""

from __future__ import annotations

from django.http import FileResponse

from yiwang.cases.models import Material


def material_download(material: Material) -> FileResponse:
    """The file as an attachment under its original name; never rendered inline (nosniff)."""
    response = FileResponse(material.file.open("rb"), as_attachment=True,
                            filename=material.filename or material.file.name or "material",
                            content_type=material.content_type or "application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    return response
