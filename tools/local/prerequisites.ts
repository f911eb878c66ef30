// The programs a local boot starts, where they are, and one message naming
// whatever is missing with the command that installs it.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import VERSIONS from "../../config/sections/synapse-version.json";

export const PG_BIN = "/usr/lib/postgresql/15/bin";
export const TOOLS_DIR = process.env.MATRIX_TOOLS_DIR ?? path.resolve(__dirname, "../../.tools");

/** Pins of the Go programs: read from the install scripts, so the version is written once. */
function goPin(script: string, module: string): string {
    const text = fs.readFileSync(path.resolve(__dirname, "../../.ci/install.d", script), "utf8");
    const m = new RegExp(`${module.replace(/[/.]/g, "\\$&")}@(\\S+?)"`).exec(text);
    if (!m) throw new Error(`no pin for ${module} in .ci/install.d/${script}`);
    return m[1]!;
}

export interface Programs {
    readonly python: string;
    readonly minio: string;
    readonly mc: string;
    readonly postgres: string;
    readonly initdb: string;
    readonly psql: string;
    readonly setpriv: string;
    readonly redisServer: string;
    readonly redisSentinel: string;
    readonly redisCli: string;
    readonly haproxy: string;
}

export function programs(): Programs {
    return {
        python: path.join(TOOLS_DIR, "venv", "synapse", "bin", "python"),
        minio: path.join(TOOLS_DIR, "go", `minio@${goPin("10-minio.sh", "github.com/minio/minio")}`, "bin", "minio"),
        mc: path.join(TOOLS_DIR, "go", `mc@${goPin("11-mc.sh", "github.com/minio/mc")}`, "bin", "mc"),
        postgres: path.join(PG_BIN, "postgres"),
        initdb: path.join(PG_BIN, "initdb"),
        psql: path.join(PG_BIN, "psql"),
        setpriv: "setpriv",
        redisServer: "redis-server",
        redisSentinel: "redis-sentinel",
        redisCli: "redis-cli",
        haproxy: "haproxy",
    };
}

const onPath = (p: string) => spawnSync("sh", ["-c", `command -v ${p}`]).status === 0;

/** Every missing prerequisite with how to install it; empty when all are there. */
export function missingPrerequisites(p: Programs = programs()): string[] {
    const missing: string[] = [];
    const need = (ok: boolean, what: string) => {
        if (!ok) missing.push(what);
    };
    need(fs.existsSync(p.python), `Synapse ${VERSIONS.synapse} (${p.python}): MATRIX_TOOLS_DIR=${TOOLS_DIR} bash .ci/install.d/20-synapse.sh`);
    if (fs.existsSync(p.python)) {
        const pinned = path.join(path.dirname(path.dirname(p.python)), ".pinned");
        const stamp = fs.existsSync(pinned) ? fs.readFileSync(pinned, "utf8") : "";
        need(stamp.includes(`matrix-synapse[postgres,redis]==${VERSIONS.synapse}`), `Synapse ${VERSIONS.synapse} (the venv holds another version): bash .ci/install.d/20-synapse.sh`);
    }
    need(fs.existsSync(p.minio), `MinIO (${p.minio}): bash .ci/install.d/10-minio.sh`);
    need(fs.existsSync(p.mc), `MinIO client mc (${p.mc}): bash .ci/install.d/11-mc.sh`);
    need(fs.existsSync(p.postgres) && fs.existsSync(p.initdb), "PostgreSQL 15: apt-get install -y postgresql-15");
    for (const [bin, pkg] of [
        [p.redisServer, "redis-server"],
        [p.redisSentinel, "redis-sentinel"],
        [p.redisCli, "redis-tools"],
        [p.haproxy, "haproxy"],
        [p.setpriv, "util-linux"],
    ] as const) {
        need(onPath(bin), `${bin}: apt-get install -y ${pkg}`);
    }
    return missing;
}
