// `npm run local -- --stack dev` for real, end to end: one boot of every
// process the dev plan runs (Synapse main + every worker type, router,
// PostgreSQL, the Redis group, MinIO), then a two-user client scenario through
// the router, checked against the router's log, Synapse's own tables, the
// MinIO bucket and every process log; then the faults, on the same stack.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import { STREAMS, type Stream } from "../../components/synapse/streams";
import type { LocalStack } from "../../tools/local/boot";
import { call, enc, getBytes, login, MatrixError, newTxnId, registerWithSharedSecret, sendMessage, sync, syncUntil, type Session } from "../../tools/local/client";
import { gradientPng } from "../../tools/local/png";
import { expectedRoute, parseRouterLog } from "../../tools/local/router-log";
import { localMediaKey, s3Get } from "../../tools/local/s3";
import { bootForTest, errorLines, requireLocalBoot, teardown, unexpected, withDb, type ExpectedError } from "./helpers";

/**
 * Error lines the scenario itself causes, each with its reason. Anything else
 * in any process log fails the scenario.
 */
const EXPECTED_ERRORS: readonly ExpectedError[] = [
    {
        process: /^redis-synapse-haproxy$/,
        line: /\[ALERT\].*backend 'redis_master' has no server available!/,
        // Only after a check that timed out (never after a refused connection: that would be a real loss of the master).
        previous: /Server redis_master\/\S+ is DOWN, reason: Layer7 timeout/,
        reason:
            "the generated master endpoint checks every second with fall 1 and a check timeout equal to the interval (fast failover, " +
            "matrix:data.redis.haproxyCheckIntervalMs); on an overloaded machine one late answer from the master takes it out for one " +
            "interval, HAProxy alerts, Synapse reconnects (seen at load average 30 on 2 cores)",
    },
];

/**
 * Where each writer stream leaves its writer's name (typing lives in memory only):
 * the stream_positions row of its id generator, and the instance_name column of the
 * stream tables Synapse fills (it leaves account_data's NULL; device_inbox rows
 * are deleted once delivered, so to_device has only its position).
 */
const STREAM_EVIDENCE: Readonly<Record<Exclude<Stream, "typing">, { position: string; tables: readonly string[] }>> = {
    events: { position: "events", tables: ["events"] },
    to_device: { position: "to_device", tables: ["device_inbox"] },
    account_data: { position: "account_data", tables: [] },
    receipts: { position: "receipts", tables: ["receipts_linearized"] },
    presence: { position: "presence_stream", tables: ["presence_stream"] },
    push_rules: { position: "push_rules_stream", tables: ["push_rules_stream"] },
    device_lists: { position: "device_lists_stream", tables: ["device_lists_stream"] },
};

const MESSAGES = 200;
const SYNC_BOUND_MS = 120_000;

describe("local boot of the dev stack: client scenario and faults (real Synapse, PostgreSQL, Redis, MinIO, HAProxy)", function () {
    this.timeout(30 * 60_000);
    let stack: LocalStack | undefined;
    let failed = false;
    let alice: Session;
    let bob: Session;
    let roomId: string;
    const PASSWORD = "local-scenario-password-1";

    before(async function () {
        requireLocalBoot(this);
        stack = await bootForTest("dev");
    });
    afterEach(function () {
        if (this.currentTest?.state === "failed") failed = true;
    });
    after(async () => teardown(stack, failed));

    const s = () => stack!;
    const base = () => s().baseUrl;

    describe("scenario", () => {
        it("registers users with the shared secret (main only: the router refuses /_synapse/admin), logs them in through the router", async () => {
            const denied = await fetch(`${base()}/_synapse/admin/v1/register`);
            assert.equal(denied.status, 403, "the router must refuse the admin API");
            await registerWithSharedSecret(s().mainUrl, s().registrationSharedSecretFile, "alice", PASSWORD);
            await registerWithSharedSecret(s().mainUrl, s().registrationSharedSecretFile, "bob", PASSWORD);
            alice = await login(base(), "alice", PASSWORD);
            bob = await login(base(), "bob", PASSWORD);
            // The plan's rc_message (a few messages a second per user) would make this a test of the rate limiter:
            // lift it for the two scenario users, as an administrator would for a bot (admin API, on main).
            const admin = await registerWithSharedSecret(s().mainUrl, s().registrationSharedSecretFile, "scenario-admin", PASSWORD, true);
            for (const u of [alice, bob]) {
                await call(s().mainUrl, "POST", `/_synapse/admin/v1/users/${enc(u.userId)}/override_ratelimit`, { token: admin.accessToken, body: { messages_per_second: 0, burst_count: 0 } });
            }
            assert.equal(alice.userId, `@alice:${s().serverName}`);
            const who = await call(base(), "GET", "/_matrix/client/v3/account/whoami", { token: bob.accessToken });
            assert.equal(who.user_id, bob.userId);
        });

        it("creates a room, invites, joins", async () => {
            roomId = (await call(base(), "POST", "/_matrix/client/v3/createRoom", { token: alice.accessToken, body: { preset: "private_chat", name: "scenario" } })).room_id;
            await call(base(), "POST", `/_matrix/client/v3/rooms/${enc(roomId)}/invite`, { token: alice.accessToken, body: { user_id: bob.userId } });
            await call(base(), "POST", `/_matrix/client/v3/join/${enc(roomId)}`, { token: bob.accessToken, body: {} });
            const members = await call(base(), "GET", `/_matrix/client/v3/rooms/${enc(roomId)}/joined_members`, { token: alice.accessToken });
            assert.deepEqual(Object.keys(members.joined).sort(), [alice.userId, bob.userId].sort());
        });

        it(`two clients send ${MESSAGES} messages concurrently; both /sync deliver all, each once, in the room's order`, async () => {
            const filter = JSON.stringify({ room: { timeline: { limit: 50, types: ["m.room.message"] }, rooms: [roomId] }, presence: { not_types: ["*"] } });
            const start = await Promise.all([alice, bob].map((u) => sync(base(), u, undefined, 0, filter)));
            // Both clients follow /sync while the messages are sent, as real clients do: small batches, never a gap.
            let stopAt = Number.POSITIVE_INFINITY;
            const collect = async (u: Session, since: string) => {
                const ids: string[] = [];
                let token = since;
                while (ids.length < MESSAGES && Date.now() < stopAt) {
                    const batch = await sync(base(), u, token, 5000, filter);
                    token = batch.next_batch;
                    const timeline = batch.rooms?.join?.[roomId]?.timeline;
                    assert.ok(!timeline?.limited, `${u.userId}: a gappy (limited) /sync batch after ${ids.length} messages`);
                    for (const ev of timeline?.events ?? []) ids.push(ev.event_id);
                }
                return ids;
            };
            const collectors = Promise.all([collect(alice, start[0].next_batch), collect(bob, start[1].next_batch)]);
            const sent = new Set<string>();
            const sender = async (u: Session, n: number) => {
                for (let i = 0; i < n; i++) sent.add(await sendMessage(base(), u, roomId, `${u.userId} #${i}`));
            };
            const t0 = Date.now();
            await Promise.all([sender(alice, MESSAGES / 2), sender(bob, MESSAGES / 2)]);
            console.log(`      ${MESSAGES} sends in ${Date.now() - t0} ms`);
            assert.equal(sent.size, MESSAGES);
            stopAt = Date.now() + SYNC_BOUND_MS;
            const received = await collectors;
            for (const [i, ids] of received.entries()) assert.equal(ids.length, MESSAGES, `${i === 0 ? "alice" : "bob"} got ${ids.length}/${MESSAGES} messages within ${SYNC_BOUND_MS} ms of the last send`);
            // The room's own order: /messages forward from the start.
            const order: string[] = [];
            let from: string | undefined;
            for (let page = 0; page < 20 && order.length < MESSAGES; page++) {
                const q = new URLSearchParams({ dir: "f", limit: "100", filter: JSON.stringify({ types: ["m.room.message"] }) });
                if (from) q.set("from", from);
                const r = await call(base(), "GET", `/_matrix/client/v3/rooms/${enc(roomId)}/messages?${q}`, { token: alice.accessToken });
                order.push(...r.chunk.map((e: any) => e.event_id));
                if (!r.end) break;
                from = r.end;
            }
            assert.equal(order.length, MESSAGES);
            assert.deepEqual(new Set(order), sent);
            for (const [i, ids] of received.entries()) {
                assert.equal(new Set(ids).size, ids.length, `${i === 0 ? "alice" : "bob"}: an event delivered twice`);
                assert.deepEqual(ids, order, `${i === 0 ? "alice" : "bob"}: /sync order differs from the room's order`);
            }
        });

        it("typing, read receipts, read markers, to-device, account data and tags, presence, push rules: each reaches the other side", async () => {
            const since = await Promise.all([alice, bob].map((u) => sync(base(), u, undefined, 0).then((b) => b.next_batch)));
            const last = (await call(base(), "GET", `/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=1`, { token: alice.accessToken })).chunk[0].event_id;
            await call(base(), "PUT", `/_matrix/client/v3/rooms/${enc(roomId)}/typing/${enc(alice.userId)}`, { token: alice.accessToken, body: { typing: true, timeout: 30000 } });
            await call(base(), "POST", `/_matrix/client/v3/rooms/${enc(roomId)}/receipt/m.read/${enc(last)}`, { token: alice.accessToken, body: {} });
            await call(base(), "POST", `/_matrix/client/v3/rooms/${enc(roomId)}/read_markers`, { token: alice.accessToken, body: { "m.fully_read": last, "m.read": last } });
            await call(base(), "PUT", `/_matrix/client/v3/sendToDevice/m.scenario.ping/${newTxnId()}`, {
                token: alice.accessToken,
                body: { messages: { [bob.userId]: { [bob.deviceId]: { hello: "bob" } } } },
            });
            await call(base(), "PUT", `/_matrix/client/v3/user/${enc(alice.userId)}/account_data/m.scenario.settings`, { token: alice.accessToken, body: { theme: "dark" } });
            await call(base(), "PUT", `/_matrix/client/v3/user/${enc(alice.userId)}/rooms/${enc(roomId)}/tags/m.favourite`, { token: alice.accessToken, body: { order: 0.5 } });
            await call(base(), "PUT", `/_matrix/client/v3/presence/${enc(alice.userId)}/status`, { token: alice.accessToken, body: { presence: "online", status_msg: "testing" } });
            await call(base(), "PUT", `/_matrix/client/v3/pushrules/global/override/scenario.rule`, {
                token: alice.accessToken,
                body: { actions: ["dont_notify"], conditions: [{ kind: "event_match", key: "content.body", pattern: "silence*" }] },
            });

            const seenByBob = { typing: false, receipt: false, toDevice: false, presence: false };
            const bobDone = await syncUntil(base(), bob, since[1], (b) => {
                const room = b.rooms?.join?.[roomId];
                for (const e of room?.ephemeral?.events ?? []) {
                    if (e.type === "m.typing" && e.content.user_ids.includes(alice.userId)) seenByBob.typing = true;
                    if (e.type === "m.receipt" && e.content[last]?.["m.read"]?.[alice.userId]) seenByBob.receipt = true;
                }
                for (const e of b.to_device?.events ?? []) if (e.type === "m.scenario.ping" && e.sender === alice.userId && e.content.hello === "bob") seenByBob.toDevice = true;
                for (const e of b.presence?.events ?? []) if (e.sender === alice.userId && e.content.presence === "online") seenByBob.presence = true;
                return Object.values(seenByBob).every(Boolean);
            }, SYNC_BOUND_MS);
            assert.ok(bobDone.ok, `bob's /sync is missing some of ${JSON.stringify(seenByBob)}`);

            const seenByAlice = { accountData: false, tag: false, fullyRead: false, pushRule: false };
            const aliceDone = await syncUntil(base(), alice, since[0], (b) => {
                for (const e of b.account_data?.events ?? []) {
                    if (e.type === "m.scenario.settings" && e.content.theme === "dark") seenByAlice.accountData = true;
                    if (e.type === "m.push_rules" && JSON.stringify(e.content).includes("scenario.rule")) seenByAlice.pushRule = true;
                }
                for (const e of b.rooms?.join?.[roomId]?.account_data?.events ?? []) {
                    if (e.type === "m.tag" && e.content.tags?.["m.favourite"]) seenByAlice.tag = true;
                    if (e.type === "m.fully_read" && e.content.event_id === last) seenByAlice.fullyRead = true;
                }
                return Object.values(seenByAlice).every(Boolean);
            }, SYNC_BOUND_MS);
            assert.ok(aliceDone.ok, `alice's /sync is missing some of ${JSON.stringify(seenByAlice)}`);
            const rule = await call(base(), "GET", "/_matrix/client/v3/pushrules/global/override/scenario.rule", { token: alice.accessToken });
            assert.deepEqual(rule.actions, ["dont_notify"]);
        });

        it("device keys: upload, keys/query by the other user, and the device list change in the other user's /sync", async () => {
            const since = (await sync(base(), bob, undefined, 0)).next_batch;
            const deviceKeys = {
                user_id: alice.userId,
                device_id: alice.deviceId,
                algorithms: ["m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"],
                keys: { [`curve25519:${alice.deviceId}`]: "c2NlbmFyaW8tY3VydmUtMjU1MTkta2V5LWZvci1hbGljZQ", [`ed25519:${alice.deviceId}`]: "c2NlbmFyaW8tZWQyNTUxOS1rZXktZm9yLWFsaWNlLXh4" },
                signatures: { [alice.userId]: { [`ed25519:${alice.deviceId}`]: "c2lnbmF0dXJl" } },
            };
            const up = await call(base(), "POST", "/_matrix/client/v3/keys/upload", { token: alice.accessToken, body: { device_keys: deviceKeys, one_time_keys: { [`curve25519:AAAAAQ`]: "b3RrLWtleS0x" } } });
            assert.equal(up.one_time_key_counts?.curve25519, 1);
            const q = await call(base(), "POST", "/_matrix/client/v3/keys/query", { token: bob.accessToken, body: { device_keys: { [alice.userId]: [] } } });
            assert.deepEqual(q.device_keys[alice.userId][alice.deviceId].keys, deviceKeys.keys);
            const changed = await syncUntil(base(), bob, since, (b) => (b.device_lists?.changed ?? []).includes(alice.userId), SYNC_BOUND_MS);
            assert.ok(changed.ok, "bob's /sync never listed alice in device_lists.changed");
        });

        it("media: upload through /_matrix/media/v3/upload, authenticated download and thumbnail, the object in the MinIO bucket (read with an S3 client)", async () => {
            const png = gradientPng(96, 64, 3);
            const up = await call(base(), "POST", "/_matrix/media/v3/upload?filename=scenario.png", { token: alice.accessToken, raw: png, contentType: "image/png" });
            const m = /^mxc:\/\/([^/]+)\/(.+)$/.exec(up.content_uri);
            assert.ok(m, up.content_uri);
            const [, server, mediaId] = m;
            assert.equal(server, s().serverName);
            const unauth = await getBytes(base(), `/_matrix/client/v1/media/download/${server}/${mediaId}`);
            assert.equal(unauth.status, 401, "authenticated media must refuse an anonymous download");
            const down = await getBytes(base(), `/_matrix/client/v1/media/download/${server}/${mediaId}`, bob.accessToken);
            assert.equal(down.status, 200);
            assert.ok(down.bytes.equals(png), "downloaded bytes differ from the upload");
            const thumb = await getBytes(base(), `/_matrix/client/v1/media/thumbnail/${server}/${mediaId}?width=32&height=32&method=scale`, bob.accessToken);
            assert.equal(thumb.status, 200);
            assert.match(thumb.type ?? "", /^image\//);
            assert.ok(thumb.bytes.length > 0 && !thumb.bytes.equals(png), "the thumbnail is not a new image");
            const stored = s3Get(s(), localMediaKey(mediaId!));
            assert.ok(stored.equals(png), "the object in the MinIO bucket differs from the upload");
        });

        it("the router sent every request to the backend the worker table assigns", () => {
            const lines = parseRouterLog(fs.readFileSync(s().routerLog, "utf8")).filter((l) => l.frontend === "matrix");
            assert.ok(lines.length > MESSAGES, `only ${lines.length} requests in the router log`);
            const wrong: string[] = [];
            const used = new Set<string>();
            for (const l of lines) {
                const want = expectedRoute(s().rendered.topology, l.method, l.path);
                if ("deny" in want) {
                    if (l.status !== want.deny || l.server !== "<NOSRV>") wrong.push(`${l.method} ${l.path}: expected deny ${want.deny}, got ${l.status} ${l.backend}/${l.server}`);
                } else if (l.backend !== want.backend || l.server === "<NOSRV>") {
                    wrong.push(`${l.method} ${l.path}: expected ${want.backend}, got ${l.backend}/${l.server}`);
                } else {
                    used.add(l.backend);
                }
            }
            assert.deepEqual(wrong, []);
            // Every worker type the scenario exercises really received traffic.
            for (const b of ["be_synapse_synchrotron_token", "be_synapse_generic_worker_room", "be_synapse_generic_worker_rr", "be_synapse_typing_writer_token", "be_synapse_to_device_writer_token", "be_synapse_account_data_writer_token", "be_synapse_receipts_writer_token", "be_synapse_presence_writer_token", "be_synapse_push_rules_writer_token", "be_synapse_device_lists_writer_token", "be_synapse_media_repository_rr"]) {
                assert.ok(used.has(b), `no request reached ${b}`);
            }
        });

        it("Synapse's own tables: every stream advanced only by its configured writer", async () => {
            const writers = s().rendered.topology.streamWriters;
            await withDb(s(), async (db) => {
                const positions = (await db.query("SELECT stream_name, instance_name FROM stream_positions")).rows as { stream_name: string; instance_name: string }[];
                const problems: string[] = [];
                for (const stream of STREAMS) {
                    if (stream === "typing") continue;
                    const evidence = STREAM_EVIDENCE[stream];
                    const allowed = writers[stream];
                    const rows = positions.filter((r) => r.stream_name === evidence.position);
                    if (rows.length === 0) problems.push(`stream_positions has no ${evidence.position} row, though the scenario wrote to ${stream}`);
                    for (const row of rows) {
                        if (!allowed.includes(row.instance_name)) problems.push(`stream_positions ${row.stream_name}: advanced by ${row.instance_name}, not a writer of ${stream} (${allowed.join(", ")})`);
                    }
                    for (const table of evidence.tables) {
                        const byInstance = (await db.query(`SELECT instance_name, count(*)::int AS n FROM ${table} GROUP BY instance_name`)).rows as { instance_name: string | null; n: number }[];
                        for (const r of byInstance) {
                            if (r.instance_name === null || !allowed.includes(r.instance_name)) problems.push(`${table}: ${r.n} rows by ${r.instance_name}, not a writer of ${stream} (${allowed.join(", ")})`);
                        }
                    }
                }
                assert.deepEqual(problems, []);
                // The room's events went through one persister, and at least one event per persister overall is not required.
                const persisters = (await db.query("SELECT DISTINCT instance_name FROM events WHERE room_id = $1", [roomId])).rows.map((r) => r.instance_name);
                assert.equal(persisters.length, 1, `the room's events were written by ${persisters.join(", ")}`);
            });
        });

        it("no ERROR in any process log, except the expected ones (listed with their reasons)", () => {
            const bad = unexpected(errorLines(s()), EXPECTED_ERRORS);
            assert.deepEqual(bad.map((b) => `${b.process}: ${b.line}`), []);
        });
    });

    describe("faults", () => {
        /** The Synapse instance behind a router server name: slot N of a pool is its N-th started replica. */
        const instanceOfServer = (backendPool: string, server: string) => {
            const m = /(\d+)$/.exec(server);
            const replicas = s().synapse.filter((x) => x.pool === backendPool);
            return m ? replicas[Number(m[1]) - 1]?.name : undefined;
        };
        const lastSyncServer = () => {
            const lines = parseRouterLog(fs.readFileSync(s().routerLog, "utf8")).filter((l) => l.frontend === "matrix" && /\/sync$/.test(l.path));
            return lines[lines.length - 1]!;
        };
        /** Sends with the client's own retry: the same transaction id again after a retryable failure, bounded. */
        const sendRetrying = async (u: Session, body: string, boundMs: number, failures: string[]) => {
            const txn = newTxnId();
            const deadline = Date.now() + boundMs;
            for (;;) {
                try {
                    return await sendMessage(base(), u, roomId, body, txn, 20000);
                } catch (e) {
                    const status = e instanceof MatrixError ? e.status : 0;
                    // Retryable: no answer, a 5xx, or 429. Anything else is a client error the user would see.
                    if (status !== 0 && status !== 429 && status < 500) throw e;
                    failures.push(String(status || (e as Error).name));
                    if (Date.now() > deadline) throw e;
                    await new Promise((r) => setTimeout(r, 500));
                }
            }
        };
        const syncTimeline = (u: Session, since: string, want: (ids: string[]) => boolean, bound: number) => {
            const ids: string[] = [];
            return syncUntil(base(), u, since, (b) => {
                for (const ev of b.rooms?.join?.[roomId]?.timeline?.events ?? []) if (ev.type === "m.room.message") ids.push(ev.event_id);
                return want(ids);
            }, bound).then((r) => ({ ...r, ids }));
        };

        it("SIGKILL of the synchrotron serving a user: the next /sync succeeds on another within a bound; nothing sent is lost", async () => {
            assert.ok(alice && bob && roomId, "needs the scenario's users and room");
            const since = (await sync(base(), alice, undefined, 0)).next_batch;
            const served = lastSyncServer();
            assert.equal(served.backend, "be_synapse_synchrotron_token");
            const victim = instanceOfServer("synapse-synchrotron", served.server);
            assert.ok(victim, `router server ${served.server} is no started synchrotron`);
            const before = await sendMessage(base(), bob, roomId, "sent before the synchrotron kill");
            await s().kill(victim, "SIGKILL");
            const killedAt = Date.now();
            const after = await sendMessage(base(), bob, roomId, "sent after the synchrotron kill");
            let r: Awaited<ReturnType<typeof syncTimeline>> | undefined;
            let attempts = 0;
            while (Date.now() - killedAt < 30_000) {
                attempts++;
                try {
                    r = await syncTimeline(alice, since, (ids) => ids.includes(before) && ids.includes(after), 30_000);
                    break;
                } catch {
                    await new Promise((res) => setTimeout(res, 200));
                }
            }
            const recoveredMs = Date.now() - killedAt;
            console.log(`      synchrotron ${victim} killed: alice's /sync served again after ${recoveredMs} ms (${attempts} attempt(s)), by ${lastSyncServer().server}`);
            assert.ok(r?.ok, "alice's /sync did not deliver the messages sent around the kill");
            assert.notEqual(lastSyncServer().server, served.server);
            await s().restart(victim);
        });

        it("restart of the room's event persister during sends: every send succeeds or fails retryably; every acknowledged event is in the room once", async () => {
            const persister = await withDb(s(), async (db) => (await db.query("SELECT DISTINCT instance_name FROM events WHERE room_id = $1", [roomId])).rows[0].instance_name as string);
            assert.match(persister, /^synapse-event-persister-\d+$/);
            const failures: string[] = [];
            const acked = new Map<string, string>();
            const PER_USER = 30;
            let sentSoFar = 0;
            const sender = async (u: Session) => {
                for (let i = 0; i < PER_USER; i++) {
                    const body = `${u.userId} persister-run #${i}`;
                    acked.set(body, await sendRetrying(u, body, 120_000, failures));
                    sentSoFar++;
                }
            };
            const senders = Promise.all([sender(alice), sender(bob)]);
            while (sentSoFar < 10) await new Promise((r) => setTimeout(r, 50));
            const t0 = Date.now();
            await s().kill(persister, "SIGTERM");
            await s().restart(persister);
            console.log(`      ${persister} restarted in ${Date.now() - t0} ms during sends (${sentSoFar} acknowledged before the stop)`);
            await senders;
            console.log(`      retryable failures seen by clients: ${failures.length} (${[...new Set(failures)].join(", ") || "none"})`);
            assert.equal(acked.size, PER_USER * 2);
            // The room's whole history, backwards.
            const bodies = new Map<string, string[]>();
            let from: string | undefined;
            for (let page = 0; page < 50; page++) {
                const q = new URLSearchParams({ dir: "b", limit: "100", filter: JSON.stringify({ types: ["m.room.message"] }) });
                if (from) q.set("from", from);
                const r = await call(base(), "GET", `/_matrix/client/v3/rooms/${enc(roomId)}/messages?${q}`, { token: alice.accessToken });
                for (const e of r.chunk) bodies.set(e.content.body, [...(bodies.get(e.content.body) ?? []), e.event_id]);
                if (!r.end || r.chunk.length === 0) break;
                from = r.end;
            }
            for (const [body, eventId] of acked) {
                assert.deepEqual(bodies.get(body), [eventId], `${body}: acknowledged as ${eventId}, in the room as ${JSON.stringify(bodies.get(body))}`);
            }
        });

        it("SIGKILL of the Redis master: Sentinel promotes a replica, the endpoint follows, replication resumes (a message reaches the other user's /sync)", async () => {
            const { spawnSync } = await import("node:child_process");
            const sentinel = (args: string[]) =>
                spawnSync("redis-cli", ["-h", "127.0.0.1", "-p", String(s().redis.sentinels[0]), "--no-auth-warning", ...args], { encoding: "utf8", env: { ...process.env, REDISCLI_AUTH: s().redis.password } }).stdout.trim().split("\n");
            const masterPort = Number(sentinel(["SENTINEL", "get-master-addr-by-name", s().redis.masterName])[1]);
            const index = s().redis.servers.indexOf(masterPort);
            assert.ok(index >= 0, `Sentinel names ${masterPort} as master, which is no started Redis`);
            const since = (await sync(base(), bob, undefined, 0)).next_batch;
            await s().kill(`redis-${s().redis.masterName}-${index}`, "SIGKILL");
            const killedAt = Date.now();
            const failures: string[] = [];
            let delivered = false;
            let token = since;
            let recoveredMs = 0;
            for (let i = 0; !delivered && Date.now() - killedAt < 120_000; i++) {
                const id = await sendRetrying(alice, `after redis failover #${i}`, 60_000, failures);
                const r = await syncTimeline(bob, token, (ids) => ids.includes(id), 5_000).catch(() => undefined);
                if (r?.ok) {
                    delivered = true;
                    recoveredMs = Date.now() - killedAt;
                } else if (r?.since) token = r.since;
            }
            const newMaster = Number(sentinel(["SENTINEL", "get-master-addr-by-name", s().redis.masterName])[1]);
            console.log(`      Redis master ${masterPort} killed: replica ${newMaster} promoted; a message sent after the failover reached bob's /sync ${recoveredMs} ms after the kill (send failures on the way: ${failures.length})`);
            assert.ok(delivered, "no message reached bob's /sync within 120 s of the Redis master kill");
            assert.notEqual(newMaster, masterPort);
            assert.ok(s().redis.servers.includes(newMaster));
        });
    });
});
