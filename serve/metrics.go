package serve

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are the daemon's own, on a registry of its own so that two
// services in one process (tests) never collide.
type metrics struct {
	reg *prometheus.Registry

	webhookRequests  *prometheus.CounterVec
	webhookAlerts    *prometheus.CounterVec
	webhookDuration  prometheus.Histogram
	webhookTruncated prometheus.Counter

	incidentsCreated  prometheus.Counter
	incidentsResolved prometheus.Counter
	incidentsExpired  prometheus.Counter
	alertsExpired     prometheus.Counter
	incidents         *prometheus.GaugeVec

	investigations        *prometheus.CounterVec
	investigationDuration prometheus.Histogram
	sourceDuration        *prometheus.HistogramVec
	sourceErrors          *prometheus.CounterVec
	prewarmQueued         prometheus.Gauge
	prewarmRunning        prometheus.Gauge
	prewarmBacklog        prometheus.Gauge

	storeCommit     prometheus.Histogram
	storeBatch      prometheus.Histogram
	storePruned     prometheus.Counter
	storeUnreadable prometheus.Gauge
	storeFailures   *prometheus.CounterVec

	watchdogLast   prometheus.Gauge
	watchdogSilent prometheus.Gauge

	ssh SSHMetrics
}

func newMetrics() *metrics {
	reg := prometheus.NewRegistry()
	f := func(c prometheus.Collector) { reg.MustRegister(c) }
	f(collectors.NewGoCollector())
	f(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	latency := []float64{.0005, .001, .0025, .005, .01, .02, .05, .1, .25, .5, 1, 2.5}
	investigation := []float64{.1, .25, .5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300}
	m := &metrics{reg: reg,
		webhookRequests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "triage_webhook_requests_total",
			Help: "Webhook requests received, by HTTP status code."}, []string{"code"}),
		webhookAlerts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "triage_webhook_alerts_total",
			Help: "Alerts received in webhooks, by outcome: new, duplicate, resolved, orphan (resolved, never seen firing), reopened (expired, then sent again), watchdog."},
			[]string{"outcome"}),
		webhookDuration: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "triage_webhook_request_duration_seconds",
			Help: "Time to answer a webhook, durable store write included.", Buckets: latency}),
		webhookTruncated: prometheus.NewCounter(prometheus.CounterOpts{Name: "triage_webhook_truncated_alerts_total",
			Help: "Alerts Alertmanager left out of notifications (truncatedAlerts)."}),
		incidentsCreated: prometheus.NewCounter(prometheus.CounterOpts{Name: "triage_incidents_created_total",
			Help: "Incidents opened."}),
		incidentsResolved: prometheus.NewCounter(prometheus.CounterOpts{Name: "triage_incidents_resolved_total",
			Help: "Incidents resolved."}),
		incidentsExpired: prometheus.NewCounter(prometheus.CounterOpts{Name: "triage_incidents_expired_total",
			Help: "Incidents resolved because their alerts were not sent again within serve.alert_expiry (counted in triage_incidents_resolved_total too)."}),
		alertsExpired: prometheus.NewCounter(prometheus.CounterOpts{Name: "triage_alerts_expired_total",
			Help: "Firing alerts presumed resolved: not sent again within serve.alert_expiry, nor by their endsAt."}),
		incidents: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "triage_incidents",
			Help: "Incidents in the store, by status."}, []string{"status"}),
		investigations: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "triage_investigations_total",
			Help: "Pre-warm investigations, by result: ok, failed (no report or no source answered), coalesced (an incident served by another's investigation of the same scope)."},
			[]string{"result"}),
		investigationDuration: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "triage_investigation_duration_seconds",
			Help: "Duration of pre-warm investigations.", Buckets: investigation}),
		sourceDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "triage_investigation_source_duration_seconds",
			Help: "Time each source took within an investigation.", Buckets: investigation}, []string{"source"}),
		sourceErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "triage_source_errors_total",
			Help: "Investigations in which a source failed or answered partly, by source and error kind."}, []string{"source", "kind"}),
		prewarmQueued: prometheus.NewGauge(prometheus.GaugeOpts{Name: "triage_prewarm_queued",
			Help: "Investigations waiting for a worker."}),
		prewarmRunning: prometheus.NewGauge(prometheus.GaugeOpts{Name: "triage_prewarm_running",
			Help: "Investigations running."}),
		prewarmBacklog: prometheus.NewGauge(prometheus.GaugeOpts{Name: "triage_prewarm_backlog",
			Help: "Incidents due for a refresh that wait for room in the pool (at most twice serve.workers are queued at once)."}),
		storeCommit: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "triage_store_commit_duration_seconds",
			Help: "Store transactions, fsync included.", Buckets: latency}),
		storeBatch: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "triage_store_commit_writes",
			Help: "Writes grouped into one store transaction.", Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024}}),
		storePruned: prometheus.NewCounter(prometheus.CounterOpts{Name: "triage_store_pruned_incidents_total",
			Help: "Resolved incidents deleted by retention."}),
		storeUnreadable: prometheus.NewGauge(prometheus.GaugeOpts{Name: "triage_store_unreadable_records",
			Help: "Incident records that did not decode and are left out of the list; triage store check names them."}),
		storeFailures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "triage_store_errors_total",
			Help: "Store operations that failed, by operation."}, []string{"op"}),
		watchdogLast: prometheus.NewGauge(prometheus.GaugeOpts{Name: "triage_watchdog_last_seen_timestamp_seconds",
			Help: "Unix time of the Watchdog alert's last arrival; 0 when it never came."}),
		watchdogSilent: prometheus.NewGauge(prometheus.GaugeOpts{Name: "triage_watchdog_silent",
			Help: "1 when no Watchdog alert arrived within serve.watchdog.max_gap: the alerting pipeline may be broken."}),
		ssh: SSHMetrics{
			Sessions: prometheus.NewGauge(prometheus.GaugeOpts{Name: "triage_ssh_sessions",
				Help: "Open SSH console sessions."}),
			SessionsTotal: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "triage_ssh_sessions_total",
				Help: "SSH sessions opened, by result."}, []string{"result"}),
		},
	}
	for _, c := range []prometheus.Collector{m.webhookRequests, m.webhookAlerts, m.webhookDuration, m.webhookTruncated,
		m.incidentsCreated, m.incidentsResolved, m.incidentsExpired, m.alertsExpired, m.incidents, m.investigations, m.investigationDuration,
		m.sourceDuration, m.sourceErrors, m.prewarmQueued, m.prewarmRunning, m.prewarmBacklog, m.storeCommit, m.storeBatch,
		m.storePruned, m.storeUnreadable, m.storeFailures, m.watchdogLast, m.watchdogSilent, m.ssh.Sessions, m.ssh.SessionsTotal} {
		f(c)
	}
	return m
}
