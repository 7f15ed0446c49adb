"""The reference view: POST inserts one row from a small JSON body; GET answers readiness."""

import json

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path

from yiwang.bench.reference.models import Note


def notes(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return JsonResponse({"ready": True})
    try:
        title = str(json.loads(request.body)["title"])[:200]
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"error": "title required"}, status=400)
    note = Note._default_manager.create(title=title)  # the app sits outside the mypy settings
    return JsonResponse({"id": note.pk}, status=201)


urlpatterns = [path("notes", notes)]
