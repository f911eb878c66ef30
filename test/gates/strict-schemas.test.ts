// Every object the program renders for the dev and prod stacks validates
// strictly against its schema: a misspelt or misplaced field would otherwise
// be dropped by the API server and its setting silently lost.
import * as assert from "assert";
import { renderedStack } from "../helpers/program-runs";
import { requireReference } from "../helpers/reference";
import { REFERENCE_FILES, strictProblems } from "../helpers/strict-schemas";

const container = { name: "app", image: "registry.example/app:1.0", resources: { requests: { cpu: "100m" } } };
const deployment = (extra: Record<string, unknown> = {}) => ({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "app", namespace: "matrix", labels: { app: "app" } },
    spec: { selector: { matchLabels: { app: "app" } }, template: { metadata: { labels: { app: "app" } }, spec: { containers: [{ ...container, ...extra }] } } },
});

describe("strict schema validation", function () {
    this.timeout(600000);
    beforeEach(function () {
        for (const f of REFERENCE_FILES) requireReference(this, f);
    });

    it("accepts a valid object and rejects unknown fields at every depth, in core kinds and custom resources", () => {
        assert.deepStrictEqual(strictProblems(deployment()), []);
        assert.deepStrictEqual(strictProblems(deployment({ resource: { limits: {} } })), ["/spec/template/spec/containers/0/resource is not a field of the schema"]);
        assert.ok(strictProblems({ ...deployment(), metadata: { name: "app", label: {} } }).some((p) => p.includes("/metadata/label ")));
        assert.ok(strictProblems(deployment({ resources: { requests: { cpu: [] } } })).length > 0, "a wrong type is an error too");
        const cluster = { apiVersion: "postgresql.cnpg.io/v1", kind: "Cluster", metadata: { name: "pg" }, spec: { instances: 2, storage: { size: "1Gi" } } };
        assert.deepStrictEqual(strictProblems(cluster), []);
        assert.ok(strictProblems({ ...cluster, spec: { ...cluster.spec, storage: { size: "1Gi", sizee: 1 } } }).some((p) => p.includes("\"sizee\"")));
        assert.ok(strictProblems({ ...cluster, metadata: { name: "pg", nme: "x" } }).some((p) => p.includes("/metadata/nme")));
        const route = { apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", metadata: { name: "r" }, spec: { parentRefs: [{ name: "g" }] } };
        assert.deepStrictEqual(strictProblems(route), []);
        assert.ok(strictProblems({ ...route, spec: { parentRef: [] } }).length > 0);
        assert.ok(strictProblems({ apiVersion: "example.com/v1", kind: "Thing" }).length > 0, "a kind with no known schema is not waved through");
    });

    for (const stack of ["dev", "prod"]) {
        it(`every object rendered for stack ${stack} validates strictly`, async () => {
            const { objects } = await renderedStack(stack);
            assert.ok(objects.length > 50, `only ${objects.length} objects rendered`);
            const problems = objects.flatMap(({ object }) => strictProblems(object).map((p) => `${object.kind} ${object.metadata?.namespace ?? ""}/${object.metadata?.name}: ${p}`));
            assert.deepStrictEqual(problems, []);
        });
    }
});
