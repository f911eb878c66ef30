// The shape every command of tools/ shares: a pure-ish function from argv to
// { code, stdout, stderr } (what the tests call), and this one way of running
// it as a process (what npm runs).

export interface CommandResult {
    readonly code: number;
    readonly stdout: string;
    readonly stderr: string;
}

/** Runs `command` with the process's arguments, prints its output, and exits with its code (1 with the stack on a crash). */
export function runAsProcess(command: (argv: readonly string[]) => Promise<CommandResult> | CommandResult): void {
    Promise.resolve()
        .then(() => command(process.argv.slice(2)))
        .then(
            (r) => {
                process.stdout.write(r.stdout);
                process.stderr.write(r.stderr);
                process.exit(r.code);
            },
            (e) => {
                console.error(e instanceof Error ? e.stack : e);
                process.exit(1);
            },
        );
}
