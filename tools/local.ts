// `npm run local -- [--stack dev|prod | --ccu N] [--workdir DIR] [--max-replicas K]`:
// boots the deployment the program would create on loopback (tools/local/),
// prints one JSON line when every process answers its health check, and stays
// up until SIGINT/SIGTERM, then stops everything it started and exits 0.
import { bootLocal, BootError, type LocalStack } from "./local/boot";
import { isConfigError } from "../config";

export interface LocalArgs {
    readonly stack?: string;
    readonly ccu?: number;
    readonly workdir?: string;
    readonly maxReplicas?: number;
}

export class UsageError extends Error {}

export function parseLocalArgs(argv: readonly string[]): LocalArgs {
    const out: { stack?: string; ccu?: number; workdir?: string; maxReplicas?: number } = {};
    const value = (i: number, flag: string) => {
        const v = argv[i + 1];
        if (v === undefined || v.startsWith("--")) throw new UsageError(`${flag} needs a value`);
        return v;
    };
    const int = (v: string, flag: string, min: number) => {
        if (!/^\d+$/.test(v) || Number(v) < min) throw new UsageError(`${flag}: ${JSON.stringify(v)} is not allowed; give an integer >= ${min}`);
        return Number(v);
    };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i]!;
        const [flag, inline] = a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
        const v = () => inline ?? value(i++, flag);
        if (flag === "--stack") out.stack = v();
        else if (flag === "--ccu") out.ccu = int(v(), "--ccu", 1);
        else if (flag === "--workdir") out.workdir = v();
        else if (flag === "--max-replicas") out.maxReplicas = int(v(), "--max-replicas", 1);
        else throw new UsageError(`unknown argument ${a}`);
    }
    return out;
}

/** The one line printed when everything is up. */
export function readyLine(s: LocalStack): string {
    return JSON.stringify({
        baseUrl: s.baseUrl,
        serverName: s.serverName,
        registrationSharedSecretFile: s.registrationSharedSecretFile,
        routerLog: s.routerLog,
        logDir: s.logDir,
        processes: s.processes().map((p) => ({ name: p.name, pid: p.pid, log: p.log })),
    });
}

async function main(): Promise<number> {
    let args: LocalArgs;
    try {
        args = parseLocalArgs(process.argv.slice(2));
    } catch (e) {
        process.stderr.write(`${(e as Error).message}\nusage: npm run local -- [--stack dev|prod | --ccu N] [--workdir DIR] [--max-replicas K]\n`);
        return 64;
    }
    let stack: LocalStack | undefined;
    let stopping: Promise<void> | undefined;
    let signalled = false;
    const onSignal = (sig: NodeJS.Signals) => {
        signalled = true;
        process.stderr.write(`${sig}: stopping every process\n`);
        stopping ??= stack?.stop() ?? Promise.resolve();
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    try {
        stack = await bootLocal({ ...args, log: (l) => process.stderr.write(`local: ${l}\n`) });
    } catch (e) {
        if (isConfigError(e)) {
            for (const p of e.problems) process.stderr.write(`${p}\n`);
            return 2;
        }
        process.stderr.write(`${e instanceof BootError ? e.message : e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
        return 1;
    }
    if (signalled) {
        await stack.stop();
        return 0;
    }
    process.stdout.write(readyLine(stack) + "\n");
    await new Promise<void>((resolve) => {
        const t = setInterval(() => {
            if (stopping) {
                clearInterval(t);
                stopping.then(resolve, resolve);
            }
        }, 200);
    });
    return 0;
}

if (require.main === module) {
    main().then((code) => process.exit(code));
}
