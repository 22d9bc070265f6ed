# The production image: web (gunicorn), worker and beat all run from it.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 COLDCHAIN_VAR_DIR=/var/lib/coldchain
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN mkdir -p /var/lib/coldchain && SECRET_KEY=build-only-not-secret python manage.py collectstatic --noinput -v 0
RUN useradd --system --home /app coldchain && chown -R coldchain /var/lib/coldchain
USER coldchain
EXPOSE 8000
CMD ["gunicorn", "coldchain.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "2", "--access-logfile", "-"]
