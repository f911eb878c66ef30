// What Synapse, .well-known and Element Web need to know about calls. Pure.
import { CALL_PORTS } from "../contracts";

export interface CallEndpoints {
    /** Host name of the TURN servers (DNS: every coturn instance's public address). */
    readonly turnHost: string;
    /** https://<signalling host>: lk-jwt-service's base URL (MatrixRTC focus). */
    readonly livekitServiceUrl: string;
    /** How long Synapse's TURN credentials last. */
    readonly turnUserLifetime: string;
}

/** TURN over UDP and TCP on 3478, and TURN over TLS on 5349 (Synapse's coturn guide). */
export function turnUris(host: string): string[] {
    return [
        `turn:${host}:${CALL_PORTS.turn}?transport=udp`,
        `turn:${host}:${CALL_PORTS.turn}?transport=tcp`,
        `turns:${host}:${CALL_PORTS.turnTls}?transport=tcp`,
    ];
}

export const rtcFoci = (e: Pick<CallEndpoints, "livekitServiceUrl">) => [{ type: "livekit", livekit_service_url: e.livekitServiceUrl }];

/** `.well-known/matrix/client` additions (served by Synapse). */
export const wellKnownClientCalls = (e: Pick<CallEndpoints, "livekitServiceUrl">) => ({ "org.matrix.msc4143.rtc_foci": rtcFoci(e) });

/** Delayed events (MSC4140): Element Call schedules its own leave event, sent if the client vanishes. */
export const MAX_EVENT_DELAY = "24h";
export const RC_DELAYED_EVENT_MGMT = { per_second: 1, burst_count: 20 };

/**
 * Synapse 1.157.1 keys for VoIP and MatrixRTC, each checked against that
 * version's config schema and source: turn_* (turn_shared_secret_path since
 * 1.116), max_event_delay_duration (MSC4140 is on when it is set),
 * rc_delayed_event_mgmt, matrix_rtc.transports (served when msc4143_enabled),
 * msc4222_enabled (state_after in sync, which Element Call's state tracking
 * relies on). MSC3266 (room summary) is stable and has no flag any more.
 */
export function synapseCallConfig(e: CallEndpoints, turnSecretPath: string): Record<string, unknown> {
    return {
        turn_uris: turnUris(e.turnHost),
        turn_shared_secret_path: turnSecretPath,
        turn_user_lifetime: e.turnUserLifetime,
        turn_allow_guests: false,
        max_event_delay_duration: MAX_EVENT_DELAY,
        rc_delayed_event_mgmt: RC_DELAYED_EVENT_MGMT,
        matrix_rtc: { transports: rtcFoci(e) },
        experimental_features: { msc4143_enabled: true, msc4222_enabled: true },
    };
}

/**
 * Element Web's config.json additions: group calls on, and Element Call (the
 * copy bundled with Element Web, talking to the foci from .well-known) as the
 * only call technology, so no room ever falls back to a public Jitsi server.
 */
export const ELEMENT_CALL_SETTINGS: Readonly<Record<string, unknown>> = {
    features: { feature_group_calls: true },
    element_call: { use_exclusively: true },
};
