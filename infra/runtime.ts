/**
 * Whether the program runs under a real Pulumi engine (`pulumi preview`/`up`) rather than the mock runtime
 * of the offline render and the tests (pulumi.runtime.setMocks installs a mock monitor and no engine).
 * Only side effects that need the real cloud (waiting for RBAC propagation, refusing placeholder values)
 * look at this; what is registered never depends on it.
 */
import * as pulumi from "@pulumi/pulumi";

export function isRealDeployment(): boolean {
  return pulumi.runtime.hasEngine();
}
