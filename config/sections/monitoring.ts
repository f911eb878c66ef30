// Stack config for the monitoring stack (`matrix:monitoring`): where alerts
// go. Sizes, retention and thresholds come from the plan only. No receiver is
// the default (a fresh stack knows no address); the program then warns that
// alerts only show in Alertmanager's and Grafana's UI.
import { boolean, list, object, optional, refine, secretString, string, type Infer } from "../schema";

const email = (description: string) =>
    string({ description, pattern: /^[^@\s]+@[^@\s]+\.[^@\s]+$/, patternText: "an e-mail address" });

export const monitoring = {
    monitoring: object(
        {
            alertmanager: object(
                {
                    email: optional(
                        object(
                            {
                                to: list(email("A recipient."), { description: "Who receives alert e-mails.", minItems: 1 }),
                                from: email("Sender address of alert e-mails."),
                                smarthost: string({
                                    description: "SMTP server as host:port.",
                                    pattern: /^[A-Za-z0-9.-]+:[0-9]{1,5}$/,
                                    patternText: "host:port, e.g. smtp.example.org:587",
                                }),
                                username: optional(string({ description: "SMTP user name (with password)." })),
                                password: secretString({
                                    description: "SMTP password; mounted into Alertmanager as a file, never in its config.",
                                    setHint: "pulumi config set --secret --path matrix:monitoring.alertmanager.email.password ...",
                                }),
                                requireTls: boolean({ description: "Require STARTTLS towards the SMTP server.", default: true }),
                            },
                            { description: "Send alerts by e-mail.", optional: true },
                        ),
                    ),
                    webhook: optional(
                        refine(
                            object(
                                {
                                    url: secretString({
                                        description: "Webhook URL alerts are POSTed to (Alertmanager's webhook format). Often carries a token, hence a secret.",
                                        setHint: "pulumi config set --secret --path matrix:monitoring.alertmanager.webhook.url https://...",
                                    }),
                                    sendResolved: boolean({ description: "Also notify when an alert resolves.", default: true }),
                                },
                                { description: "Send alerts to a webhook.", optional: true },
                            ),
                            (v, problem) => {
                                if (v === undefined) return;
                                if (v.url === undefined) problem("url", "required when webhook is set; allowed: an http(s) URL set as a secret");
                                else if (!/^https?:\/\/\S+$/.test(v.url.reveal())) problem("url", "not an http(s) URL (got [secret]); allowed: an http(s) URL set as a secret");
                            },
                        ),
                    ),
                },
                { description: "Where Alertmanager sends alerts. None by default (the program warns): alerts then only show in Alertmanager and Grafana." },
            ),
        },
        { description: "The monitoring stack (Prometheus, Alertmanager, Grafana, Loki, Alloy) on the monitoring server." },
    ),
} as const;

export type MonitoringConfig = Infer<(typeof monitoring)["monitoring"]>;
