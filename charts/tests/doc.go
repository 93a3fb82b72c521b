// Package tests renders, lints and installs the Helm chart in tests.
package tests
