// Checks on the generated Synapse files that Synapse itself would only make at
// start (or never): each one catches a defect of the seed deployment (design
// notes §6). They run on the parsed files, so they judge what ships, not the
// generator's intent.
import * as YAML from "yaml";
import { POD_NAME_PLACEHOLDER } from "./ports";
import { MAIN_INSTANCE_MAP_NAME, MAIN_STREAM_WRITER_NAME, SINGLE_WRITER_STREAMS, STREAMS } from "./streams";
import type { ConfigFiles } from "./homeserver";

type Obj = Record<string, unknown>;

const REMOVED_KEYS = ["worker_replication_host", "worker_replication_http_port", "worker_replication_port", "worker_replication_http_tls"];
const INLINE_SECRET_KEYS = ["macaroon_secret_key", "form_secret", "registration_shared_secret", "worker_replication_secret", "turn_shared_secret"];

export function checkSynapseFiles(files: ConfigFiles): string[] {
    const errors: string[] = [];
    const hs = YAML.parse(files["homeserver.yaml"] ?? "") as Obj | null;
    if (!hs) return ["homeserver.yaml is missing or empty"];
    const workers = Object.entries(files)
        .filter(([k]) => k.startsWith("worker-"))
        .map(([k, v]) => [k, YAML.parse(v) as Obj] as const);

    for (const [file, doc] of [["homeserver.yaml", hs] as const, ...workers]) {
        for (const key of REMOVED_KEYS) if (key in doc) errors.push(`${file}: ${key} is removed in Synapse and makes workers refuse to start`);
        for (const key of INLINE_SECRET_KEYS) if (key in doc) errors.push(`${file}: ${key} is inline; use ${key}_path`);
        const db = (doc.database as Obj | undefined)?.args as Obj | undefined;
        if (db && "password" in db) errors.push(`${file}: database.args.password is inline; libpq reads PGPASSWORD`);
        const redis = doc.redis as Obj | undefined;
        if (redis && "password" in redis) errors.push(`${file}: redis.password is inline; use redis.password_path`);
    }

    const instanceMap = (hs.instance_map ?? {}) as Record<string, Obj>;
    if (!(MAIN_INSTANCE_MAP_NAME in instanceMap)) errors.push("homeserver.yaml: instance_map has no `main` entry; workers refuse to start");
    if (MAIN_STREAM_WRITER_NAME in instanceMap) errors.push("homeserver.yaml: instance_map names the main process `master`; it must be `main`");

    const writers = (hs.stream_writers ?? {}) as Record<string, unknown>;
    const asList = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? (v as string[]) : [v as string]);
    for (const stream of STREAMS) {
        const names = asList(writers[stream]);
        if (SINGLE_WRITER_STREAMS.includes(stream) && names.length > 1) {
            errors.push(`homeserver.yaml: stream_writers.${stream} lists ${names.length} writers (${names.join(", ")}); it takes exactly one`);
        }
        if (writers[stream] !== undefined && names.length === 0) errors.push(`homeserver.yaml: stream_writers.${stream} is empty`);
        for (const name of names) {
            if (name === MAIN_INSTANCE_MAP_NAME) errors.push(`homeserver.yaml: stream_writers.${stream} names \`main\`; there the main process is \`master\``);
            else if (name !== MAIN_STREAM_WRITER_NAME && !(name in instanceMap)) {
                errors.push(`homeserver.yaml: ${name} writes ${stream} but is not in instance_map`);
            }
        }
    }

    const byName = new Map<string, Obj>();
    for (const [file, doc] of workers) {
        const name = doc.worker_name as string | undefined;
        if (!name) errors.push(`${file}: no worker_name`);
        else if (name !== POD_NAME_PLACEHOLDER && byName.has(name)) errors.push(`${file}: worker_name ${name} is used twice`);
        else if (name) byName.set(name, doc);
    }
    for (const [name, loc] of Object.entries(instanceMap)) {
        if (name === MAIN_INSTANCE_MAP_NAME) {
            const listeners = (hs.listeners ?? []) as Obj[];
            if (!hasReplicationListener(listeners, loc.port)) errors.push(`homeserver.yaml: instance_map.main points at port ${String(loc.port)}, where main has no replication listener`);
            continue;
        }
        const doc = byName.get(name);
        if (!doc) {
            errors.push(`homeserver.yaml: instance_map names ${name}, which has no worker file`);
            continue;
        }
        if (!hasReplicationListener((doc.worker_listeners ?? []) as Obj[], loc.port)) {
            errors.push(`worker ${name}: instance_map points at port ${String(loc.port)}, where it has no replication listener`);
        }
    }
    return errors;
}

function hasReplicationListener(listeners: readonly Obj[], port: unknown): boolean {
    return listeners.some(
        (l) =>
            l.port === port &&
            ((l.resources ?? []) as Obj[]).some((r) => ((r.names ?? []) as string[]).includes("replication")),
    );
}
