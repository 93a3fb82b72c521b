// Package e2e is the system suite: the real gateway, cache and provider-adapter binaries
// run as separate processes against a real redis-server, a provider stub replaying the
// recorded fixtures and an OTLP/HTTP receiver collecting every service's spans. It
// drives what clients do and what production does to them.
package e2e
