// The keys every deployment needs: how many users, under which name, and whether it federates.
import { MAX_CCU, MIN_CCU } from "../../sizing/types";
import { boolean, dnsName, integer } from "../schema";

export const core = {
    ccu: integer({
        description: "Concurrent users to size for. The guide's tiers are 100, 1000, 5000, 10000 and 20000; values between tiers are interpolated monotonically.",
        min: MIN_CCU,
        max: MAX_CCU,
        rangeNote: "the guide sizes deployments up to 20,000 CCU",
    }),
    domain: dnsName({
        description: "The Matrix server name (the part after the colon in @user:domain). It cannot change after users exist.",
    }),
    federation: boolean({
        description: "Federate with other Matrix servers. Off by default, as in the guide; turning it on adds federation senders and opens the federation listener.",
        default: false,
    }),
} as const;
