package main

import (
	"github.com/spf13/cobra"
)

func (a *cli) serveCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Run the daemon: webhook receiver, pre-warmed investigations, SSH console",
		Long: `Run the daemon. It receives Alertmanager (and Grafana) webhooks on
POST /alerts at serve.webhook_listen, stores each alert durably in
serve.store before answering 200, groups alerts into incidents and
investigates each new incident at once, so that the report is ready when
someone opens it.

Point an Alertmanager receiver at it:

  receivers:
    - name: triage
      webhook_configs:
        - url: http://triage.internal:9095/alerts
          send_resolved: true
          http_config: {authorization: {credentials_file: /run/secrets/webhook}}

The same listener serves /metrics, /healthz and /readyz. SIGINT or SIGTERM
stops it gracefully: in-flight webhooks finish their write first.`,
		Example: `  triage serve --config /etc/triage/config.yaml
  ssh -p 2222 triage.internal          the console, over SSH`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.app.Serve(cmd.Context())
		},
	}
}
