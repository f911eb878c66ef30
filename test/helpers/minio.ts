// A throwaway MinIO server on loopback (the pinned build from .ci/install.d/10-minio.sh),
// and an rclone remote for it configured through the environment.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { goProgram } from "./tools";
import { freePort, until, type ProcessGroup } from "./procs";

export const MINIO_VERSION = "v0.0.0-20260212201848-7aac2a2c5b7c";
export const MINIO_BIN = goProgram("minio", MINIO_VERSION);
export const MINIO_INSTALL = ".ci/install.d/10-minio.sh";

export interface TempMinio {
    readonly url: string;
    readonly user: string;
    readonly password: string;
    readonly dir: string;
}

export async function startMinio(procs: ProcessGroup, name: string): Promise<TempMinio> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `minio-${name}-`));
    const port = await freePort();
    const consolePort = await freePort();
    const user = `root${name}`;
    const password = `password-${name}-0123456789`;
    procs.start(MINIO_BIN, ["server", "--quiet", "--address", `127.0.0.1:${port}`, "--console-address", `127.0.0.1:${consolePort}`, path.join(dir, "data")], {
        env: { ...process.env, MINIO_ROOT_USER: user, MINIO_ROOT_PASSWORD: password, MINIO_BROWSER: "off", MINIO_UPDATE: "off", HOME: dir },
    });
    const url = `http://127.0.0.1:${port}`;
    const up = await until(async () => (await fetch(`${url}/minio/health/ready`)).ok, 60_000, 200);
    if (!up) throw new Error(`MinIO ${name} did not become ready`);
    return { url, user, password, dir };
}

/** rclone's environment for a remote NAME on this MinIO (the bucket-creating variant: tests make buckets). */
export function rcloneRemote(name: string, m: TempMinio): Record<string, string> {
    const p = `RCLONE_CONFIG_${name.toUpperCase()}_`;
    return {
        [`${p}TYPE`]: "s3",
        [`${p}PROVIDER`]: "Minio",
        [`${p}ENDPOINT`]: m.url,
        [`${p}REGION`]: "us-east-1",
        [`${p}ACCESS_KEY_ID`]: m.user,
        [`${p}SECRET_ACCESS_KEY`]: m.password,
    };
}

/**
 * The test's environment for S3 clients: without an inherited AWS_CA_BUNDLE
 * (rclone refuses to start with one on a plain-HTTP remote; the pods have none).
 */
export function s3ClientEnv(): Record<string, string> {
    const env = { ...process.env } as Record<string, string>;
    delete env.AWS_CA_BUNDLE;
    return env;
}

export function rclone(args: string[], env: Record<string, string>, input?: string | Buffer) {
    const r = spawnSync("rclone", args, { env: { ...s3ClientEnv(), RCLONE_CONFIG: "/dev/null", ...env }, input, timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
    if (r.status !== 0) throw new Error(`rclone ${args.join(" ")} failed: ${r.stderr}`);
    return r.stdout;
}
