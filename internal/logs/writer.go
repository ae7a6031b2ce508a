package logs

import "github.com/berth-dev/berth/internal/logs/logwriter"

// Writer appends json-file entries to a log file and rotates it; the code
// lives in logwriter so that berth-shim links it without the reader.
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
