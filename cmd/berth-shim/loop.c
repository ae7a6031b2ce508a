// The event loop: one epoll set over the container's output, shim.sock,
// its connections and a pidfd for the container's init.
#define _GNU_SOURCE
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

int loop_init(void) {
	S.epfd = epoll_create1(EPOLL_CLOEXEC);
	return S.epfd < 0 ? -1 : 0;
}

struct watch *watch_of(int fd) {
	return fd >= 0 && fd < S.nwatches ? S.watches[fd] : NULL;
}

// watch_fd registers w; the table by fd is how an event finds its watch,
// and how an fd closed by an earlier event of the same batch is skipped.
void watch_fd(struct watch *w, int kind, int fd, uint32_t events) {
	if (fd >= S.nwatches) {
		int n = S.nwatches ? S.nwatches : 16;
		while (n <= fd)
			n *= 2;
		struct watch **nw = realloc(S.watches, (size_t)n * sizeof *nw);
		if (!nw)
			return; // out of memory: the fd is simply not watched
		memset(nw + S.nwatches, 0, (size_t)(n - S.nwatches) * sizeof *nw);
		S.watches = nw;
		S.nwatches = n;
	}
	w->kind = kind;
	w->fd = fd;
	w->events = events;
	S.watches[fd] = w;
	struct epoll_event ev = {.events = events, .data.fd = fd};
	epoll_ctl(S.epfd, EPOLL_CTL_ADD, fd, &ev);
}

// watch_modify changes what w waits for. No events (a paused connection)
// takes the fd out of the epoll set while it stays in the table: epoll
// reports EPOLLHUP and EPOLLERR even for an empty mask, and a paused
// connection whose peer hung up would otherwise be dispatched (read out of
// turn, or, not read, dispatched again and again).
void watch_modify(struct watch *w, uint32_t events) {
	if (w->events == events)
		return;
	int op = events == 0 ? EPOLL_CTL_DEL : w->events == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
	w->events = events;
	struct epoll_event ev = {.events = events, .data.fd = w->fd};
	epoll_ctl(S.epfd, op, w->fd, &ev);
}

void unwatch(int fd) {
	if (watch_of(fd)) {
		S.watches[fd] = NULL;
		epoll_ctl(S.epfd, EPOLL_CTL_DEL, fd, NULL);
	}
}

// shim_listen opens shim.sock. It binds a path relative to the bundle dir
// so that long EXEC_ROOTs do not hit the 108-byte sun_path limit.
int shim_listen(char *err, size_t errlen) {
	if (chdir(S.dir) != 0) {
		seterr(err, errlen, "chdir %s: %s", S.dir, errstr(errno));
		return -1;
	}
	unlink(SOCKET_FILE);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		seterr(err, errlen, "socket: %s", errstr(errno));
		return -1;
	}
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	strcpy(a.sun_path, SOCKET_FILE);
	if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		seterr(err, errlen, "bind %s: %s", SOCKET_FILE, errstr(errno));
		close(fd);
		return -1;
	}
	if (listen(fd, 128) != 0) {
		seterr(err, errlen, "listen: %s", errstr(errno));
		close(fd);
		unlink(SOCKET_FILE);
		return -1;
	}
	S.listener = fd;
	watch_fd(&S.listener_w, K_LISTENER, fd, EPOLLIN);
	return 0;
}

void close_listener(void) {
	if (S.listener >= 0) {
		unwatch(S.listener);
		close(S.listener);
		S.listener = -1;
		unlink(SOCKET_FILE);
	}
}

// watch_init opens a pidfd for the container's init: it becomes readable
// when the init exits, which is how the loop learns of it.
int watch_init(char *err, size_t errlen) {
	int fd = (int)syscall(SYS_pidfd_open, S.init_pid, 0);
	if (fd < 0) {
		seterr(err, errlen, "pidfd_open: %s", errstr(errno));
		return -1;
	}
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	S.pidfd = fd;
	watch_fd(&S.pidfd_w, K_PIDFD, fd, EPOLLIN);
	return 0;
}

static void init_exited_now(void) {
	S.init_exited = true;
	S.exited_mono = mono_ns();
	clock_gettime(CLOCK_REALTIME, &S.exited_at);
}

// reap_all collects every exited child without blocking. As a subreaper
// the shim inherits the container's init and any orphans; only the init's
// status matters. Runtime commands are waited for by pid in run_runtime.
void reap_all(void) {
	for (;;) {
		int st;
		pid_t pid = waitpid(-1, &st, WNOHANG);
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid <= 0)
			break;
		if (pid == S.init_pid && !S.init_exited) {
			S.init_status = st;
			S.have_status = true;
			init_exited_now();
		}
	}
	if (!S.init_exited && S.pidfd >= 0 && !watch_of(S.pidfd)) {
		// The pidfd fired but the init was not our child to reap.
		init_exited_now();
	}
	if (S.init_exited && S.pidfd >= 0) {
		close(S.pidfd);
		S.pidfd = -1;
	}
}

static void dispatch(struct watch *w, uint32_t events) {
	switch (w->kind) {
	case K_LISTENER:
		conn_accept();
		break;
	case K_OUTPUT: {
		struct output *o = w->out;
		if ((events & EPOLLOUT) && o->fd == S.stdin)
			flush_stdin(); // the PTY master carries both directions
		if ((events & ~(uint32_t)EPOLLOUT) && watch_of(o->fd) == w)
			read_output(o);
		break;
	}
	case K_CONN:
		conn_read(w->conn);
		break;
	case K_STDIN:
		flush_stdin();
		break;
	case K_PIDFD:
		unwatch(w->fd); // reap_all collects the status
		break;
	}
}

// drained reports whether output is done after the init exited, closing
// outputs that stay open too long (background processes holding the pipes).
static bool drained(void) {
	if (S.noutputs == 0)
		return true;
	int64_t now = mono_ns();
	if ((now - S.exited_mono >= DRAIN_QUIET_NS && now - S.last_data >= DRAIN_QUIET_NS) ||
	    now - S.exited_mono >= DRAIN_LIMIT_NS) {
		while (S.noutputs > 0)
			close_output(S.outputs[0]);
		return true;
	}
	return false;
}

// serve runs the loop until the container has exited and been cleaned up.
void serve(void) {
	struct epoll_event events[16];
	for (;;) {
		int timeout = REAP_SWEEP_MS;
		if (S.init_exited)
			timeout = DRAIN_TICK_MS;
		else if (S.dirty)
			timeout = RELEASE_IDLE_MS;
		if (S.listener_paused && timeout > LISTENER_RETRY_MS)
			timeout = LISTENER_RETRY_MS;
		coalesce();
		int n = epoll_wait(S.epfd, events, 16, timeout);
		if (S.listener_paused && S.listener >= 0) {
			S.listener_paused = false; // try accepting again
			watch_modify(&S.listener_w, EPOLLIN);
		}
		if (n == 0)
			outbuf_release(); // quiet for a while
		if (n < 0) {
			if (errno != EINTR) {
				// Cannot happen with a valid epfd; do not spin.
				struct timespec ts = {0, DRAIN_TICK_MS * 1000000L};
				nanosleep(&ts, NULL);
			}
			n = 0;
		}
		for (int i = 0; i < n; i++) {
			struct watch *w = watch_of(events[i].data.fd);
			if (!w)
				continue; // closed while handling an earlier event
			dispatch(w, events[i].events);
		}
		reap_all();
		if (S.init_exited && drained()) {
			finish();
			return;
		}
	}
}
