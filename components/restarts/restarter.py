# Coordinated restarts (components/restarts): of Synapse when its sharding
# changes (components/synapse/restart.ts), of MinIO when a pool is added
# (components/data/objectstore). Run by a Job in the Synapse image (it has
# Python) with a ServiceAccount allowed only what this needs, in one namespace.
# APP is the app.kubernetes.io/name of the workloads.
#   restarter.py all NAMESPACE APP POD_SELECTOR ANNOTATION CHECKSUM
#     If any pod matching POD_SELECTOR has ANNOTATION other than CHECKSUM:
#     record every APP workload's replicas, scale all its StatefulSets and
#     Deployments to 0, wait until no APP pod is left, scale them back.
#     Re-runnable: the recorded counts survive a failed attempt.
#   restarter.py rolling NAMESPACE APP
#     Delete StatefulSet pods not at their StatefulSet's update revision, one
#     at a time, each time waiting for its replacement to be ready.
import json
import ssl
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

SA = "/var/run/secrets/kubernetes.io/serviceaccount"
API = "https://kubernetes.default.svc"
SAVED = "matrix-scale.io/replicas-before-restart"
WAIT_SECONDS = 900


def call(method, path, body=None):
    bearer = open(SA + "/token").read().strip()
    req = urllib.request.Request(
        API + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": "Bearer " + bearer, "Content-Type": "application/merge-patch+json", "Accept": "application/json"},
    )
    with urllib.request.urlopen(req, context=ssl.create_default_context(cafile=SA + "/ca.crt"), timeout=30) as r:
        return json.load(r)


def items(path, selector):
    return call("GET", path + "?labelSelector=" + urllib.parse.quote(selector))["items"]


def wait(what, done):
    deadline = time.time() + WAIT_SECONDS
    while not done():
        if time.time() > deadline:
            raise SystemExit("timed out waiting for " + what)
        time.sleep(5)


def app_selector(app):
    return "app.kubernetes.io/name=" + app


def restart_all(ns, app, pod_selector, annotation, want):
    selector = app_selector(app)
    pods = items("/api/v1/namespaces/%s/pods" % ns, pod_selector)
    stale = [p["metadata"]["name"] for p in pods if p["metadata"].get("annotations", {}).get(annotation) != want]
    workloads = ["/apis/apps/v1/namespaces/%s/%s/%s" % (ns, kind, w["metadata"]["name"])
                 for kind in ("statefulsets", "deployments") for w in items("/apis/apps/v1/namespaces/%s/%s" % (ns, kind), selector)]
    saved = [w for w in workloads if SAVED in call("GET", w)["metadata"].get("annotations", {})]
    if not stale and not saved:
        print("every", app, "pod already runs", annotation, want)
        return
    print("stopping every", app, "pod together; stale:", ", ".join(stale) or "none (resuming an interrupted restart)")
    for w in workloads:
        obj = call("GET", w)
        if SAVED not in obj["metadata"].get("annotations", {}):
            call("PATCH", w, {"metadata": {"annotations": {SAVED: str(obj["spec"].get("replicas", 1))}}})
    for w in workloads:
        call("PATCH", w + "/scale", {"spec": {"replicas": 0}})
    wait("every %s pod to stop" % app, lambda: not items("/api/v1/namespaces/%s/pods" % ns, selector))
    for w in workloads:
        replicas = int(call("GET", w)["metadata"]["annotations"][SAVED])
        call("PATCH", w + "/scale", {"spec": {"replicas": replicas}})
        call("PATCH", w, {"metadata": {"annotations": {SAVED: None}}})
    print("every", app, "pod started with", annotation, want)


def ready(pod):
    return any(c["type"] == "Ready" and c["status"] == "True" for c in pod.get("status", {}).get("conditions", []))


def restart_rolling(ns, app):
    for sts in items("/apis/apps/v1/namespaces/%s/statefulsets" % ns, app_selector(app)):
        name = sts["metadata"]["name"]
        revision = sts.get("status", {}).get("updateRevision")
        selector = ",".join("%s=%s" % kv for kv in sts["spec"]["selector"]["matchLabels"].items())
        for pod in sorted(items("/api/v1/namespaces/%s/pods" % ns, selector), key=lambda p: p["metadata"]["name"]):
            pname = pod["metadata"]["name"]
            if pod["metadata"]["labels"].get("controller-revision-hash") == revision:
                continue
            print("restarting", pname, "of", name)
            call("DELETE", "/api/v1/namespaces/%s/pods/%s" % (ns, pname))

            def replaced():
                try:
                    p = call("GET", "/api/v1/namespaces/%s/pods/%s" % (ns, pname))
                except urllib.error.HTTPError as e:
                    if e.code == 404:
                        return False
                    raise
                return p["metadata"]["labels"].get("controller-revision-hash") == revision and ready(p)

            wait(pname + " to come back ready", replaced)


def main(argv):
    if len(argv) == 7 and argv[1] == "all":
        restart_all(*argv[2:])
    elif len(argv) == 4 and argv[1] == "rolling":
        restart_rolling(argv[2], argv[3])
    else:
        raise SystemExit("usage: restarter.py all NAMESPACE APP POD_SELECTOR ANNOTATION CHECKSUM | rolling NAMESPACE APP")


if __name__ == "__main__":
    main(sys.argv)
