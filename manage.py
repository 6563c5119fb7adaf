#!/usr/bin/env python
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # manage.py is the developer's tool: DEBUG unless the environment says otherwise.
    # gunicorn (config/wsgi.py) and Celery have no such default and refuse to start
    # without SECRET_KEY when DEBUG is off.
    os.environ.setdefault("DEBUG", "true")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
