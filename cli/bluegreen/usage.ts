/** `npm run … -- --help` (printed by cli/run.cjs before anything else is loaded) and the usage-error text. */
export const USAGE = `usage: npm run bluegreen -- status|promote|rollback --stack <name> [--prometheus-url URL] [--yes]

  status    print the live color (the live Service's selector, via kubectl) and both colors' health
  promote   gate the preview color in Prometheus, then switch traffic to it (pulumi up on the two Services)
  rollback  switch traffic back to the other color at once, without the gate

  --stack           the Pulumi stack (Pulumi.<name>.yaml), required
  --prometheus-url  default $PROMETHEUS_URL, else http://127.0.0.1:9090 (after
                    kubectl -n monitoring port-forward svc/kube-prometheus-stack-prometheus 9090)
  --yes             confirm without a prompt (needed when not on a terminal)
  --help            print this help`;
