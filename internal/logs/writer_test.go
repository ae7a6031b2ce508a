package logs

import (
	"time"

	"github.com/berth-dev/berth/internal/logs/logwriter"
)

// The tests write their log files with logwriter, the reference of the
// shim's C writer (the daemon itself only reads logs).

// Writer appends json-file entries to a log file and rotates it.
type Writer = logwriter.Writer

// StreamWriter cuts one stream into line entries (see logwriter).
type StreamWriter = logwriter.StreamWriter

// NewWriter opens (appending to) path. maxSize 0 never rotates; maxFile is
// the total number of files kept, path included (values below 1 mean 1).
func NewWriter(path string, maxSize int64, maxFile int) (*Writer, error) {
	return logwriter.NewWriter(path, maxSize, maxFile)
}

// maxLine is where Docker cuts a long line into partial entries.
const maxLine = logwriter.MaxLine

func appendEntry(buf []byte, stream string, line []byte, t time.Time) []byte {
	return logwriter.AppendEntry(buf, stream, line, t)
}

func appendJSONString(buf, s []byte) []byte { return logwriter.AppendJSONString(buf, s) }
