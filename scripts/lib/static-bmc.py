#!/usr/bin/env python3
"""Dumps a BMC's Redfish tree to static files, for scripts/bench's nginx "BMC".

    static-bmc.py URL USER PASSWORD DIR

Crawls every `@odata.id` below /redfish/v1 from the ServiceRoot (GET with Basic auth, no TLS
verification: loopback bmc-sim) and writes each body to DIR/<path>/index.json, so nginx with
`try_files $uri/index.json` serves the same tree at the same paths. Prints the number of resources
and the path of the first ComputerSystem with its size.
"""
import base64
import json
import os
import ssl
import sys
import urllib.request
from urllib.parse import urlsplit

url, user, password, out = sys.argv[1:5]
auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
ctx = ssl._create_unverified_context()


def get(path):
    req = urllib.request.Request(url + path, headers={"Authorization": auth})
    with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
        return r.read()


def links(value):
    if isinstance(value, dict):
        for k, v in value.items():
            if k == "@odata.id" and isinstance(v, str):
                yield v
            else:
                yield from links(v)
    elif isinstance(value, list):
        for v in value:
            yield from links(v)


seen, queue, system = set(), ["/redfish/v1"], None
while queue:
    path = urlsplit(queue.pop()).path.rstrip("/")
    if path in seen or not path.startswith("/redfish/v1") or "$" in path or "#" in path:
        continue
    seen.add(path)
    try:
        body = get(path)
        doc = json.loads(body)
    except Exception:  # a link the BMC itself cannot serve stays a 404 on the static copy
        continue
    target = os.path.join(out, path.lstrip("/"))
    os.makedirs(target, exist_ok=True)
    with open(os.path.join(target, "index.json"), "wb") as f:
        f.write(body)
    if system is None and path.startswith("/redfish/v1/Systems/") and path.count("/") == 4:
        system = (path, len(body))
    queue.extend(links(doc))
print(f"{len(seen)} resources; system {system[0]} {system[1]} bytes" if system else f"{len(seen)} resources; no system")
