# The web app, Celery worker and Celery beat image (docker-compose.yml). See docs/deployment.md.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN groupadd --gid 10001 app \
    && useradd --uid 10001 --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app

WORKDIR /app

# Dependencies first, from pyproject.toml alone, so that a code change does not reinstall them.
COPY pyproject.toml ./
RUN pip install .

COPY . .

# Translations (compiled with polib: no gettext; .mo files are build output, never committed) and static files
# are built into the image; whitenoise serves the hashed static files.
# The build-time SECRET_KEY only satisfies production settings for these two commands; it is not kept. Neither
# command connects to a database (the containers get DATABASE_URL; the image never starts the embedded server).
RUN python manage.py compile_translations -v 0 \
    && DJANGO_PRODUCTION=true SECRET_KEY="build-only-$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
       VAR_DIR=/tmp/build-var python manage.py collectstatic --noinput -v 0 \
    && rm -rf /tmp/build-var \
    && mkdir -p /app/var \
    && chown -R app:app /app/var

USER app

EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind=0.0.0.0:8000"]
