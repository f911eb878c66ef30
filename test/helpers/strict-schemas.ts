// Strict validation of rendered Kubernetes objects: an unknown field is an
// error, as `kubectl apply --validate=strict` (and the API server's pruning of
// custom resources) would make it. A misspelt field is otherwise silently
// dropped by the API server and the setting it meant never takes effect.
//
// Core kinds, cert-manager and prometheus-operator kinds are checked with the
// validators kubernetes-models ships. Those are precompiled ajv code with no
// JSON schema beside them, and they accept unknown fields; so the object is
// handed to them behind a proxy that records every field the validator looks
// at: a field the schema never reads is a field the schema does not define.
// CNPG, Barman Cloud, Envoy Gateway and Gateway API kinds are checked against
// their CRDs in ../shared/reference/crds with additionalProperties false on
// every object the CRD does not declare open (x-kubernetes-preserve-unknown-fields).
import Ajv from "ajv";
import * as fs from "fs";
import * as path from "path";
import { parseAllDocuments } from "yaml";
import { referencePath } from "./reference";

type Json = Record<string, unknown>;
type Validate = ((data: unknown) => boolean) & { errors?: { instancePath: string; message?: string; params?: unknown }[] | null };

/** kubernetes-models schema modules by apiVersion and kind. */
const MODEL_SCHEMAS: Record<string, string> = {
    "v1/ConfigMap": "kubernetes-models/_schemas/IoK8sApiCoreV1ConfigMap",
    "v1/Namespace": "kubernetes-models/_schemas/IoK8sApiCoreV1Namespace",
    "v1/PersistentVolume": "kubernetes-models/_schemas/IoK8sApiCoreV1PersistentVolume",
    "v1/PersistentVolumeClaim": "kubernetes-models/_schemas/IoK8sApiCoreV1PersistentVolumeClaim",
    "v1/Secret": "kubernetes-models/_schemas/IoK8sApiCoreV1Secret",
    "v1/Service": "kubernetes-models/_schemas/IoK8sApiCoreV1Service",
    "v1/ServiceAccount": "kubernetes-models/_schemas/IoK8sApiCoreV1ServiceAccount",
    "v1/Pod": "kubernetes-models/_schemas/IoK8sApiCoreV1Pod",
    "apps/v1/Deployment": "kubernetes-models/_schemas/IoK8sApiAppsV1Deployment",
    "apps/v1/StatefulSet": "kubernetes-models/_schemas/IoK8sApiAppsV1StatefulSet",
    "apps/v1/DaemonSet": "kubernetes-models/_schemas/IoK8sApiAppsV1DaemonSet",
    "batch/v1/Job": "kubernetes-models/_schemas/IoK8sApiBatchV1Job",
    "batch/v1/CronJob": "kubernetes-models/_schemas/IoK8sApiBatchV1CronJob",
    "autoscaling/v2/HorizontalPodAutoscaler": "kubernetes-models/_schemas/IoK8sApiAutoscalingV2HorizontalPodAutoscaler",
    "networking.k8s.io/v1/NetworkPolicy": "kubernetes-models/_schemas/IoK8sApiNetworkingV1NetworkPolicy",
    "policy/v1/PodDisruptionBudget": "kubernetes-models/_schemas/IoK8sApiPolicyV1PodDisruptionBudget",
    "storage.k8s.io/v1/StorageClass": "kubernetes-models/_schemas/IoK8sApiStorageV1StorageClass",
    "rbac.authorization.k8s.io/v1/Role": "kubernetes-models/_schemas/IoK8sApiRbacV1Role",
    "rbac.authorization.k8s.io/v1/RoleBinding": "kubernetes-models/_schemas/IoK8sApiRbacV1RoleBinding",
    "rbac.authorization.k8s.io/v1/ClusterRole": "kubernetes-models/_schemas/IoK8sApiRbacV1ClusterRole",
    "rbac.authorization.k8s.io/v1/ClusterRoleBinding": "kubernetes-models/_schemas/IoK8sApiRbacV1ClusterRoleBinding",
    "cert-manager.io/v1/Certificate": "@kubernetes-models/cert-manager/_schemas/CertManagerIoV1Certificate",
    "cert-manager.io/v1/Issuer": "@kubernetes-models/cert-manager/_schemas/CertManagerIoV1Issuer",
    "cert-manager.io/v1/ClusterIssuer": "@kubernetes-models/cert-manager/_schemas/CertManagerIoV1ClusterIssuer",
    "monitoring.coreos.com/v1/PodMonitor": "@kubernetes-models/prometheus-operator/_schemas/MonitoringCoreosComV1PodMonitor",
    "monitoring.coreos.com/v1/ServiceMonitor": "@kubernetes-models/prometheus-operator/_schemas/MonitoringCoreosComV1ServiceMonitor",
    "monitoring.coreos.com/v1/PrometheusRule": "@kubernetes-models/prometheus-operator/_schemas/MonitoringCoreosComV1PrometheusRule",
};
const OBJECT_META = "@kubernetes-models/apimachinery/_schemas/IoK8sApimachineryPkgApisMetaV1ObjectMeta";

/** Gateway API models (the package validates with ajv at run time; strictness comes from the CRDs). */
const GATEWAY_MODELS: Record<string, string> = {
    "gateway.networking.k8s.io/v1/Gateway": "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/Gateway",
    "gateway.networking.k8s.io/v1/GatewayClass": "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/GatewayClass",
    "gateway.networking.k8s.io/v1/HTTPRoute": "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute",
};

/** CRD files in ../shared/reference/crds by API group. */
export const CRD_FILES: Record<string, string> = {
    "postgresql.cnpg.io": "crds/postgresql.cnpg.io_clusters.yaml crds/postgresql.cnpg.io_scheduledbackups.yaml crds/postgresql.cnpg.io_poolers.yaml",
    "barmancloud.cnpg.io": "crds/barmancloud.cnpg.io_objectstores.yaml",
    "gateway.envoyproxy.io": "crds/envoy-gateway-v1.9.0/gateway.envoyproxy.io_envoyproxies.yaml crds/envoy-gateway-v1.9.0/gateway.envoyproxy.io_securitypolicies.yaml crds/envoy-gateway-v1.9.0/gateway.envoyproxy.io_clienttrafficpolicies.yaml crds/envoy-gateway-v1.9.0/gateway.envoyproxy.io_backendtrafficpolicies.yaml crds/envoy-gateway-v1.9.0/gateway.envoyproxy.io_backends.yaml",
    "gateway.networking.k8s.io": "crds/envoy-gateway-v1.9.0/gatewayapi-crds.yaml",
};

/** Fields the validator read, per object: anything else in that object is unknown to the schema. */
function recordingProxy(value: unknown, read: WeakMap<object, Set<string>>): unknown {
    if (!value || typeof value !== "object") return value;
    const target = value as object;
    if (!Array.isArray(target) && !read.has(target)) read.set(target, new Set());
    return new Proxy(target, {
        get(t, key, receiver) {
            if (typeof key === "string" && !Array.isArray(t)) read.get(t)!.add(key);
            return recordingProxy(Reflect.get(t, key, receiver), read);
        },
        has(t, key) {
            if (typeof key === "string" && !Array.isArray(t)) read.get(t)!.add(key);
            return Reflect.has(t, key);
        },
    });
}

function* unreadFields(value: unknown, read: WeakMap<object, Set<string>>, path: string): Generator<string> {
    if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) yield* unreadFields(value[i], read, `${path}/${i}`);
        return;
    }
    if (!value || typeof value !== "object") return;
    const seen = read.get(value);
    for (const [k, v] of Object.entries(value)) {
        if (!seen?.has(k)) yield `${path}/${k} is not a field of the schema`;
        else yield* unreadFields(v, read, `${path}/${k}`);
    }
}

/** Runs a kubernetes-models compiled validator strictly: its own errors plus every field it never read. */
function strictCompiled(validate: Validate, obj: unknown, prefix = ""): string[] {
    const plain = JSON.parse(JSON.stringify(obj));
    const read = new WeakMap<object, Set<string>>();
    const ok = (validate as unknown as (d: unknown, o: unknown) => boolean)(recordingProxy(plain, read), { instancePath: prefix });
    const errors = ok ? [] : ((validate as Validate).errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ""} ${JSON.stringify(e.params ?? {})}`);
    return [...errors, ...unreadFields(plain, read, prefix)];
}

/** By file path: the packages' "exports" hide their _schemas folders. */
function compiled(module: string): Validate {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(path.resolve(__dirname, "../../node_modules", `${module}.js`)).validate as Validate;
}

/** Closes every object schema the CRD does not declare open, as the API server prunes unknown fields. */
function closed(schema: unknown): unknown {
    if (Array.isArray(schema)) return schema.map(closed);
    if (!schema || typeof schema !== "object") return schema;
    const s: Json = Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, k === "enum" || k === "default" || k === "example" ? v : closed(v)]));
    if (s.properties && s.additionalProperties === undefined && !s["x-kubernetes-preserve-unknown-fields"]) s.additionalProperties = false;
    return s;
}

const crdValidators = new Map<string, Validate>();
function crdValidator(group: string, version: string, kind: string): Validate | string {
    const key = `${group}/${version}/${kind}`;
    if (crdValidators.has(key)) return crdValidators.get(key)!;
    for (const file of (CRD_FILES[group] ?? "").split(" ").filter(Boolean)) {
        const p = referencePath(file);
        if (!fs.existsSync(p)) return `${p} absent`;
        for (const doc of parseAllDocuments(fs.readFileSync(p, "utf8"))) {
            const crd = doc.toJS();
            if (crd?.kind !== "CustomResourceDefinition" || crd.spec.group !== group || crd.spec.names.kind !== kind) continue;
            const v = crd.spec.versions.find((x: { name: string }) => x.name === version);
            if (!v) return `${file} has no version ${version} of ${kind}`;
            const root = closed(v.schema.openAPIV3Schema) as Json;
            // metadata is checked by the ObjectMeta schema; the CRD leaves it open.
            (root.properties as Json).metadata = {};
            const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
            const validate = ajv.compile(root) as Validate;
            crdValidators.set(key, validate);
            return validate;
        }
    }
    return `no CRD for ${key} in ${CRD_FILES[group] ?? "(no CRD file known for this group)"}`;
}

/** The CRD reference files this check reads (for requireReference). */
export const REFERENCE_FILES: readonly string[] = Array.from(new Set(Object.values(CRD_FILES).flatMap((f) => f.split(" "))));

/** Every problem of one rendered object: schema errors and unknown fields; an unknown kind is itself a problem. */
export function strictProblems(obj: { apiVersion?: string; kind?: string; metadata?: unknown; [field: string]: unknown }): string[] {
    const gvk = `${obj.apiVersion}/${obj.kind}`;
    if (MODEL_SCHEMAS[gvk]) return strictCompiled(compiled(MODEL_SCHEMAS[gvk]), obj);
    const [group, version] = String(obj.apiVersion).split("/");
    if (!CRD_FILES[group]) return [`${gvk}: no strict schema known for this kind (add it to test/helpers/strict-schemas.ts)`];
    const problems = strictCompiled(compiled(OBJECT_META), obj.metadata ?? {}, "/metadata");
    if (GATEWAY_MODELS[gvk]) {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const Model = require(GATEWAY_MODELS[gvk])[String(obj.kind)];
        try {
            new Model(JSON.parse(JSON.stringify(obj))).validate();
        } catch (e) {
            problems.push(`kubernetes-models: ${String(e)}`);
        }
    }
    const validate = crdValidator(group, version, String(obj.kind));
    if (typeof validate === "string") return [...problems, validate];
    if (!validate(obj)) problems.push(...(validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ""} ${JSON.stringify(e.params ?? {})}`));
    return problems;
}
