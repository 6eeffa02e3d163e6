"""Production entry point: ``gunicorn -w 4 wsgi:app`` (plus ``parkbot worker``)."""
import sys

from bot.app import create_app
from bot.config import ConfigError

try:
    app = create_app()
except ConfigError as exc:
    print(f"parkbot: {exc}", file=sys.stderr)
    sys.exit(2)
