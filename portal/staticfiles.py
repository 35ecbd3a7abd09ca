"""How long a browser keeps a static file that WhiteNoise serves.

collectstatic names every file after a hash of its content, so a changed file
has a new name and the old one never changes: WhiteNoise marks those
``immutable``. A year, as nginx says for the same files in production
(deploy/nginx/jiayuan.conf.in), rather than WhiteNoise's ten.
"""

A_YEAR = 365 * 24 * 60 * 60


def cache_hashed_files_a_year(headers, path: str, url: str) -> None:
    """``WHITENOISE_ADD_HEADERS_FUNCTION``: runs after WhiteNoise set its own headers."""
    if "immutable" in headers.get("Cache-Control", ""):
        headers["Cache-Control"] = f"public, max-age={A_YEAR}, immutable"
