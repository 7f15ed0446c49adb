"""`python -m yiwang.bench.reference`: create the reference table (run with the same environment as the server)."""

import os

import django
from django.core.management import call_command

os.environ["DJANGO_SETTINGS_MODULE"] = "yiwang.bench.reference.settings"
django.setup()
call_command("migrate", run_syncdb=True, interactive=False, verbosity=0)
