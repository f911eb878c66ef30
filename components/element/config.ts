import { ELEMENT_CALL_SETTINGS } from "../calls/matrix";

// Element Web's config.json: our homeserver by default, no guests, and room
// federation defaults that match whether the server federates at all.
export interface ElementSettings {
    readonly serverName: string;
    /** https://matrix.example.org/ */
    readonly homeserverUrl: string;
    /** https://element.example.org/ */
    readonly elementUrl: string;
    readonly federation: boolean;
    /** Element Call on the deployment's own MatrixRTC focus (components/calls). */
    readonly calls?: boolean;
}

export function elementConfig(s: ElementSettings): Record<string, unknown> {
    return {
        default_server_config: { "m.homeserver": { base_url: s.homeserverUrl, server_name: s.serverName } },
        // Users cannot point this deployment's client at another homeserver.
        disable_custom_urls: true,
        disable_guests: true,
        // New rooms are federated only if the server federates at all.
        default_federate: s.federation,
        room_directory: { servers: [s.serverName] },
        permalink_prefix: s.elementUrl.replace(/\/$/, ""),
        show_labs_settings: false,
        // Element's default would call vector.im / matrix.org services.
        integrations_ui_url: "",
        integrations_rest_url: "",
        integrations_widgets_urls: [],
        bug_report_endpoint_url: "",
        // Element's setting names (src/settings/UIFeature.ts): "UIFeature." and the feature; an unknown key is silently ignored.
        setting_defaults: { "UIFeature.registration": false, "UIFeature.thirdPartyId": false },
        ...(s.calls ? ELEMENT_CALL_SETTINGS : {}),
    };
}
