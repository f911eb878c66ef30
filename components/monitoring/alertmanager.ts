// Alertmanager's configuration from matrix:monitoring.alertmanager. Secrets
// (SMTP password, webhook URL) never enter it: they live in one Secret that
// the Alertmanager pods mount, and the config names the files.
import type { MonitoringConfig } from "../../config/sections/monitoring";

/** Secret holding the receivers' secret values; Alertmanager mounts it under SECRETS_DIR. */
export const ALERTMANAGER_SECRET = "alertmanager-receivers";
export const SECRETS_DIR = `/etc/alertmanager/secrets/${ALERTMANAGER_SECRET}`;
export const SECRET_KEYS = { smtpPassword: "smtp-password", webhookUrl: "webhook-url" } as const;
export const RECEIVER = "operators";
export const NULL_RECEIVER = "null";

export type AlertmanagerSettings = MonitoringConfig["alertmanager"];

export function hasReceivers(s: AlertmanagerSettings): boolean {
    return s.email !== undefined || s.webhook !== undefined;
}

/** The warning the program prints when no receiver is configured. */
export function receiverWarnings(s: AlertmanagerSettings): string[] {
    return hasReceivers(s)
        ? []
        : [
              "matrix:monitoring.alertmanager: no receiver configured (email or webhook), so alerts are only visible in Alertmanager and Grafana; " +
                  "set matrix:monitoring.alertmanager.email or .webhook to be notified",
          ];
}

/** The secret values the receivers need, keyed as SECRET_KEYS (plain strings: the caller wraps them as secrets). */
export function receiverSecretValues(s: AlertmanagerSettings): Record<string, string> {
    return {
        ...(s.email?.password ? { [SECRET_KEYS.smtpPassword]: s.email.password.reveal() } : {}),
        ...(s.webhook?.url ? { [SECRET_KEYS.webhookUrl]: s.webhook.url.reveal() } : {}),
    };
}

export function alertmanagerConfig(s: AlertmanagerSettings): Record<string, unknown> {
    const receiver: Record<string, unknown> = { name: RECEIVER };
    if (s.email) {
        receiver.email_configs = [
            {
                to: s.email.to.join(", "),
                from: s.email.from,
                smarthost: s.email.smarthost,
                require_tls: s.email.requireTls,
                send_resolved: true,
                ...(s.email.username ? { auth_username: s.email.username } : {}),
                ...(s.email.password ? { auth_password_file: `${SECRETS_DIR}/${SECRET_KEYS.smtpPassword}` } : {}),
            },
        ];
    }
    if (s.webhook) {
        receiver.webhook_configs = [{ url_file: `${SECRETS_DIR}/${SECRET_KEYS.webhookUrl}`, send_resolved: s.webhook.sendResolved }];
    }
    const target = hasReceivers(s) ? RECEIVER : NULL_RECEIVER;
    return {
        route: {
            receiver: target,
            group_by: ["alertname", "namespace"],
            group_wait: "30s",
            group_interval: "5m",
            repeat_interval: "4h",
            // Watchdog (kube-prometheus-stack's always-firing alert) proves the pipeline works; it is no page.
            routes: [{ receiver: NULL_RECEIVER, matchers: ['alertname = "Watchdog"'] }],
        },
        // A critical alert silences the same alert's warnings for the same target.
        inhibit_rules: [{ source_matchers: ['severity = "critical"'], target_matchers: ['severity = "warning"'], equal: ["alertname", "namespace", "instance"] }],
        receivers: [{ name: NULL_RECEIVER }, ...(hasReceivers(s) ? [receiver] : [])],
    };
}
