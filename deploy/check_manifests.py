#!/usr/bin/env python3
"""Checks the deployment manifests without a cluster or a daemon.

- deploy/k8s/*.yaml: strict schema validation (kubernetes-validate, schemas shipped in the
  package, so offline) for KUBERNETES_VERSION, plus what a schema cannot see: three containers
  with probes, requests/limits and a restricted security context; every referenced ConfigMap,
  Secret and PVC defined; Service targetPorts exist; the ConfigMap's reddrum.toml is what the
  pod needs (loopback listeners, trusted_proxies = 127.0.0.1, password files in the mounted
  Secret); ports in the pod do not collide. A deliberately broken copy must fail validation
  (the validator really is strict).
- compose.yaml: only Apache publishes ports; hardening, limits, secrets as files; the sim
  profile has >= 4 BMCs, each with its own management address; the config's addresses match.
- docker/sonic/*.json: the SONiC application extension manifest fields the package manager
  requires.
- apache/httpd.conf and apache/debian/reddrum.conf: the same TLS policy, headers and ProxyPass
  rules.
- The real binaries (target/debug, or REDDRUM_BIN_DIR) accept both shipped configurations
  (`--check-config`, with the secret files stood in for by temporary ones).

Prints one line per check; exits 1 on any failure.
"""

import copy
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import tomllib

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
KUBERNETES_VERSION = "1.30.0"
failures = []
passes = 0


def check(cond, what):
    global passes
    if cond:
        passes += 1
        print(f"  ok   {what}")
    else:
        failures.append(what)
        print(f"  FAIL {what}")


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


def check_k8s():
    print(f"== deploy/k8s (Kubernetes {KUBERNETES_VERSION}, strict)")
    docs = []
    for path in sorted((ROOT / "deploy/k8s").glob("*.yaml")):
        for doc in load_all(path):
            err = k8s_schema_errors(doc)
            check(err is None, f"{path.name}: {doc['kind']}/{doc['metadata']['name']} matches the schema"
                  + (f" ({err})" if err else ""))
            docs.append(doc)
    by_kind = {}
    for d in docs:
        by_kind.setdefault(d["kind"], {})[d["metadata"]["name"]] = d

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

    spec = dep["spec"]
    pod = spec["template"]["spec"]
    check(spec.get("replicas") == 1 and spec.get("strategy", {}).get("type") == "Recreate",
          "one replica, Recreate (SQLite on a ReadWriteOnce volume)")
    containers = {c["name"]: c for c in pod["containers"]}
    check(set(containers) == {"apache", "frontend-svc", "aggregator-svc"},
          f"one pod with apache, frontend-svc, aggregator-svc ({sorted(containers)})")
    psc = pod.get("securityContext", {})
    check(psc.get("runAsNonRoot") is True and psc.get("runAsUser") == 10001 and psc.get("fsGroup") == 10001,
          "pod runs as 10001 with fsGroup 10001")
    for name, c in containers.items():
        res = c.get("resources", {})
        check(all(k in res.get(kind, {}) for kind in ("requests", "limits") for k in ("cpu", "memory")),
              f"{name}: cpu and memory requests and limits")
        check("readinessProbe" in c and "livenessProbe" in c, f"{name}: readiness and liveness probes")
        sc = c.get("securityContext", {})
        check(sc.get("readOnlyRootFilesystem") is True and sc.get("allowPrivilegeEscalation") is False
              and sc.get("capabilities", {}).get("drop") == ["ALL"],
              f"{name}: read-only root, no privilege escalation, no capabilities")
        check(c["image"].startswith("reddrum/"), f"{name}: image reddrum/* ({c['image']})")
        mounts = {m["mountPath"]: m["name"] for m in c.get("volumeMounts", [])}
        check("/tmp" in mounts, f"{name}: /tmp is a volume (read-only root)")
        for probe in ("readinessProbe", "livenessProbe"):
            cmd = c.get(probe, {}).get("exec", {}).get("command")
            if cmd:
                check(cmd[0].startswith("/usr/local/bin/"), f"{name}: {probe} runs a binary of the image ({cmd[0]})")

    volumes = {v["name"]: v for v in pod["volumes"]}
    for c in containers.values():
        for m in c.get("volumeMounts", []):
            check(m["name"] in volumes, f"{c['name']}: volume {m['name']} is defined")
    for v in volumes.values():
        if "configMap" in v:
            check(v["configMap"]["name"] in by_kind.get("ConfigMap", {}), f"ConfigMap {v['configMap']['name']} is defined")
        if "secret" in v:
            check(v["secret"]["secretName"] in by_kind.get("Secret", {}),
                  f"Secret {v['secret']['secretName']} is defined (secrets.example.yaml)")
        if "persistentVolumeClaim" in v:
            check(v["persistentVolumeClaim"]["claimName"] in by_kind.get("PersistentVolumeClaim", {}),
                  f"PersistentVolumeClaim {v['persistentVolumeClaim']['claimName']} is defined")
    tls = by_kind.get("Secret", {}).get("reddrum-tls", {})
    check(tls.get("type") == "kubernetes.io/tls", "the TLS Secret is of type kubernetes.io/tls")

    ports = {p["name"]: p["containerPort"] for c in containers.values() for p in c.get("ports", [])}
    for svc in by_kind.get("Service", {}).values():
        check(all(dep["spec"]["template"]["metadata"]["labels"].get(k) == v
                  for k, v in svc["spec"]["selector"].items()),
              f"Service {svc['metadata']['name']} selects the pod")
        for p in svc["spec"]["ports"]:
            check(p["targetPort"] in ports, f"Service port {p['port']} -> container port '{p['targetPort']}' exists")
    check(set(ports) == {"https", "http"}, "only Apache exposes container ports")

    # The configuration the pod runs with.
    cm = next(iter(by_kind.get("ConfigMap", {}).values()))
    cfg = tomllib.loads(cm["data"]["reddrum.toml"])
    fe, agg = cfg["frontend"], cfg["aggregator"]
    check(fe["listen"].startswith("127.0.0.1:") and agg["grpc_listen"].startswith("127.0.0.1:"),
          "frontend-svc and aggregator-svc listen on loopback only")
    check(fe["trusted_proxies"] == ["127.0.0.1"], "trusted_proxies is Apache in the pod (127.0.0.1)")
    for name, section in (("frontend-svc", fe), ("aggregator-svc", agg)):
        ops = section.get("metrics_listen", "")
        check(ops.startswith("127.0.0.1:"), f"{name}: metrics_listen on loopback ({ops})")
        c = containers[name]
        for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
            cmd = c.get(probe, {}).get("exec", {}).get("command", [])
            check(cmd[1:] == ["--health-check", f"http://{ops}{path}"],
                  f"{name}: {probe} probes {path} on metrics_listen ({cmd})")
    check(fe["aggregator_endpoint"].endswith(agg["grpc_listen"].split(":")[1]), "aggregator_endpoint matches grpc_listen")
    env = {e["name"]: e["value"] for e in containers["apache"].get("env", [])}
    check(env.get("REDDRUM_FRONTEND_URL") == f"http://{fe['listen']}", "Apache proxies to frontend-svc's listen address")
    used = [int(fe["listen"].rsplit(":", 1)[1]), int(agg["grpc_listen"].rsplit(":", 1)[1]),
            int(fe["metrics_listen"].rsplit(":", 1)[1]), int(agg["metrics_listen"].rsplit(":", 1)[1]),
            int(env["REDDRUM_HTTPS_PORT"]), int(env["REDDRUM_HTTP_PORT"]), int(env["REDDRUM_STATUS_PORT"])]
    check(len(set(used)) == len(used), f"no two listeners share a port in the pod ({used})")
    secret_mounts = {m["mountPath"]: volumes[m["name"]]["secret"]["secretName"]
                     for c in containers.values() for m in c.get("volumeMounts", [])
                     if "secret" in volumes.get(m["name"], {})}
    files = [fe.get("bootstrap_admin", {}).get("password_file")] + [b.get("password_file") for b in agg.get("bmcs", [])]
    for f in files:
        mount = next((mp for mp in secret_mounts if f and f.startswith(mp + "/")), None)
        key = f.rsplit("/", 1)[1] if f else None
        secret = by_kind.get("Secret", {}).get(secret_mounts.get(mount, ""), {})
        check(mount is not None and key in secret.get("stringData", secret.get("data", {})),
              f"password_file {f} is a key of a mounted Secret")
    for b in agg.get("bmcs", []):
        check(("password" in b) != ("password_file" in b), f"BMC {b['id']}: exactly one of password, password_file")


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


def main():
    check_binaries()
    check_k8s()
    check_compose()
    check_sonic()
    check_apache()
    print(f"deploy manifests: {passes} checks ok, {len(failures)} failed")
    for f in failures:
        print(f"  failed: {f}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
