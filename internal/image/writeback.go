package image

import "golang.org/x/sys/unix"

// writebackChunk is how much of a blob is written before its writeback is
// started: the final fsync of a large layer then has little left to do,
// and the disk works while the writer still tars and hashes.
const writebackChunk = 8 << 20

// startWriteback starts (without waiting for) the writeback of each full
// chunk written since the last call.
func (w *blobWriter) startWriteback() {
	for w.n-w.flushed >= writebackChunk {
		unix.SyncFileRange(int(w.f.Fd()), w.flushed, writebackChunk, unix.SYNC_FILE_RANGE_WRITE)
		w.flushed += writebackChunk
	}
}
