"""The web container's health check: `python -m config.healthcheck` exits 0 when /health/ answers 200.

It asks gunicorn directly, the way a load balancer would, so it must pass the production checks a proxied request
passes: a Host that ALLOWED_HOSTS accepts, and `X-Forwarded-Proto: https` so SECURE_SSL_REDIRECT does not answer
with a redirect. The standard library only: the slim image has no curl.
"""

import os
import sys
import urllib.error
import urllib.request


def host_for_check(allowed_hosts: str) -> str:
    """A concrete host name that ALLOWED_HOSTS accepts (`.example.dk` accepts `example.dk`; `*` any)."""
    for entry in (item.strip() for item in allowed_hosts.split(",")):
        if entry and entry != "*":
            return entry.lstrip(".")
    return "localhost"


def check(*, port: str, allowed_hosts: str, timeout: float = 5.0) -> tuple[bool, str]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/health/",
        headers={"Host": host_for_check(allowed_hosts), "X-Forwarded-Proto": "https"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status == 200, f"{response.status} {response.read(200).decode(errors='replace')}"
    except (urllib.error.URLError, OSError) as exc:
        return False, str(exc)


def main() -> int:
    ok, detail = check(port=os.environ.get("PORT", "8000"), allowed_hosts=os.environ.get("ALLOWED_HOSTS", ""))
    print(detail)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
