/**
 * The platform's CrossGuard pack: every promise is mandatory, so `pulumi preview --policy-pack policy`
 * (and `pulumi up`) fails when one is broken. The checks are the pure functions in
 * policy/policies/, the same ones `npm run policy:check` runs over the offline render.
 */
import { PolicyPack } from "@pulumi/policy";
import { crossGuardPolicies } from "./adapter";

new PolicyPack("monitoring-platform", {
  enforcementLevel: "mandatory",
  policies: crossGuardPolicies,
});
