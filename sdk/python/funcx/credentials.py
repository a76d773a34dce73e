"""Which hub and which token: FUNCX_HUB_URL / FUNCX_TOKEN, else $FUNCX_HOME/credentials.json (as the CLI)."""

import json
import os

from .errors import FuncxError

CREDENTIALS_FILE = "credentials.json"


def funcx_home(environ=None):
    environ = os.environ if environ is None else environ
    return environ.get("FUNCX_HOME") or os.path.join(os.path.expanduser("~"), ".funcx")


def load_credentials(hub_url=None, token=None, environ=None):
    """(hub_url, token): arguments first, then the environment, then credentials.json."""
    environ = os.environ if environ is None else environ
    path = os.path.join(funcx_home(environ), CREDENTIALS_FILE)
    stored = {}
    if not (hub_url or environ.get("FUNCX_HUB_URL")) or not (token or environ.get("FUNCX_TOKEN")):
        try:
            with open(path, encoding="utf-8") as file:
                text = file.read()
        except OSError:
            text = None
        if text is not None:
            try:
                stored = json.loads(text)
            except ValueError:
                raise FuncxError("FUNCX_BAD_REQUEST", "%s is not valid JSON: fix or delete it (the hub rewrites it "
                                 "when it starts)" % path) from None
            if not isinstance(stored, dict):
                stored = {}
    hub_url = hub_url or environ.get("FUNCX_HUB_URL") or stored.get("hub_url")
    token = token or environ.get("FUNCX_TOKEN") or stored.get("token")
    if not hub_url or not token:
        missing = "no hub URL or token" if not hub_url and not token else "no hub URL" if not hub_url else "no token"
        raise FuncxError(
            "FUNCX_UNAUTHORIZED",
            "%s: pass hub_url and token, set FUNCX_HUB_URL and FUNCX_TOKEN, or start the hub once (funcx-hub) so it "
            "writes %s" % (missing, path),
        )
    return hub_url, token
