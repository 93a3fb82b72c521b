package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

var httpClient = &http.Client{Timeout: 10 * time.Second}

// answer is one HTTP answer, read whole.
type answer struct {
	status int
	header http.Header
	body   []byte
}

func do(ctx context.Context, method, url, token string, body any) (answer, error) {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return answer{}, err
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return answer{}, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer func() { _ = resp.Body.Close() }()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{}, fmt.Errorf("reading the answer of %s: %w", url, err)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: raw}, nil
}

// brief is the start of a body, for messages.
func brief(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// login returns an access token for a client.
func login(ctx context.Context, gatewayURL, user, password string) (string, error) {
	a, err := do(ctx, http.MethodPost, gatewayURL+"/api/v1/auth/login", "", map[string]string{"username": user, "password": password})
	if err != nil {
		return "", err
	}
	if a.status != http.StatusOK {
		return "", fmt.Errorf("login as %s answered %d: %s", user, a.status, brief(a.body))
	}
	var env struct {
		Data struct {
			Token string `json:"token"`
		} `json:"data"`
	}
	if err := json.Unmarshal(a.body, &env); err != nil || env.Data.Token == "" {
		return "", fmt.Errorf("login as %s answered 200 without data.token: %s", user, brief(a.body))
	}
	return env.Data.Token, nil
}

// cachedFlag reads the envelope's "cached" field; ok is false when there is none.
func cachedFlag(body []byte) (cached, ok bool) {
	var env struct {
		Cached *bool `json:"cached"`
	}
	if json.Unmarshal(body, &env) != nil || env.Cached == nil {
		return false, false
	}
	return *env.Cached, true
}

// stubCalls is how many requests the provider stub has served, both providers.
func stubCalls(ctx context.Context, stubURL string) (int64, error) {
	a, err := do(ctx, http.MethodGet, stubURL+"/_stub/calls", "", nil)
	if err != nil {
		return 0, err
	}
	var calls map[string]int64
	if err := json.Unmarshal(a.body, &calls); err != nil {
		return 0, fmt.Errorf("reading the stub's call counts: %w", err)
	}
	var n int64
	for _, c := range calls {
		n += c
	}
	return n, nil
}

// cacheOutcomes scrapes from the cache service's /metrics its lookups by result (hit,
// miss, stale, bypass) and its adapter calls by outcome.
func cacheOutcomes(ctx context.Context, cacheURL string) (lookups, adapterCalls map[string]float64, err error) {
	a, err := do(ctx, http.MethodGet, cacheURL+"/metrics", "", nil)
	if err != nil {
		return nil, nil, err
	}
	return parseCounter(a.body, "cache_requests_total", "result"),
		parseCounter(a.body, "cache_adapter_request_duration_seconds_count", "outcome"), nil
}

// parseCounter sums a counter of the Prometheus text format by one label.
func parseCounter(text []byte, name, label string) map[string]float64 {
	out := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(text))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name+"{") {
			continue
		}
		end := strings.LastIndexByte(line, '}')
		if end < 0 {
			continue
		}
		labels, value := line[len(name)+1:end], strings.TrimSpace(line[end+1:])
		if i := strings.IndexByte(value, ' '); i > 0 {
			value = value[:i] // a timestamp follows
		}
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			continue
		}
		for _, kv := range strings.Split(labels, ",") {
			k, val, ok := strings.Cut(kv, "=")
			if ok && k == label {
				out[strings.Trim(val, `"`)] += v
			}
		}
	}
	return out
}
