// lk-jwt-service (Element Call's authorisation service): its environment.
// Pure. Keys come from files mounted from the LiveKit keys Secret.
//
// The pinned release (v0.4.4) validates a user's OpenID token by asking the
// user's homeserver, found like a federation peer (.well-known/matrix/server,
// then SRV, then port 8448), at /_matrix/federation/v1/openid/userinfo. It
// has no webhook route and no CS-API override yet (both arrived after v0.5.0; v0.5.0 itself needs module versions the module proxy does not serve).

export const LK_JWT_PORT = 8080;

/** Routes the service answers in v0.4.4 and v0.5.0 (main.go prepareMux); /healthz stays inside the cluster. */
export const LK_JWT_PUBLIC_PATHS = ["/sfu/get", "/get_token"] as const;
export const LK_JWT_HEALTH_PATH = "/healthz";

export interface LkJwtSettings {
    /** Public WebSocket URL of LiveKit, e.g. wss://rtc.example.org */
    readonly livekitUrl: string;
    readonly keyFile: string;
    readonly secretFile: string;
    /** Homeservers whose users may create rooms: our own server name only. */
    readonly fullAccessHomeservers: readonly string[];
    readonly bind: string;
}

export function lkJwtEnv(s: LkJwtSettings): Record<string, string> {
    if (s.fullAccessHomeservers.length === 0 || s.fullAccessHomeservers.includes("*")) {
        throw new Error("lk-jwt-service: full access must be limited to named homeservers");
    }
    return {
        LIVEKIT_URL: s.livekitUrl,
        LIVEKIT_KEY_FROM_FILE: s.keyFile,
        LIVEKIT_SECRET_FROM_FILE: s.secretFile,
        LIVEKIT_FULL_ACCESS_HOMESERVERS: s.fullAccessHomeservers.join(","),
        LIVEKIT_JWT_BIND: s.bind,
    };
}
