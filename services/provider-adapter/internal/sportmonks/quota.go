package sportmonks

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// quota tracks SportMonks' per-entity hourly allowance from each response's
// rate_limit block, so the adapter stops asking before the provider answers 429.
type quota struct {
	mu      sync.Mutex
	reserve int
	now     func() time.Time
	entity  map[string]allowance
	gauge   *prometheus.GaugeVec
}

type allowance struct {
	remaining int
	resetsAt  time.Time
}

func newQuota(reserve int, now func() time.Time, reg prometheus.Registerer) *quota {
	q := &quota{reserve: reserve, now: now, entity: map[string]allowance{}}
	if reg != nil {
		q.gauge = prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sportmonks_quota_remaining",
			Help: "Requests SportMonks still allows in the current hour, by entity (from the rate_limit block).",
		}, []string{"entity"})
		reg.MustRegister(q.gauge)
	}
	return q
}

// update records what a response said about an entity's allowance.
func (q *quota) update(entity string, remaining, resetsIn int) {
	if entity == "" || resetsIn < 0 || resetsIn > 86400 {
		return
	}
	q.mu.Lock()
	q.entity[entity] = allowance{remaining: remaining, resetsAt: q.now().Add(time.Duration(resetsIn) * time.Second)}
	q.mu.Unlock()
	if q.gauge != nil {
		q.gauge.WithLabelValues(entity).Set(float64(remaining))
	}
}

// exhaust marks an entity as spent for d (after a 429).
func (q *quota) exhaust(entity string, d time.Duration) {
	if d <= 0 {
		d = time.Minute
	}
	q.mu.Lock()
	q.entity[entity] = allowance{remaining: 0, resetsAt: q.now().Add(d)}
	q.mu.Unlock()
	if q.gauge != nil {
		q.gauge.WithLabelValues(entity).Set(0)
	}
}

// allows reports whether a call for entity may be made: the remaining allowance is
// above the reserve, or the window has reset.
func (q *quota) allows(entity string) (bool, time.Duration) {
	q.mu.Lock()
	defer q.mu.Unlock()
	a, ok := q.entity[entity]
	if !ok || a.remaining > q.reserve {
		return true, 0
	}
	wait := a.resetsAt.Sub(q.now())
	if wait <= 0 {
		delete(q.entity, entity)
		return true, 0
	}
	return false, wait
}
