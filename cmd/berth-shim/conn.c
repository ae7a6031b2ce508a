// Connections to shim.sock: one request line each (start, attach, attachfd,
// resize, wait), then attach input for the container's stdin.
#define _GNU_SOURCE
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

// write_all writes to a blocking descriptor; false if it failed or timed out.
bool write_all(int fd, const void *p, size_t n) {
	const char *b = p;
	while (n > 0) {
		ssize_t w = write(fd, b, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		b += w;
		n -= (size_t)w;
	}
	return true;
}

// Attach clients get a send timeout. It bounds each wait for buffer space,
// not a whole write: a client that reads, however slowly (`docker run IMG |
// less`), slows the output down as in Docker and loses nothing; one that
// takes nothing for ATTACH_WRITE_TIMEOUT_S is dropped.
static void set_send_timeout(int fd) {
	struct timeval tv = {.tv_sec = ATTACH_WRITE_TIMEOUT_S};
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

// widen_send_buffer lets an attached client's socket hold two whole output
// frames. With the default (208 KiB, less than one 256 KiB frame) every frame's
// write waited for the client to read part of it, so a chatty container's
// pipe went unread meanwhile: 100 MB to an attached client measured ~19 ms
// faster (678 → 660 ms, 24 runs each, alternating). Twice that was no better.
// FORCE, as root, so that the host's net.core.wmem_max does not decide.
static void widen_send_buffer(int fd) {
	int v = ATTACH_SNDBUF;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof v) != 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof v);
}

static struct conn *conn_new(int fd) {
	struct conn *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->fd = fd;
	c->passed_fd = -1;
	return c;
}

// conn_accept takes every pending connection. Connections are blocking:
// the loop only reads them when epoll says so.
void conn_accept(void) {
	for (;;) {
		int fd = accept4(S.listener, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0 && (errno == EINTR || errno == ECONNABORTED))
			continue;
		if (fd < 0 && (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)) {
			// The connection stays queued and the listener readable: stop
			// watching it for a moment instead of spinning (serve resumes).
			watch_modify(&S.listener_w, 0);
			S.listener_paused = true;
			return;
		}
		if (fd < 0)
			return;
		set_send_timeout(fd);
		struct conn *c = conn_new(fd);
		if (!c) {
			close(fd);
			continue;
		}
		c->w.conn = c;
		watch_fd(&c->w, K_CONN, fd, EPOLLIN);
	}
}

static void drop_waiter(struct conn *c) {
	for (int i = 0; i < S.nwaiters; i++) {
		if (S.waiters[i] == c) {
			S.waiters[i] = S.waiters[--S.nwaiters];
			return;
		}
	}
}

static void drop_client(struct conn *c) {
	for (int i = 0; i < S.nclients; i++) {
		if (S.clients[i] == c) {
			memmove(S.clients + i, S.clients + i + 1, (size_t)(S.nclients - i - 1) * sizeof *S.clients);
			S.nclients--;
			return;
		}
	}
}

static void add_client(struct conn *c) {
	if (S.nclients == S.cclients) {
		int n = S.cclients ? 2 * S.cclients : 4;
		struct conn **nc = realloc(S.clients, (size_t)n * sizeof *nc);
		if (!nc)
			return;
		S.clients = nc;
		S.cclients = n;
	}
	S.clients[S.nclients++] = c;
}

// conn_close closes a connection and forgets it everywhere.
void conn_close(struct conn *c) {
	unwatch(c->fd);
	drop_client(c);
	drop_waiter(c);
	if (S.stdin_from == c) {
		S.stdin_from = NULL;
		S.stdin_npending = 0;
	}
	close(c->fd);
	xclose(c->passed_fd);
	free(c);
}

static void reply_close(struct conn *c, const char *line) {
	char buf[4200];
	int n = snprintf(buf, sizeof buf, "%s\n", line);
	if (n >= (int)sizeof buf) {
		n = (int)sizeof buf - 1;
		buf[n - 1] = '\n';
	}
	write_all(c->fd, buf, (size_t)n);
	conn_close(c);
}

// take_passed_fd keeps the first descriptor a request carried; extra ones
// are closed.
static void take_passed_fd(struct conn *c, struct msghdr *m) {
	for (struct cmsghdr *h = CMSG_FIRSTHDR(m); h; h = CMSG_NXTHDR(m, h)) {
		if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS)
			continue;
		size_t n = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(h) + i * sizeof(int), sizeof fd);
			if (c->passed_fd < 0)
				c->passed_fd = fd;
			else
				close(fd);
		}
	}
}

// start runs the container once: runc's exec fifo, else `runtime start`.
static int start(char *err, size_t errlen) {
	if (S.started) {
		seterr(err, errlen, "container already started");
		return -1;
	}
	if (S.init_exited) {
		seterr(err, errlen, "container has exited");
		return -1;
	}
	bool done = false;
	if (start_via_exec_fifo(&done, err, errlen) != 0)
		return -1;
	if (!done) {
		int null3[3] = {S.devnull, S.devnull, S.devnull};
		const char *sub[] = {"start", S.cfg.id};
		if (run_runtime(null3, err, errlen, sub, 2) != 0)
			return -1;
	}
	S.started = true;
	return 0;
}

// attach registers a connection for output and, if asked, feeds its input
// to the container's stdin.
static void attach(struct conn *c, bool in, bool out, bool errs, const char *rest, size_t nrest) {
	if (!write_all(c->fd, "ok\n", 3)) {
		conn_close(c);
		return;
	}
	c->attached = true;
	c->stdin = in && S.cfg.open_stdin;
	c->stdout = out;
	c->stderr = errs;
	if (out || errs)
		add_client(c);
	if (nrest > 0 && c->stdin)
		queue_input(c, rest, nrest);
	if (!c->stdin && !out && !errs)
		conn_close(c);
}

// attach_fd takes over the client's own connection, passed by the daemon,
// for output only: the shim then writes frames straight to the client and
// the daemon is out of the data path.
static void attach_fd(struct conn *c, bool out, bool errs) {
	int fd = c->passed_fd;
	c->passed_fd = -1;
	if (fd < 0) {
		reply_close(c, "error: no descriptor passed");
		return;
	}
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0 && (fl & O_NONBLOCK))
		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	set_send_timeout(fd);
	widen_send_buffer(fd);
	struct conn *client = conn_new(fd);
	if (!client) {
		close(fd);
		reply_close(c, "error: out of memory");
		return;
	}
	client->attached = true;
	client->stdout = out;
	client->stderr = errs;
	client->input_done = true;
	add_client(client);
	reply_close(c, "ok");
}

// parse_u16 is strconv.ParseUint(s, 10, 16).
static bool parse_u16(const char *s, unsigned *v) {
	if (!*s)
		return false;
	unsigned long x = 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		x = x * 10 + (unsigned long)(*s - '0');
		if (x > 65535)
			return false;
	}
	*v = (unsigned)x;
	return true;
}

static void handle(struct conn *c, char *req, const char *rest, size_t nrest) {
	char *f[5];
	int nf = 0;
	for (char *save = NULL, *t = strtok_r(req, " \t\r\v\f", &save); t; t = strtok_r(NULL, " \t\r\v\f", &save)) {
		if (nf == 5)
			break;
		f[nf++] = t;
	}
	if (nf == 0) {
		conn_close(c);
		return;
	}
	char err[4096];
	if (strcmp(f[0], "start") == 0 && nf == 1) {
		if (start(err, sizeof err) != 0) {
			char line[4200];
			snprintf(line, sizeof line, "error: %s", err);
			reply_close(c, line);
			return;
		}
		char line[32];
		snprintf(line, sizeof line, "ok %d", (int)S.init_pid);
		reply_close(c, line);
	} else if (strcmp(f[0], "attach") == 0 && nf == 4) {
		attach(c, strcmp(f[1], "1") == 0, strcmp(f[2], "1") == 0, strcmp(f[3], "1") == 0, rest, nrest);
	} else if (strcmp(f[0], "attachfd") == 0 && nf == 3) {
		attach_fd(c, strcmp(f[1], "1") == 0, strcmp(f[2], "1") == 0);
	} else if (strcmp(f[0], "resize") == 0 && nf == 3) {
		unsigned h, w;
		if (!parse_u16(f[1], &h) || !parse_u16(f[2], &w)) {
			reply_close(c, "error: bad size");
			return;
		}
		if (S.master >= 0) {
			struct winsize ws = {.ws_row = (unsigned short)h, .ws_col = (unsigned short)w};
			if (ioctl(S.master, TIOCSWINSZ, &ws) != 0) {
				char line[256];
				snprintf(line, sizeof line, "error: %s", errstr(errno));
				reply_close(c, line);
				return;
			}
		}
		reply_close(c, "ok");
	} else if (strcmp(f[0], "wait") == 0 && nf == 1) {
		// Answered by finish. Until then the connection is watched only so
		// that a client that goes away (a daemon killed and restarted
		// waits again) does not leave its descriptor here until the exit;
		// a client keeps its write side open while it waits.
		if (S.nwaiters == S.cwaiters) {
			int n = S.cwaiters ? 2 * S.cwaiters : 4;
			struct conn **nw = realloc(S.waiters, (size_t)n * sizeof *nw);
			if (!nw) {
				conn_close(c);
				return;
			}
			S.waiters = nw;
			S.cwaiters = n;
		}
		c->waiting = true;
		xclose(c->passed_fd);
		c->passed_fd = -1;
		S.waiters[S.nwaiters++] = c;
		watch_modify(&c->w, EPOLLIN | EPOLLRDHUP);
	} else {
		reply_close(c, "error: unknown request");
	}
}

// conn_read reads a request line, or attach input once attached.
void conn_read(struct conn *c) {
	if (c->waiting) {
		// Nothing more is expected: anything read is dropped, EOF or an
		// error means the client is gone.
		char b[64];
		ssize_t r = recv(c->fd, b, sizeof b, MSG_DONTWAIT);
		if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
			conn_close(c);
		return;
	}
	if (c->attached) {
		read_input(c);
		return;
	}
	char buf[MAX_REQUEST];
	union {
		char b[CMSG_SPACE(16 * sizeof(int))];
		struct cmsghdr align;
	} oob;
	struct iovec iov = {.iov_base = buf, .iov_len = MAX_REQUEST - c->reqlen};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = oob.b, .msg_controllen = sizeof oob.b};
	// MSG_DONTWAIT: the connection is blocking (for its writes), and an
	// event may be stale: an fd closed earlier in the same epoll batch can
	// be reused by a new connection before its old event is dispatched. A
	// blocking read would then hang the whole shim on a silent client.
	ssize_t n = recvmsg(c->fd, &m, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n >= 0 && m.msg_controllen > 0)
		take_passed_fd(c, &m);
	if (n <= 0) {
		conn_close(c);
		return;
	}
	memcpy(c->req + c->reqlen, buf, (size_t)n);
	c->reqlen += (size_t)n;
	char *nl = memchr(c->req, '\n', c->reqlen);
	if (!nl) {
		if (c->reqlen >= MAX_REQUEST)
			conn_close(c);
		return;
	}
	char line[MAX_REQUEST + 1], rest[MAX_REQUEST];
	size_t ll = (size_t)(nl - c->req), nrest = c->reqlen - ll - 1;
	memcpy(line, c->req, ll);
	line[ll] = 0;
	memcpy(rest, nl + 1, nrest);
	c->reqlen = 0;
	handle(c, line, rest, nrest);
}

// The container's stdin is non-blocking: input it does not take yet is
// kept and the connection it came from is paused until stdin is writable,
// so a container that ignores stdin never stalls its output.

// want_stdin_writable turns EPOLLOUT on stdin on or off.
static void want_stdin_writable(bool on) {
	if (S.stdin < 0)
		return;
	struct watch *w = watch_of(S.stdin);
	if (S.stdin == S.master) {
		if (w) // the master's output watch
			watch_modify(w, EPOLLIN | (on ? EPOLLOUT : 0));
		return;
	}
	if (on && !w)
		watch_fd(&S.stdin_w, K_STDIN, S.stdin, EPOLLOUT);
	else if (!on && w)
		unwatch(S.stdin);
}

// pause_conn stops reading c until resume_input.
static void pause_conn(struct conn *c) {
	struct watch *w = watch_of(c->fd);
	if (w)
		watch_modify(w, 0);
}

// read_input handles bytes from an attached connection.
void read_input(struct conn *c) {
	// There is one pending buffer: while it holds input, another stdin
	// client is paused rather than read, so that its input neither replaces
	// the pending input (lost, and its owner never resumed) nor overtakes it.
	if (c->stdin && S.stdin_npending > 0) {
		pause_conn(c);
		return;
	}
	ssize_t n = recv(c->fd, S.inbuf, sizeof S.inbuf, MSG_DONTWAIT); // see conn_read
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		c->input_done = true;
		unwatch(c->fd);
		if (c->stdin && S.cfg.stdin_once && !S.cfg.tty)
			close_stdin();
		if (!c->stdout && !c->stderr)
			conn_close(c);
		return;
	}
	if (c->stdin)
		queue_input(c, S.inbuf, (size_t)n);
}

// queue_input writes p to the container's stdin, keeping what does not fit.
void queue_input(struct conn *c, const char *p, size_t n) {
	if (S.stdin < 0)
		return;
	if (S.stdin_npending > 0) {
		// Only an attach request's trailing bytes (< MAX_REQUEST) get here
		// while input is pending (read_input pauses instead): they go after
		// it; the buffer has room for a few such requests.
		size_t room = sizeof S.stdin_pending - S.stdin_npending;
		if (n > room)
			n = room;
		memcpy(S.stdin_pending + S.stdin_npending, p, n);
		S.stdin_npending += n;
		pause_conn(c);
		return;
	}
	while (n > 0) {
		ssize_t w = write(S.stdin, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			break;
		if (w < 0) {
			c->stdin = false; // the container closed its stdin: drop further input
			return;
		}
		p += w;
		n -= (size_t)w;
	}
	if (n == 0)
		return;
	if (p != S.stdin_pending)
		memmove(S.stdin_pending, p, n);
	S.stdin_npending = n;
	S.stdin_from = c;
	pause_conn(c);
	want_stdin_writable(true);
}

// flush_stdin writes pending input now that stdin is writable.
void flush_stdin(void) {
	char *p = S.stdin_pending;
	size_t n = S.stdin_npending;
	while (n > 0 && S.stdin >= 0) {
		ssize_t w = write(S.stdin, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			memmove(S.stdin_pending, p, n);
			S.stdin_npending = n;
			return;
		}
		if (w < 0) {
			if (S.stdin_from)
				S.stdin_from->stdin = false;
			break;
		}
		p += w;
		n -= (size_t)w;
	}
	resume_input();
}

// resume_input forgets pending input and reads its connection again.
void resume_input(void) {
	S.stdin_npending = 0;
	want_stdin_writable(false);
	S.stdin_from = NULL;
	// Every paused connection (the one whose input was pending, and others
	// read_input or queue_input paused meanwhile) is read again.
	for (int fd = 0; fd < S.nwatches; fd++) {
		struct watch *w = S.watches[fd];
		if (w && w->kind == K_CONN && w->conn->attached && w->events == 0)
			watch_modify(w, EPOLLIN);
	}
}

// close_stdin closes the container's stdin pipe (never the PTY master,
// which is also its output).
void close_stdin(void) {
	if (S.stdin < 0)
		return;
	resume_input();
	if (S.stdin != S.master) {
		unwatch(S.stdin);
		close(S.stdin);
	}
	S.stdin = -1;
}
