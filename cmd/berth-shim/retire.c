// Deleting a rotated-out log file frees its page cache (10 MB at the default
// max-size, ~15 ms of CPU on the test machines). The file is unlinked at
// once, but its last reference is dropped on a helper thread, so the kernel
// does that work beside the output loop instead of in it. The thread keeps
// the shim's priority: at idle priority it could be starved while the
// kernel holds a filesystem journal handle for it (the blocks are freed
// after the pages), stalling every writer of that filesystem.
//
// The same thread makes the log's next file ahead of a rotation (a spare):
// creating a file allocates an inode, and on a journal-less ext4 that scans
// past every inode freed in the last minutes, reading their table blocks
// (0.1–1 ms a file once a chatty container has rotated a few times).
#define _GNU_SOURCE
#include "shim.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

// At most this many deleted files wait for the thread (their blocks stay
// allocated until then); beyond it a file is freed on the spot.
#define RETIRE_MAX_PENDING 4
#define RETIRE_STACK_SIZE (64 << 10)

static int retire_pipe[2] = {-1, -1};
static atomic_int retire_pending;
static bool retire_failed; // no thread: free on the spot from now on

// A message to the thread; one write(2) of it is atomic (< PIPE_BUF).
struct retire_msg {
	int op;       // OP_CLOSE or OP_SPARE
	int fd;       // the deleted file's last reference, or the log's directory
	unsigned gen; // OP_SPARE: spare_gen when asked
};
enum { OP_CLOSE, OP_SPARE };

static pthread_mutex_t spare_mu = PTHREAD_MUTEX_INITIALIZER;
static int spare_fd = -1; // an unnamed file in the log's directory, ready to link
static unsigned spare_gen; // bumped by spare_discard: spares asked before are void
unsigned long spares_linked; // files a rotation found made (tests read it)

static void make_spare(int dirfd, unsigned gen) {
	int fd = openat(dirfd, ".", O_TMPFILE | O_WRONLY | O_APPEND | O_CLOEXEC, 0640);
	close(dirfd);
	if (fd < 0)
		return; // no O_TMPFILE here: rotations create their files themselves
	pthread_mutex_lock(&spare_mu);
	if (gen == spare_gen && spare_fd < 0) {
		spare_fd = fd;
		fd = -1;
	}
	pthread_mutex_unlock(&spare_mu);
	if (fd >= 0)
		close(fd);
}

static void *retire_loop(void *arg) {
	(void)arg;
	struct retire_msg m;
	while (read(retire_pipe[0], &m, sizeof m) == (ssize_t)sizeof m) {
		if (m.op == OP_SPARE) {
			make_spare(m.fd, m.gen);
			continue;
		}
		close(m.fd); // the last reference: the pages are freed on this thread
		atomic_fetch_sub(&retire_pending, 1);
	}
	return NULL;
}

static bool retire_send(int op, int fd, unsigned gen) {
	struct retire_msg m = {.op = op, .fd = fd, .gen = gen};
	return write(retire_pipe[1], &m, sizeof m) == (ssize_t)sizeof m;
}

static bool retire_start(void) {
	if (retire_pipe[1] >= 0)
		return true;
	if (retire_failed)
		return false;
	retire_failed = true;
	if (pipe2(retire_pipe, O_CLOEXEC) != 0)
		return false;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, RETIRE_STACK_SIZE);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old); // the thread takes no signals
	pthread_t t;
	int r = pthread_create(&t, &attr, retire_loop, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (r != 0) {
		xclose(retire_pipe[0]);
		xclose(retire_pipe[1]);
		retire_pipe[0] = retire_pipe[1] = -1;
		return false;
	}
	retire_failed = false;
	return true;
}

// retire_file deletes path like unlink(2), leaving the freeing of its
// pages to the helper thread when it can. It returns unlink's result.
int retire_file(const char *path) {
	int fd = -1;
	if (atomic_load(&retire_pending) < RETIRE_MAX_PENDING && retire_start())
		fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC); // keeps the inode alive past unlink
	int r = unlink(path);
	if (fd < 0)
		return r;
	if (r != 0) {
		close(fd);
		return r;
	}
	atomic_fetch_add(&retire_pending, 1);
	if (!retire_send(OP_CLOSE, fd, 0)) {
		atomic_fetch_sub(&retire_pending, 1);
		close(fd);
	}
	return 0;
}

// spare_request asks the thread for a spare file in dir, for spare_take.
void spare_request(const char *dir) {
	if (!retire_start())
		return;
	int dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return;
	pthread_mutex_lock(&spare_mu);
	unsigned gen = spare_gen;
	pthread_mutex_unlock(&spare_mu);
	if (!retire_send(OP_SPARE, dirfd, gen))
		close(dirfd);
}

// spare_take links the spare, if one is ready, at path (which must not
// exist) and returns its descriptor; -1 if there is none or it cannot be
// linked, the caller then creating the file itself.
int spare_take(const char *path) {
	pthread_mutex_lock(&spare_mu);
	int fd = spare_fd;
	spare_fd = -1;
	pthread_mutex_unlock(&spare_mu);
	if (fd < 0)
		return -1;
	char proc[64]; // without CAP_DAC_READ_SEARCH: the same through /proc
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
	if (linkat(fd, "", AT_FDCWD, path, AT_EMPTY_PATH) != 0 &&
	    linkat(AT_FDCWD, proc, AT_FDCWD, path, AT_SYMLINK_FOLLOW) != 0) {
		close(fd);
		return -1;
	}
	__atomic_fetch_add(&spares_linked, 1, __ATOMIC_RELAXED);
	return fd;
}

// spare_discard drops the ready spare and voids the ones still being made
// (the log is closed, or a new one opened).
void spare_discard(void) {
	pthread_mutex_lock(&spare_mu);
	spare_gen++;
	int fd = spare_fd;
	spare_fd = -1;
	pthread_mutex_unlock(&spare_mu);
	if (fd >= 0)
		close(fd);
}
