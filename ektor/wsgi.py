import os

from django.core.wsgi import get_wsgi_application

from ektor.env import exit_on_configuration_error

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ektor.settings")
# gunicorn loads this module in its master (preload_app): a missing SECRET_KEY stops it with
# one line on stderr instead of a traceback per attempt.
with exit_on_configuration_error("ektor.wsgi"):
    application = get_wsgi_application()
