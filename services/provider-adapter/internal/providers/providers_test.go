package providers

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/football-tracker/backend/pkg/domain"
	"github.com/football-tracker/backend/pkg/leagues"

	"github.com/football-tracker/backend/services/provider-adapter/internal/query"
	"github.com/football-tracker/backend/services/provider-adapter/internal/upstream"
)

// fake is a provider at the unit's edge: it answers what the case says and counts.
type fake struct {
	name     string
	supports bool
	matches  []domain.Match
	err      error
	block    bool
	calls    atomic.Int64
}

func (f *fake) Name() string                { return f.name }
func (f *fake) Supports(leagues.Entry) bool { return f.supports }
func (f *fake) Matches(ctx context.Context, _ query.Matches) ([]domain.Match, error) {
	f.calls.Add(1)
	if f.block {
		<-ctx.Done()
		return nil, &upstream.Error{Provider: f.name, Endpoint: "/x", Kind: upstream.KindTimeout, Err: ctx.Err()}
	}
	return f.matches, f.err
}

func (f *fake) Match(context.Context, int64) (domain.Match, error) {
	f.calls.Add(1)
	if len(f.matches) > 0 {
		return f.matches[0], f.err
	}
	return domain.Match{}, f.err
}
func (f *fake) Teams(context.Context, query.Teams) ([]domain.Team, error) { return nil, f.err }
func (f *fake) CurrentSeasons(context.Context) (map[string]int, error)    { return nil, f.err }

func fail(name string, k upstream.Kind) error {
	return &upstream.Error{Provider: name, Endpoint: "/x", Kind: k}
}

var (
	one   = []domain.Match{{ID: "ol-1"}}
	quiet = slog.New(slog.DiscardHandler)
)

func TestRun(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name         string
		primary      *fake
		fallback     *fake
		wantProvider string
		wantErr      error
		wantLen      int
	}{
		{"primary answers", &fake{name: "a", supports: true, matches: one}, &fake{name: "b", supports: true, matches: one}, "a", nil, 1},
		{"primary fails", &fake{name: "a", supports: true, err: fail("a", upstream.KindStatus)}, &fake{name: "b", supports: true, matches: one}, "b", nil, 1},
		{"primary empty, fallback has data", &fake{name: "a", supports: true, matches: []domain.Match{}}, &fake{name: "b", supports: true, matches: one}, "b", nil, 1},
		{"both empty: the last answer", &fake{name: "a", supports: true, matches: []domain.Match{}}, &fake{name: "b", supports: true, matches: []domain.Match{}}, "b", nil, 0},
		{"primary empty, fallback fails: the empty answer stands", &fake{name: "a", supports: true, err: fail("a", upstream.KindEmpty)}, &fake{name: "b", supports: true, err: fail("b", upstream.KindStatus)}, "a", nil, 0},
		{"league carried by nobody", &fake{name: "a"}, &fake{name: "b"}, "", ErrUnavailable, 0},
		{"both fail, last one a timeout", &fake{name: "a", supports: true, err: fail("a", upstream.KindStatus)}, &fake{name: "b", supports: true, err: fail("b", upstream.KindTimeout)}, "", ErrTimeout, 0},
		{"both fail", &fake{name: "a", supports: true, err: fail("a", upstream.KindTimeout)}, &fake{name: "b", supports: true, err: fail("b", upstream.KindDecode)}, "", ErrUpstream, 0},
		{"quota spent, fallback does not carry", &fake{name: "a", supports: true, err: fail("a", upstream.KindRateLimited)}, &fake{name: "b"}, "", ErrUnavailable, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := New(Config{Logger: quiet, Timeout: 100 * time.Millisecond, Budget: 300 * time.Millisecond, Retries: -1}, tc.primary, tc.fallback)
			got, provider, err := s.Matches(t.Context(), query.Matches{})
			if tc.wantErr != nil {
				assert.ErrorIs(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.wantProvider, provider)
			assert.Len(t, got, tc.wantLen)
		})
	}
}

func TestMatchGoesToTheOwnerOnly(t *testing.T) {
	t.Parallel()
	sm := &fake{name: domain.ProviderSportMonks, supports: true, err: fail("sm", upstream.KindNotFound)}
	ol := &fake{name: domain.ProviderOpenLigaDB, supports: true, matches: one}
	s := New(Config{Logger: quiet}, sm, ol)
	_, _, err := s.Match(t.Context(), "sm-5")
	assert.ErrorIs(t, err, ErrNotFound)
	assert.Equal(t, int64(1), sm.calls.Load())
	assert.Zero(t, ol.calls.Load())

	_, _, err = New(Config{Logger: quiet}, ol).Match(t.Context(), "sm-5")
	assert.ErrorIs(t, err, ErrUnavailable, "SportMonks disabled")
}

func TestBudgetBoundsTheWholeRequest(t *testing.T) {
	t.Parallel()
	a := &fake{name: "a", supports: true, block: true}
	b := &fake{name: "b", supports: true, block: true}
	s := New(Config{Logger: quiet, Timeout: 200 * time.Millisecond, Budget: 300 * time.Millisecond}, a, b)
	start := time.Now()
	_, _, err := s.Matches(t.Context(), query.Matches{})
	assert.ErrorIs(t, err, ErrTimeout)
	assert.Less(t, time.Since(start), 400*time.Millisecond)
	assert.Equal(t, int64(1), b.calls.Load(), "the fallback got what was left of the budget")
}

func TestCallerCancellationStopsWithoutFailover(t *testing.T) {
	t.Parallel()
	a := &fake{name: "a", supports: true, err: &upstream.Error{Kind: upstream.KindCanceled, Err: context.Canceled}}
	b := &fake{name: "b", supports: true, matches: one}
	s := New(Config{Logger: quiet, BreakerFailures: 1}, a, b)
	_, _, err := s.Matches(t.Context(), query.Matches{})
	assert.True(t, errors.Is(err, context.Canceled))
	assert.Zero(t, b.calls.Load())
	assert.NoError(t, s.Check("a")(t.Context()), "a caller going away does not open the breaker")
}
