import { defineConfig } from "vitest/config";
import { APISERVER_SUITES } from "./test/suites";

// `npm run test:apiserver`: both renders (test/globalSetup.ts, as for `npm test`) through a real
// kube-apiserver and etcd on 127.0.0.1 (test/apiserver.test.ts).
export default defineConfig({
  test: {
    include: [...APISERVER_SUITES],
    testTimeout: 180_000,
    hookTimeout: 240_000,
    pool: "forks",
    globalSetup: ["test/globalSetup.ts"],
  },
});
