// SPDX-License-Identifier: MIT
/*
 * Helpers of the event-set tests; see evtest.h (the gate in particular).
 */
#include "evtest.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

uint64_t et_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t et_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int et_scale(int n, int div)
{
	if (!xt_sanitized())
		return n;
	n /= div;
	return n > 0 ? n : 1;
}

int et_slack_ms(int ms)
{
	return xt_sanitized() ? 4 * ms : ms;
}

ssize_t et_read_file(const char *path, void *buf, size_t len, off_t off)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t got = 0;

	if (fd < 0)
		return -1;
	while (got < len) {
		ssize_t r = pread(fd, (char *)buf + got, len - got,
				  off + (off_t)got);

		if (r < 0) {
			close(fd);
			return -1;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	return (ssize_t)got;
}

int64_t et_file_size(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -1;
	return (int64_t)st.st_size;
}

long et_rss_kib(void)
{
	long size = 0, resident = -1;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f)
		return -1;
	if (fscanf(f, "%ld %ld", &size, &resident) != 2)
		resident = -1;
	fclose(f);
	if (resident < 0)
		return -1;
	return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

/* Is every xaio worker asleep right now? */
static bool workers_asleep(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	bool asleep = true;

	if (!d)
		return true;
	while (asleep && (e = readdir(d))) {
		char path[300], buf[256], *p;
		FILE *f;
		size_t n;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/stat",
			 e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = 0;
		/* "tid (comm) S ...": the state follows the last ')'. */
		p = strrchr(buf, ')');
		if (strstr(buf, "(xaio-worker)") && p && p[1] == ' ' &&
		    p[2] != 'S' && p[2] != 'D')
			asleep = false;
	}
	closedir(d);
	return asleep;
}

int et_quiesce_workers(int ms)
{
	for (int t = 0, quiet = 0; t < ms; t++) {
		quiet = workers_asleep() ? quiet + 1 : 0;
		if (quiet == 2)
			return 0;
		xt_sleep_ms(1);
	}
	return -ETIMEDOUT;
}

const char *et_put(const char *name, const char *s)
{
	const char *p = xt_path(name);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0 || write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		abort();
	close(fd);
	return p;
}

bool et_absent(const char *name)
{
	struct stat st;

	return lstat(xt_path(name), &st) < 0 && errno == ENOENT;
}

const char *et_too_long(void)
{
	static char p[PATH_MAX + 1];

	memset(p, 'a', PATH_MAX);
	p[PATH_MAX] = 0;
	return p;
}

bool et_untouched(struct xaio_evset *es)
{
	struct xaio_evset_counts c;

	return xaio_evset_counts(es, &c) == 0 && c.inserted == 0;
}

int et_status(struct xaio_evset *es, uint64_t id, struct xaio_op_info *info)
{
	int r = xaio_evset_op_wait(es, id, ET_LONG, info);

	return r < 0 ? r : info->status;
}

struct xaio_evset *et_set(uint32_t policy, uint32_t cbmode)
{
	struct xaio_evset_attr a;
	struct xaio_evset *es = NULL;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.error_policy = policy;
	a.callback_mode = cbmode;
	if (xaio_evset_create(&es, &a) != 0)
		return NULL;
	return es;
}

int et_harvest(struct xaio_evset *es, struct xaio_op_info *out, size_t max)
{
	int n = 0;

	for (;;) {
		struct xaio_op_info info;
		int r = xaio_evset_wait_any(es, XAIO_WAIT_FOREVER, &info);

		if (r == -ENOENT)
			return n;
		if (r != 0)
			return r;
		if ((size_t)n < max)
			out[n] = info;
		n++;
	}
}

const struct xaio_op_info *et_find(const struct xaio_op_info *infos, size_t n,
				   uint64_t id)
{
	for (size_t i = 0; i < n; i++)
		if (infos[i].op_id == id)
			return &infos[i];
	return NULL;
}

/* 0 not probed, 1 the open blocks, 2 the read blocks, -1 neither. */
static int gate_mode;

/*
 * Gates not yet closed, by path: a case that fails returns without
 * closing its gate, and exit would then wait (XAIO_EXIT_TIMEOUT) for the
 * writes held behind it.  An atexit handler, which runs before the
 * library's destructor, opens them all.
 */
#define MAX_GATES 64
static char live_gates[MAX_GATES][sizeof(((struct et_gate *)0)->path)];
static bool atexit_armed, exit_release_off;

void et_gate_no_exit_release(void)
{
	exit_release_off = true;
}

static void release_live_gates(void)
{
	if (exit_release_off)
		return;
	for (int i = 0; i < MAX_GATES; i++) {
		int fd;

		if (!live_gates[i][0])
			continue;
		fd = open(live_gates[i], O_RDWR | O_CLOEXEC);
		if (fd >= 0 && write(fd, "g", 1) != 1)
			fd = -1;
		/* Left open: the process is ending. */
	}
}

static void gate_register(const char *path)
{
	if (!atexit_armed) {
		atexit(release_live_gates);
		atexit_armed = true;
	}
	for (int i = 0; i < MAX_GATES; i++)
		if (!live_gates[i][0]) {
			snprintf(live_gates[i], sizeof(live_gates[i]), "%s",
				 path);
			return;
		}
}

static void gate_unregister(const char *path)
{
	for (int i = 0; i < MAX_GATES; i++)
		if (!strcmp(live_gates[i], path)) {
			live_gates[i][0] = 0;
			return;
		}
}

int et_gate_mode(void)
{
	return gate_mode;
}

int et_gate_open(struct et_gate *g, const char *name)
{
	return et_gate_open_path(g, xt_path(name));
}

int et_gate_open_path(struct et_gate *g, const char *path)
{
	struct xaio_opt o;
	bool probing = gate_mode == 0;
	int r;

	memset(g, 0, sizeof(*g));
	g->wfd = -1;
	snprintf(g->path, sizeof(g->path), "%s", path);
	unlink(g->path);
	if (mkfifo(g->path, 0600) < 0)
		return -errno;
	gate_register(g->path);
	r = xaio_evset_create(&g->es, NULL);
	if (r)
		return r;
	o = et_id(&g->open_id);
	/* O_CREAT (the FIFO exists: a plain open) makes io_uring run it
	 * blocking from the start (see evtest.h). */
	r = xaio_open(&g->f, g->path, O_RDONLY | O_CREAT, 0600, &o, g->es);
	if (r) {
		xaio_evset_close(g->es, XAIO_CLOSE_DISCARD_ERRORS);
		g->es = NULL;
		return r;
	}
	if (probing) {
		r = xaio_file_wait(g->f, ET_MS(300));
		if (r == -ETIMEDOUT) {
			gate_mode = 1;
		} else if (r == 0 && xaio_file_status(g->f) == 0) {
			gate_mode = 2;
		} else {
			fprintf(stderr, "gate: xaio_file_wait %d, status %d\n",
				r, xaio_file_status(g->f));
			et_gate_close(g);
			return r ? r : -EIO;
		}
	}
	if (gate_mode == 1) {
		g->id = g->open_id;
		return 0;
	}
	if (gate_mode == 2) {
		o = et_id(&g->id);
		r = xaio_pread(g->f, &g->byte, 1, 0, NULL, &o, g->es);
		if (r == 0 && probing &&
		    xaio_file_wait(g->f, ET_MS(200)) != -ETIMEDOUT)
			r = -ENOTSUP;
		if (r == 0)
			return 0;
		if (probing)
			gate_mode = -1;
		fprintf(stderr, "gate: the FIFO read does not wait (%d)\n", r);
	}
	et_gate_close(g);
	return -ENOTSUP;
}

int et_gate_release(struct et_gate *g)
{
	if (g->wfd >= 0)
		return 0;
	atomic_store(&g->released_ns, et_now_ns());
	g->wfd = open(g->path, O_RDWR | O_CLOEXEC);
	if (g->wfd < 0)
		return -errno;
	if (write(g->wfd, "g", 1) != 1)
		return -EIO;
	return 0;
}

static void *release_thread(void *arg)
{
	struct et_gate *g = arg;

	xt_sleep_ms(g->delay_ms);
	if (et_gate_release(g))
		xt_check_fail(__FILE__, __LINE__, "et_gate_release");
	return NULL;
}

int et_gate_release_after(struct et_gate *g, int ms)
{
	g->delay_ms = ms;
	if (pthread_create(&g->thr, NULL, release_thread, g))
		return -EAGAIN;
	g->thread = true;
	return 0;
}

int et_gate_close(struct et_gate *g)
{
	int r, rc = 0;

	if (!g->es)
		return 0;
	if (g->thread) {
		pthread_join(g->thr, NULL);
		g->thread = false;
	}
	r = et_gate_release(g);
	if (r)
		rc = r;
	r = xaio_evset_wait(g->es, XAIO_WAIT_FOREVER, 0, NULL);
	if (r && !rc)
		rc = r;
	r = xaio_close(g->f, NULL, NULL);
	if (r && !rc)
		rc = r;
	r = xaio_evset_close(g->es, XAIO_CLOSE_DISCARD_ERRORS);
	if (r && !rc)
		rc = r;
	g->es = NULL;
	if (g->wfd >= 0)
		close(g->wfd);
	g->wfd = -1;
	gate_unregister(g->path);
	unlink(g->path);
	return rc;
}
