// What a config change restarts. Synapse reads its sharding (instance_map,
// stream_writers, federation_sender_instances, pusher_instances) only at start
// and every process must agree on it: a rolling update would run old and new
// writer lists side by side for minutes. So the checksum of the generated
// files is split in two:
// - sharding: those keys. A change stops EVERY Synapse process, then starts
//   them all (the "synapse-reshard-<checksum>" Job; a new Job exists only when
//   the checksum changes).
// - rolling: everything else (caches, rate limits, pools...). Deployments roll
//   as usual; StatefulSets (updateStrategy OnDelete, so a template change never
//   rolls them behind the Job's back) are restarted one pod at a time by the
//   "synapse-roll-<checksum>" Job.
import { createHash } from "node:crypto";
import * as YAML from "yaml";
import { allAtOnceArgs } from "../restarts";
import type { ConfigFiles } from "./homeserver";

/** homeserver.yaml keys that every process must see identically (Synapse's workers docs). */
export const SHARDING_KEYS = ["instance_map", "stream_writers", "federation_sender_instances", "pusher_instances"] as const;

export const SHARDING_ANNOTATION = "matrix-scale.io/sharding-checksum";
/** Label on pods the reshard Job checks (the named processes: StatefulSets). */
export const RESTART_LABEL = "matrix-scale.io/restart";

const hash = (parts: readonly (readonly [string, string])[]) => {
    const h = createHash("sha256");
    for (const [k, v] of parts) h.update(k).update("\0").update(v).update("\0");
    return h.digest("hex");
};

export interface Checksums {
    readonly sharding: string;
    readonly rolling: string;
}

export function configChecksums(files: ConfigFiles): Checksums {
    const hs = YAML.parse(files["homeserver.yaml"] ?? "{}") as Record<string, unknown>;
    const sharding = SHARDING_KEYS.map((k) => [k, JSON.stringify(hs[k] ?? null)] as const);
    const rest = { ...hs };
    for (const k of SHARDING_KEYS) delete rest[k];
    const rolling = Object.keys(files)
        .sort()
        .map((k) => [k, k === "homeserver.yaml" ? JSON.stringify(rest, Object.keys(rest).sort()) : files[k]] as const);
    return { sharding: hash(sharding), rolling: hash(rolling) };
}

/** What moving from one set of files to another sets off. */
export function restartTriggers(before: ConfigFiles, after: ConfigFiles): { readonly allAtOnce: boolean; readonly rolling: boolean } {
    const a = configChecksums(before);
    const b = configChecksums(after);
    return { allAtOnce: a.sharding !== b.sharding, rolling: a.rolling !== b.rolling };
}

/** Job names: one per checksum, so Pulumi creates a new Job exactly when the checksum changes. */
export const reshardJobName = (c: Checksums) => `synapse-reshard-${c.sharding.slice(0, 12)}`;
export const rollJobName = (c: Checksums) => `synapse-roll-${c.rolling.slice(0, 12)}`;

/** Synapse's all-at-once restart: every process, when a named (StatefulSet) pod runs another sharding checksum. */
export const SYNAPSE_APP = "synapse";
export const reshardArgs = <S>(namespace: string, sharding: S) => allAtOnceArgs(namespace, SYNAPSE_APP, `${RESTART_LABEL}=coordinated`, SHARDING_ANNOTATION, sharding);
export const rollArgs = (namespace: string) => ["rolling", namespace, SYNAPSE_APP];
