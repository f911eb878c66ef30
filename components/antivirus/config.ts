// clamd.conf and freshclam.conf, as pure functions of the plan and the stack
// config. clamd must accept the largest upload the plan allows (else every
// big upload would fail closed), and freshclam only ever talks to the internal
// mirror (the deployment is air-gapped).
import type { Plan } from "../../sizing/types";
import { CLAMD_PORT } from "../contracts";

export const DATABASE_DIR = "/var/lib/clamav";
export const CONFIG_DIR = "/etc/clamav";

export interface ClamdPaths {
    readonly databaseDir: string;
    readonly tcpAddr: string;
    readonly port: number;
}

export const POD_PATHS: ClamdPaths = { databaseDir: DATABASE_DIR, tcpAddr: "0.0.0.0", port: CLAMD_PORT };

/** Room above max_upload_size: INSTREAM counts the stream, an archive may expand beyond it. */
const SCAN_FACTOR = 4;

const conf = (entries: readonly (readonly [string, string | number])[]) => entries.map(([k, v]) => `${k} ${v}`).join("\n") + "\n";

export function clamdConf(plan: Plan, timeoutSeconds: number, p: ClamdPaths = POD_PATHS): string {
    const maxUpload = plan.synapse.maxUploadBytes;
    return conf([
        ["Foreground", "yes"],
        ["LogTime", "yes"],
        ["LogVerbose", "no"],
        ["DatabaseDirectory", p.databaseDir],
        ["TCPSocket", p.port],
        ["TCPAddr", p.tcpAddr],
        // The whole upload is one stream; anything shorter would make big uploads fail (closed).
        ["StreamMaxLength", maxUpload],
        ["MaxFileSize", maxUpload],
        ["MaxScanSize", maxUpload * SCAN_FACTOR],
        // Keep answering with the old signatures while new ones load (the plan's memory limit covers both).
        ["ConcurrentDatabaseReload", "yes"],
        // clamd gives up on a slow client a little after Synapse does, never before.
        ["ReadTimeout", timeoutSeconds + 5],
        ["CommandReadTimeout", timeoutSeconds + 5],
        ["MaxThreads", 12],
        ["MaxQueue", 100],
        ["SelfCheck", 600],
    ]);
}

/** freshclam's pid file, on the pod's /run/clamav emptyDir. */
export const FRESHCLAM_PID_FILE = "/run/clamav/freshclam.pid";

export function freshclamConf(mirror: string, checksPerDay: number, databaseDir = DATABASE_DIR, clamdConfPath = `${CONFIG_DIR}/clamd.conf`, pidFile = FRESHCLAM_PID_FILE): string {
    return conf([
        ["Foreground", "yes"],
        ["LogTime", "yes"],
        ["DatabaseDirectory", databaseDir],
        // PrivateMirror: no DNS lookups, no fallback to the public CDN.
        ["PrivateMirror", mirror.replace(/\/+$/, "")],
        ["DNSDatabaseInfo", "no"],
        ["ScriptedUpdates", "no"],
        ["Checks", checksPerDay],
        ["ConnectTimeout", 30],
        ["ReceiveTimeout", 300],
        ["NotifyClamd", clamdConfPath],
        // Written by the daemon (the sidecar); its liveness probe checks the process it names.
        ["PidFile", pidFile],
    ]);
}
