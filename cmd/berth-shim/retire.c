// Deleting a rotated-out log file frees its page cache (10 MB at the default
// max-size, ~15 ms of CPU on the test machines). The file is unlinked at
// once, but its last reference is dropped on a helper thread, so the kernel
// does that work beside the output loop instead of in it. The thread keeps
// the shim's priority: at idle priority it could be starved while the
// kernel holds a filesystem journal handle for it (the blocks are freed
// after the pages), stalling every writer of that filesystem.
#define _GNU_SOURCE
#include "shim.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <unistd.h>

// At most this many deleted files wait for the thread (their blocks stay
// allocated until then); beyond it a file is freed on the spot.
#define RETIRE_MAX_PENDING 4
#define RETIRE_STACK_SIZE (64 << 10)

static int retire_pipe[2] = {-1, -1};
static atomic_int retire_pending;
static bool retire_failed; // no thread: free on the spot from now on

static void *retire_loop(void *arg) {
	(void)arg;
	int fd;
	while (read(retire_pipe[0], &fd, sizeof fd) == (ssize_t)sizeof fd) {
		close(fd); // the last reference: the pages are freed on this thread
		atomic_fetch_sub(&retire_pending, 1);
	}
	return NULL;
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
	if (write(retire_pipe[1], &fd, sizeof fd) != (ssize_t)sizeof fd) {
		atomic_fetch_sub(&retire_pending, 1);
		close(fd);
	}
	return 0;
}
