package logs

import (
	"context"
	"os"
	"testing"
)

// BenchmarkReadLog reads the json-file log named by BERTH_BENCH_LOG (e.g. a
// 100 MB one from bench/04-logs.sh), emitting into nothing.
func BenchmarkReadLog(b *testing.B) {
	path := os.Getenv("BERTH_BENCH_LOG")
	if path == "" {
		b.Skip("BERTH_BENCH_LOG not set")
	}
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Size())
	for b.Loop() {
		n := 0
		if err := Read(context.Background(), path, ReadConfig{Tail: -1}, func(m Message) error {
			n += len(m.Line)
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
}
