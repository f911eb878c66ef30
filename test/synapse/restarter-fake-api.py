# Drives components/restarts/restarter.py (as Synapse runs it) against an in-memory Kubernetes API
# (its `call` replaced): a sharding change stops every workload, waits for no
# pod, restores the replicas; a current cluster is left alone; rolling mode
# deletes only pods behind their StatefulSet's revision. Prints one JSON line.
import importlib.util
import json
import sys

spec = importlib.util.spec_from_file_location("restarter", sys.argv[1])
r = importlib.util.module_from_spec(spec)
spec.loader.exec_module(r)
r.time.sleep = lambda s: None

NS = "matrix"
SHARDING = "matrix-scale.io/sharding-checksum"
NAMED = "matrix-scale.io/restart=coordinated"


def cluster(sharding, app="synapse", sts=None, deps=None, annotation=SHARDING):
    sts = {"synapse-main": 1, "synapse-event-persister": 2} if sts is None else sts
    deps = {"synapse-synchrotron": 3} if deps is None else deps
    pods = {}
    for name, n in sts.items():
        for i in range(n):
            value = sharding(name) if callable(sharding) else sharding
            pods["%s-%d" % (name, i)] = {"metadata": {"name": "%s-%d" % (name, i), "labels": {"app.kubernetes.io/name": app, "app.kubernetes.io/instance": name,
                                          "matrix-scale.io/restart": "coordinated", "controller-revision-hash": "old" if i == 0 else "new"},
                                          "annotations": {annotation: value}}, "status": {"conditions": [{"type": "Ready", "status": "True"}]}}
    for name, n in deps.items():
        for i in range(n):
            pods["%s-x%d" % (name, i)] = {"metadata": {"name": "%s-x%d" % (name, i), "labels": {"app.kubernetes.io/name": "synapse", "app.kubernetes.io/instance": name}}}
    work = {("statefulsets", k): {"metadata": {"name": k, "annotations": {}}, "spec": {"replicas": v, "selector": {"matchLabels": {"app.kubernetes.io/instance": k}}}, "status": {"updateRevision": "new"}} for k, v in sts.items()}
    work.update({("deployments", k): {"metadata": {"name": k, "annotations": {}}, "spec": {"replicas": v}} for k, v in deps.items()})
    return {"pods": pods, "work": work, "log": []}


def fake(state):
    def matches(labels, selector):
        return all(labels.get(k) == v for k, v in (kv.split("=") for kv in selector.split(",")))

    def items(path, selector):
        if path.endswith("/pods"):
            return [p for p in state["pods"].values() if matches(p["metadata"]["labels"], selector)]
        kind = path.rsplit("/", 1)[1]
        return [w for (k, _), w in state["work"].items() if k == kind]

    def call(method, path, body=None):
        parts = path.split("/")
        state["log"].append(method + " " + path + ("" if body is None else " " + json.dumps(body, sort_keys=True)))
        if "/pods/" in path:
            name = parts[-1]
            if method == "DELETE":
                old = state["pods"].pop(name)
                # The StatefulSet controller recreates it at the update revision.
                old["metadata"]["labels"]["controller-revision-hash"] = "new"
                state["pods"][name] = old
                return {}
            if name not in state["pods"]:
                raise r.urllib.error.HTTPError(path, 404, "not found", {}, None)
            return state["pods"][name]
        scale = parts[-1] == "scale"
        kind, name = (parts[-3], parts[-2]) if scale else (parts[-2], parts[-1])
        w = state["work"][(kind, name)]
        if method == "PATCH" and scale:
            w["spec"]["replicas"] = body["spec"]["replicas"]
            if body["spec"]["replicas"] == 0:
                for p in [p for p in state["pods"].values() if p["metadata"]["labels"]["app.kubernetes.io/instance"] == name]:
                    del state["pods"][p["metadata"]["name"]]
        elif method == "PATCH":
            for k, v in body["metadata"]["annotations"].items():
                if v is None:
                    w["metadata"]["annotations"].pop(k, None)
                else:
                    w["metadata"]["annotations"][k] = v
        return w

    r.call = call
    r.items = items


out = {}
s = cluster("s1")
fake(s)
r.restart_all(NS, "synapse", NAMED, SHARDING, "s1")
out["current"] = {"writes": [l for l in s["log"] if not l.startswith("GET")]}
s = cluster("s0")
fake(s)
r.restart_all(NS, "synapse", NAMED, SHARDING, "s1")
out["changed"] = {
    "scaledToZero": sorted(l.split()[1].split("/")[-2] for l in s["log"] if l.startswith("PATCH") and '"replicas": 0' in l),
    "replicasAfter": {k[1]: w["spec"]["replicas"] for k, w in s["work"].items()},
    "annotationsLeft": [k[1] for k, w in s["work"].items() if w["metadata"]["annotations"]],
}
s = cluster("s1")
fake(s)
r.restart_rolling(NS, "synapse")
out["rolling"] = sorted(l.split()[1].rsplit("/", 1)[1] for l in s["log"] if l.startswith("DELETE"))
# MinIO after a pool was added: the old pool's servers run the old pool list.
POOLS = "matrix-scale.io/pools-checksum"
MINIO = {"pool-0": 4, "pool-1": 4}
s = cluster(lambda name: "p2" if name == "pool-1" else "p1", "minio", MINIO, {}, POOLS)
fake(s)
r.restart_all("matrix-storage", "minio", "app.kubernetes.io/name=minio", POOLS, "p2")
out["minioAdded"] = {
    "scaledToZero": sorted(l.split()[1].split("/")[-2] for l in s["log"] if l.startswith("PATCH") and '"replicas": 0' in l),
    "replicasAfter": {k[1]: w["spec"]["replicas"] for k, w in s["work"].items()},
}
s = cluster("p2", "minio", MINIO, {}, POOLS)
fake(s)
r.restart_all("matrix-storage", "minio", "app.kubernetes.io/name=minio", POOLS, "p2")
out["minioCurrent"] = {"writes": [l for l in s["log"] if not l.startswith("GET")]}
print(json.dumps(out))
