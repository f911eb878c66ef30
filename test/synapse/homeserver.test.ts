import * as assert from "node:assert/strict";
import * as YAML from "yaml";
import { computePlan, TIER_CCUS, type Plan } from "../../sizing";
import { checkSynapseFiles } from "../../components/synapse/checks";
import { configChecksum, synapseConfigFiles, type ConfigFiles } from "../../components/synapse/homeserver";
import { REPLICATION_PORT, workerFileKey } from "../../components/synapse/ports";
import { buildTopology } from "../../components/synapse/topology";
import { SETTINGS } from "../fixtures/synapse-settings";
import { requireReference } from "../helpers/reference";
import { loadSynapseSchema, loadSynapseValidator, SCHEMA_FILE } from "../helpers/synapse-schema";

type Obj = Record<string, any>;
const generate = (plan: Plan) => synapseConfigFiles(plan, buildTopology(plan), SETTINGS);
const parse = (files: ConfigFiles, key: string) => YAML.parse(files[key]) as Obj;
const CASES = TIER_CCUS.flatMap((ccu) => [false, true].map((federation) => ({ ccu, federation })));

describe("homeserver.yaml and worker files", () => {
    for (const { ccu, federation } of CASES) {
        describe(`${ccu} CCU, federation ${federation ? "on" : "off"}`, () => {
            const plan = computePlan({ ccu, federation });
            const files = generate(plan);
            const hs = parse(files, "homeserver.yaml");

            it("passes our own checks (one writer per single-writer stream, main and every writer in instance_map, no removed keys)", () => {
                assert.deepEqual(checkSynapseFiles(files), []);
            });

            it("validates against Synapse's own schema", function () {
                requireReference(this, SCHEMA_FILE);
                const validate = loadSynapseValidator();
                for (const [key, text] of Object.entries(files)) {
                    if (key === "log.yaml") continue;
                    const doc = YAML.parse(text);
                    // Workers read homeserver.yaml then their own file, shallowly merged (Synapse read_config_files).
                    const merged = key === "homeserver.yaml" ? doc : { ...hs, ...doc };
                    assert.ok(validate!(merged), `${key}: ${JSON.stringify(validate!.errors)}`);
                }
            });

            it("uses only keys Synapse knows (its schema lets unknown keys pass, so check them by name)", function () {
                requireReference(this, SCHEMA_FILE);
                const schema = loadSynapseSchema();
                const known = new Set(Object.keys(schema!.properties));
                const redisKeys = new Set(Object.keys(schema!.properties.redis.properties));
                for (const [key, text] of Object.entries(files)) {
                    if (key === "log.yaml") continue;
                    const doc = YAML.parse(text);
                    for (const k of Object.keys(doc)) assert.ok(known.has(k), `${key}: ${k} is not a Synapse config key`);
                    for (const k of Object.keys(doc.redis ?? {})) assert.ok(redisKeys.has(k), `${key}: redis.${k} is not a Synapse config key`);
                }
            });

            it("gives every process the plan's pool and its own worker file", () => {
                assert.equal(hs.database.args.cp_min, plan.synapse.main.cpMin);
                assert.equal(hs.database.args.cp_max, plan.synapse.main.cpMax);
                const topo = buildTopology(plan);
                let named = 0;
                for (const pool of topo.pools) {
                    const names = pool.def.scalable ? [pool.def.name] : pool.instances;
                    if (!pool.def.scalable) {
                        assert.equal(pool.instances.length, plan.synapse.workers[pool.def.type].count);
                        named += pool.instances.length;
                    }
                    for (const n of names) {
                        const w = parse(files, workerFileKey(n));
                        assert.equal(w.worker_app, "synapse.app.generic_worker");
                        assert.equal(w.database.args.cp_min, pool.size.cpMin, n);
                        assert.equal(w.database.args.cp_max, pool.size.cpMax, n);
                        assert.equal(w.database.args.password, undefined);
                    }
                }
                assert.equal(Object.keys(files).filter((k) => k.startsWith("worker-")).length, named + topo.pools.filter((p) => p.def.scalable).length);
            });

            it("writes the plan's caches, upload size and rate limits under Synapse's real keys", () => {
                assert.equal(hs.caches.global_factor, plan.synapse.caches.globalFactor);
                assert.equal(hs.event_cache_size, plan.synapse.caches.eventCacheSize);
                assert.equal(hs.max_upload_size, plan.synapse.maxUploadSize);
                assert.deepEqual(hs.rc_message, { per_second: plan.synapse.rcMessage.perSecond, burst_count: plan.synapse.rcMessage.burstCount });
                assert.deepEqual(hs.rc_registration, { per_second: plan.synapse.rcRegistration.perSecond, burst_count: plan.synapse.rcRegistration.burstCount });
                assert.equal(hs.rate_limiting, undefined);
                assert.equal(hs.federation, undefined);
                if (federation) assert.equal(hs.rc_federation.concurrent, plan.synapse.rcFederation.concurrent);
            });

            it("keeps every secret out of the files", () => {
                const all = Object.values(files).join("\n");
                for (const k of ["macaroon_secret_key:", "form_secret:", "registration_shared_secret:", "worker_replication_secret:", "password:", "access_key_id", "secret_access_key"]) {
                    assert.ok(!new RegExp(`(^|\\s)${k}`, "m").test(all), k);
                }
                for (const k of ["macaroon_secret_key_path", "form_secret_path", "registration_shared_secret_path", "worker_replication_secret_path", "signing_key_path"]) {
                    assert.match(hs[k], /^\/secrets\//, k);
                }
                assert.match(hs.redis.password_path, /^\/secrets\//);
            });

            it("closes registration and routes media through the S3 storage provider off main", () => {
                assert.equal(hs.enable_registration, false);
                assert.equal(hs.enable_media_repo, false);
                assert.equal(hs.media_storage_providers[0].module, "s3_storage_provider.S3StorageProviderBackend");
                assert.equal(hs.media_storage_providers[0].config.bucket, SETTINGS.media.bucket);
                assert.equal(hs.media_instance_running_background_jobs, "synapse-media-repository-0");
                assert.equal(parse(files, workerFileKey("synapse-media-repository-0")).enable_media_repo, true);
                assert.equal(hs.run_background_tasks_on, "synapse-background-0");
            });

            it(federation ? "enables federation with its senders" : "disables federation completely", () => {
                const resources = (l: Obj[]) => l.flatMap((x: Obj) => (x.resources ?? []).flatMap((r: Obj) => r.names));
                const everyListener = [
                    ...resources(hs.listeners),
                    ...Object.entries(files).filter(([k]) => k.startsWith("worker-")).flatMap(([, v]) => resources(YAML.parse(v).worker_listeners)),
                ];
                if (federation) {
                    assert.ok(everyListener.includes("federation"));
                    assert.equal(hs.federation_domain_whitelist, undefined);
                    assert.equal(hs.federation_sender_instances.length, plan.synapse.workers.federationSender.count);
                    assert.equal(hs.serve_server_wellknown, true);
                } else {
                    assert.ok(!everyListener.includes("federation"));
                    assert.ok(!everyListener.includes("keys"));
                    assert.deepEqual(hs.federation_domain_whitelist, []);
                    assert.deepEqual(hs.federation_sender_instances, []);
                    assert.deepEqual(hs.trusted_key_servers, []);
                    assert.equal(hs.serve_server_wellknown, false);
                }
            });

            it("has metrics listeners on every process and replication listeners only where instance_map points", () => {
                assert.ok(hs.listeners.some((l: Obj) => l.type === "metrics"));
                for (const [k, v] of Object.entries(files).filter(([k]) => k.startsWith("worker-"))) {
                    const w = YAML.parse(v);
                    assert.ok(w.worker_listeners.some((l: Obj) => l.type === "metrics"), k);
                    const repl = w.worker_listeners.some((l: Obj) => l.port === REPLICATION_PORT);
                    assert.equal(repl, w.worker_name in hs.instance_map, k);
                }
            });
        });
    }

    it("uses a schema validator that rejects what Synapse rejects (wrong types, a list where a map belongs)", function () {
        requireReference(this, SCHEMA_FILE);
        const validate = loadSynapseValidator();
        assert.equal(validate!({ server_name: "x", listeners: [{ port: "8008" }] }), false);
        assert.equal(validate!({ server_name: "x", redis: { enabled: "yes" } }), false);
        assert.equal(validate!({ server_name: "x", stream_writers: { typing: ["a"] } }), true);
    });

    describe("our checks catch the seed deployment's defects", () => {
        const files = generate(computePlan({ ccu: 1000, federation: false }));
        const mutate = (fn: (hs: Obj) => void, extra: Record<string, string> = {}): ConfigFiles => {
            const hs = YAML.parse(files["homeserver.yaml"]);
            fn(hs);
            return { ...files, "homeserver.yaml": YAML.stringify(hs), ...extra };
        };
        it("two typing writers", () => {
            const errs = checkSynapseFiles(mutate((hs) => hs.stream_writers.typing.push("synapse-presence-writer-0")));
            assert.ok(errs.some((e) => /stream_writers.typing lists 2 writers/.test(e)), errs.join("\n"));
        });
        it("no main in instance_map", () => {
            const errs = checkSynapseFiles(mutate((hs) => delete hs.instance_map.main));
            assert.ok(errs.some((e) => /no `main` entry/.test(e)), errs.join("\n"));
        });
        it("a writer missing from instance_map", () => {
            const errs = checkSynapseFiles(mutate((hs) => delete hs.instance_map["synapse-event-persister-1"]));
            assert.ok(errs.some((e) => /synapse-event-persister-1 writes events but is not in instance_map/.test(e)), errs.join("\n"));
        });
        it("removed worker_replication_* keys", () => {
            const key = workerFileKey("synapse-event-persister-0");
            const w = YAML.parse(files[key]);
            w.worker_replication_host = "synapse-main";
            const errs = checkSynapseFiles({ ...files, [key]: YAML.stringify(w) });
            assert.ok(errs.some((e) => /worker_replication_host is removed/.test(e)), errs.join("\n"));
        });
        it("an inline secret", () => {
            const errs = checkSynapseFiles(mutate((hs) => (hs.macaroon_secret_key = "x")));
            assert.ok(errs.some((e) => /macaroon_secret_key is inline/.test(e)), errs.join("\n"));
        });
    });

    describe("config checksum (rolls every process)", () => {
        it("changes when one byte of any one file changes, or a file is renamed; not when the files are listed in another order", () => {
            const files = generate(computePlan({ ccu: 1000, federation: false }));
            const sum = configChecksum(files);
            assert.match(sum, /^[0-9a-f]{64}$/);
            const keys = Object.keys(files);
            assert.ok(keys.length > 3, keys.join(", "));
            for (const key of keys) {
                const text = files[key]!;
                for (const at of [0, Math.floor(text.length / 2), text.length - 1]) {
                    const flipped = text.slice(0, at) + String.fromCharCode(text.charCodeAt(at) ^ 1) + text.slice(at + 1);
                    assert.notEqual(configChecksum({ ...files, [key]: flipped }), sum, `${key} byte ${at}`);
                }
                const { [key]: moved, ...rest } = files;
                assert.notEqual(configChecksum({ ...rest, [`${key}.renamed`]: moved! }), sum, `${key} renamed`);
            }
            // Moving a boundary between a file's name and content is a change too.
            assert.notEqual(configChecksum({ ab: "c" }), configChecksum({ a: "bc" }));
            assert.equal(configChecksum(Object.fromEntries(Object.entries(files).reverse())), sum);
        });
        it("changes when an event persister is added", () => {
            const base = computePlan({ ccu: 5000, federation: false });
            const more = computePlan({ ccu: 5000, federation: false, overrides: { workers: { eventPersister: base.synapse.workers.eventPersister.count + 1 } } });
            assert.notEqual(configChecksum(generate(base)), configChecksum(generate(more)));
            const hs = parse(generate(more), "homeserver.yaml");
            assert.equal(hs.stream_writers.events.length, base.synapse.workers.eventPersister.count + 1);
        });
    });
});
