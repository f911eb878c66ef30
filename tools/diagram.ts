// A picture of the plan: one band per node pool with its servers (count and
// size) and what runs there, and the ports the internet reaches. Pure: the
// same plan always gives the same SVG, so committed pictures can be checked
// for staleness.
import { CALL_PORTS, EDGE_NODE_PORTS, LI_ADMIN_HOST_PORT } from "../components/contracts";
import type { NodeRole, Plan, WorkerType } from "../sizing/types";
import { NODE_ROLES, WORKER_TYPES } from "../sizing/types";

const ROLE_TITLES: Record<NodeRole, string> = {
    controlPlane: "Control plane",
    app: "Application",
    database: "Database",
    storage: "Object storage",
    calls: "Call servers",
    li: "Lawful intercept",
    monitoring: "Monitoring",
};

const ROLE_COLOURS: Record<NodeRole, string> = {
    controlPlane: "#e8eaf6",
    app: "#e3f2fd",
    database: "#fff3e0",
    storage: "#f1f8e9",
    calls: "#fce4ec",
    li: "#ede7f6",
    monitoring: "#e0f2f1",
};

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const num = (n: number) => n.toLocaleString("en");
const range = (r: { from: number; to: number }) => `${r.from}-${r.to}`;

function workerLine(plan: Plan, type: WorkerType): string | undefined {
    const w = plan.synapse.workers[type];
    if (w.count === 0) return undefined;
    const scale = w.maxReplicas > w.count ? `${w.count}-${w.maxReplicas} (HPA)` : `${w.count}`;
    return `${type} ${scale}`;
}

/** What runs on each pool, one short line per item, from the plan's own numbers. */
export function workloadsByRole(plan: Plan): Record<NodeRole, string[]> {
    const workers = WORKER_TYPES.map((t) => workerLine(plan, t)).filter((l): l is string => l !== undefined);
    const os = plan.objectStore;
    return {
        controlPlane: ["kube-apiserver, etcd, scheduler, controller-manager (HA)"],
        app: [
            `Synapse: ${plan.synapse.processes} processes (main 1 + workers)`,
            ...chunk(workers, 4).map((ws) => `  ${ws.join(", ")}`),
            "HAProxy router, Element Web, HTTPS edge (Envoy Gateway)",
            `Redis (Synapse) ${plan.redis.synapse.instances} + ${plan.redis.synapse.sentinels} Sentinels; Redis (LiveKit) ${plan.redis.livekit.instances} + ${plan.redis.livekit.sentinels} Sentinels`,
        ],
        database: [
            `PostgreSQL (CloudNativePG): ${plan.postgres.instances} instances (1 primary + ${plan.postgres.instances - 1} replicas), ${num(plan.postgres.storageGB)} GB each`,
            `max_connections ${plan.postgres.maxConnections}; pools use ${plan.postgres.connections.total} (${plan.postgres.connections.totalAtMaxReplicas} at HPA maximum)`,
        ],
        storage: [
            `MinIO: ${os.pools} pool(s) x ${os.serversPerPool} servers x ${os.drivesPerServer} drives of ${num(os.driveGB)} GB, EC:${os.parity}`,
            `raw ${num(os.rawGB)} GB, usable ${num(os.usableGB)} GB`,
        ],
        calls: [
            `LiveKit x ${plan.livekit.instances} (~${num(plan.livekit.participantsPerInstance)} participants each)`,
            `coturn x ${plan.coturn.instances} (~${num(plan.coturn.allocationsPerInstance)} allocations each)${plan.callsColocated ? ", sharing the servers with LiveKit" : ""}`,
        ],
        li: ["synapse-li, element-web-li, synapse-admin-li, key_vault", "own PostgreSQL copy (synced from a replica), own HTTPS proxy"],
        monitoring: ["Prometheus, Alertmanager, Grafana, Loki"],
    };
}

function chunk<T>(xs: readonly T[], n: number): T[][] {
    const out: T[][] = [];
    for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
    return out;
}

/** The ports the internet reaches, per pool: the edge on the app servers, calls on the call servers, LI admin. */
export function exposedPorts(): Partial<Record<NodeRole, string>> {
    return {
        app: `internet: TCP 443 (edge load balancer -> NodePort ${EDGE_NODE_PORTS.https})`,
        calls: `internet: UDP/TCP ${CALL_PORTS.turn}, TCP ${CALL_PORTS.turnTls}, TCP ${CALL_PORTS.livekitTcp}, UDP ${range(CALL_PORTS.livekitUdp)} (LiveKit), UDP ${range(CALL_PORTS.turnRelay)} (TURN relay)`,
        li: `LI admin networks only: TCP ${LI_ADMIN_HOST_PORT}`,
    };
}

const WIDTH = 1100;
const LEFT = 20;
const LABEL_W = 250;
const LINE_H = 16;
const BOX = 12;
const BOX_GAP = 3;

export function planDiagram(plan: Plan): string {
    const runs = workloadsByRole(plan);
    const ports = exposedPorts();
    const body: string[] = [];
    let y = 70;
    for (const role of NODE_ROLES) {
        const pool = plan.nodePools[role];
        const lines = [...runs[role], ...(ports[role] ? [ports[role]!] : [])];
        const perRow = Math.floor((LABEL_W - 10) / (BOX + BOX_GAP));
        const boxRows = Math.ceil(pool.count / perRow);
        const height = Math.max(lines.length * LINE_H + 16, 44 + boxRows * (BOX + BOX_GAP));
        body.push(`<g id="pool-${role}">`);
        body.push(`<rect x="${LEFT}" y="${y}" width="${WIDTH - 2 * LEFT}" height="${height}" rx="6" fill="${ROLE_COLOURS[role]}" stroke="#90a4ae"/>`);
        body.push(`<text x="${LEFT + 10}" y="${y + 18}" font-weight="bold">${esc(`${ROLE_TITLES[role]} x ${pool.count}`)}</text>`);
        body.push(`<text x="${LEFT + 10}" y="${y + 34}" font-size="11">${esc(`${pool.vcpu} vCPU, ${num(pool.memoryGiB)} GiB, ${num(pool.diskGB)} GB ${pool.diskType.toUpperCase()}`)}</text>`);
        for (let i = 0; i < pool.count; i++) {
            const bx = LEFT + 10 + (i % perRow) * (BOX + BOX_GAP);
            const by = y + 42 + Math.floor(i / perRow) * (BOX + BOX_GAP);
            body.push(`<rect x="${bx}" y="${by}" width="${BOX}" height="${BOX}" fill="#546e7a"><title>${esc(`${role}-${i}`)}</title></rect>`);
        }
        lines.forEach((line, i) => {
            const exposed = ports[role] === line;
            body.push(`<text x="${LEFT + LABEL_W + 20}" y="${y + 18 + i * LINE_H}" font-size="12"${exposed ? ' fill="#c62828"' : ""} xml:space="preserve">${esc(line)}</text>`);
        });
        body.push("</g>");
        y += height + 10;
    }
    const t = plan.totals;
    const title = `Matrix deployment for ${num(plan.ccu)} concurrent users${plan.tier.exact ? "" : ` (between the ${num(plan.tier.lower)} and ${num(plan.tier.upper)} CCU tiers)`}`;
    const subtitle = `${t.servers} servers, ${num(t.vcpu)} vCPU, ${num(t.memoryGiB)} GiB RAM, ${num(t.diskGB)} GB disk; federation ${plan.federation ? "on" : "off"}`;
    return [
        `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${y + 10}" viewBox="0 0 ${WIDTH} ${y + 10}" font-family="sans-serif">`,
        `<rect width="100%" height="100%" fill="#ffffff"/>`,
        `<text x="${LEFT}" y="30" font-size="18" font-weight="bold">${esc(title)}</text>`,
        `<text x="${LEFT}" y="52" font-size="12">${esc(subtitle)}</text>`,
        ...body,
        "</svg>",
        "",
    ].join("\n");
}
