// Every generated alert, proven in promtool (Prometheus 2.42, Debian): the rule
// file passes `promtool check rules`, and `promtool test rules` shows each
// alert firing just above its plan threshold once its `for` has elapsed,
// silent before that, and silent just below the threshold.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { DATA_DEFAULTS } from "../../config/sections/data";
import { alertGroups, promGroups, recordingGroups, type AlertRule } from "../../components/monitoring/rules";
import { computePlan, TIER_CCUS } from "../../sizing";
import { requireBinary } from "../helpers/binaries";
import { ruleFixtures, timedSeries, type Mode } from "./rule-fixtures";
import { parseStackConfig } from "../../config";
import { resolveBackup } from "../../components/backup/settings";
import { scheduledBackupJobs } from "../../components/backup/jobs";
import { stackConfigBlock, toRuntimeConfig } from "../../tools/mock-runtime";

/** The backup CronJobs of the dev stack, as the program creates them (its matrix:backup target and default schedules). */
function devBackupJobs() {
    const cfg = parseStackConfig(toRuntimeConfig(stackConfigBlock("dev")).config, "matrix");
    const jobs = scheduledBackupJobs(resolveBackup(cfg.backup, cfg.data).settings);
    assert.equal(jobs.length, 3, "the dev stack has a backup target, so three backup CronJobs");
    return jobs;
}

const minutes = (d: string) => {
    const m = /^(\d+)([mh])$/.exec(d);
    if (!m) throw new Error(`unexpected duration ${d}`);
    return Number(m[1]) * (m[2] === "h" ? 60 : 1);
};
const expand = (text: string, labels: Record<string, string>) => text.replace(/\{\{ \$labels\.([a-z_]+) \}\}/g, (_, k: string) => labels[k] ?? "");

function promtool(args: string[], cwd: string) {
    const r = spawnSync("promtool", args, { cwd, encoding: "utf8", timeout: 120000 });
    return { status: r.status, out: `${r.stdout}\n${r.stderr}` };
}

describe("alert rules in promtool", function () {
    this.timeout(180000);
    let dir: string;
    before(function () {
        requireBinary(this, "promtool");
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "matrix-rules-"));
    });
    after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

    it("a backup CronJob that never succeeded alerts once it exists longer than its allowed age, not before", () => {
        const plan = computePlan({ ccu: TIER_CCUS[0], federation: false });
        const jobs = devBackupJobs();
        const groups = alertGroups(plan, { backupJobs: jobs });
        const rulesFile = path.join(dir, "rules-backup.yaml");
        fs.writeFileSync(rulesFile, stringify({ groups: [...recordingGroups(), ...promGroups(groups)] }));
        const tests: unknown[] = [];
        const at = 10 * 60;
        for (const job of jobs) {
            const alert = groups.flatMap((g) => g.rules).find((r) => r.alert.startsWith("BackupTooOld") && r.expr.includes(`cronjob="${job.name}"`));
            assert.ok(alert, `no age alert for ${job.name}`);
            const maxAge = Number(/> (\d+)\)/.exec(alert.expr)![1]);
            const labels = { namespace: job.namespace, cronjob: job.name };
            const created = (offset: number) => [{ series: `kube_cronjob_created{namespace="${job.namespace}",cronjob="${job.name}"}`, values: `${at * 60 - maxAge + offset}x${at + 5}` }];
            const annotations = { summary: expand(alert.summary, labels), runbook: alert.runbook, threshold: alert.threshold, source: alert.source };
            tests.push({ name: `${alert.alert} never succeeded, old`, interval: "1m", input_series: created(-60), alert_rule_test: [{ eval_time: `${at}m`, alertname: alert.alert, exp_alerts: [{ exp_labels: { severity: alert.severity, ...labels }, exp_annotations: annotations }] }] });
            tests.push({ name: `${alert.alert} never succeeded, new`, interval: "1m", input_series: created(60), alert_rule_test: [{ eval_time: `${at}m`, alertname: alert.alert, exp_alerts: [] }] });
        }
        const testFile = path.join(dir, "tests-backup.yaml");
        fs.writeFileSync(testFile, stringify({ rule_files: [path.basename(rulesFile)], evaluation_interval: "1m", tests }));
        const run = promtool(["test", "rules", path.basename(testFile)], dir);
        assert.equal(run.status, 0, run.out);
    });

    for (const ccu of [TIER_CCUS[0], TIER_CCUS[TIER_CCUS.length - 1]]) {
        it(`${ccu} CCU: every alert fires just above its threshold after its 'for', and stays silent just below`, () => {
            const plan = computePlan({ ccu, federation: ccu > 1000 });
            const schedule = DATA_DEFAULTS.backupSchedule;
            const backupJobs = devBackupJobs();
            const groups = alertGroups(plan, { backupSchedule: schedule, backupJobs });
            const rulesFile = path.join(dir, `rules-${ccu}.yaml`);
            fs.writeFileSync(rulesFile, stringify({ groups: [...recordingGroups(), ...promGroups(groups)] }));
            const check = promtool(["check", "rules", rulesFile], dir);
            assert.equal(check.status, 0, check.out);

            const fixtures = ruleFixtures(plan, backupJobs);
            const rules: AlertRule[] = groups.flatMap((g) => g.rules);
            assert.deepEqual(rules.map((r) => r.alert).filter((n) => !(n in fixtures)), [], "alerts without a fixture");
            const tests: unknown[] = [];
            for (const rule of rules) {
                const f = fixtures[rule.alert];
                const forMin = minutes(rule.for);
                const at = (f.settleMinutes ?? 6) + forMin;
                const timed = timedSeries(rule.alert, "quiet", at * 60, plan, schedule, backupJobs) !== undefined;
                const series = (mode: Mode) => timedSeries(rule.alert, mode, at * 60, plan, schedule, backupJobs) ?? f.series(mode);
                const labels = { severity: rule.severity, ...f.labels };
                const annotations = { summary: expand(rule.summary, labels), runbook: expand(rule.runbook, labels), threshold: rule.threshold, source: rule.source };
                const fire = [{ eval_time: `${at}m`, alertname: rule.alert, exp_alerts: [{ exp_labels: labels, exp_annotations: annotations }] }];
                // Before its `for` has elapsed the alert is at most pending.
                if (forMin >= 2) fire.push({ eval_time: `${forMin - 1}m`, alertname: rule.alert, exp_alerts: [] } as never);
                tests.push({ name: `${rule.alert} fires`, interval: "1m", input_series: series("fire"), alert_rule_test: fire });
                tests.push({
                    name: `${rule.alert} stays silent just below`,
                    interval: "1m",
                    input_series: series("quiet"),
                    alert_rule_test: [
                        { eval_time: `${at}m`, alertname: rule.alert, exp_alerts: [] },
                        // Held below the threshold it never fires (timestamps age by design, so not for them).
                        ...(timed ? [] : [{ eval_time: `${at + 30}m`, alertname: rule.alert, exp_alerts: [] }]),
                    ],
                });
            }
            const testFile = path.join(dir, `tests-${ccu}.yaml`);
            fs.writeFileSync(testFile, stringify({ rule_files: [path.basename(rulesFile)], evaluation_interval: "1m", tests }));
            const run = promtool(["test", "rules", path.basename(testFile)], dir);
            assert.equal(run.status, 0, run.out);
            assert.match(run.out, /SUCCESS/);
        });
    }
});
