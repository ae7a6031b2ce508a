package main

import (
	"time"

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

// outBuffer is the frame header + read buffer. It is mmapped, not taken from
// the Go heap, so that madvise can return its pages when output is quiet
// (the shim's heap is never collected: it allocates too little for a GC).
type outBuffer struct {
	mem   []byte
	dirty bool // pages may be resident
}

func (b *outBuffer) get() []byte {
	if b.mem == nil {
		mem, err := unix.Mmap(-1, 0, 8+readChunk, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
		if err != nil {
			mem = make([]byte, 8+readChunk) // not releasable, but works
		}
		b.mem = mem
	}
	b.dirty = true
	return b.mem
}

// release drops the buffer's pages; the next get sees zeroed memory.
func (b *outBuffer) release() {
	if b.dirty {
		if unix.Madvise(b.mem, unix.MADV_DONTNEED) == nil {
			b.dirty = false
		}
	}
}

// noteRead records a read of n bytes and whether output is streaming.
func (s *shim) noteRead(n int) {
	now := time.Now()
	s.streaming = n < readChunk && now.Sub(s.lastData) < streamingGap
	s.lastData = now
}

// coalesce waits a moment before the next read while output streams.
func (s *shim) coalesce() {
	if s.streaming {
		s.streaming = false
		ts := unix.NsecToTimespec(int64(coalesceDelay))
		unix.Nanosleep(&ts, nil)
	}
}
