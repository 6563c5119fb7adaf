# The production-like image used by docker-compose.yml (web, migrate, worker, beat).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first, so code changes do not reinstall them.
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .

# Static files belong to this version of the code, so they are built into the
# image (WhiteNoise serves them). collectstatic needs no database; the key is
# a throwaway used only for this build step.
RUN SECRET_KEY=collectstatic-build-step-only DEBUG=false STATIC_ROOT=/srv/jielong/static \
        python manage.py collectstatic --noinput \
    && useradd --system --uid 1000 --home-dir /app --shell /usr/sbin/nologin jielong \
    && mkdir -p /app/var /srv/jielong/media \
    && chown -R jielong:jielong /app/var /srv/jielong/media

USER jielong
EXPOSE 8000

CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
