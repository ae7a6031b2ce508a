package daemon

import (
	"reflect"
	"testing"

	"github.com/berth-dev/berth/internal/errdefs"
)

const psEF = `UID          PID    PPID  C STIME TTY          TIME CMD
root           1       0  0 10:00 ?        00:00:01 /sbin/init
root         100       1  0 10:01 ?        00:00:00 sh -c sleep 100
root         101     100  0 10:01 ?        00:00:00 sleep 100
www-data     200       1  0 10:02 pts/0    00:00:00 nginx: worker process
`

func TestParsePs(t *testing.T) {
	titles := []string{"UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"}
	tests := []struct {
		name   string
		out    string
		pids   []int
		titles []string
		procs  [][]string
	}{
		{"filters by pid, joins the command", psEF, []int{100, 101}, titles, [][]string{
			{"root", "100", "1", "0", "10:01", "?", "00:00:00", "sh -c sleep 100"},
			{"root", "101", "100", "0", "10:01", "?", "00:00:00", "sleep 100"},
		}},
		{"command with a colon", psEF, []int{200}, titles, [][]string{
			{"www-data", "200", "1", "0", "10:02", "pts/0", "00:00:00", "nginx: worker process"},
		}},
		{"no pid in the container", psEF, []int{4242}, titles, [][]string{}},
		{"no pids at all", psEF, nil, titles, [][]string{}},
		{"pid not in the first column", "PID USER COMMAND\n7 root top -b\n8 root sh\n", []int{7},
			[]string{"PID", "USER", "COMMAND"}, [][]string{{"7", "root", "top -b"}}},
		{"short and garbage lines skipped", "USER PID CMD\nroot\nroot abc sh\nroot 5 sh\n", []int{5},
			[]string{"USER", "PID", "CMD"}, [][]string{{"root", "5", "sh"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := parsePs(tt.out, tt.pids)
			if err != nil {
				t.Fatalf("parsePs: %v", err)
			}
			if !reflect.DeepEqual(resp.Titles, tt.titles) {
				t.Errorf("titles = %q, want %q", resp.Titles, tt.titles)
			}
			if !reflect.DeepEqual(resp.Processes, tt.procs) {
				t.Errorf("processes = %q, want %q", resp.Processes, tt.procs)
			}
		})
	}
}

func TestParsePsWithoutPIDColumn(t *testing.T) {
	for _, out := range []string{"USER COMMAND\nroot sh\n", "", "\n"} {
		_, err := parsePs(out, []int{1})
		if err == nil || err.Error() != "Couldn't find PID field in ps output" || !errdefs.IsInvalid(err) {
			t.Errorf("parsePs(%q) error = %v, want invalid \"Couldn't find PID field in ps output\"", out, err)
		}
	}
}
