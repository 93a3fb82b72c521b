package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/redis/go-redis/v9"
)

// batcher sends the decisions of concurrent requests to Redis together: each of a few
// workers takes every decision queued while it was busy and sends them in one pipeline
// (one write and one read syscall, one Redis event-loop wake-up for all of them). A
// request that finds a worker idle is sent at once, alone, so batching never adds a
// wait: it only appears under load, where the round trips were the gateway's largest
// cost. Every decision is still its own EVALSHA (and EXISTS for revocation): the
// script, its atomicity per subject and the answers are unchanged. ADR 0701.
type batcher struct {
	rdb   redis.UniversalClient
	calls chan *call
	max   int

	stopOnce sync.Once
	stop     chan struct{}
}

// call is one decision waiting for its batch.
type call struct {
	// ctx carries the request's trace; the first call of a batch lends it to the
	// pipeline (its span), without its cancellation.
	ctx        context.Context
	key        string
	ws         []Window
	revokedKey string

	d    Decision
	err  error
	done chan struct{}
}

const (
	batchWorkers = 4
	batchMax     = 64
)

func newBatcher(rdb redis.UniversalClient) *batcher {
	b := &batcher{rdb: rdb, calls: make(chan *call, 4*batchMax), max: batchMax, stop: make(chan struct{})}
	for range batchWorkers {
		go b.work()
	}
	return b
}

// decide queues one decision and waits for it, at most until ctx ends (the caller's
// budget).
func (b *batcher) decide(ctx context.Context, key string, ws []Window, revokedKey string) (Decision, error) {
	select {
	case <-b.stop:
		return Decision{}, errStopped
	default:
	}
	c := &call{ctx: ctx, key: key, ws: ws, revokedKey: revokedKey, done: make(chan struct{}, 1)}
	select {
	case b.calls <- c:
	case <-ctx.Done():
		return Decision{}, ctx.Err()
	case <-b.stop:
		return Decision{}, errStopped
	}
	select {
	case <-c.done:
		return c.d, c.err
	case <-ctx.Done():
		return Decision{}, ctx.Err()
	}
}

var errStopped = errors.New("ratelimit: limiter closed")

func (b *batcher) close() { b.stopOnce.Do(func() { close(b.stop) }) }

func (b *batcher) work() {
	batch := make([]*call, 0, b.max)
	for {
		select {
		case c := <-b.calls:
			batch = append(batch[:0], c)
		case <-b.stop:
			return
		}
	fill:
		for len(batch) < b.max {
			select {
			case c := <-b.calls:
				batch = append(batch, c)
			default:
				break fill
			}
		}
		b.exec(batch)
		clear(batch) // drop the references until the slots are reused
	}
}

// exec runs one batch. Its deadline is the longest any of its callers still waits:
// the first call's, since calls queue in order and share one budget.
func (b *batcher) exec(batch []*call) {
	lead := batch[0].ctx
	ctx := context.WithoutCancel(lead)
	if dl, ok := lead.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, dl)
		defer cancel()
	}
	evs := make([]*redis.Cmd, len(batch))
	exs := make([]*redis.IntCmd, len(batch))
	send := func(useSha bool, which []int) {
		pipe := b.rdb.Pipeline()
		for _, i := range which {
			c := batch[i]
			if len(c.ws) == 0 || len(c.ws) > len(fieldNames) {
				continue
			}
			keys, args := []string{c.key}, scriptArgs(c.ws)
			if useSha {
				evs[i] = script.EvalSha(ctx, pipe, keys, args...)
			} else {
				evs[i] = script.Eval(ctx, pipe, keys, args...)
			}
			if c.revokedKey != "" {
				exs[i] = pipe.Exists(ctx, c.revokedKey)
			}
		}
		_, _ = pipe.Exec(ctx) // every command carries its own error
	}
	all := make([]int, len(batch))
	for i := range all {
		all[i] = i
	}
	send(true, all)
	// First use on this server (or after a restart/SCRIPT FLUSH): send the body once,
	// for the decisions that were refused for it only.
	var again []int
	for i, ev := range evs {
		if ev != nil && isNoScript(ev.Err()) {
			again = append(again, i)
		}
	}
	if len(again) > 0 {
		send(false, again)
	}
	for i, c := range batch {
		c.d, c.err = result(c.ws, evs[i], exs[i])
		c.done <- struct{}{}
	}
}

func result(ws []Window, ev *redis.Cmd, ex *redis.IntCmd) (Decision, error) {
	if ev == nil {
		return Decision{}, fmt.Errorf("ratelimit: %d windows", len(ws))
	}
	vals, err := ev.Slice()
	if err != nil {
		return Decision{}, fmt.Errorf("evaluating rate limit: %w", err)
	}
	d, ok := parseResult(ws, vals)
	if !ok {
		return Decision{}, errors.New("ratelimit: unexpected script result")
	}
	if ex != nil {
		if err := ex.Err(); err != nil {
			return Decision{}, fmt.Errorf("checking revocation: %w", err)
		}
		d.Revoked = ex.Val() > 0
	}
	return d, nil
}
