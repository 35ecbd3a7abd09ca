"""Django's WSGI application: the pages and forms, without WebSockets.

Where the production topology serves HTTP from WSGI processes
(``manage.py serve --server granian-wsgi``), its WebSockets go to ASGI
processes beside them (``portal.asgi``), and nginx sends ``/ws/`` there.
Measured on our 2 cores, a page costs about a fifth less CPU this way than
through the ASGI handler (README, "Production").
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.embedded")

application = get_wsgi_application()
