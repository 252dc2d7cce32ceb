/** `npm run … -- --help` (printed by cli/run.cjs before anything else is loaded) and the usage-error text. */
export const USAGE = `usage: npm run smoke -- --stack <name> [--prometheus-url URL] [--alertmanager-url URL] [--grafana-url URL]
         [--kube-api-url URL] [--public-url URL] [--config <stack file>] [--kubeconfig <file>]

The post-deploy health check of a stack: Prometheus ready with our rule groups and scrape targets,
Alertmanager ready with our receivers and the Watchdog heartbeat delivered, Grafana healthy with our
dashboards, the exporters up, the app's Services ready, and the public URL answering. Prints a table;
exit 0 when every check passed, 1 when any failed, 2 on bad usage.

  --stack <name>          the stack to check (its Pulumi.<name>.yaml), required
  --config <file>         read this stack file instead of Pulumi.<name>.yaml
  --kubeconfig <file>     kubeconfig to use (default: $KUBECONFIG or ~/.kube/config, from
                          az aks get-credentials --resource-group <group> --name <cluster>)
  --prometheus-url URL    skip the kubectl port-forward to Prometheus
  --alertmanager-url URL  skip the kubectl port-forward to Alertmanager
  --grafana-url URL       skip the kubectl port-forward to Grafana
  --kube-api-url URL      skip kubectl proxy
  --public-url URL        the app's readiness URL (default https://<app.ingress.hostname><readiness path>)
  --help                  print this help

Grafana API auth: GRAFANA_TOKEN (Bearer) or GRAFANA_USER + GRAFANA_PASSWORD (Basic).`;
