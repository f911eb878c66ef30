// Mocha's spec reporter plus, at the end, the slowest test files (CI must stay
// under its time limit: this says where the time goes) and one closing line
// "N passed, N failed, N skipped", the plain form CI logs are read for.
"use strict";
const path = require("path");
const Mocha = require("mocha");

const { EVENT_RUN_END, EVENT_SUITE_BEGIN, EVENT_SUITE_END } = Mocha.Runner.constants;
const SLOWEST = 15;

class SpecWithSummary extends Mocha.reporters.Spec {
    constructor(runner, options) {
        super(runner, options);
        const started = new Map();
        const perFile = new Map();
        runner.on(EVENT_SUITE_BEGIN, (suite) => {
            if (suite.parent && suite.parent.root && suite.file) started.set(suite, Date.now());
        });
        runner.on(EVENT_SUITE_END, (suite) => {
            const t0 = started.get(suite);
            if (t0 === undefined) return;
            const file = path.relative(process.cwd(), suite.file);
            perFile.set(file, (perFile.get(file) || 0) + (Date.now() - t0));
        });
        runner.once(EVENT_RUN_END, () => {
            const slow = [...perFile].sort((a, b) => b[1] - a[1]).slice(0, SLOWEST);
            if (slow.length > 0) {
                process.stdout.write(`slowest files:\n`);
                for (const [file, ms] of slow) process.stdout.write(`  ${(ms / 1000).toFixed(0).padStart(5)} s  ${file}\n`);
            }
            const { passes, failures, pending } = runner.stats;
            process.stdout.write(`${passes} passed, ${failures} failed, ${pending} skipped\n`);
        });
    }
}

module.exports = SpecWithSummary;
