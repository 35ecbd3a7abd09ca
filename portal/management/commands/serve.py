"""Serve Jiayuan's ASGI application (HTTP and WebSocket), plus the periodic ticker.

The embedded default in one process: ``manage.py serve``. In production run
``serve --no-ticker`` in each ASGI process and one ``manage.py ticker``.

Three servers run the same Channels application: ``--server daphne``
(Twisted), ``uvicorn`` (uvloop and httptools) and ``granian`` (Rust, its own
worker process); ``ASGI_SERVER`` in the environment picks one when the option
is not given. A fourth, ``granian-wsgi``, serves only the pages, through
Django's WSGI handler (``portal.wsgi``) with a few threads: the production
topology runs it for HTTP and keeps ASGI processes for ``/ws/`` alone.
``scripts/load`` measures them side by side; the choice is the one the figures
made (README, "Production").

Whichever serves: no proxy headers. A server that believed X-Forwarded-For
would take the left-most value, the one a client writes itself; the
connection's own address is passed on, and ``portal.clientip`` believes a
forwarded address only when that connection comes from one of
``settings.TRUSTED_PROXIES``.
"""

import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portal import periodic
from portal.accesslog import MaskingAccessLog

SERVERS = ("daphne", "uvicorn", "granian", "granian-wsgi")
WSGI_APP = "portal.wsgi:application"
# Threads of a WSGI process: a page waiting on PostgreSQL lets another run.
WSGI_THREADS = 4
DEFAULT_SERVER = "daphne"
APP = "portal.asgi:application"
# A phone on a weak network, or a busy server, may take longer than a
# server's usual few seconds to answer pings or finish a WebSocket handshake;
# the chat's client retries anyway, but a dropped handshake is a 502 behind nginx.
PING_INTERVAL, PING_TIMEOUT, WS_CONNECT_TIMEOUT = 20, 30, 20


class Command(BaseCommand):
    help = "Run the ASGI server (Daphne, Uvicorn or Granian) and, unless --no-ticker, the periodic jobs."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--fd", type=int, default=None, help="serve on an inherited socket")
        parser.add_argument("--no-ticker", action="store_true")
        parser.add_argument("--access-log", default=None, help="file for the access log")
        parser.add_argument(
            "--server", choices=SERVERS, default=None,
            help=f"server (default: $ASGI_SERVER, else {DEFAULT_SERVER}); "
                 "granian-wsgi serves pages only, no WebSockets")

    def handle(self, *args, **options):
        server = options["server"] or os.environ.get("ASGI_SERVER") or DEFAULT_SERVER
        if server not in SERVERS:
            raise CommandError(f"ASGI_SERVER={server!r}: one of {', '.join(SERVERS)}")
        if server.startswith("granian"):
            # Granian imports the application in a worker process of its own:
            # a ticker thread here would enqueue into another process's
            # in-memory channel layer, and it cannot take an inherited socket.
            if not options["no_ticker"]:
                raise CommandError("granian serves from a worker process: use --no-ticker "
                                   "and run `manage.py ticker` beside it")
            if options["fd"] is not None:
                raise CommandError("granian cannot serve on an inherited socket (--fd)")
        if server == "granian-wsgi" and "InMemory" in settings.CHANNEL_LAYERS["default"]["BACKEND"]:
            # The sockets live in other processes: a message a page sends
            # must go through a layer they share.
            raise CommandError("granian-wsgi serves pages apart from the WebSockets: "
                               "it needs the Redis channel layer (REDIS_URL)")
        if not options["no_ticker"]:
            periodic.start_ticker_thread()  # looked up here: tests replace it
        getattr(self, f"_run_{server.replace('-', '_')}")(options)

    def _run_daphne(self, options) -> None:
        import daphne.cli  # noqa: PLC0415 (lazy: the chosen server only)
        from daphne.cli import CommandLineInterface  # noqa: PLC0415 (lazy: the chosen server only)

        # Daphne writes the full URI; a key in ?api_key= must not reach the file.
        daphne.cli.AccessLogGenerator = MaskingAccessLog

        argv = ["--ping-interval", str(PING_INTERVAL), "--ping-timeout", str(PING_TIMEOUT),
                "--websocket_connect_timeout", str(WS_CONNECT_TIMEOUT)]
        if options["fd"] is not None:
            argv += ["--fd", str(options["fd"])]
        else:
            argv += ["-b", options["host"], "-p", str(options["port"])]
        if options["access_log"]:
            argv += ["--access-log", options["access_log"]]
        argv.append(APP)
        CommandLineInterface().run(argv)

    def _run_uvicorn(self, options) -> None:
        import uvicorn  # noqa: PLC0415 (lazy: the chosen server only)

        log_config = dict(uvicorn.config.LOGGING_CONFIG)
        if options["access_log"]:
            log_config["handlers"] = {
                **log_config["handlers"],
                "access": {"formatter": "access", "class": "logging.FileHandler",
                           "filename": options["access_log"]},
            }
        where = ({"fd": options["fd"]} if options["fd"] is not None
                 else {"host": options["host"], "port": options["port"]})
        uvicorn.run(
            APP, **where, loop="uvloop", http="httptools", ws="websockets",
            ws_ping_interval=PING_INTERVAL, ws_ping_timeout=PING_TIMEOUT,
            # Channels' router has no "lifespan" scope.
            lifespan="off", proxy_headers=False, server_header=False,
            log_config=log_config, timeout_graceful_shutdown=15,
        )

    def _run_granian(self, options) -> None:
        from granian import Granian  # noqa: PLC0415 (lazy: the chosen server only)
        from granian.constants import Interfaces  # noqa: PLC0415 (lazy: the chosen server only)

        Granian(
            APP, address=options["host"], port=options["port"],
            # ASGI without lifespan: Channels' router has no "lifespan" scope.
            interface=Interfaces.ASGINL, workers=1, websockets=True,
            log_access=True, respawn_failed_workers=True, **self._granian_logging(options),
        ).serve()

    @staticmethod
    def _granian_logging(options) -> dict:
        if not options["access_log"]:
            return {}
        return {"log_dictconfig": {
            "version": 1, "disable_existing_loggers": False,
            "handlers": {"access": {"class": "logging.FileHandler",
                                    "filename": options["access_log"]}},
            "loggers": {"granian.access": {"handlers": ["access"], "level": "INFO",
                                           "propagate": False}},
        }}

    def _run_granian_wsgi(self, options) -> None:
        from granian import Granian  # noqa: PLC0415 (lazy: the chosen server only)
        from granian.constants import Interfaces  # noqa: PLC0415 (lazy: the chosen server only)

        Granian(
            WSGI_APP, address=options["host"], port=options["port"],
            interface=Interfaces.WSGI, workers=1, blocking_threads=WSGI_THREADS,
            # nginx logs every request already; a line per page through
            # Python's logging here cost about 6% of the process's time.
            websockets=False, log_access=bool(options["access_log"]),
            respawn_failed_workers=True,
            **self._granian_logging(options),
        ).serve()
