// A throwaway PostgreSQL 15 server on loopback for the proofs. initdb and the
// server refuse to run as root, so both run as the `postgres` user.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export const PG_BIN = "/usr/lib/postgresql/15/bin";
export const SUPERUSER_PASSWORD = "proofSuperuserPassword0";

function asPostgres(cmd: string, args: string[], timeoutMs = 120000) {
    return spawnSync("runuser", ["-u", "postgres", "--", path.join(PG_BIN, cmd), ...args], { encoding: "utf8", timeout: timeoutMs });
}

export class TempPostgres {
    readonly dir: string;
    private running = false;

    /** `initdb` settings for a new cluster, or `standbyOf` a running server's port (a streaming replica from pg_basebackup). */
    constructor(readonly port: number, initdb: { encoding: string; localeCollate: string; localeCType: string } | { standbyOf: number }) {
        this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "pg-proof-"));
        fs.chmodSync(this.dir, 0o755);
        fs.chownSync(this.dir, uid("postgres"), gid("postgres"));
        if ("standbyOf" in initdb) {
            // -R writes standby.signal and primary_conninfo; the superuser password travels in the conninfo only.
            const r = spawnSync("runuser", ["-u", "postgres", "--", "env", `PGPASSWORD=${SUPERUSER_PASSWORD}`, path.join(PG_BIN, "pg_basebackup"),
                "-h", "127.0.0.1", "-p", String(initdb.standbyOf), "-U", "postgres", "-D", path.join(this.dir, "data"), "-R", "-X", "stream", "--checkpoint=fast"],
            { encoding: "utf8", timeout: 120000 });
            if (r.status !== 0) throw new Error(`pg_basebackup failed: ${r.stdout}${r.stderr}`);
            fs.chmodSync(path.join(this.dir, "data"), 0o700);
            return;
        }
        const pw = path.join(this.dir, "pw");
        fs.writeFileSync(pw, SUPERUSER_PASSWORD, { mode: 0o600 });
        fs.chownSync(pw, uid("postgres"), gid("postgres"));
        const r = asPostgres("initdb", [
            "-D", path.join(this.dir, "data"), "-U", "postgres", `--pwfile=${pw}`,
            `--encoding=${initdb.encoding}`, `--lc-collate=${initdb.localeCollate}`, `--lc-ctype=${initdb.localeCType}`,
            "--auth-local=trust", "--auth-host=scram-sha-256",
        ]);
        if (r.status !== 0) throw new Error(`initdb failed: ${r.stdout}${r.stderr}`);
    }

    get data(): string {
        return path.join(this.dir, "data");
    }

    /** Starts (or restarts) with extra -c settings; returns the server log on failure instead of throwing. */
    start(extra: Record<string, string> = {}): { ok: boolean; log: string } {
        this.stop();
        const opts = [`-c listen_addresses=127.0.0.1`, `-c port=${this.port}`, `-c unix_socket_directories=${this.dir}`,
            ...Object.entries(extra).map(([k, v]) => `-c ${k}=${v}`)].join(" ");
        const log = path.join(this.dir, "server.log");
        fs.writeFileSync(log, "");
        fs.chownSync(log, uid("postgres"), gid("postgres"));
        const r = asPostgres("pg_ctl", ["-D", this.data, "-l", log, "-o", opts, "-w", "-t", "60", "start"]);
        this.running = r.status === 0;
        return { ok: this.running, log: fs.readFileSync(log, "utf8") + r.stdout + r.stderr };
    }

    /** What the server would use for a setting from its config files, without starting it. */
    configValue(name: string): { ok: boolean; value: string } {
        const r = asPostgres("postgres", ["-D", this.data, "-C", name]);
        return { ok: r.status === 0, value: (r.status === 0 ? r.stdout : r.stderr).trim() };
    }

    stop(): void {
        if (fs.existsSync(path.join(this.data, "postmaster.pid"))) {
            asPostgres("pg_ctl", ["-D", this.data, "-m", "fast", "-w", "-t", "60", "stop"]);
        }
        this.running = false;
    }

    destroy(): void {
        this.stop();
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}

function uid(user: string): number {
    return Number(spawnSync("id", ["-u", user], { encoding: "utf8" }).stdout.trim());
}
function gid(user: string): number {
    return Number(spawnSync("id", ["-g", user], { encoding: "utf8" }).stdout.trim());
}

const UNIT: Record<string, number> = { B: 1, kB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4, us: 1e-3, ms: 1, s: 1000, min: 60000, h: 3600000, d: 86400000 };

/** `postgres -C` prints bare numbers in the setting's base unit (pg_settings.unit, e.g. "8kB"); this adds it back. */
export function withBaseUnit(value: string, unit: string | null): string {
    if (!unit || !/^-?[0-9.]+$/.test(value.trim())) return value;
    const m = /^([0-9]*)([A-Za-z]+)$/.exec(unit);
    if (!m) return value;
    return `${Number(value) * (m[1] ? Number(m[1]) : 1)}${m[2]}`;
}

/** Compares a postgresql.conf value with what SHOW prints (SHOW picks its own unit, e.g. 1024MB -> 1GB). */
export function sameSetting(configured: string, shown: string): boolean {
    const parse = (s: string) => {
        const m = /^\s*(-?[0-9.]+)\s*([A-Za-z]*)\s*$/.exec(s);
        if (!m) return undefined;
        const unit = m[2] ?? "";
        if (unit !== "" && UNIT[unit] === undefined) return undefined;
        return Number(m[1]) * (unit === "" ? 1 : UNIT[unit]!);
    };
    const a = parse(configured);
    const b = parse(shown);
    if (a !== undefined && b !== undefined) return Math.abs(a - b) < 1e-9 * Math.max(1, Math.abs(a));
    return configured.trim().toLowerCase() === shown.trim().toLowerCase();
}
