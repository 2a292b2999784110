"""Entry point for WSGI servers: `gunicorn wsgi:app`."""

from appraisal import create_app

app = create_app()
