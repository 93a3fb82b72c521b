package procstat

import (
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseStat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		line    string
		want    uint64
		wantErr bool
	}{
		{
			name: "a plain command name",
			line: "4242 (gateway) S 1 4242 4242 0 -1 4194560 2319 0 0 0 731 204 0 0 20 0 7 0 1234 1 2 3\n",
			want: 731 + 204,
		},
		{
			name: "a command name with spaces and parentheses",
			line: "17 (my (odd) name) R 1 17 17 0 -1 0 0 0 0 0 5 6 0 0 20 0 1 0 9 1 2 3",
			want: 11,
		},
		{name: "no command name", line: "17 R 1 17", wantErr: true},
		{name: "truncated", line: "17 (x) R 1 17 17 0 -1 0 0 0 0 0 5", wantErr: true},
		{name: "not a number", line: "17 (x) R 1 17 17 0 -1 0 0 0 0 0 five 6 0 0", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseStat(tt.line)
			if tt.wantErr {
				require.ErrorIs(t, err, ErrMalformed)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got.Ticks)
		})
	}
}

func TestParseStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		text    string
		want    Memory
		wantErr bool
	}{
		{
			name: "both lines",
			text: "Name:\tgateway\nVmPeak:\t 1300000 kB\nVmHWM:\t   40960 kB\nVmRSS:\t   20480 kB\nThreads:\t7\n",
			want: Memory{RSS: 20480 * 1024, HWM: 40960 * 1024},
		},
		{name: "no memory lines (a kernel thread)", text: "Name:\tkthreadd\nState:\tS\n", wantErr: true},
		{name: "a unit that is not kB", text: "VmHWM:\t1 MB\nVmRSS:\t1 kB\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseStatus(tt.text)
			if tt.wantErr {
				require.ErrorIs(t, err, ErrMalformed)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// The real /proc of the test process itself: the parsers agree with the kernel.
func TestReadSelf(t *testing.T) {
	t.Parallel()
	pid := os.Getpid()
	cpu, err := ReadCPU(pid)
	require.NoError(t, err)
	mem, err := ReadMemory(pid)
	require.NoError(t, err)
	assert.Positive(t, mem.RSS)
	assert.GreaterOrEqual(t, mem.HWM, mem.RSS)

	// Burn some CPU: the tick count must move.
	deadline := time.Now().Add(300 * time.Millisecond)
	for x := 0; time.Now().Before(deadline); x++ {
		_ = x * x
	}
	after, err := ReadCPU(pid)
	require.NoError(t, err)
	assert.Greater(t, after.Ticks, cpu.Ticks)

	s := StartPeakSampler([]int{pid, 1 << 30}, 10*time.Millisecond)
	peaks := s.Stop([]int{pid, 1 << 30})
	assert.Positive(t, peaks[pid])
	assert.NotContains(t, peaks, 1<<30, "a process that does not exist has no peak")
	assert.Positive(t, ClockTicks(t.Context()))
}
