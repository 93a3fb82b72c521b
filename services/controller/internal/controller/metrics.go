package controller

import (
	"github.com/prometheus/client_golang/prometheus"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

var (
	renderWrites = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "football_tracker_controller_render_writes_total",
		Help: "Renders of the gateway's ConfigMap and Secret, by object (configmap, secret) and result (created, updated, unchanged).",
	}, []string{"object", "result"})
	passwordHashes = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "football_tracker_controller_password_hashes_total",
		Help: "bcrypt hashes computed for client passwords (only new or changed passwords are hashed).",
	})
)

func init() {
	ctrlmetrics.Registry.MustRegister(renderWrites, passwordHashes)
}
