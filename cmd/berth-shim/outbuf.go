package main

import (
	"time"

	"github.com/berth-dev/berth/internal/logs/logwriter"
	"golang.org/x/sys/unix"
)

// readChunk is how much output one read takes: large reads keep the
// per-byte cost of a chatty container low (one read, one log write batch
// and one attach frame per chunk).
const readChunk = 256 << 10

// outputPipeSize is the container's stdout/stderr pipe size: room for the
// container to run ahead while the shim writes the log and the frames.
const outputPipeSize = 1 << 20

// Coalescing: when output streams (reads come less than streamingGap
// apart), the loop waits coalesceDelay before its next read so that one
// read takes many of the container's small writes. An interactive
// container (gaps longer than streamingGap) is never delayed.
const coalesceDelay, streamingGap = time.Millisecond, 2 * time.Millisecond

// releaseIdle is how long output must be quiet before the read buffer's
// pages go back to the kernel: the buffer is per container, and most
// containers are quiet most of the time.
const releaseIdle = 2 * time.Second

// outBuffer is the frame header + read buffer, followed by the json-file
// writer's buffer. It is mmapped, not taken from the Go heap, so that
// madvise can return its pages when output is quiet (the shim's heap is
// never collected: it allocates too little for a GC).
type outBuffer struct {
	mem   []byte
	dirty bool // pages may be resident
}

const frameSize = 8 + readChunk

// get returns the frame buffer; fresh reports the first call, when the
// log part (logPart) is ready to be handed to the log writer.
func (b *outBuffer) get() (frame []byte, fresh bool) {
	if b.mem == nil {
		size := frameSize + logwriter.BufferSize
		mem, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
		if err != nil {
			mem = make([]byte, size) // not releasable, but works
		}
		b.mem, fresh = mem, true
	}
	b.dirty = true
	return b.mem[:frameSize:frameSize], fresh
}

// logPart is the json-file writer's share of the mapping (empty between
// two reads: every read ends with its entries written to the file).
func (b *outBuffer) logPart() []byte { return b.mem[frameSize:] }

// release drops the buffer's pages; the next get sees zeroed memory.
func (b *outBuffer) release() {
	if b.dirty {
		if unix.Madvise(b.mem, unix.MADV_DONTNEED) == nil {
			b.dirty = false
		}
	}
}

// noteRead records a read of n bytes from stream and whether output is
// streaming. Only one stream's run of reads counts: when stdout and stderr
// take turns, reading each as it comes keeps their lines in the order they
// were written.
func (s *shim) noteRead(stream byte, n int) {
	now := time.Now()
	s.streaming = n < readChunk && now.Sub(s.lastData) < streamingGap && stream == s.lastStream
	s.lastData, s.lastStream = now, stream
}

// coalesce waits a moment before the next read while output streams.
func (s *shim) coalesce() {
	if s.streaming {
		s.streaming = false
		ts := unix.NsecToTimespec(int64(coalesceDelay))
		unix.Nanosleep(&ts, nil)
	}
}
