// The secrets the program would take from @pulumi/random, generated for one
// local boot and written as the files the pods mount (mode 0600).
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { SECRET_FILES } from "../../components/synapse/homeserver";
import { CONSUMERS } from "../../components/data/objectstore";
import type { Consumer } from "../../components/data/objectstore/policies";
import { redisAuthConf, sentinelAuthConf } from "../../components/data/redis/config";

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** Like RandomPassword({ special: false }): letters and digits only. */
export function randomPassword(length: number): string {
    const bytes = randomBytes(length * 2);
    let out = "";
    for (let i = 0; out.length < length; i++) {
        const b = bytes[i % bytes.length]!;
        if (b < 248) out += ALNUM[b % 62];
        if (i > length * 8) throw new Error("random source exhausted");
    }
    return out;
}

/** Synapse's signing key format, as the program builds it: "ed25519 a_<id> <unpadded base64 of a 32-byte seed>". */
export function signingKey(): string {
    const id = randomPassword(6).toLowerCase();
    return `ed25519 a_${id} ${randomBytes(32).toString("base64").replace(/=+$/, "")}\n`;
}

export interface LocalSecrets {
    readonly postgresPassword: string;
    readonly redisPassword: string;
    readonly minioRootUser: string;
    readonly minioRootPassword: string;
    /** Secret keys of the MinIO consumers (access key ids are names, see objectstore/policies.ts). */
    /** One secret key per media-store consumer the program creates (the bootstrap script reads <CONSUMER>_SECRET_KEY). */
    readonly consumerSecretKeys: Readonly<Record<Consumer, string>>;
    /** Secret key of Prometheus' MinIO user (the bootstrap script reads METRICS_SECRET_KEY). */
    readonly metricsSecretKey: string;
    /** Paths of the files written. */
    readonly files: {
        readonly registrationSharedSecret: string;
        readonly redisAuthConf: string;
        readonly sentinelAuthConf: string;
    };
}

function write(file: string, content: string): void {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    fs.writeFileSync(file, content, { mode: 0o600 });
}

/**
 * Writes every secret file under the work dir folders that stand for the pods' mounts:
 * mounts["/secrets/synapse"], ["/secrets/signing"], ["/secrets/redis"], ["/etc/redis-auth"].
 */
export function writeSecrets(mounts: Readonly<Record<string, string>>, dirs: { synapse: string; signing: string; redis: string; redisAuth: string }, redisMasterName: string): LocalSecrets {
    const synapseDir = mounts[dirs.synapse]!;
    for (const file of Object.values(SECRET_FILES)) write(path.join(synapseDir, file), randomPassword(64));
    write(path.join(mounts[dirs.signing]!, "signing.key"), signingKey());
    const redisPassword = randomPassword(32);
    write(path.join(mounts[dirs.redis]!, "password"), redisPassword);
    const redisAuth = path.join(mounts[dirs.redisAuth]!, "redis-auth.conf");
    const sentinelAuth = path.join(mounts[dirs.redisAuth]!, "sentinel-auth.conf");
    write(redisAuth, redisAuthConf(redisPassword));
    write(sentinelAuth, sentinelAuthConf(redisMasterName, redisPassword));
    return {
        postgresPassword: randomPassword(32),
        redisPassword,
        minioRootUser: `root${randomPassword(8)}`,
        minioRootPassword: randomPassword(32),
        consumerSecretKeys: Object.fromEntries(CONSUMERS.map((c) => [c, randomPassword(40)])) as Record<Consumer, string>,
        metricsSecretKey: randomPassword(40),
        files: {
            registrationSharedSecret: path.join(synapseDir, SECRET_FILES.registration),
            redisAuthConf: redisAuth,
            sentinelAuthConf: sentinelAuth,
        },
    };
}
