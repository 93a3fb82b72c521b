package config

import (
	"fmt"
	"strconv"
	"time"
)

// Seconds is a duration written either as a plain number of seconds ("60", as the
// TTL variables are documented) or as a Go duration ("250ms", handy in tests).
type Seconds time.Duration

// UnmarshalText implements encoding.TextUnmarshaler for the env library.
func (s *Seconds) UnmarshalText(b []byte) error {
	if n, err := strconv.ParseFloat(string(b), 64); err == nil {
		*s = Seconds(time.Duration(n * float64(time.Second)))
		return nil
	}
	d, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("%q is neither a number of seconds nor a duration like 90s", b)
	}
	*s = Seconds(d)
	return nil
}

// Duration is the value as a time.Duration.
func (s Seconds) Duration() time.Duration { return time.Duration(s) }
