// The container's output: read in large chunks into an mmap'd buffer, sent
// to the json-file log and, framed, to every attached client.
#define _GNU_SOURCE
#include "shim.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <unistd.h>

// outbuf_get returns the frame buffer (8-byte header + READ_CHUNK), mapping
// it, with the log writer's buffer behind it, on first use. It is mmap'd
// so that madvise can hand its pages back while the container is quiet.
static char *outbuf_get(void) {
	if (!S.outmem) {
		size_t size = FRAME_SIZE + LOG_BUFFER_SIZE;
		void *mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (mem == MAP_FAILED)
			return NULL;
		S.outmem = mem;
		S.outmem_size = size;
		if (S.log)
			logw_use_buffer(S.log, S.outmem + FRAME_SIZE);
	}
	S.dirty = true;
	return S.outmem;
}

// outbuf_release drops the buffer's pages; the next use sees zeroed memory
// (the log part is empty between two reads: every read ends with its
// entries written to the file).
void outbuf_release(void) {
	if (S.dirty && madvise(S.outmem, S.outmem_size, MADV_DONTNEED) == 0)
		S.dirty = false;
}

void add_output(int fd, uint8_t stream, const char *name) {
	struct output *o = &S.outs[S.noutputs];
	o->fd = fd;
	o->stream = stream;
	o->log = NULL;
	if (S.log) {
		struct logstream *ls = &S.logstreams[S.noutputs];
		ls->w = S.log;
		ls->name = name;
		o->log = ls;
	}
	S.outputs[S.noutputs++] = o;
	o->w.out = o;
	watch_fd(&o->w, K_OUTPUT, fd, EPOLLIN);
}

// note_read records whether output is streaming. Only one stream's run of
// reads counts: when stdout and stderr take turns, reading each as it comes
// keeps their lines in the order they were written.
static void note_read(uint8_t stream, size_t n) {
	int64_t now = mono_ns();
	S.streaming = n < READ_CHUNK && now - S.last_data < STREAMING_GAP_NS && stream == S.last_stream;
	S.last_data = now;
	S.last_stream = stream;
}

// coalesce waits a moment before the next read while output streams, so
// that one read takes many of the container's small writes. An interactive
// container (reads further apart) is never delayed.
void coalesce(void) {
	if (S.streaming) {
		S.streaming = false;
		struct timespec ts = {0, COALESCE_DELAY_NS};
		nanosleep(&ts, NULL);
	}
}

// fanout sends one chunk to every client that wants the stream. A client
// whose write fails or times out is dropped.
static void fanout(uint8_t stream, const char *p, size_t n) {
	for (int i = 0; i < S.nclients;) {
		struct conn *c = S.clients[i];
		bool want = (stream == STREAM_STDOUT && c->stdout) || (stream == STREAM_STDERR && c->stderr);
		if (want && !write_all(c->fd, p, n)) {
			conn_close(c); // removes it from S.clients
			continue;
		}
		i++;
	}
}

// read_output reads one chunk just after the 8-byte frame header, so that
// it goes to a multiplexed client in one write, without copying.
void read_output(struct output *o) {
	char *frame = outbuf_get();
	if (!frame) {
		struct timespec ts = {0, DRAIN_TICK_MS * 1000000L};
		nanosleep(&ts, NULL); // no memory for a buffer: try again later
		return;
	}
	ssize_t n = read(o->fd, frame + 8, READ_CHUNK);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		// EOF, or EIO on a PTY whose slave side is gone.
		close_output(o);
		return;
	}
	note_read(o->stream, (size_t)n);
	if (o->log)
		logstream_write(o->log, frame + 8, (size_t)n);
	if (S.nclients == 0)
		return;
	if (S.cfg.tty) {
		fanout(o->stream, frame + 8, (size_t)n); // a TTY has one stream and no framing
		return;
	}
	uint32_t len = (uint32_t)n;
	frame[0] = (char)o->stream;
	frame[1] = frame[2] = frame[3] = 0;
	frame[4] = (char)(len >> 24);
	frame[5] = (char)(len >> 16);
	frame[6] = (char)(len >> 8);
	frame[7] = (char)len;
	fanout(o->stream, frame, 8 + (size_t)n);
}

// close_output stops reading a stream and writes its pending partial line.
void close_output(struct output *o) {
	for (int i = 0; i < S.noutputs; i++) {
		if (S.outputs[i] == o) {
			memmove(S.outputs + i, S.outputs + i + 1, (size_t)(S.noutputs - i - 1) * sizeof *S.outputs);
			S.noutputs--;
			break;
		}
	}
	if (o->log)
		logstream_close(o->log);
	unwatch(o->fd);
	if (o->fd == S.master) {
		close_stdin();
		S.master = -1;
	}
	close(o->fd);
	o->fd = -1;
}
