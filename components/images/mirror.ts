// Air-gapped images (matrix:images.registry): pure functions that move every
// container image and Helm chart the program deploys to one internal registry,
// under the same repository path. Mirror layout (what an operator pushes):
//
//   image  <host>/<path>:<tag>[@<digest>]  ->  <registry>/<path>:<tag>[@<digest>]
//          (Docker Hub's implicit names: redis:7 -> <registry>/library/redis:7,
//           grafana/loki -> <registry>/grafana/loki)
//   chart  oci://<host>/<path>/<chart>     ->  oci://<registry>/<path>/<chart>
//          <chart> from a classic https repo ->  oci://<registry>/charts/<chart>
//          (what `helm push <chart>-<version>.tgz oci://<registry>/charts` creates)
//
// Images that only exist inside a chart (its controllers, sidecars) are moved
// through that chart's own values (CHART_IMAGES below): a chart renders its
// manifests in Helm, where the program's manifest rewriting never sees them.

/** An image reference split the way container runtimes read it. */
export interface ImageRef {
    /** Registry host (with port), "docker.io" for Docker Hub's implicit names. */
    readonly domain: string;
    /** Repository path inside the registry ("library/redis" for the official "redis"). */
    readonly path: string;
    readonly tag?: string;
    /** "sha256:<hex>" */
    readonly digest?: string;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-fA-F0-9]{32,}$/;
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*(?::[0-9]{1,5})?$/;
/** Docker Hub under its other names. */
const DOCKER_HUB = new Set(["docker.io", "index.docker.io", "registry-1.docker.io"]);

/**
 * Docker's reading of a reference: the first path component is a registry
 * host only if it has a dot or a port or is "localhost"; otherwise the image is
 * on Docker Hub, and a single-component name is an official ("library/") image.
 * Throws on anything that is not a reference (the caller names the field).
 */
export function parseImageRef(ref: string): ImageRef {
    const bad = (why: string) => new Error(`${JSON.stringify(ref)} is not an image reference (${why})`);
    let rest = ref;
    let digest: string | undefined;
    const at = rest.indexOf("@");
    if (at >= 0) {
        digest = rest.slice(at + 1);
        rest = rest.slice(0, at);
        if (!DIGEST.test(digest)) throw bad(`digest ${JSON.stringify(digest)}`);
    }
    let tag: string | undefined;
    const colon = rest.lastIndexOf(":");
    if (colon > rest.lastIndexOf("/")) {
        tag = rest.slice(colon + 1);
        rest = rest.slice(0, colon);
        if (!TAG.test(tag)) throw bad(`tag ${JSON.stringify(tag)}`);
    }
    const parts = rest.split("/");
    let domain = "docker.io";
    if (parts.length > 1 && (parts[0].includes(".") || parts[0].includes(":") || parts[0] === "localhost")) {
        domain = parts.shift()!;
        if (!HOST.test(domain)) throw bad(`registry host ${JSON.stringify(domain)}`);
    }
    if (parts.length === 0 || parts.some((p) => !COMPONENT.test(p))) throw bad("repository path");
    if (DOCKER_HUB.has(domain)) {
        domain = "docker.io";
        if (parts.length === 1) parts.unshift("library");
    }
    return { domain, path: parts.join("/"), ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** Whether a reference already points into the registry (so mirroring twice changes nothing). */
function underRegistry(ref: string, registry: string): boolean {
    return ref.startsWith(`${registry}/`);
}

/**
 * The reference under `registry`, same repository path, tag and digest kept
 * (both, when the reference has both: the runtime pulls by digest, the tag
 * stays readable). `registry` is host[:port][/prefix], as matrix:images.registry.
 */
export function mirrorImage(ref: string, registry: string): string {
    if (underRegistry(ref, registry)) return ref;
    const r = parseImageRef(ref);
    return `${registry}/${r.path}${r.tag !== undefined ? `:${r.tag}` : ""}${r.digest !== undefined ? `@${r.digest}` : ""}`;
}

/** A repository without tag (a chart's `image.repository` value, EnvoyProxy's imageRepository) under `registry`. */
export function mirrorRepository(repository: string, registry: string): string {
    if (underRegistry(repository, registry)) return repository;
    const r = parseImageRef(repository);
    if (r.tag !== undefined || r.digest !== undefined) throw new Error(`${JSON.stringify(repository)} is a repository with a tag or digest; expected a bare repository`);
    return `${registry}/${r.path}`;
}

/** A Helm chart as a release names it: classic repository + chart name, or an oci:// reference. */
export interface ChartSource {
    readonly chart: string;
    readonly version: string;
    /** Classic (https) chart repository; absent for an oci:// chart. */
    readonly repo?: string;
}

/** The chart's name ("gateway-helm" for oci://docker.io/envoyproxy/gateway-helm). */
export function chartName(chart: string): string {
    return chart.startsWith("oci://") ? chart.slice(chart.lastIndexOf("/") + 1) : chart;
}

/** Folder of the registry classic-repository charts are pushed to. */
export const MIRRORED_CHARTS_PATH = "charts";

/** The chart as an OCI reference under `registry` (see the layout at the top of this file); no repository options. */
export function mirrorChart(c: ChartSource, registry: string): ChartSource {
    if (c.chart.startsWith("oci://")) {
        const ref = c.chart.slice("oci://".length);
        if (underRegistry(ref, registry)) return { chart: c.chart, version: c.version };
        const slash = ref.indexOf("/");
        if (slash < 0) throw new Error(`${JSON.stringify(c.chart)} is not an oci:// chart reference with a path`);
        return { chart: `oci://${registry}/${ref.slice(slash + 1)}`, version: c.version };
    }
    if (c.chart.includes("/")) throw new Error(`${JSON.stringify(c.chart)}: expected a chart name with a repository, or an oci:// reference`);
    return { chart: `oci://${registry}/${MIRRORED_CHARTS_PATH}/${c.chart}`, version: c.version };
}

/**
 * How one of a chart's own images is moved, in the chart's own value keys.
 * `path` is the values path (dots between keys; no key the program sets holds a dot).
 */
export type ChartImage =
    /** `path` holds a full repository (host/path), tag from the chart: set the mirrored repository. */
    | { readonly kind: "repository"; readonly path: string; readonly repository: string }
    /** `path`.registry + `path`.repository: set the registry (the repository path is already the upstream one). */
    | { readonly kind: "registry"; readonly path: string; readonly registry: string; readonly repository: string }
    /** `path` holds a full image reference with tag (derived from the chart version): set the mirrored image. */
    | { readonly kind: "image"; readonly path: string; readonly image: (chartVersion: string) => string }
    /** `path` is the chart's registry override for all its images (charts the reference data does not hold; see the README). */
    | { readonly kind: "globalRegistry"; readonly path: string };

/** Entries for charts whose values hold full repositories at `<key>.image.repository` ("" for the top-level image). */
const repositories = (byKey: Readonly<Record<string, string>>): ChartImage[] =>
    Object.entries(byKey).map(([key, repository]) => ({ kind: "repository", path: key === "" ? "image.repository" : `${key}.image.repository`, repository }));

/**
 * Each chart's images, by chart name, in the chart's real value keys (tests
 * check every path and default against the chart's values.yaml in ../shared).
 * A chart the program installs without an entry here fails mirroring loudly.
 */
export const CHART_IMAGES: Readonly<Record<string, readonly ChartImage[]>> = {
    "cert-manager": repositories({
        "": "quay.io/jetstack/cert-manager-controller",
        webhook: "quay.io/jetstack/cert-manager-webhook",
        cainjector: "quay.io/jetstack/cert-manager-cainjector",
        acmesolver: "quay.io/jetstack/cert-manager-acmesolver",
        startupapicheck: "quay.io/jetstack/cert-manager-startupapicheck",
    }),
    "cloudnative-pg": repositories({ "": "ghcr.io/cloudnative-pg/cloudnative-pg" }),
    "plugin-barman-cloud": [
        { kind: "registry", path: "image", registry: "ghcr.io", repository: "cloudnative-pg/plugin-barman-cloud" },
        { kind: "registry", path: "sidecarImage", registry: "ghcr.io", repository: "cloudnative-pg/plugin-barman-cloud-sidecar" },
    ],
    // The controller (its chart fills global.images.envoyGateway.image with this at release). The
    // proxies' image is the EnvoyProxy resource's imageRepository (components/edge), rewritten with
    // every other manifest image; the rate limiter is not deployed (no rate-limit policy).
    "gateway-helm": [{ kind: "image", path: "global.images.envoyGateway.image", image: (v) => `docker.io/envoyproxy/gateway:${v}` }],
    // Every image the chart can render (most are off in this stack); digests in the chart's values stay valid on the mirror.
    cilium: repositories({
        "": "quay.io/cilium/cilium",
        operator: "quay.io/cilium/operator",
        envoy: "quay.io/cilium/cilium-envoy",
        certgen: "quay.io/cilium/certgen",
        "hubble.relay": "quay.io/cilium/hubble-relay",
        "hubble.ui.backend": "quay.io/cilium/hubble-ui-backend",
        "hubble.ui.frontend": "quay.io/cilium/hubble-ui",
        nodeinit: "quay.io/cilium/startup-script",
        preflight: "quay.io/cilium/cilium",
        "preflight.envoy": "quay.io/cilium/cilium-envoy",
        "clustermesh.apiserver": "quay.io/cilium/clustermesh-apiserver",
    }),
    "aws-cloud-controller-manager": repositories({ "": "registry.k8s.io/provider-aws/cloud-controller-manager" }),
    "aws-ebs-csi-driver": repositories({
        "": "public.ecr.aws/ebs-csi-driver/aws-ebs-csi-driver",
        "sidecars.provisioner": "public.ecr.aws/csi-components/csi-provisioner",
        "sidecars.attacher": "public.ecr.aws/csi-components/csi-attacher",
        "sidecars.snapshotter": "public.ecr.aws/csi-components/csi-snapshotter",
        "sidecars.livenessProbe": "public.ecr.aws/csi-components/livenessprobe",
        "sidecars.resizer": "public.ecr.aws/csi-components/csi-resizer",
        "sidecars.nodeDriverRegistrar": "public.ecr.aws/csi-components/csi-node-driver-registrar",
        "sidecars.volumemodifier": "public.ecr.aws/ebs-csi-driver/volume-modifier-for-k8s",
    }),
    "metrics-server": repositories({ "": "registry.k8s.io/metrics-server/metrics-server", addonResizer: "registry.k8s.io/autoscaling/addon-resizer" }),
    // Registry-wide overrides; each image keeps its upstream repository path (quay.io/prometheus/prometheus
    // -> <registry>/prometheus/prometheus), and the subcharts (Grafana, kube-state-metrics, node-exporter) read global.imageRegistry too.
    "kube-prometheus-stack": [{ kind: "globalRegistry", path: "global.imageRegistry" }],
    loki: [{ kind: "globalRegistry", path: "global.imageRegistry" }],
    alloy: [{ kind: "globalRegistry", path: "global.image.registry" }],
    // CustomResourceDefinitions only (components/controllers): no image to move, the chart itself is mirrored.
    "prometheus-operator-crds": [],
};

/** Sets `value` at a dotted path in a copy of `values`, creating objects on the way. */
function setPath(values: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
    const [head, ...rest] = path.split(".");
    const here = values[head];
    return {
        ...values,
        [head]: rest.length === 0 ? value : setPath(typeof here === "object" && here !== null && !Array.isArray(here) ? (here as Record<string, unknown>) : {}, rest.join("."), value),
    };
}

/** The value each ChartImage sets under `registry`. */
export function chartImageValue(img: ChartImage, chartVersion: string, registry: string): { path: string; value: string } {
    switch (img.kind) {
        case "repository":
            return { path: img.path, value: mirrorRepository(img.repository, registry) };
        case "registry":
            // The chart renders <registry>/<repository>: the mirror's path equals the upstream one.
            return { path: `${img.path}.registry`, value: registry };
        case "image":
            return { path: img.path, value: mirrorImage(img.image(chartVersion), registry) };
        case "globalRegistry":
            return { path: img.path, value: registry };
    }
}

/** `values` with the chart's own images moved to `registry`. Throws for a chart without an entry in CHART_IMAGES. */
export function mirrorChartValues(chart: string, chartVersion: string, values: Record<string, unknown>, registry: string): Record<string, unknown> {
    const name = chartName(chart);
    const images = CHART_IMAGES[name];
    if (images === undefined) throw new Error(`chart ${JSON.stringify(name)} has no entry in CHART_IMAGES (components/images/mirror.ts): its images cannot be moved to ${registry}`);
    return images.reduce((v, img) => {
        const { path, value } = chartImageValue(img, chartVersion, registry);
        return setPath(v, path, value);
    }, values);
}

/** Keys whose string value in a Kubernetes manifest is a full image reference. */
export const IMAGE_KEYS: ReadonlySet<string> = new Set([
    "image", // containers, initContainers, ephemeralContainers (any pod template, CNPG Pooler templates)
    "imageName", // CNPG Cluster spec.imageName
]);
/** Keys whose string value is a repository without tag (Envoy Gateway's EnvoyProxy container). */
export const REPOSITORY_KEYS: ReadonlySet<string> = new Set(["imageRepository"]);

/**
 * A manifest with every image field moved to `registry`. `lift(v, f)` applies
 * `f` inside a value that is not plain data (a Pulumi output); by default such
 * values are left alone.
 */
export function mirrorManifest(value: unknown, registry: string, lift: (v: unknown, f: (inner: unknown) => unknown) => unknown = (v) => v): unknown {
    const field = (key: string, s: string) => (IMAGE_KEYS.has(key) ? mirrorImage(s, registry) : REPOSITORY_KEYS.has(key) ? mirrorRepository(s, registry) : s);
    const go = (v: unknown, key?: string): unknown => {
        if (typeof v === "string") return key === undefined ? v : field(key, v);
        if (typeof v !== "object" || v === null) return v;
        if (Array.isArray(v)) return v.map((x) => go(x));
        if (Object.getPrototypeOf(v) === Object.prototype) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, go(x, k)]));
        return lift(v, (inner) => go(inner, key));
    };
    return go(value);
}
