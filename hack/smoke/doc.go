// Package smoke starts every service binary as a real process and checks what every
// service promises operators: probes, metrics, JSON logs, a clear exit on a bad setting
// and a clean exit on SIGTERM.
package smoke
