"""Serve Jiayuan with Daphne (HTTP and WebSocket), plus the periodic ticker.

The embedded default in one process: ``manage.py serve``. In production run
``serve --no-ticker`` in each ASGI process and one ``manage.py ticker``.
"""

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the ASGI server (Daphne) and, unless --no-ticker, the periodic jobs."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--fd", type=int, default=None, help="serve on an inherited socket")
        parser.add_argument("--no-ticker", action="store_true")
        parser.add_argument("--access-log", default=None, help="file for Daphne's access log")

    def handle(self, *args, **options):
        import daphne.cli
        from daphne.cli import CommandLineInterface

        from portal.accesslog import MaskingAccessLog
        from portal.periodic import start_ticker_thread

        # Daphne writes the full URI; a key in ?api_key= must not reach the file.
        daphne.cli.AccessLogGenerator = MaskingAccessLog

        if not options["no_ticker"]:
            start_ticker_thread()
        # A phone on a weak network, or a busy server, may take longer than
        # Daphne's default 5 s to finish a WebSocket handshake; the chat's
        # client retries anyway, but a dropped handshake is a 502 behind nginx.
        # No --proxy-headers: Daphne would take the left-most X-Forwarded-For,
        # the value a client writes itself. The connection's own address is
        # passed on, and portal.clientip believes a forwarded address only
        # when that connection comes from one of settings.TRUSTED_PROXIES.
        argv = ["--ping-interval", "20", "--ping-timeout", "30",
                "--websocket_connect_timeout", "20"]
        if options["fd"] is not None:
            argv += ["--fd", str(options["fd"])]
        else:
            argv += ["-b", options["host"], "-p", str(options["port"])]
        if options["access_log"]:
            argv += ["--access-log", options["access_log"]]
        argv.append("portal.asgi:application")
        CommandLineInterface().run(argv)
