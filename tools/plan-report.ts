// The human-readable plan: what `npm run plan` prints.
import { NODE_ROLES, NodeRole, Plan, WORKER_TYPES } from "../sizing";
import { buildInventory, STATEFUL_ROLES } from "../components/cluster/aws/inventory";
import { DEFAULT_AWS_OPTIONS } from "../components/cluster/aws/options";
import { quotaNeeds } from "../components/cluster/aws/quotas";
import { maxIntervalSeconds } from "../components/li/cron";
import { liSizing } from "../components/li/sizing";
import { MEASURED_SYNC_MBPS, syncEstimate } from "../components/li/sync-estimate";
import { LI_DEFAULTS } from "../config/sections/li";

const ROLE_NAMES: Record<NodeRole, string> = {
    controlPlane: "control plane",
    app: "application",
    database: "database",
    storage: "storage",
    calls: "call servers",
    li: "LI server",
    monitoring: "monitoring",
};

const n = (v: number) => v.toLocaleString("en-US", { maximumFractionDigits: 2 });

function table(header: string[], rows: (string | number)[][]): string[] {
    const cells = [header, ...rows.map((r) => r.map((c) => (typeof c === "number" ? n(c) : c)))];
    const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
    // Numbers right-aligned, text left-aligned: columns read like a spreadsheet.
    const numericCol = header.map((_, i) => rows.every((r) => typeof r[i] === "number"));
    return cells.map((r) => "  " + r.map((c, i) => (numericCol[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join("  ").trimEnd());
}

function gb(value: number): string {
    return value >= 1000 ? `${n(value / 1000)} TB` : `${n(value)} GB`;
}

export function renderPlan(plan: Plan): string {
    const out: string[] = [];
    const where = plan.tier.exact ? `exactly the guide's ${n(plan.ccu)} CCU tier` : `between the guide's ${n(plan.tier.lower)} and ${n(plan.tier.upper)} CCU tiers`;
    out.push(`Matrix deployment plan: ${n(plan.ccu)} concurrent users, federation ${plan.federation ? "on" : "off"} (${where})`, "");

    out.push("Node pools");
    out.push(
        ...table(
            ["role", "count", "vCPU", "RAM GiB", "disk GB", "disk", "runs"],
            [
                ...NODE_ROLES.map((r) => {
                    const p = plan.nodePools[r];
                    return [ROLE_NAMES[r], p.count, p.vcpu, p.memoryGiB, p.diskGB, p.diskType, p.purpose];
                }),
                ["total", plan.totals.servers, plan.totals.vcpu, plan.totals.memoryGiB, plan.totals.diskGB, "", ""],
            ],
        ),
        "",
    );

    const s = plan.synapse;
    out.push(`Synapse processes: ${s.processes} (the guide counts ${s.guideProcesses})`);
    out.push(
        ...table(
            ["process", "count", "HPA max", "vCPU", "RAM GiB", "cp_min", "cp_max"],
            [
                ["main", 1, 1, s.main.cpu, s.main.memoryGiB, s.main.cpMin, s.main.cpMax],
                ...WORKER_TYPES.filter((t) => s.workers[t].count > 0).map((t) => {
                    const w = s.workers[t];
                    return [t, w.count, w.maxReplicas, w.cpu, w.memoryGiB, w.cpMin, w.cpMax];
                }),
            ],
        ),
    );
    out.push(
        `  caches.global_factor ${s.caches.globalFactor}, event_cache_size ${s.caches.eventCacheSize}, max_upload_size ${s.maxUploadSize}`,
        `  rc_message ${s.rcMessage.perSecond}/s burst ${s.rcMessage.burstCount}, rc_registration ${s.rcRegistration.perSecond}/s burst ${s.rcRegistration.burstCount}, rc_federation.concurrent ${s.rcFederation.concurrent}`,
        "",
    );

    const pg = plan.postgres;
    const c = pg.connections;
    const used = (100 * c.total) / pg.maxConnections;
    const bar = "#".repeat(Math.round(used / 5)).padEnd(20, ".");
    out.push("Database connection budget (guide §12: pools < 85% of max_connections)");
    out.push(
        `  max_connections ${pg.maxConnections}${pg.maxConnections !== pg.guideMaxConnections ? ` (guide: ${pg.guideMaxConnections})` : ""}, allowed for pools: < ${n(c.limit)}, reserved: ${n(c.reserved)}`,
        `  used ${c.total} at planned replicas [${bar}] ${n(used)}%, ${c.totalAtMaxReplicas} at HPA maximum; the guide's own count: ${c.guideTotal}`,
        `  pools: main ${c.main}, workers ${c.worker}, light processes ${c.light}`,
        "",
    );

    out.push(`PostgreSQL: ${pg.instances} instances (1 primary + ${pg.instances - 1} replicas), ${pg.cpu} vCPU / ${pg.memoryGiB} GiB, ${gb(pg.storageGB)} NVMe each`);
    out.push("  " + Object.entries(pg.parameters).map(([k, v]) => `${k}=${v}`).join(", "), "");

    const r = plan.redis;
    out.push(
        `Redis: Synapse ${r.synapse.instances} + ${r.synapse.sentinels} Sentinels, ${r.synapse.cpu} vCPU / ${r.synapse.memoryGiB} GiB, ${r.synapse.persistence.toUpperCase()}; ` +
            `LiveKit ${r.livekit.instances} + ${r.livekit.sentinels} Sentinels, ${r.livekit.cpu} vCPU / ${r.livekit.memoryGiB} GiB, ${r.livekit.persistence.toUpperCase()}`,
    );
    out.push(
        `LiveKit: ${plan.livekit.instances} x ${plan.livekit.cpu} vCPU / ${plan.livekit.memoryGiB} GiB, ~${n(plan.livekit.participantsPerInstance)} participants each, ${n(plan.livekit.expectedParticipants)} expected at peak`,
        `  by LiveKit's benchmark scaled to ${plan.livekit.cpu} vCPU: ${n(plan.livekit.capacity.benchmarkVideoParticipants)} video or ${n(plan.livekit.capacity.benchmarkAudioParticipants)} audio participants per instance; ` +
            `expected CPU at peak ${n(plan.livekit.capacity.peakCpuPercent)}% per instance (${n(plan.livekit.capacity.peakParticipantsPerInstance)} participants, ${n(plan.livekit.capacity.peakVideoPerInstance)} on video)`,
        `coturn: ${plan.coturn.instances} x ${plan.coturn.cpu} vCPU / ${plan.coturn.memoryGiB} GiB, ~${n(plan.coturn.allocationsPerInstance)} allocations each, ${n(plan.coturn.expectedAllocations)} expected, user-quota ${plan.coturn.userQuota}${plan.callsColocated ? " (sharing the call servers with LiveKit)" : ""}`,
        "",
    );

    const o = plan.objectStore;
    out.push("Media storage headroom");
    out.push(
        `  MinIO: ${o.pools} pool(s) x ${o.serversPerPool} servers x ${o.drivesPerServer} drives of ${gb(o.driveGB)}, EC:${o.parity} over ${o.erasureSetDrives} drives`,
        `  raw ${gb(o.rawGB)}, usable ${gb(o.usableGB)}; growth ${gb(plan.media.annualGrowthGB)}/year -> covers ${n(plan.media.yearsCovered)} years`,
        "",
    );

    const bw = plan.bandwidth;
    out.push(
        `Bandwidth: media ${n(bw.mediaAvgMbps)} Mbps average, ${n(bw.mediaPeakMbps)} Mbps peak, ${n(bw.mediaUplinkMbps)} Mbps uplink; ` +
            `calls ${n(bw.concurrentCalls)} concurrent (${n(bw.videoCalls)} video, ${n(bw.audioCalls)} audio), ~${n(bw.callsMbps)} Mbps`,
        "",
    );

    out.push(...awsSection(plan), "");
    const li = liSizing(plan);
    const sync = syncEstimate(plan, maxIntervalSeconds(LI_DEFAULTS.schedule));
    out.push(
        `Lawful intercept (LI server ${li.server.vcpu} vCPU / ${li.server.memoryGiB} GiB): PostgreSQL ${n(li.postgres.cpu)} vCPU / ${n(li.postgres.memoryGiB)} GiB on ${gb(li.postgres.storageGB)}, dump space ${gb(li.dumpStorageGB)}, ${li.syncJobs} sync jobs`,
        `  expected sync of a ${gb(sync.databaseGB)} main database at ${n(MEASURED_SYNC_MBPS)} MB/s (measured, components/li/sync-estimate.ts): ${n(sync.seconds / 3600)} h; default schedule "${LI_DEFAULTS.schedule}" runs every ${n(sync.intervalSeconds / 3600)} h`,
        ...sync.warnings.map((w) => `  WARNING: ${w}`),
        "",
    );

    out.push(`Warnings (${plan.warnings.length})`, ...(plan.warnings.length ? plan.warnings.map((w) => `  - ${w}`) : ["  none"]), "");
    out.push(`Guide errata (${plan.errata.length})`, ...plan.errata.map((e) => `  - ${e}`));
    return out.join("\n") + "\n";
}

/**
 * What provider aws builds from the plan with the default options (default
 * families, 3 zones, a NAT gateway per zone): the account quotas to request
 * before the first `pulumi up`, and where each role's disk figure goes. The
 * stack output `awsQuotas` gives the same numbers for the stack's own options.
 */
function awsSection(plan: Plan): string[] {
    const opts = { ...DEFAULT_AWS_OPTIONS, region: "eu-central-1", zoneCount: 3 };
    const inventory = buildInventory(plan, opts);
    const q = quotaNeeds(inventory, opts);
    const vol = (role: NodeRole) => {
        const s = inventory.servers.find((x) => x.role === role);
        const v = s?.dataVolumes ?? [];
        return v.length === 0 ? "none (root disk only)" : v.map((x) => `${x.type} ${n(x.sizeGiB)} GiB`).join(" + ");
    };
    return [
        "On AWS (provider aws, default families, 3 zones, natGateways perZone)",
        `  quotas: ${q.elasticIps} Elastic IPs (default quota 5), ${n(q.onDemandStandardVcpus)} on-demand standard vCPUs; EBS ` +
            Object.entries(q.ebsGiB).map(([t, g]) => `${t} ${n(g)} GiB`).join(", "),
        ...q.requests.map((r) => `  - ${r}`),
        "  node disks: the plan's disk per server above is the guide's figure; on AWS only database and storage servers",
        "  carry it as EBS data volumes, control-plane servers get etcd's volume, and the other roles keep their data on",
        "  matrix-ssd claims sized by their components (docs/cluster.md, \"Where each role's data lives\"):",
        ...NODE_ROLES.map((r) => `    ${ROLE_NAMES[r].padEnd(13)} ${STATEFUL_ROLES.includes(r) || r === "controlPlane" ? "" : "plan " + gb(plan.nodePools[r].diskGB) + " -> "}${vol(r)}, root gp3 ${opts.rootVolumeGiB} GiB`),
    ];
}
