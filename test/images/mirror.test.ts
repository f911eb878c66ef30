// mirrorImage / mirrorChart: the pure rules of matrix:images.registry.
import * as assert from "assert";
import { chartName, mirrorChart, mirrorChartValues, mirrorImage, mirrorManifest, mirrorRepository, parseImageRef } from "../../components/images/mirror";
import { parseStackConfig } from "../../config";

const REG = "registry.internal.example:5000/mirror";
const D = "sha256:" + "ab".repeat(32);

describe("mirrorImage", () => {
    const cases: [string, string][] = [
        ["quay.io/minio/minio:RELEASE.2025-09-07T16-13-09Z", `${REG}/minio/minio:RELEASE.2025-09-07T16-13-09Z`],
        // Docker Hub's implicit names: official images are library/.
        ["redis:7", `${REG}/library/redis:7`],
        ["docker.io/library/redis:7", `${REG}/library/redis:7`],
        ["index.docker.io/library/redis:7", `${REG}/library/redis:7`],
        ["docker.io/redis:7", `${REG}/library/redis:7`],
        ["vectorim/element-web:v1.12.32", `${REG}/vectorim/element-web:v1.12.32`],
        ["redis", `${REG}/library/redis`],
        // A port in the source registry host is not a tag.
        ["localhost:5000/team/app:1.0", `${REG}/team/app:1.0`],
        ["registry.example:443/app", `${REG}/app`],
        ["localhost/app:2", `${REG}/app:2`],
        // Digests kept; tag and digest both kept.
        [`ghcr.io/org/app@${D}`, `${REG}/org/app@${D}`],
        [`ghcr.io/org/app:1.2@${D}`, `${REG}/org/app:1.2@${D}`],
        [`postgres@${D}`, `${REG}/library/postgres@${D}`],
        // Deep paths stay whole.
        ["registry.k8s.io/provider-aws/cloud-controller-manager:v1.34.0", `${REG}/provider-aws/cloud-controller-manager:v1.34.0`],
        ["registry.k8s.io/kubectl:v1.33.5", `${REG}/kubectl:v1.33.5`],
        // A first component without dot, port or "localhost" is a Docker Hub organisation, not a host.
        ["myorg/app:1", `${REG}/myorg/app:1`],
    ];
    for (const [ref, want] of cases) it(`${ref} -> ${want}`, () => assert.strictEqual(mirrorImage(ref, REG), want));

    it("leaves a reference already under the registry alone (idempotent)", () => {
        const once = mirrorImage("quay.io/minio/minio:x", REG);
        assert.strictEqual(mirrorImage(once, REG), once);
        assert.strictEqual(mirrorImage("redis:7", "localhost:5000"), "localhost:5000/library/redis:7");
    });

    it("refuses what is not a reference", () => {
        for (const bad of ["", "Redis:7", "app:bad tag", "app@sha256:xyz", "ghcr.io//app", "app:"]) assert.throws(() => mirrorImage(bad, REG), /not an image reference/, bad);
    });

    it("parses as container runtimes do", () => {
        assert.deepStrictEqual(parseImageRef("redis:7"), { domain: "docker.io", path: "library/redis", tag: "7" });
        assert.deepStrictEqual(parseImageRef(`localhost:5000/a/b:1@${D}`), { domain: "localhost:5000", path: "a/b", tag: "1", digest: D });
    });

    it("mirrors bare repositories and refuses tagged ones there", () => {
        assert.strictEqual(mirrorRepository("docker.io/envoyproxy/envoy", REG), `${REG}/envoyproxy/envoy`);
        assert.throws(() => mirrorRepository("docker.io/envoyproxy/envoy:v1", REG), /repository with a tag/);
    });
});

describe("mirrorChart and chart values", () => {
    it("moves OCI charts under the same path and classic ones under charts/, without repository", () => {
        assert.deepStrictEqual(mirrorChart({ chart: "oci://docker.io/envoyproxy/gateway-helm", version: "v1.10.0" }, REG), { chart: `oci://${REG}/envoyproxy/gateway-helm`, version: "v1.10.0" });
        assert.deepStrictEqual(mirrorChart({ chart: "cert-manager", version: "v1.17.2", repo: "https://charts.jetstack.io" }, REG), { chart: `oci://${REG}/charts/cert-manager`, version: "v1.17.2" });
        assert.strictEqual(chartName("oci://docker.io/envoyproxy/gateway-helm"), "gateway-helm");
    });

    it("sets the chart's own image keys and keeps the release's values", () => {
        const v = mirrorChartValues("cert-manager", "v1.17.2", { crds: { enabled: true }, webhook: { replicaCount: 2 } }, REG);
        assert.deepStrictEqual(v.crds, { enabled: true });
        assert.deepStrictEqual(v.webhook, { replicaCount: 2, image: { repository: `${REG}/jetstack/cert-manager-webhook` } });
        assert.deepStrictEqual(mirrorChartValues("plugin-barman-cloud", "0.4.0", {}, REG).sidecarImage, { registry: REG });
        assert.strictEqual((mirrorChartValues("oci://docker.io/envoyproxy/gateway-helm", "v1.10.0", {}, REG) as any).global.images.envoyGateway.image, `${REG}/envoyproxy/gateway:v1.10.0`);
        assert.throws(() => mirrorChartValues("unknown-chart", "1", {}, REG), /no entry in CHART_IMAGES/);
    });

    it("rewrites every image field of a manifest, and only those", () => {
        const m = {
            kind: "Cluster",
            spec: { imageName: "ghcr.io/cloudnative-pg/postgresql:15", template: { spec: { initContainers: [{ image: "redis:7" }], containers: [{ name: "image", image: "quay.io/a/b:1", env: [{ name: "image", value: "x" }] }] } } },
            proxy: { container: { imageRepository: "docker.io/envoyproxy/envoy" } },
        };
        assert.deepStrictEqual(mirrorManifest(m, REG), {
            kind: "Cluster",
            spec: { imageName: `${REG}/cloudnative-pg/postgresql:15`, template: { spec: { initContainers: [{ image: `${REG}/library/redis:7` }], containers: [{ name: "image", image: `${REG}/a/b:1`, env: [{ name: "image", value: "x" }] }] } } },
            proxy: { container: { imageRepository: `${REG}/envoyproxy/envoy` } },
        });
    });
});

describe("matrix:images.registry", () => {
    const parse = (registry: unknown) => {
        try {
            return { cfg: parseStackConfig({ "matrix:domain": "example.org", "matrix:ccu": "100", "matrix:images": JSON.stringify({ registry }) }, "matrix") };
        } catch (e) {
            return { error: String(e) };
        }
    };
    it("accepts a host with a dot, a port or localhost, with an optional path", () => {
        for (const ok of ["registry.internal.example:5000/mirror", "registry.example", "mirror:5000", "localhost:5000/a/b", "localhost"]) {
            const r = parse(ok);
            assert.strictEqual(r.error === undefined || !/matrix:images\.registry/.test(r.error), true, `${ok}: ${r.error}`);
        }
    });
    it("names key, value and what is allowed", () => {
        for (const bad of ["https://registry.example", "mirror", "registry.example/", "Registry.example", "mirror/path"]) {
            const r = parse(bad);
            assert.match(r.error ?? "", /matrix:images\.registry/, bad);
            assert.ok(r.error!.includes(JSON.stringify(bad)) && r.error!.includes("registry host"), r.error);
        }
    });
});
