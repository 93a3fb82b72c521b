// Package procstat reads a process's CPU time and memory from /proc, the way the
// benchmark charges work to each process: CPU ticks before and after a run, and the
// resident set sampled while it runs.
package procstat

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ErrMalformed means a /proc file did not have the expected shape.
var ErrMalformed = errors.New("malformed /proc file")

// CPU is a process's CPU time so far, user plus system, in clock ticks.
type CPU struct {
	Ticks uint64
}

// ReadCPU reads /proc/<pid>/stat.
func ReadCPU(pid int) (CPU, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return CPU{}, fmt.Errorf("reading CPU time of %d: %w", pid, err)
	}
	return ParseStat(string(raw))
}

// ParseStat reads utime and stime (fields 14 and 15) of a /proc/<pid>/stat line. The
// command name (field 2) is in parentheses and may hold spaces and parentheses, so the
// fields are counted from the last ')'.
func ParseStat(line string) (CPU, error) {
	i := strings.LastIndexByte(line, ')')
	if i < 0 {
		return CPU{}, fmt.Errorf("%w: stat line without a command name", ErrMalformed)
	}
	f := strings.Fields(line[i+1:])
	// f[0] is field 3 (state), so field n is f[n-3].
	if len(f) < 13 {
		return CPU{}, fmt.Errorf("%w: stat line has %d fields after the command name", ErrMalformed, len(f))
	}
	utime, err1 := strconv.ParseUint(f[11], 10, 64)
	stime, err2 := strconv.ParseUint(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return CPU{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return CPU{Ticks: utime + stime}, nil
}

// Memory is a process's resident set now and its high-water mark, in bytes.
type Memory struct {
	RSS, HWM uint64
}

// ReadMemory reads /proc/<pid>/status.
func ReadMemory(pid int) (Memory, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return Memory{}, fmt.Errorf("reading memory of %d: %w", pid, err)
	}
	return ParseStatus(string(raw))
}

// ParseStatus reads VmRSS and VmHWM ("VmRSS:\t  1234 kB") from /proc/<pid>/status.
func ParseStatus(text string) (Memory, error) {
	var m Memory
	var seen int
	for line := range strings.Lines(text) {
		key, val, ok := strings.Cut(line, ":")
		if !ok || (key != "VmRSS" && key != "VmHWM") {
			continue
		}
		f := strings.Fields(val)
		if len(f) != 2 || f[1] != "kB" {
			return Memory{}, fmt.Errorf("%w: %s line %q", ErrMalformed, key, strings.TrimSpace(line))
		}
		kb, err := strconv.ParseUint(f[0], 10, 64)
		if err != nil {
			return Memory{}, fmt.Errorf("%w: %w", ErrMalformed, err)
		}
		if key == "VmRSS" {
			m.RSS = kb * 1024
		} else {
			m.HWM = kb * 1024
		}
		seen++
	}
	if seen != 2 {
		return Memory{}, fmt.Errorf("%w: status without VmRSS and VmHWM", ErrMalformed)
	}
	return m, nil
}

// ClockTicks is the kernel's USER_HZ (`getconf CLK_TCK`), 100 on every Linux this runs
// on; the fallback is used when getconf is missing.
func ClockTicks(ctx context.Context) uint64 {
	out, err := exec.CommandContext(ctx, "getconf", "CLK_TCK").Output()
	if err == nil {
		if n, err := strconv.ParseUint(strings.TrimSpace(string(out)), 10, 64); err == nil && n > 0 {
			return n
		}
	}
	return 100
}

// PeakSampler records the largest resident set of several processes while it runs.
// VmHWM cannot be used per scenario: it never goes down over a process's life.
type PeakSampler struct {
	mu   sync.Mutex
	peak map[int]uint64
	stop context.CancelFunc
	done chan struct{}
}

// StartPeakSampler samples every interval until Stop.
func StartPeakSampler(pids []int, interval time.Duration) *PeakSampler {
	ctx, cancel := context.WithCancel(context.Background())
	s := &PeakSampler{peak: make(map[int]uint64, len(pids)), stop: cancel, done: make(chan struct{})}
	s.sample(pids)
	go func() {
		defer close(s.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				s.sample(pids)
			}
		}
	}()
	return s
}

func (s *PeakSampler) sample(pids []int) {
	for _, pid := range pids {
		m, err := ReadMemory(pid)
		if err != nil {
			continue // the process exited; the run reports that on its own
		}
		s.mu.Lock()
		s.peak[pid] = max(s.peak[pid], m.RSS)
		s.mu.Unlock()
	}
}

// Stop ends sampling, takes one last sample and returns each process's peak RSS in
// bytes.
func (s *PeakSampler) Stop(pids []int) map[int]uint64 {
	s.stop()
	<-s.done
	s.sample(pids)
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[int]uint64, len(s.peak))
	for k, v := range s.peak {
		out[k] = v
	}
	return out
}
