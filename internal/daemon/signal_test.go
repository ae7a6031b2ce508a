package daemon

import (
	"syscall"
	"testing"

	"github.com/berth-dev/berth/internal/errdefs"
)

func TestParseSignal(t *testing.T) {
	tests := []struct {
		in   string
		want syscall.Signal
		ok   bool
	}{
		{"SIGTERM", syscall.SIGTERM, true},
		{"TERM", syscall.SIGTERM, true},
		{"term", syscall.SIGTERM, true},
		{"sigkill", syscall.SIGKILL, true},
		{"HUP", syscall.SIGHUP, true},
		{"SIGUSR1", syscall.SIGUSR1, true},
		{"15", syscall.SIGTERM, true},
		{"9", syscall.SIGKILL, true},
		{"1", syscall.SIGHUP, true},
		{"64", syscall.Signal(64), true},
		{"0", 0, false},
		{"-9", 0, false},
		{"65", 0, false},
		{"99", 0, false},
		{"FOO", 0, false},
		{"SIG", 0, false},
		{"", 0, false},
		{"SIGTERM ", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseSignal(tt.in)
			if tt.ok {
				if err != nil || got != tt.want {
					t.Errorf("parseSignal(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("parseSignal(%q) = %v, want error", tt.in, got)
			}
			if err.Error() != "Invalid signal: "+tt.in || !errdefs.IsInvalid(err) {
				t.Errorf("parseSignal(%q) error = %q (kind %v)", tt.in, err, errdefs.KindOf(err))
			}
		})
	}
}
