#!/usr/bin/env python3
"""Checks the deployment manifests without a cluster or a daemon.

- deploy/k8s/*.yaml: strict schema validation (kubernetes-validate, schemas shipped in the
  package, so offline) for KUBERNETES_VERSION, plus what a schema cannot see: three containers
  with probes, requests/limits and a restricted security context; every referenced ConfigMap,
  Secret and PVC defined; Service targetPorts exist; the ConfigMap's reddrum.toml is what the
  pod needs (loopback listeners, trusted_proxies = 127.0.0.1, password files in the mounted
  Secret); ports in the pod do not collide. A deliberately broken copy must fail validation
  (the validator really is strict).
- deploy/k8s/row/*.yaml (a row of racks): the same strict validation and the same checks for each
  rack's pod and the row's; each stack has its own ConfigMap, PVC and Secrets; every Service
  selects one pod and its targetPorts exist; each source of the row's config is a rack's Service,
  on one of its ports, leading to that rack's Apache HTTPS port, verified against the row CA; the
  row's timeout and concurrency are above the racks'; the NetworkPolicies, evaluated with
  Kubernetes' semantics, let the row reach every rack's HTTPS and keep racks from each other.
  Deliberately broken copies (a rack block copied without renaming, a source naming no Service,
  an egress rule on the Service's port, racks open to each other, ...) must fail those checks.
- compose.yaml: only Apache publishes ports; hardening, limits, secrets as files; the sim
  profile has >= 4 BMCs, each with its own management address; the config's addresses match.
- compose.row.yaml: the same hardening; the row off the management networks, its sources the
  racks' Apache over HTTPS with a ca_file, its timeout above the racks'.
- docker/sonic/*.json: the SONiC application extension manifest fields the package manager
  requires.
- apache/httpd.conf and apache/debian/reddrum.conf: the same TLS policy, headers and ProxyPass
  rules.
- The real binaries (target/debug, or REDDRUM_BIN_DIR) accept the shipped configurations, the
  row's and the racks' included (`--check-config`, with the secret files stood in for by
  temporary ones).

Prints one line per check; exits 1 on any failure.
"""

import copy
import ipaddress
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import tomllib
import urllib.parse

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
KUBERNETES_VERSION = "1.30.0"
failures = []
passes = 0
_silent = []  # while would_fail() runs a check function on a broken copy: its results


def check(cond, what):
    global passes
    if _silent:
        _silent[-1].append(bool(cond))
        return
    if cond:
        passes += 1
        print(f"  ok   {what}")
    else:
        failures.append(what)
        print(f"  FAIL {what}")


def would_fail(fn, *args):
    """Runs a check function silently (on a deliberately broken copy): did any of its checks fail?"""
    _silent.append([])
    try:
        fn(*args)
    finally:
        results = _silent.pop()
    return not all(results)


def load_all(path):
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


# ---------------------------------------------------------------- Kubernetes
def k8s_schema_errors(doc):
    import kubernetes_validate

    try:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        return None
    except Exception as e:  # ValidationError, InvalidSchemaError, ...
        return str(e).splitlines()[0]


def schema_checked(paths):
    """Every document of the files, each validated strictly (one line per document)."""
    docs = []
    for path in paths:
        for doc in load_all(path):
            err = k8s_schema_errors(doc)
            check(err is None, f"{path.name}: {doc['kind']}/{doc['metadata']['name']} matches the schema"
                  + (f" ({err})" if err else ""))
            docs.append(doc)
    return docs


def index(docs):
    by_kind = {}
    for d in docs:
        by_kind.setdefault(d["kind"], {})[d["metadata"]["name"]] = d
    return by_kind


def pod_labels(dep):
    return dep["spec"]["template"]["metadata"]["labels"]


def container_ports(dep):
    """{port name: (containerPort, protocol)} over the pod's containers."""
    return {p["name"]: (p["containerPort"], p.get("protocol", "TCP"))
            for c in dep["spec"]["template"]["spec"]["containers"] for p in c.get("ports", [])}


def pod_config(dep, by_kind):
    """The reddrum.toml of the ConfigMap the pod mounts as its config volume (None if absent)."""
    vol = next((v for v in dep["spec"]["template"]["spec"]["volumes"] if v["name"] == "config"), {})
    cm = by_kind.get("ConfigMap", {}).get(vol.get("configMap", {}).get("name"))
    return tomllib.loads(cm["data"]["reddrum.toml"]) if cm else None


def selected_deployments(selector, by_kind):
    return [d for d in by_kind.get("Deployment", {}).values()
            if all(pod_labels(d).get(k) == v for k, v in selector.items())]


def check_stack(dep, by_kind, tag=""):
    """One aggregator pod (a rack, or a row): its shape, its references and the config it runs with."""
    spec = dep["spec"]
    pod = spec["template"]["spec"]
    check(spec.get("replicas") == 1 and spec.get("strategy", {}).get("type") == "Recreate",
          f"{tag}one replica, Recreate (SQLite on a ReadWriteOnce volume)")
    containers = {c["name"]: c for c in pod["containers"]}
    check(set(containers) == {"apache", "frontend-svc", "aggregator-svc"},
          f"{tag}one pod with apache, frontend-svc, aggregator-svc ({sorted(containers)})")
    psc = pod.get("securityContext", {})
    check(psc.get("runAsNonRoot") is True and psc.get("runAsUser") == 10001 and psc.get("fsGroup") == 10001,
          f"{tag}pod runs as 10001 with fsGroup 10001")
    for name, c in containers.items():
        res = c.get("resources", {})
        check(all(k in res.get(kind, {}) for kind in ("requests", "limits") for k in ("cpu", "memory")),
              f"{tag}{name}: cpu and memory requests and limits")
        check("readinessProbe" in c and "livenessProbe" in c, f"{tag}{name}: readiness and liveness probes")
        sc = c.get("securityContext", {})
        check(sc.get("readOnlyRootFilesystem") is True and sc.get("allowPrivilegeEscalation") is False
              and sc.get("capabilities", {}).get("drop") == ["ALL"],
              f"{tag}{name}: read-only root, no privilege escalation, no capabilities")
        check(c["image"].startswith("reddrum/"), f"{tag}{name}: image reddrum/* ({c['image']})")
        mounts = {m["mountPath"]: m["name"] for m in c.get("volumeMounts", [])}
        check("/tmp" in mounts, f"{tag}{name}: /tmp is a volume (read-only root)")
        nested = [(a, b) for a in mounts for b in mounts if b.startswith(a.rstrip("/") + "/")]
        check(not nested, f"{tag}{name}: no volume mounted inside another (a read-only volume takes no mountpoint)"
              + (f" {nested}" if nested else ""))
        for probe in ("readinessProbe", "livenessProbe"):
            cmd = c.get(probe, {}).get("exec", {}).get("command")
            if cmd:
                check(cmd[0].startswith("/usr/local/bin/"), f"{tag}{name}: {probe} runs a binary of the image ({cmd[0]})")

    volumes = {v["name"]: v for v in pod["volumes"]}
    for c in containers.values():
        for m in c.get("volumeMounts", []):
            check(m["name"] in volumes, f"{tag}{c['name']}: volume {m['name']} is defined")
    for v in volumes.values():
        if "configMap" in v:
            check(v["configMap"]["name"] in by_kind.get("ConfigMap", {}), f"{tag}ConfigMap {v['configMap']['name']} is defined")
        if "secret" in v:
            check(v["secret"]["secretName"] in by_kind.get("Secret", {}),
                  f"{tag}Secret {v['secret']['secretName']} is defined (secrets.example.yaml)")
        if "persistentVolumeClaim" in v:
            check(v["persistentVolumeClaim"]["claimName"] in by_kind.get("PersistentVolumeClaim", {}),
                  f"{tag}PersistentVolumeClaim {v['persistentVolumeClaim']['claimName']} is defined")
    tls_mount = next((m for m in containers["apache"].get("volumeMounts", []) if m["mountPath"] == "/etc/reddrum/tls"), {})
    tls_name = volumes.get(tls_mount.get("name"), {}).get("secret", {}).get("secretName")
    tls = by_kind.get("Secret", {}).get(tls_name, {})
    check(tls.get("type") == "kubernetes.io/tls", f"{tag}the TLS Secret ({tls_name}) is of type kubernetes.io/tls")

    env = {e["name"]: e["value"] for e in containers["apache"].get("env", [])}
    apache_ports = {p["name"]: p["containerPort"] for p in containers["apache"].get("ports", [])}
    others = [p for n, c in containers.items() if n != "apache" for p in c.get("ports", [])]
    check(not others and "https" in apache_ports and set(apache_ports) <= {"https", "http"},
          f"{tag}only Apache exposes container ports")
    redirect = env.get("REDDRUM_HTTP", "redirect") == "redirect"   # the image's default
    want = {"https": int(env.get("REDDRUM_HTTPS_PORT", 8443))}
    if redirect:
        want["http"] = int(env.get("REDDRUM_HTTP_PORT", 8080))
    check(apache_ports == want,
          f"{tag}Apache's container ports are its listeners (REDDRUM_HTTP={env.get('REDDRUM_HTTP', 'redirect')}: {want})")

    # The configuration the pod runs with.
    cfg = pod_config(dep, by_kind)
    check(cfg is not None, f"{tag}the config volume holds reddrum.toml")
    if cfg is None:
        return
    fe, agg = cfg["frontend"], cfg["aggregator"]
    check(fe["listen"].startswith("127.0.0.1:") and agg["grpc_listen"].startswith("127.0.0.1:"),
          f"{tag}frontend-svc and aggregator-svc listen on loopback only")
    check(fe["trusted_proxies"] == ["127.0.0.1"], f"{tag}trusted_proxies is Apache in the pod (127.0.0.1)")
    for name, section in (("frontend-svc", fe), ("aggregator-svc", agg)):
        ops = section.get("metrics_listen", "")
        check(ops.startswith("127.0.0.1:"), f"{tag}{name}: metrics_listen on loopback ({ops})")
        c = containers[name]
        for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
            cmd = c.get(probe, {}).get("exec", {}).get("command", [])
            check(cmd[1:] == ["--health-check", f"http://{ops}{path}"],
                  f"{tag}{name}: {probe} probes {path} on metrics_listen ({cmd})")
    check(fe["aggregator_endpoint"].endswith(agg["grpc_listen"].split(":")[1]), f"{tag}aggregator_endpoint matches grpc_listen")
    check(env.get("REDDRUM_FRONTEND_URL") == f"http://{fe['listen']}", f"{tag}Apache proxies to frontend-svc's listen address")
    used = [int(fe["listen"].rsplit(":", 1)[1]), int(agg["grpc_listen"].rsplit(":", 1)[1]),
            int(fe["metrics_listen"].rsplit(":", 1)[1]), int(agg["metrics_listen"].rsplit(":", 1)[1]),
            int(env["REDDRUM_HTTPS_PORT"]), int(env["REDDRUM_STATUS_PORT"])]
    if redirect:
        used.append(int(env["REDDRUM_HTTP_PORT"]))
    check(len(set(used)) == len(used), f"{tag}no two listeners share a port in the pod ({used})")

    def secret_key_mounted(container, f):
        """Whether file f is a key of a Secret mounted in the container that reads it."""
        for m in containers[container].get("volumeMounts", []):
            secret = volumes.get(m["name"], {}).get("secret")
            if f and secret and f.startswith(m["mountPath"] + "/"):
                s = by_kind.get("Secret", {}).get(secret["secretName"], {})
                return f[len(m["mountPath"]) + 1:] in s.get("stringData", s.get("data", {}))
        return False

    files = [("frontend-svc", fe.get("bootstrap_admin", {}).get("password_file"))]
    files += [("aggregator-svc", b.get("password_file")) for b in agg.get("bmcs", [])]
    for container, f in files:
        check(secret_key_mounted(container, f), f"{tag}password_file {f} is a key of a Secret mounted in {container}")
    for b in agg.get("bmcs", []):
        check(("password" in b) != ("password_file" in b), f"{tag}BMC {b['id']}: exactly one of password, password_file")
        if "ca_file" in b:
            check(secret_key_mounted("aggregator-svc", b["ca_file"]),
                  f"{tag}BMC {b['id']}: ca_file {b['ca_file']} is a key of a Secret mounted in aggregator-svc")


def check_services(by_kind):
    """Each Service selects exactly one Deployment's pod, and its targetPorts are that pod's ports."""
    many = len(by_kind.get("Deployment", {})) > 1
    for svc in by_kind.get("Service", {}).values():
        name = svc["metadata"]["name"]
        deps = selected_deployments(svc["spec"]["selector"], by_kind)
        check(len(deps) == 1, f"Service {name} selects the pod"
              + (f" ({len(deps)} Deployments match)" if len(deps) != 1 else f" of {deps[0]['metadata']['name']}" if many else ""))
        ports = container_ports(deps[0]) if len(deps) == 1 else {}
        for p in svc["spec"]["ports"]:
            check(p["targetPort"] in ports or p["targetPort"] in [n for n, _ in ports.values()],
                  f"Service {name + ' ' if many else ''}port {p['port']} -> container port '{p['targetPort']}' exists")


def check_k8s():
    print(f"== deploy/k8s (Kubernetes {KUBERNETES_VERSION}, strict)")
    docs = schema_checked(sorted((ROOT / "deploy/k8s").glob("*.yaml")))
    by_kind = index(docs)

    # The validator must reject what it should.
    dep = next(iter(by_kind.get("Deployment", {}).values()), None)
    check(dep is not None, "a Deployment is defined")
    if dep is None:
        return
    broken = copy.deepcopy(dep)
    broken["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGett"] = {}
    check(k8s_schema_errors(broken) is not None, "strict validation rejects an unknown field")
    broken = copy.deepcopy(dep)
    broken["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"] = ["96Mi"]
    check(k8s_schema_errors(broken) is not None, "validation rejects a wrongly typed value")
    check_stack(dep, by_kind)
    check_services(by_kind)


# ---------------------------------------------------------------- Kubernetes: a row of racks
# The namespace the row's manifests are applied in (their headers: kubectl -n reddrum); the racks'
# Service names in the row's config carry it.
NAMESPACE = "reddrum"
ROW_NAME = "reddrum-row"      # app.kubernetes.io/name of the row's pod
RACK_NAME = "reddrum-rack"    # app.kubernetes.io/name of every rack's pod


def sel_match(sel, labels):
    """A label selector (matchLabels and matchExpressions) against a label set."""
    if any(labels.get(k) != v for k, v in sel.get("matchLabels", {}).items()):
        return False
    for e in sel.get("matchExpressions", []):
        key, vals = e["key"], e.get("values", [])
        ok = {"In": key in labels and labels[key] in vals,
              "NotIn": key not in labels or labels[key] not in vals,
              "Exists": key in labels,
              "DoesNotExist": key not in labels}[e["operator"]]
        if not ok:
            return False
    return True


def peer_matches(peer, policy_ns, other):
    """A NetworkPolicy peer against a pod ({ns, labels, ports}) or an address ({ip}). Pod
    addresses are taken to lie outside every ipBlock (the pod network is not a BMC network)."""
    if "ipBlock" in peer:
        if "ip" not in other:
            return False
        ip = ipaddress.ip_address(other["ip"])
        block = peer["ipBlock"]
        return ip in ipaddress.ip_network(block["cidr"]) and not any(
            ip in ipaddress.ip_network(x) for x in block.get("except", []))
    if "ip" in other:
        return False
    if "namespaceSelector" in peer:
        ns_ok = sel_match(peer["namespaceSelector"], {"kubernetes.io/metadata.name": other["ns"]})
    else:
        ns_ok = other["ns"] == policy_ns
    return ns_ok and sel_match(peer.get("podSelector", {}), other["labels"])


def port_matches(rule_ports, dst, port, proto):
    if not rule_ports:
        return True
    for p in rule_ports:
        if p.get("protocol", "TCP") != proto:
            continue
        if "port" not in p:
            return True
        want = p["port"]
        if isinstance(want, str):  # a named port of the destination pod
            want = dst.get("ports", {}).get(want, (None, None))
            want = want[0] if want[1] == proto else None
            if want is None:
                continue
        if want <= port <= p.get("endPort", want):
            return True
    return False


def policy_types(policy):
    spec = policy["spec"]
    return spec.get("policyTypes", ["Ingress"] + (["Egress"] if "egress" in spec else []))


def allowed(policies, src, dst, port, proto="TCP"):
    """Whether NetworkPolicy semantics let src open a connection to dst:port: the egress side
    (policies selecting src) and the ingress side (policies selecting dst) must both allow it."""
    def side(pod, kind, peers, other):
        if "ip" in pod:  # an address outside the cluster: no policy applies to it
            return True
        selecting = [p for p in policies if p["metadata"].get("namespace", NAMESPACE) == pod["ns"]
                     and kind in policy_types(p) and sel_match(p["spec"]["podSelector"], pod["labels"])]
        if not selecting:
            return True
        return any(port_matches(rule.get("ports"), dst, port, proto)
                   and (not rule.get(peers) or any(peer_matches(x, pod["ns"], other) for x in rule[peers]))
                   for p in selecting for rule in p["spec"].get(kind.lower(), []))
    return side(src, "Egress", "to", dst) and side(dst, "Ingress", "from", src)


def as_pod(dep):
    return {"ns": NAMESPACE, "labels": pod_labels(dep), "ports": container_ports(dep)}


def check_network(policies, row, racks, rack_cfgs, tag=""):
    """The connections a row of racks needs are allowed, and the ones it must not have are not."""
    dns = {"ns": "kube-system", "labels": {"k8s-app": "kube-dns"}, "ports": {"dns": (53, "UDP")}}
    operator = {"ns": "reddrum-ops", "labels": {"app": "rack-tool"}, "ports": {}}
    neighbour = {"ns": NAMESPACE, "labels": {"app": "something-else"}, "ports": {}}
    stranger = {"ns": "default", "labels": {"app": "something-else"}, "ports": {}}
    outside = {"ip": "203.0.113.7"}
    rp = as_pod(row)
    row_https = rp["ports"]["https"][0]
    check(allowed(policies, stranger, rp, row_https) and allowed(policies, {"ip": "203.0.113.7"}, rp, row_https),
                f"{tag}anyone reaches the row's HTTPS ({row_https})")
    check(allowed(policies, rp, dns, 53, "UDP"), f"{tag}the row resolves names (cluster DNS)")
    check(not allowed(policies, rp, dict(outside, ports={}), 443), f"{tag}the row reaches nothing outside the cluster")
    for dep in racks:
        name = dep["metadata"]["name"]
        p = as_pod(dep)
        https = p["ports"]["https"][0]
        check(allowed(policies, rp, p, https), f"{tag}the row reaches {name}'s HTTPS ({https})")
        check(allowed(policies, operator, p, https), f"{tag}the operators' namespace reaches {name}'s HTTPS")
        check(not any(allowed(policies, x, p, n, pr) for x in (stranger, neighbour)
                            for n, pr in p["ports"].values()),
                    f"{tag}no other pod (this namespace or another) reaches {name}")
        for other in racks:
            if other is not dep:
                q = as_pod(other)
                check(not any(allowed(policies, p, q, n, pr) for n, pr in q["ports"].values()),
                            f"{tag}{name} does not reach {other['metadata']['name']} (any port)")
        check(not allowed(policies, p, rp, row_https), f"{tag}{name} does not reach the row")
        check(allowed(policies, p, dns, 53, "UDP"), f"{tag}{name} resolves names (cluster DNS)")
        for b in rack_cfgs[name]["aggregator"].get("bmcs", []):
            u = urllib.parse.urlsplit(b["url"])
            check(allowed(policies, p, {"ip": u.hostname}, u.port or {"https": 443, "http": 80}[u.scheme]),
                        f"{tag}{name} reaches its BMC {b['id']} ({b['url']})")
        check(not allowed(policies, p, outside, 443), f"{tag}{name} reaches nothing outside its BMC network")


def check_unique(docs):
    names = [(d["kind"], d["metadata"]["name"]) for d in docs]
    dupes = sorted({n for n in names if names.count(n) > 1})
    check(not dupes, "every kind/name is defined once (a copied rack block renamed throughout)"
          + (f" {dupes}" if dupes else ""))


def check_exclusive(deps):
    """Each stack has its own config, state and secrets; Deployments do not select each other's pods."""
    users = {}
    for dep in deps.values():
        for v in dep["spec"]["template"]["spec"]["volumes"]:
            ref = (("ConfigMap", v["configMap"]["name"]) if "configMap" in v else
                   ("Secret", v["secret"]["secretName"]) if "secret" in v else
                   ("PersistentVolumeClaim", v["persistentVolumeClaim"]["claimName"]) if "persistentVolumeClaim" in v
                   else None)
            if ref:
                users.setdefault(ref, []).append(dep["metadata"]["name"])
    for (kind, name), who in sorted(users.items()):
        check(len(who) == 1, f"{kind} {name} belongs to one stack ({', '.join(who)})")
    for dep in deps.values():
        hits = [d["metadata"]["name"] for d in deps.values() if sel_match(dep["spec"]["selector"], pod_labels(d))]
        check(hits == [dep["metadata"]["name"]], f"Deployment {dep['metadata']['name']} selects its own pod only ({hits})")


def rack_services(by_kind, racks):
    """{Service name: (Service, rack Deployment)} for the Services that select one rack."""
    out = {}
    for s in by_kind.get("Service", {}).values():
        hit = selected_deployments(s["spec"]["selector"], by_kind)
        if len(hit) == 1 and hit[0] in racks:
            out[s["metadata"]["name"]] = (s, hit[0])
    return out


def check_row_sources(row_cfg, rack_cfgs, rack_svcs):
    """The row's sources are the racks' Services over HTTPS, trusted through the row CA; its
    timeouts and concurrency suit sources that are whole racks."""
    sources = row_cfg["aggregator"].get("bmcs", [])
    reached = set()
    for b in sources:
        tag = f"row source {b['id']}"
        u = urllib.parse.urlsplit(b["url"])
        host = u.hostname or ""
        svc_name = host.split(".")[0]
        check(re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,31}", b["id"]) is not None, f"{tag}: id of letters, digits, _ (no '-')")
        check(u.scheme == "https", f"{tag}: https ({b['url']})")
        check(svc_name in rack_svcs and host in (svc_name, f"{svc_name}.{NAMESPACE}", f"{svc_name}.{NAMESPACE}.svc",
                                                 f"{svc_name}.{NAMESPACE}.svc.cluster.local"),
              f"{tag}: url names a rack's Service ({host})")
        if svc_name not in rack_svcs:
            continue
        s, dep = rack_svcs[svc_name]
        reached.add(svc_name)
        port = u.port or 443
        sp = next((p for p in s["spec"]["ports"] if p["port"] == port), None)
        check(sp is not None, f"{tag}: port {port} is a port of Service {svc_name}")
        apache = next(c for c in dep["spec"]["template"]["spec"]["containers"] if c["name"] == "apache")
        env = {e["name"]: e["value"] for e in apache.get("env", [])}
        target = container_ports(dep).get(sp["targetPort"] if sp else None, (None,))[0]
        check(target == int(env.get("REDDRUM_HTTPS_PORT", 0)),
              f"{tag}: Service {svc_name}:{port} leads to the rack's Apache HTTPS port ({target})")
        check(env.get("REDDRUM_SERVER_NAME") == host, f"{tag}: the rack's Apache serves the name the row uses ({host})")
        check(b.get("username") == "row" and "password_file" in b, f"{tag}: the row's own account at the rack, password from a file")
        check("ca_file" in b and b.get("verify_tls", True) and not b.get("trust_on_first_use"),
              f"{tag}: the rack's certificate is verified against the row CA ({b.get('ca_file')})")
    check(reached == set(rack_svcs), f"every rack is a source of the row ({sorted(reached)} of {sorted(rack_svcs)})")
    check(len({b.get("ca_file") for b in sources}) == 1, "one row CA for every rack")
    ra, fa = row_cfg["aggregator"], row_cfg["frontend"]
    rack_timeout = max(c["aggregator"].get("request_timeout_ms", 30000) for c in rack_cfgs.values())
    rack_conc = max(c["aggregator"].get("per_bmc_concurrency", 4) for c in rack_cfgs.values())
    check(ra.get("request_timeout_ms", 30000) > rack_timeout,
          f"the row's request_timeout_ms is above the racks' ({ra.get('request_timeout_ms', 30000)} > {rack_timeout})")
    check(fa.get("request_timeout_ms", 60000) >= 2 * ra.get("request_timeout_ms", 30000),
          f"the row's frontend request_timeout_ms is twice its source timeout or more ({fa.get('request_timeout_ms', 60000)})")
    check(ra.get("per_bmc_concurrency", 4) > rack_conc,
          f"the row's per_bmc_concurrency is above the racks' (a source is a rack: {ra.get('per_bmc_concurrency', 4)} > {rack_conc})")
    rack = ra.get("rack", {})
    check(rack.get("chassis_type") == "Row" and rack.get("id") == "Row1",
          f"the row's enclosure is a Row chassis ({rack.get('id')}, {rack.get('chassis_type')})")


def check_k8s_row():
    print(f"== deploy/k8s/row (a row of racks; Kubernetes {KUBERNETES_VERSION}, strict)")
    docs = schema_checked(sorted((ROOT / "deploy/k8s/row").glob("*.yaml")))
    by_kind = index(docs)
    check_unique(docs)
    check(not any("namespace" in d["metadata"] for d in docs),
          f"no document pins a namespace (all go where kubectl -n {NAMESPACE} puts them)")
    deps = by_kind.get("Deployment", {})
    rows = [d for d in deps.values() if pod_labels(d).get("app.kubernetes.io/name") == ROW_NAME]
    racks = [d for d in deps.values() if pod_labels(d).get("app.kubernetes.io/name") == RACK_NAME]
    check(len(rows) == 1 and len(racks) >= 2 and len(rows) + len(racks) == len(deps),
          f"one row and at least two racks ({len(rows)} row, {len(racks)} racks, {len(deps)} Deployments)")
    if len(rows) != 1 or len(racks) < 2:
        return
    row = rows[0]
    for dep in rows + racks:
        check_stack(dep, by_kind, f"{dep['metadata']['name']}: ")
    check_services(by_kind)
    check_exclusive(deps)
    single = index(load_all(ROOT / "deploy/k8s/reddrum.yaml"))
    theirs_sel = ([s["spec"]["selector"] for s in single.get("Service", {}).values()]
                  + [p["spec"]["podSelector"].get("matchLabels", {}) for p in single.get("NetworkPolicy", {}).values()]
                  + [d["spec"]["selector"]["matchLabels"] for d in single.get("Deployment", {}).values()])
    ours_sel = ([s["spec"]["selector"] for s in by_kind.get("Service", {}).values()]
                + [p["spec"]["podSelector"].get("matchLabels", {}) for p in by_kind.get("NetworkPolicy", {}).values()]
                + [d["spec"]["selector"]["matchLabels"] for d in deps.values()])
    hit = lambda sels, pods: any(all(lab.get(k) == v for k, v in sel.items()) for sel in sels for lab in pods)
    check(not hit(theirs_sel, [pod_labels(d) for d in deps.values()])
          and not hit(ours_sel, [pod_labels(d) for d in single.get("Deployment", {}).values()]),
          "deploy/k8s/reddrum.yaml and the row select none of each other's pods (they may share the namespace)")

    row_cfg = pod_config(row, by_kind)
    rack_cfgs = {d["metadata"]["name"]: pod_config(d, by_kind) for d in racks}
    rack_svcs = rack_services(by_kind, racks)
    check_row_sources(row_cfg, rack_cfgs, rack_svcs)

    policies = list(by_kind.get("NetworkPolicy", {}).values())
    check(all("policyTypes" in p["spec"] for p in policies), "every NetworkPolicy names its policyTypes")
    check_network(policies, row, racks, rack_cfgs)

    # Deliberately broken copies: each must fail the checks above.
    def broken(what, fn, *args):
        check(would_fail(fn, *args), f"a broken copy fails: {what}")

    policy, svc = next(iter(by_kind["NetworkPolicy"].values())), next(iter(by_kind["Service"].values()))
    doc = copy.deepcopy(policy)
    doc["spec"]["ingres"] = doc["spec"].pop("ingress", doc["spec"].pop("egress", []))
    check(k8s_schema_errors(doc) is not None, "strict validation rejects a misspelled NetworkPolicy field")
    doc = copy.deepcopy(svc)
    doc["spec"]["ports"][0]["port"] = "443"
    check(k8s_schema_errors(doc) is not None, "validation rejects a Service port given as a string")
    rack_docs = [d for d in docs if d["metadata"].get("labels", {}).get("app.kubernetes.io/instance") == "rack-a"]
    broken("a rack block copied without renaming it", check_unique, docs + copy.deepcopy(rack_docs))
    kinds = copy.deepcopy(by_kind)
    del kinds["Secret"]["reddrum-row-ca"]
    broken("the row CA's Secret missing", check_stack, row, kinds, "")
    kinds = copy.deepcopy(by_kind)
    kinds["Service"][racks[0]["metadata"]["name"]]["spec"]["selector"]["app.kubernetes.io/instance"] = "rack-x"
    broken("a rack Service selecting no pod", check_services, kinds)
    kinds = copy.deepcopy(by_kind)
    kinds["Service"][racks[0]["metadata"]["name"]]["spec"]["ports"][0]["targetPort"] = "htps"
    broken("a rack Service's targetPort naming no container port", check_services, kinds)
    for what, edit in (
        ("a source naming no rack Service", lambda c: c["aggregator"]["bmcs"][0].update(url="https://reddrum-rack-z.reddrum.svc")),
        ("a source on the rack pod's port (8443) instead of its Service's", lambda c: c["aggregator"]["bmcs"][0].update(
            url=c["aggregator"]["bmcs"][0]["url"] + ":8443")),
        ("a rack left out of the row", lambda c: c["aggregator"]["bmcs"].pop()),
        ("a source with TLS verification off", lambda c: c["aggregator"]["bmcs"][0].update(verify_tls=False)),
        ("the row's timeout at the racks'", lambda c: c["aggregator"].update(request_timeout_ms=30000)),
        ("the row's per_bmc_concurrency at a BMC's default", lambda c: c["aggregator"].pop("per_bmc_concurrency")),
    ):
        cfg = copy.deepcopy(row_cfg)
        edit(cfg)
        broken(what, check_row_sources, cfg, rack_cfgs, rack_svcs)
    # The NetworkPolicy evaluation: the Service's port in the row's egress (policies see the pod's
    # port), and racks left open to each other.
    wrong_port = copy.deepcopy(policies)
    for p in wrong_port:
        for rule in p["spec"].get("egress", []):
            for port in rule.get("ports", []):
                if port.get("port") == 8443:
                    port["port"] = 443
    broken("the row's egress on the rack Service's port (443), not the pod's", check_network, wrong_port, row, racks, rack_cfgs)
    open_racks = [copy.deepcopy(p) for p in policies if "Egress" not in policy_types(p)
                  or p["spec"]["podSelector"].get("matchLabels", {}).get("app.kubernetes.io/name") != RACK_NAME]
    for p in open_racks:
        for rule in p["spec"].get("ingress", []):
            rule.pop("from", None)
    broken("racks without egress policies, open to any pod", check_network, open_racks, row, racks, rack_cfgs)


# ---------------------------------------------------------------- compose
def check_compose():
    print("== compose.yaml")
    doc = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = doc["services"]
    published = sorted(n for n, s in services.items() if s.get("ports"))
    check(published == ["apache"], f"only Apache publishes ports ({published})")
    core = ["apache", "frontend-svc", "aggregator-svc"]
    for n in core:
        check(n in services and not services[n].get("profiles"), f"{n} is in the default stack")
    bmcs = {n: s for n, s in services.items() if "sim" in s.get("profiles", [])}
    check(len(bmcs) >= 4, f"profile sim adds >= 4 BMC containers ({len(bmcs)})")
    for n, s in services.items():
        check(s.get("read_only") is True and "ALL" in s.get("cap_drop", []) and s.get("tmpfs"),
              f"{n}: read-only root, no capabilities, /tmp tmpfs")
        check(bool(s.get("cpus")) and bool(s.get("mem_limit")) and bool(s.get("pids_limit")), f"{n}: cpus, mem_limit, pids_limit")
        check(s.get("restart") == "unless-stopped", f"{n}: restart policy")
        test = s.get("healthcheck", {}).get("test", [])
        check(test[:1] == ["CMD"] and test[1].startswith("/usr/local/bin/"), f"{n}: health check runs the image's own probe")
        env = s.get("environment", {})
        check(not any("PASSWORD" in k.upper() and "FILE" not in k.upper() for k in env), f"{n}: no password in the environment")
    check(set(services["frontend-svc"].get("secrets", [])) == {"admin_password"}
          and set(services["aggregator-svc"].get("secrets", [])) == {"bmc_password"},
          "passwords are compose secrets, each only where it is used")
    check(all("file" in s for s in doc.get("secrets", {}).values()), "secrets come from files")
    nets = doc["networks"]
    check(nets["internal"].get("internal") is True, "the internal network has no route out")
    check(set(services["aggregator-svc"]["networks"]) == {"internal", "management"}
          and set(services["frontend-svc"]["networks"]) == {"internal"},
          "aggregator-svc alone reaches the management network")
    addrs = [s["networks"]["management"]["ipv4_address"] for s in bmcs.values()]
    check(len(set(addrs)) == len(addrs) == len(bmcs), f"each BMC has its own management address ({addrs})")
    check(all(set(s["networks"]) == {"management"} for s in bmcs.values()), "BMCs are on the management network only")
    check({"frontend-state", "aggregator-state"} <= set(doc.get("volumes", {})), "state volumes")
    cfg = tomllib.loads((ROOT / "docker/config/reddrum.toml").read_text())
    apache_ip = services["apache"]["networks"]["internal"]["ipv4_address"]
    check(cfg["frontend"]["trusted_proxies"] == [apache_ip], f"trusted_proxies is Apache's address ({apache_ip})")
    agg_ip = services["aggregator-svc"]["networks"]["internal"]["ipv4_address"]
    check(agg_ip in cfg["frontend"]["aggregator_endpoint"], "aggregator_endpoint is aggregator-svc's address")
    agg_mgmt = services["aggregator-svc"]["networks"]["management"]["ipv4_address"]
    inbound = cfg["aggregator"].get("events_inbound_listen", "")
    check(inbound.rsplit(":", 1)[0] == agg_mgmt and agg_mgmt in cfg["aggregator"].get("events_inbound_url", ""),
          f"the BMCs' event listener is on aggregator-svc's management address only ({inbound})")
    fe_ip = services["frontend-svc"]["networks"]["internal"]["ipv4_address"]
    check(fe_ip in services["apache"]["environment"]["REDDRUM_FRONTEND_URL"], "Apache proxies to frontend-svc's address")
    for name, section in (("frontend-svc", cfg["frontend"]), ("aggregator-svc", cfg["aggregator"])):
        port = section.get("metrics_listen", ":").rsplit(":", 1)[1]
        test = services[name].get("healthcheck", {}).get("test", [])
        check(test[2:] == ["--health-check", f"http://127.0.0.1:{port}/readyz"],
              f"{name}: health check is /readyz on its metrics_listen ({test})")
    def mounts(name):  # (source, target, read-only) of a service's short-syntax volumes
        out = []
        for v in services[name].get("volumes", []):
            ro = v.endswith(":ro")
            source, target = (v[:-3] if ro else v).rsplit(":", 1)
            out.append((source, target, ro))
        return out
    tls_mounts = {n: [m for m in mounts(n) if m[1] == "/etc/reddrum/tls"] for n in ("apache", "aggregator-svc")}
    manager = cfg["aggregator"].get("manager", {})
    check(all(len(v) == 1 for v in tls_mounts.values())
          and tls_mounts["apache"][0][0] == tls_mounts["aggregator-svc"][0][0]
          and not tls_mounts["aggregator-svc"][0][2],
          "Apache and aggregator-svc mount the same TLS directory (the aggregator's writable: ReplaceCertificate)")
    check(manager.get("tls_certificate") == "/etc/reddrum/tls/tls.crt" and manager.get("tls_key") == "/etc/reddrum/tls/tls.key",
          "the rack manager's tls_certificate/tls_key are Apache's files in that directory")
    urls = sorted(b["url"] for b in cfg["aggregator"]["bmcs"])
    check(urls == sorted(f"https://{a}" for a in addrs), "the config lists exactly the simulated BMCs")
    check(all("password_file" in b and "password" not in b for b in cfg["aggregator"]["bmcs"])
          and "password" not in cfg["frontend"].get("bootstrap_admin", {}),
          "the config holds no password, only password_file paths")


def check_compose_row():
    """compose.row.yaml (a row over two simulated racks): compose.yaml's hardening, the row off
    the management networks, its sources the racks' Apache over HTTPS trusted by a CA."""
    print("== compose.row.yaml")
    doc = yaml.safe_load((ROOT / "compose.row.yaml").read_text())
    services = doc["services"]
    published = sorted(n for n, s in services.items() if s.get("ports"))
    check(published == ["apache"] and all(p.startswith("${REDDRUM_HTTPS_BIND:-127.0.0.1}:") for p in services["apache"]["ports"]),
          f"only the row's Apache publishes a port, on loopback by default ({published})")
    for n, s in services.items():
        test = s.get("healthcheck", {}).get("test", [])
        env = s.get("environment", {})
        check(s.get("read_only") is True and "ALL" in s.get("cap_drop", []) and s.get("tmpfs")
              and s.get("cpus") and s.get("mem_limit") and s.get("pids_limit") and s.get("restart") == "unless-stopped"
              and test[:1] == ["CMD"] and test[1].startswith("/usr/local/bin/")
              and not any("PASSWORD" in k.upper() and "FILE" not in k.upper() for k in env),
              f"{n}: hardening, limits, restart, the image's own health check, no password in the environment")
    check(not any("management" in net for net in services["aggregator-svc"]["networks"]),
          "the row's aggregator-svc is on no management network")
    check(all("file" in s for s in doc.get("secrets", {}).values()), "secrets come from files")
    row = tomllib.loads((ROOT / "docker/config/row.toml").read_text())
    racks = {s["networks"]["row"]["ipv4_address"] for n, s in services.items()
             if n.endswith("-apache") and "row" in s.get("networks", {})}
    for b in row["aggregator"]["bmcs"]:
        host = re.match(r"https://([^:/]+)", b["url"])
        check(host and host.group(1) in racks and b.get("ca_file") and "password_file" in b,
              f"row source {b['id']}: a rack's Apache on the row network over HTTPS ({b['url']}), ca_file, password_file")
    for n in (1, 2):
        rack = tomllib.loads((ROOT / f"docker/config/row-rack{n}.toml").read_text())
        apache = services[f"rack{n}-apache"]["networks"][f"rack{n}-internal"]["ipv4_address"]
        check(rack["frontend"]["trusted_proxies"] == [apache], f"rack {n}: trusted_proxies is its Apache ({apache})")
        check(row["aggregator"]["request_timeout_ms"] > rack["aggregator"]["request_timeout_ms"],
              f"the row's request_timeout_ms is above rack {n}'s (README: Timeouts)")


# ---------------------------------------------------------------- SONiC
def check_sonic():
    print("== docker/sonic (SONiC application extension manifests)")
    names = {}
    for path in sorted((ROOT / "docker/sonic").glob("*.json")):
        m = json.loads(path.read_text().replace("@VERSION@", "0.1.0"))
        pkg, svc = m.get("package", {}), m.get("service", {})
        check(re.fullmatch(r"\d+\.\d+\.\d+", m.get("version", "")) is not None, f"{path.name}: manifest version")
        check(pkg.get("name") == svc.get("name") == path.stem, f"{path.name}: package.name = service.name = {path.stem}")
        check(re.fullmatch(r"\d+\.\d+\.\d+", pkg.get("version", "")) is not None, f"{path.name}: package.version is semver")
        for key in ("requires", "after", "before", "dependent-of"):
            check(isinstance(svc.get(key, []), list), f"{path.name}: service.{key} is a list")
        c = m.get("container", {})
        check(c.get("privileged", False) is False and isinstance(c.get("volumes", []), list)
              and isinstance(c.get("environment", {}), dict), f"{path.name}: container (unprivileged, volumes, environment)")
        names[path.stem] = m
    for name, m in names.items():
        for dep in m["package"].get("depends", []):
            check(dep["name"] in names, f"{name} depends on {dep['name']}, which is one of ours")
    check(set(names) == {"reddrum-apache", "reddrum-frontend", "reddrum-aggregator"}, "one manifest per service image")
    cfg = tomllib.loads((ROOT / "docker/sonic/reddrum.toml").read_text())
    env = names["reddrum-apache"]["container"]["environment"]
    check(env.get("REDDRUM_FRONTEND_URL") == f"http://{cfg['frontend']['listen']}"
          and cfg["frontend"]["listen"].startswith("127.0.0.1:") and cfg["aggregator"]["grpc_listen"].startswith("127.0.0.1:")
          and cfg["frontend"]["trusted_proxies"] == ["127.0.0.1"],
          "SONiC (host network): services on loopback, Apache proxies to frontend-svc, trusts only 127.0.0.1")
    ports = [cfg["frontend"]["listen"].rsplit(":", 1)[1], cfg["aggregator"]["grpc_listen"].rsplit(":", 1)[1],
             env["REDDRUM_HTTPS_PORT"], env["REDDRUM_STATUS_PORT"]]
    check(len(set(ports)) == len(ports) and "443" not in ports, f"SONiC: distinct ports, 443 left to SONiC ({ports})")


# ---------------------------------------------------------------- Apache
def directives(text, name):
    return [" ".join(line.split()[1:]) for line in text.splitlines()
            if line.strip().split(" ")[0] == name]


def check_apache():
    print("== apache/httpd.conf vs apache/debian/reddrum.conf")
    a = (ROOT / "apache/httpd.conf").read_text()
    b = (ROOT / "apache/debian/reddrum.conf").read_text()
    for d in ("SSLProtocol", "SSLCipherSuite", "SSLHonorCipherOrder", "RequestReadTimeout", "LimitRequestBody"):
        check(directives(a, d) == directives(b, d) and directives(a, d), f"same {d}")
    hdr = lambda t: sorted(set(x for x in directives(t, "Header") if "Retry-After" not in x))
    check(hdr(a) == hdr(b), "same security headers")
    for needle in ("Strict-Transport-Security", "X-Content-Type-Options", "X-Frame-Options"):
        check(needle in a and needle in b, f"{needle} set")
    norm = lambda t: [re.sub(r"\$\{REDDRUM_FRONTEND_URL\}", "F", x) for x in directives(t, "ProxyPass") + directives(t, "ProxyPassMatch")]
    check(norm(a) == norm(b), "same ProxyPass rules, in the same order")
    sse = [x for x in directives(a, "ProxyPass") if "EventService/SSE" in x]
    check(sse and "flushpackets=on" in sse[0], "SSE is flushed as it arrives")
    check(all("keepalive=On" in x for x in directives(a, "ProxyPass")), "every ProxyPass keeps connections alive")
    # frontend-svc closes connections idle for header_read_timeout_ms (30 s): Apache must let go first.
    check(all("ttl=20" in x for x in directives(a, "ProxyPass") + directives(a, "ProxyPassMatch")), "every ProxyPass closes idle connections before frontend-svc does")
    port = lambda t: [x.replace("${REDDRUM_PUBLIC_HTTPS_PORT}", "443") for x in directives(t, "RequestHeader")]
    check(port(a) == port(b), "same X-Forwarded-* handling")
    check('X-Forwarded-Proto "https"' in a, "X-Forwarded-Proto https")
    mods = re.search(r"a2enmod (.*)", b).group(1).split()
    loaded = [re.search(r"mod_(\w+)\.so", x).group(1) for x in directives(a, "LoadModule")]
    check(set(mods) <= set(loaded), f"the a2enmod list ({' '.join(mods)}) is loaded by httpd.conf too")


# ---------------------------------------------------------------- the binaries
def check_binaries():
    bin_dir = pathlib.Path(os.environ.get("REDDRUM_BIN_DIR", ROOT / "target/debug"))
    print(f"== the shipped configurations, as the binaries in {bin_dir} load them")
    bins = [bin_dir / "frontend-svc", bin_dir / "aggregator-svc"]
    if not all(b.is_file() for b in bins):
        print("  skip (no binaries built; scripts/test builds them first)")
        return
    docs = [d for d in load_all(ROOT / "deploy/k8s/reddrum.yaml") if d["kind"] == "ConfigMap"]
    configs = {
        "deploy/k8s ConfigMap": (docs[0]["data"]["reddrum.toml"], "/run/secrets/reddrum/"),
        "docker/config/reddrum.toml": ((ROOT / "docker/config/reddrum.toml").read_text(), "/run/secrets/"),
        "docker/sonic/reddrum.toml": ((ROOT / "docker/sonic/reddrum.toml").read_text(), "/etc/reddrum/secrets/"),
    }
    with tempfile.TemporaryDirectory() as tmp:
        for secret in ("admin_password", "bmc_password"):
            pathlib.Path(tmp, secret).write_text("not-a-real-password\n")
        # The TLS directory compose mounts (tls_certificate must exist, tls_key's directory too).
        tls_dir = pathlib.Path(tmp, "tls")
        tls_dir.mkdir()
        for name in ("tls.crt", "tls.key"):
            (tls_dir / name).write_text("")
        for label, (text, secrets_dir) in configs.items():
            path = pathlib.Path(tmp, "reddrum.toml")
            path.write_text(text.replace(secrets_dir, tmp + "/").replace("/etc/reddrum/tls/", f"{tls_dir}/"))
            for b in bins:
                env = {k: v for k, v in os.environ.items() if not k.startswith("REDDRUM_")}
                r = subprocess.run([str(b), "--config", str(path), "--check-config"],
                                   capture_output=True, text=True, env=env, timeout=60)
                check(r.returncode == 0, f"{b.name} accepts {label}" + ("" if r.returncode == 0 else f": {r.stderr.strip()}"))
        # And refuses a missing secret, naming the key.
        path.write_text(configs["docker/config/reddrum.toml"][0].replace("/etc/reddrum/tls/", f"{tls_dir}/"))
        r = subprocess.run([str(bins[1]), "--config", str(path), "--check-config"], capture_output=True, text=True,
                           env={k: v for k, v in os.environ.items() if not k.startswith("REDDRUM_")}, timeout=60)
        check(r.returncode == 2 and "password_file" in r.stderr,
              f"aggregator-svc refuses an unreadable password_file with exit 2 ({r.stderr.strip()})")
    check_row_binaries(bins)


def stand_in_secrets(dep, by_kind, tmp):
    """The pod's config with every mounted Secret stood in for by a directory of temporary files
    (one per key), as the Secret volumes would appear in the pod."""
    pod = dep["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    text = by_kind["ConfigMap"][volumes["config"]["configMap"]["name"]]["data"]["reddrum.toml"]
    for c in pod["containers"]:
        for m in c.get("volumeMounts", []):
            name = volumes[m["name"]].get("secret", {}).get("secretName")
            if not name:
                continue
            d = pathlib.Path(tmp, dep["metadata"]["name"], name)
            d.mkdir(parents=True, exist_ok=True)
            secret = by_kind["Secret"][name]
            for key in secret.get("stringData", secret.get("data", {})):
                (d / key).write_text("not-a-real-password\n" if "password" in key else "")
            text = text.replace(m["mountPath"] + "/", f"{d}/")
    return text


def run_check_config(binary, text, tmp):
    path = pathlib.Path(tmp, "reddrum.toml")
    path.write_text(text)
    env = {k: v for k, v in os.environ.items() if not k.startswith("REDDRUM_")}
    return subprocess.run([str(binary), "--config", str(path), "--check-config"],
                          capture_output=True, text=True, env=env, timeout=60)


def check_row_binaries(bins):
    """The row's and the racks' ConfigMaps (deploy/k8s/row), as the binaries load them."""
    by_kind = index([d for p in sorted((ROOT / "deploy/k8s/row").glob("*.yaml")) for d in load_all(p)])
    with tempfile.TemporaryDirectory() as tmp:
        for dep in by_kind.get("Deployment", {}).values():
            text = stand_in_secrets(dep, by_kind, tmp)
            for b in bins:
                r = run_check_config(b, text, tmp)
                check(r.returncode == 0, f"{b.name} accepts deploy/k8s/row {dep['metadata']['name']}'s ConfigMap"
                      + ("" if r.returncode == 0 else f": {r.stderr.strip()}"))
        # And refuses the row's config without the row CA mounted, naming the key.
        row = by_kind["Deployment"]["reddrum-row"]
        text = stand_in_secrets(row, by_kind, tmp)
        ca = tomllib.loads(text)["aggregator"]["bmcs"][0]["ca_file"]
        r = run_check_config(bins[1], text.replace(ca, ca + ".missing"), tmp)
        check(r.returncode == 2 and "ca_file" in r.stderr,
              f"aggregator-svc refuses the row's config without the row CA with exit 2 ({r.stderr.strip()})")


def main():
    check_binaries()
    check_k8s()
    check_k8s_row()
    check_compose()
    check_compose_row()
    check_sonic()
    check_apache()
    print(f"deploy manifests: {passes} checks ok, {len(failures)} failed")
    for f in failures:
        print(f"  failed: {f}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
