from django.db import models


class Note(models.Model):
    """The one row the reference view inserts."""

    title = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "reference"
        db_table = "bench_reference_note"
