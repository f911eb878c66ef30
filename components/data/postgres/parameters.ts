// Which of the plan's PostgreSQL parameters may go into a CloudNativePG
// Cluster. The operator owns some settings (it writes them itself and its
// validating webhook rejects a Cluster that sets them), so handing it the
// guide's tuning block verbatim would fail at admission, the seed deployment's
// mistake. Source: FixedConfigurationParameters and the mandatory settings in
// cloudnative-pg pkg/postgres/configuration.go (1.2x), checked by name here.
import type { PostgresParameters } from "../../../sizing/types";

/** Set by the operator (fixed) or required to stay at their default (blocked). */
export const CNPG_MANAGED_PARAMETERS: ReadonlySet<string> = new Set([
    // restart-time
    "allow_system_table_mods", "archive_mode", "bonjour", "bonjour_name", "cluster_name", "config_file",
    "data_directory", "data_sync_retry", "event_source", "external_pid_file", "hba_file", "hot_standby",
    "ident_file", "jit_provider", "listen_addresses", "logging_collector", "port", "primary_conninfo",
    "primary_slot_name", "recovery_target", "recovery_target_action", "recovery_target_inclusive",
    "recovery_target_lsn", "recovery_target_name", "recovery_target_time", "recovery_target_timeline",
    "recovery_target_xid", "restore_command", "shared_preload_libraries", "temp_tablespaces",
    "unix_socket_directories", "unix_socket_group", "unix_socket_permissions",
    // reload-time
    "archive_cleanup_command", "archive_command", "log_destination", "log_directory", "log_file_mode",
    "log_filename", "log_rotation_age", "log_rotation_size", "log_truncate_on_rotation",
    "pg_failover_slots.primary_dsn", "pg_failover_slots.standby_slot_names", "promote_trigger_file",
    "recovery_end_command", "recovery_min_apply_delay", "restart_after_crash", "ssl", "ssl_ca_file",
    "ssl_cert_file", "ssl_crl_file", "ssl_dh_params_file", "ssl_ecdh_curve", "ssl_key_file",
    "ssl_passphrase_command", "ssl_passphrase_command_supports_reload", "ssl_prefer_server_ciphers",
    "stats_temp_directory", "synchronous_standby_names", "synchronized_standby_slots", "syslog_facility",
    "syslog_ident", "syslog_sequence_numbers", "syslog_split_messages",
]);

export interface ParameterSelection {
    /** What goes into spec.postgresql.parameters. */
    readonly accepted: Readonly<Record<string, string>>;
    /** What the plan asked for but the operator manages, with the reason (reported, never silently dropped). */
    readonly excluded: readonly { readonly name: string; readonly value: string; readonly reason: string }[];
}

export function selectCnpgParameters(parameters: PostgresParameters): ParameterSelection {
    const accepted: Record<string, string> = {};
    const excluded: { name: string; value: string; reason: string }[] = [];
    for (const name of Object.keys(parameters).sort()) {
        const value = parameters[name]!;
        if (CNPG_MANAGED_PARAMETERS.has(name)) {
            excluded.push({ name, value, reason: "managed by CloudNativePG; its webhook rejects a Cluster that sets it" });
        } else {
            accepted[name] = value;
        }
    }
    return { accepted, excluded };
}
