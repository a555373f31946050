"""The connection string the chart's database bootstrapper reads from `astronomer-bootstrap`."""

from urllib.parse import quote

from .chart import POSTGRES_PORT


def bootstrap_connection(user: str, password: str, host: str, port: int = POSTGRES_PORT) -> str:
    """`postgres://USER:PASSWORD@HOST:PORT`, with no database name.

    The bootstrapper creates `<release>_houston` and the other databases itself, so the URL must
    not name one. User and password are percent-encoded: a generated password may contain any of
    `@ : / # %`, each of which would otherwise end or split a URL component.
    """
    if not host:
        raise ValueError("database host is empty")
    return f"postgres://{quote(user, safe='')}:{quote(password, safe='')}@{host}:{port}"
