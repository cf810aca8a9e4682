// SPDX-License-Identifier: MIT
/*
 * fuzz-evset: a fuzz target over event sets and the native file calls
 * (<xaio/evset.h>, <xaio/file.h>).
 *
 * The input is a little program of up to 64 steps.  Each step picks one of
 * xaio_evset_create (attr NULL, or with fuzzed size, reserved words,
 * policies, callback mode, copy cap), xaio_evset_close (fuzzed flags),
 * _wait, _wait_any, _op_wait, _counts, _fd, _cancel, _errors (fuzzed max,
 * paging), _clear_errors, _set_callbacks (counting callbacks, an insert
 * callback that vetoes on a condition of the user tag, worker or waiter
 * mode), xaio_open/_openat (a fixed set of paths inside this process's
 * temp dir, missing ones and directories; fuzzed flags with garbage bits
 * and modes), xaio_close, pread/pwrite/preadv/pwritev (lengths 0..BUFSZ
 * and huge, past SSIZE_MAX; offsets negative and huge; iovcnt -1, 0,
 * IOV_MAX + 1), fsync, fdatasync, ftruncate, fallocate, fstat, stat,
 * unlink, rmdir, rename, link, symlink, readlink, access (absolute paths
 * of the temp dir, never the dir itself: NULL, empty, too long; fuzzed
 * flags and modes), readdir, dirinfo, dirent_nth, remove_nth, exists
 * (the same paths, fuzzed indexes), copy (fuzzed offsets, lengths,
 * flags), map put, get and delete on any handle (keys good and bad),
 * ref_get, chmod, chown, utimens (on handles and by path; fuzzed modes,
 * owners that give nothing away, times and flags),
 * xaio_file_status/_wait/_fd.  Every
 * submission gets a fuzzed xaio_opt or NULL (buffer policy COPY or GIFT with a
 * counting free function, STRICT, garbage bits, reserved words, after[] naming
 * earlier op ids, random ids and 0, a user tag, op_id out or not), a location
 * (none, the macro's, or a copied one freed right after the call) and a set or
 * NULL (synchronous). Handles live in a small table: a handle is never used
 * after xaio_close took it (that is undefined), nor a set after
 * xaio_evset_close freed it.
 *
 * Invariants checked (abort() on violation, which the fuzzer reports):
 *  - every call returns 0 or a negative errno, never positive except
 *    xaio_evset_wait's 1 with XAIO_WAIT_RETURN_ON_ERROR, a synchronous
 *    read's or write's byte count (at most len) and xaio_evset_fd /
 *    xaio_file_fd's descriptor (close-on-exec);
 *  - what the headers and notes document: NULL-set answers, -EINVAL for
 *    the listed argument errors (no op id written, no callback, nothing
 *    counted), XAIO_ERR_REFUSE refusing after a failure, an insert veto
 *    returning -ECANCELED and not counted, attr validation;
 *  - counts are exact: in_progress + succeeded + failed + canceled +
 *    dep_canceled == inserted == the accepted submissions, bytes_copied
 *    within the cap;
 *  - every operation's complete callback runs at most once, with a sane
 *    info (status not EINPROGRESS, a dep-cancel names an earlier cause,
 *    the user tag given); worker-mode callbacks get -EDEADLK from the
 *    waits and close;
 *  - error records have a non-NULL api, status != 0, a message;
 *  - a GIFT free function runs exactly once per accepted operation, with
 *    the buffer given, and never for a refused one;
 *  - at the end, waiting every handle (xaio_file_wait, 10 s) and closing
 *    it, then waiting every set (10 s: a hang is a failure) drains
 *    everything: in_progress 0, nothing left to harvest, the set closes
 *    with XAIO_CLOSE_DISCARD_ERRORS, and no descriptor is left open that
 *    was not open before the input ran.
 * Buffers live in one mapping followed by a PROT_NONE guard page (as in
 * fuzz-posix), so a huge length makes the kernel stop at the guard.
 *
 * Built with libFuzzer (clang -fsanitize=fuzzer) or, without it, as a
 * program that replays corpus files given on the command line.  With
 * FUZZ_EVSET_TRACE=1 in the environment every step is printed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "xaio.h"

#define BUFSZ 65536
#define NSET 3
#define NH 6
#define NID 16
#define MAXSTEP 64
#define NTAB 8192 /* op ids one input may use, from the run's base id */
#define NGIFT (MAXSTEP + 8)
#define SEC 1000000000ull
#define DRAIN_NS (10 * SEC)

struct input {
	const uint8_t *p;
	size_t n;
};

static uint64_t take(struct input *in, int bytes)
{
	uint64_t v = 0;

	for (int i = 0; i < bytes; i++) {
		v <<= 8;
		if (in->n) {
			v |= *in->p++;
			in->n--;
		}
	}
	return v;
}

/* --- diagnostics --- */

static int cur_step = -1, cur_kind = -1;
static const char *cur_input = "-"; /* the replayed file */
static bool trace;

__attribute__((format(printf, 1, 2), noreturn)) static void fail(
	const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fuzz-evset: %s: step %d (kind %d): ", cur_input,
		cur_step, cur_kind);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

#define CHECK(cond, ...)                                                       \
	do {                                                                   \
		if (!(cond))                                                   \
			fail(__VA_ARGS__);                                     \
	} while (0)

__attribute__((format(printf, 1, 2))) static void tr(const char *fmt, ...)
{
	va_list ap;

	if (!trace)
		return;
	va_start(ap, fmt);
	fprintf(stderr, "  [%d] ", cur_step);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static bool is_errno(long r)
{
	return r < 0 && r >= -4095;
}

/* 0 or a negative errno: what every call but the listed ones returns. */
static void check_rc(long r, const char *call)
{
	CHECK(r == 0 || is_errno(r), "%s returned %ld", call, r);
}

/* --- state --- */

static char *buf; /* BUFSZ bytes, then a PROT_NONE page */
static char dir[96];
static char paths[8][128];
static const char *const relpaths[] = {
	"a", "c", "missing", ".", "..", "d", "", "nodir/x", "/nonexistent/x"};

struct sstate {
	struct xaio_evset *es; /* NULL: no set in this slot */
	struct xaio_evset_attr attr; /* effective */
	uint64_t inserted; /* accepted submissions (the oracle) */
	uint64_t failed_mark; /* failed count right after clear_errors */
	uint32_t veto_mod; /* insert callback vetoes tag % mod == 0 */
	bool has_insert, has_complete;
	bool cb_exact; /* complete callback since inserted 0, unchanged */
	atomic_bool probe; /* worker callback tries the waits (-EDEADLK) */
	atomic_uint complete_calls, insert_calls;
};

static struct sstate sets[NSET];
static struct xaio_file *handles[NH];
static bool strict[NH]; /* opened with XAIO_ORDER_STRICT */
/* Recent op ids, with the handles their ops are ordered on. */
struct idrec {
	uint64_t id;
	const void *h1, *h2; /* the file, the directory */
};
static struct idrec ids[NID];
static int nids;
/* The handles of the submission being built (for remember_id). */
static const void *cur_h1, *cur_h2;
static uint64_t base_id;
static atomic_uint cbtab[NTAB]; /* complete callbacks per op id */

struct gift {
	void *expect;
	atomic_int calls;
	bool accepted, unknown;
	bool used;
};
static struct gift gifts[NGIFT];
static int ngift;

/* Per-step results the library writes at completion: live to the end. */
static ssize_t dones[MAXSTEP + 8];
static uint64_t done_len[MAXSTEP + 8];
static bool done_used[MAXSTEP + 8];
static struct statx stxs[MAXSTEP + 8];
static char lbufs[MAXSTEP + 8][64]; /* xaio_readlink's */
static struct xaio_listing *lists[MAXSTEP + 8]; /* xaio_readdir's */
/* xaio_map_put's values and _get's buffers; xaio_ref_get's references. */
static char mbufs[MAXSTEP + 8][64];
static struct xaio_ref refs[MAXSTEP + 8];
/* The xattr calls': a listing (freed at the drain), a value, a name. */
static struct xaio_listing *xlists[MAXSTEP + 8];
static char xbufs[MAXSTEP + 8][64];

/* Set by the insert callback during one submission (our thread only). */
static int insert_now, veto_now;

static struct iovec iovs[IOV_MAX + 1];

/* --- tags: the high half checks the low one --- */

static uint64_t mk_tag(uint32_t lo)
{
	return (uint64_t)(uint32_t)(lo * 2654435761u) << 32 | lo;
}

static bool tag_ok(uint64_t t)
{
	return (uint32_t)(t >> 32) == (uint32_t)((uint32_t)t * 2654435761u);
}

/* --- checks on what the library reports --- */

static void check_loc(const struct xaio_srcloc *loc)
{
	/* Ours are NULL, this file, or a copied "fz/..." one. */
	if (loc->file)
		CHECK(!strcmp(loc->file, __FILE__) ||
			      !strncmp(loc->file, "fz/", 3),
		      "loc.file '%s'", loc->file);
	if (loc->func)
		CHECK(strlen(loc->func) < 64, "loc.func");
}

/*
 * loc: may info->loc be read?  Only while the operation lives (in a
 * callback, in an error record): a harvested one's copied strings are gone.
 */
static void check_info(const struct xaio_op_info *info, bool done, bool loc)
{
	CHECK(info->op_id != 0, "info: op_id 0");
	CHECK(info->api && !strncmp(info->api, "xaio_", 5), "info: api");
	CHECK(tag_ok(info->user_tag), "info: user_tag %#llx",
	      (unsigned long long)info->user_tag);
	if (done) {
		CHECK(info->status != EINPROGRESS && info->status >= 0 &&
			      info->status < 4096,
		      "info: op %llu status %d",
		      (unsigned long long)info->op_id, info->status);
		CHECK(info->t_end_ns >= info->t_submit_ns, "info: times");
		if (info->t_start_ns)
			CHECK(info->t_start_ns >= info->t_submit_ns &&
				      info->t_end_ns >= info->t_start_ns,
			      "info: times");
		CHECK(info->result >= 0, "info: result");
		if (info->length || info->offset)
			CHECK((uint64_t)info->result <= info->length,
			      "info: result %lld > length %llu",
			      (long long)info->result,
			      (unsigned long long)info->length);
	} else {
		CHECK(info->status == EINPROGRESS, "insert info: status %d",
		      info->status);
	}
	if (info->flags & XAIO_INFO_DEP_CANCELED) {
		CHECK(!done || info->status == ECANCELED,
		      "dep-canceled with status %d", info->status);
		CHECK(info->cause && info->cause < info->op_id,
		      "op %llu dep-canceled by cause %llu",
		      (unsigned long long)info->op_id,
		      (unsigned long long)info->cause);
	}
	CHECK(!(info->flags & ~XAIO_INFO_DEP_CANCELED), "info: flags %#x",
	      info->flags);
	if (loc)
		check_loc(&info->loc);
}

static void check_counts(const struct xaio_evset_counts *c,
			 const struct sstate *s, bool exact)
{
	uint64_t sum = c->in_progress + c->succeeded + c->failed + c->canceled +
		       c->dep_canceled;

	CHECK(sum == c->inserted,
	      "counts: %llu in progress + %llu ok + %llu failed + %llu "
	      "canceled + %llu dep-canceled != %llu inserted",
	      (unsigned long long)c->in_progress,
	      (unsigned long long)c->succeeded, (unsigned long long)c->failed,
	      (unsigned long long)c->canceled,
	      (unsigned long long)c->dep_canceled,
	      (unsigned long long)c->inserted);
	CHECK(c->bytes_copied <= s->attr.copy_cap, "counts: %llu copied > cap",
	      (unsigned long long)c->bytes_copied);
	CHECK(c->errors <= c->failed + c->dep_canceled, "counts: errors");
	if (exact)
		CHECK(c->inserted == s->inserted,
		      "counts: %llu inserted, %llu accepted",
		      (unsigned long long)c->inserted,
		      (unsigned long long)s->inserted);
}

static void zeroed(const void *p, size_t n, const char *what)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		CHECK(!b[i], "%s not zeroed", what);
}

/* --- callbacks --- */

static int insert_cb(struct xaio_evset *es, const struct xaio_op_info *info,
		     void *ctx)
{
	struct sstate *s = ctx;
	bool veto;

	CHECK(s->es == es, "insert callback: wrong set");
	check_info(info, false, true);
	atomic_fetch_add(&s->insert_calls, 1);
	insert_now++;
	veto = s->veto_mod && info->user_tag % s->veto_mod == 0;
	if (veto)
		veto_now++;
	return veto ? 1 + (int)(info->user_tag & 7) : 0;
}

static void complete_cb(struct xaio_evset *es, const struct xaio_op_info *info,
			void *ctx)
{
	struct sstate *s = ctx;
	struct xaio_evset_counts c;
	uint64_t i = info->op_id - base_id;

	CHECK(s->es == es, "complete callback: wrong set");
	check_info(info, true, true);
	if (i < NTAB)
		CHECK(atomic_fetch_add(&cbtab[i], 1) == 0,
		      "op %llu: second complete callback",
		      (unsigned long long)info->op_id);
	atomic_fetch_add(&s->complete_calls, 1);
	CHECK(xaio_evset_counts(es, &c) == 0, "counts in callback");
	check_counts(&c, s, false);
	if (s->attr.callback_mode == XAIO_CB_WORKER && atomic_load(&s->probe)) {
		struct xaio_op_info tmp;
		int r;

		r = xaio_evset_wait(es, 0, 0, NULL);
		CHECK(r == -EDEADLK, "wait in worker callback: %d", r);
		r = xaio_evset_wait_any(es, SEC, &tmp);
		CHECK(r == -EDEADLK, "wait_any in worker callback: %d", r);
		r = xaio_evset_op_wait(es, info->op_id, SEC, &tmp);
		CHECK(r == -EDEADLK, "op_wait in worker callback: %d", r);
		r = xaio_evset_close(es, XAIO_CLOSE_WAIT);
		CHECK(r == -EDEADLK, "close in worker callback: %d", r);
		/* Synchronous: refused (it would wait here) or done, no hang.
		 */
		{
			struct statx stx;

			r = (xaio_stat)(NULL, dir, 0, STATX_TYPE, &stx, NULL,
					NULL);
			CHECK(r == 0 || r == -EDEADLK,
			      "sync stat in worker callback: %d", r);
		}
	}
}

static void gift_free(void *p, void *ctx)
{
	struct gift *g = ctx;

	CHECK(g >= gifts && g < gifts + NGIFT, "gift: bad ctx");
	CHECK(p == g->expect, "gift: buffer %p, gave %p", p, g->expect);
	atomic_fetch_add(&g->calls, 1);
}

/* --- setup --- */

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the DIR's own */
}

static void write_file(const char *p, size_t n)
{
	int fd = open(p, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0 || pwrite(fd, buf, n, 0) != (ssize_t)n)
		abort();
	close(fd);
}

/* Removes p, a tree or anything else (a symbolic link is not followed). */
static void rmdir_tree(const char *p)
{
	struct dirent *e;
	char sub[512];
	DIR *d;

	if (!unlink(p) || !(d = opendir(p)))
		return;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", p, e->d_name);
		if (unlink(sub))
			rmdir_tree(sub);
	}
	closedir(d);
	rmdir(p);
}

static void cleanup_dir(void)
{
	rmdir_tree(dir);
}

static void *watchdog(void *arg);
static _Atomic uint64_t run_deadline;
static uint64_t hang_s = 60; /* FUZZ_EVSET_HANG_S */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * SEC + (uint64_t)ts.tv_nsec;
}

static void setup_once(void)
{
	static bool done;
	pthread_t wd;
	char *map;

	if (done)
		return;
	done = true;
	trace = getenv("FUZZ_EVSET_TRACE") != NULL;
	if (getenv("FUZZ_EVSET_HANG_S") &&
	    atoi(getenv("FUZZ_EVSET_HANG_S")) > 0)
		hang_s = (uint64_t)atoi(getenv("FUZZ_EVSET_HANG_S"));
	map = mmap(NULL, BUFSZ + 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED)
		abort();
	mprotect(map + BUFSZ, 4096, PROT_NONE);
	buf = map;
	for (int i = 0; i < BUFSZ; i++)
		buf[i] = (char)('A' + i % 61);
	/* tmpfs when there is one: fsync there costs nothing. */
	snprintf(dir, sizeof(dir), "%s/xaio-fuzz-evset.XXXXXX",
		 access("/dev/shm", W_OK) ? "/tmp" : "/dev/shm");
	if (!mkdtemp(dir))
		abort();
	atexit(cleanup_dir);
	snprintf(paths[0], sizeof(paths[0]), "%s/a", dir);
	snprintf(paths[1], sizeof(paths[1]), "%s/b", dir);
	snprintf(paths[2], sizeof(paths[2]), "%s/d", dir);
	snprintf(paths[3], sizeof(paths[3]), "%s/d/c", dir);
	snprintf(paths[4], sizeof(paths[4]), "%s/missing", dir);
	snprintf(paths[5], sizeof(paths[5]), "%s/nodir/x", dir);
	snprintf(paths[6], sizeof(paths[6]), "%s", "");
	snprintf(paths[7], sizeof(paths[7]), "%s", dir);
	if (pthread_create(&wd, NULL, watchdog, NULL))
		abort();
	pthread_detach(wd);
}

/* Resets the temp dir to a, b (8 KiB each), d/, d/c. */
static void reset_files(void)
{
	char p[160];

	snprintf(p, sizeof(p), "%s/d", dir);
	/* Renames and links may have left anything at any of the names. */
	for (int i = 0; i < 5; i++)
		rmdir_tree(paths[i]);
	rmdir_tree(p);
	mkdir(p, 0700);
	write_file(paths[0], 8192);
	write_file(paths[1], 8192);
	write_file(paths[3], 4096);
}

/* A run taking over hang_s is a hang, with or without libFuzzer. */
static void *watchdog(void *arg)
{
	(void)arg;
	for (;;) {
		uint64_t d = atomic_load(&run_deadline);

		sleep(1);
		if (d && now_ns() > d) {
			fprintf(stderr,
				"fuzz-evset: %s: hang: step %d (kind %d) "
				"still running after %llu s\n",
				cur_input, cur_step, cur_kind,
				(unsigned long long)hang_s);
			/*
			 * FUZZ_EVSET_GDB=1: every thread's stack first;
			 * =FILE: and the gdb commands in FILE.
			 */
			if (getenv("FUZZ_EVSET_GDB")) {
				const char *x = getenv("FUZZ_EVSET_GDB");
				char cmd[512];

				snprintf(
					cmd, sizeof(cmd),
					"gdb -q -batch -p %d -ex 'thread apply "
					"all bt' %s%s >&2 2>/dev/null",
					(int)getpid(),
					access(x, R_OK) ? "" : "-x ",
					access(x, R_OK) ? "" : x);
				if (system(cmd) < 0)
					perror("system");
			}
			abort();
		}
	}
	return NULL;
}

/* --- choosing arguments --- */

static struct xaio_evset *pick_set(struct input *in, struct sstate **sp)
{
	int i = (int)(take(in, 1) % (NSET + 1));

	*sp = i < NSET && sets[i].es ? &sets[i] : NULL;
	return *sp ? (*sp)->es : NULL;
}

static int pick_handle(struct input *in)
{
	return (int)(take(in, 1) % (NH + 1)); /* NH: NULL */
}

static struct xaio_file *handle_at(int i)
{
	return i < NH ? handles[i] : NULL;
}

static void remember_id(uint64_t id)
{
	if (!id)
		return;
	ids[nids % NID] = (struct idrec){id, cur_h1, cur_h2};
	nids++;
}

static struct idrec *find_rec(uint64_t id)
{
	for (int i = 0; i < NID && i < nids; i++)
		if (ids[i].id == id)
			return &ids[i];
	return NULL;
}

static uint64_t pick_id(struct input *in)
{
	uint8_t b = (uint8_t)take(in, 1);

	switch (b % 8) {
	case 0:
		return 0;
	case 1:
		return take(in, 8); /* random */
	case 2:
		return base_id + 1 + (uint64_t)(b >> 3); /* near: this run's */
	case 3:
		return UINT64_MAX;
	default:
		return nids ? ids[(nids - 1 - (b >> 3) % (uint64_t)nids) % NID]
				       .id
			    : base_id;
	}
}

/* Sanitizers check whole buffers at the system call: stay in the mapping. */
#if defined(__SANITIZE_ADDRESS__)
#define XAIO_FUZZ_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define XAIO_FUZZ_SANITIZED 1
#endif
#endif

static bool checked_buffers(void)
{
#ifdef XAIO_FUZZ_SANITIZED
	return true;
#else
	const char *preload = getenv("LD_PRELOAD");

	return preload && strstr(preload, "vgpreload");
#endif
}

static uint64_t clamp_to(const char *p, uint64_t len, bool force)
{
	uint64_t room = (uint64_t)(buf + BUFSZ - p);

	if (!force && !checked_buffers())
		return len;
	return len < room ? len : room;
}

static uint64_t pick_len(struct input *in)
{
	switch (take(in, 1) % 8) {
	case 0:
		return 0;
	case 1:
	case 2:
	case 3:
		return take(in, 2) % (BUFSZ + 1);
	case 4:
		return take(in, 1) + 1;
	case 5:
		return (uint64_t)SSIZE_MAX + take(in, 1); /* SSIZE_MAX: ok */
	case 6:
		return UINT64_MAX - take(in, 1);
	default:
		return take(in, 8);
	}
}

static int64_t pick_off(struct input *in)
{
	switch (take(in, 1) % 6) {
	case 0:
		return 0;
	case 1:
	case 2:
		return (int64_t)take(in, 2);
	case 3:
		return -(int64_t)take(in, 1) - 1;
	case 4:
		return (int64_t)(take(in, 8) & INT64_MAX);
	default:
		return (int64_t)take(in, 8);
	}
}

/* A location: none (the plain function), the macro's, or a copied one. */
static char *locmem;

enum { LOC_PLAIN, LOC_MACRO, LOC_COPY, LOC_COPY_NULL };

static struct xaio_srcloc mkloc(int how, unsigned int line)
{
	struct xaio_srcloc l = {NULL, NULL, line, XAIO_LOC_COPY};

	if (how == LOC_COPY) {
		locmem = malloc(64);
		if (!locmem)
			abort();
		snprintf(locmem, 32, "fz/%u.c", line);
		snprintf(locmem + 32, 32, "fn%u", line);
		l.file = locmem;
		l.func = locmem + 32;
	}
	return l;
}

/* Frees (after scribbling) a copied location: the library has its own. */
static void drop_loc(void)
{
	if (locmem) {
		memset(locmem, 'X', 64);
		free(locmem);
		locmem = NULL;
	}
}

#define LOCCALL(name, how, ...)                                                \
	((how) == LOC_PLAIN   ? (name)(__VA_ARGS__)                            \
	 : (how) == LOC_MACRO ? name(__VA_ARGS__)                              \
			      : name##_loc(mkloc(how, __LINE__), __VA_ARGS__))

struct optb {
	struct xaio_opt o;
	uint64_t after[8];
	uint64_t op_id;
	struct gift *g;
	bool present, bad, want_id;
};

enum { K_OPEN, K_CLOSE, K_RW, K_RWV, K_BARRIER, K_STAT };

/*
 * Fills *b from the input; b->bad when check_opt()'s documented rules
 * (or the call's own: a policy where none applies) refuse it.
 */
static const struct xaio_opt *pick_opt(struct input *in, struct optb *b,
				       int kind, bool is_read, const void *h1,
				       const void *h2)
{
	uint8_t sel = (uint8_t)take(in, 1), sel2;
	uint32_t pol;

	memset(b, 0, sizeof(*b));
	cur_h1 = h1;
	cur_h2 = h2;
	if (sel % 4 == 0)
		return NULL;
	b->present = true;
	sel2 = (uint8_t)take(in, 1);
	pol = (sel >> 2) & 3;
	if (pol == 3 && !(sel2 & 1))
		pol = 0; /* the invalid policy only half the time */
	b->o.flags = pol;
	if ((sel >> 4) & 1)
		b->o.flags |= XAIO_ORDER_STRICT;
	if ((sel >> 5) == 7)
		b->o.flags |= (uint32_t)take(in, 4) << 3;
	b->o.n_after = (uint32_t)((sel2 >> 1) & 7) % 5;
	for (uint32_t i = 0; i < b->o.n_after; i++) {
		b->after[i] = pick_id(in);
	}
	b->o.after = b->o.n_after && (sel2 & 0x41) == 0x41 ? NULL : b->after;
	b->o.user_tag = mk_tag((uint32_t)take(in, 2));
	b->want_id = !(sel2 & 0x80);
	b->o.op_id = b->want_id ? &b->op_id : NULL;
	if (pol == XAIO_BUF_GIFT && ngift < NGIFT) {
		b->g = &gifts[ngift++];
		b->g->used = true;
		b->o.buf_free = (sel2 & 0x30) == 0x30 ? NULL : gift_free;
		b->o.buf_free_ctx = b->g;
	} else if (pol == XAIO_BUF_GIFT) {
		b->o.flags &= ~XAIO_BUF_MASK;
		pol = 0;
	}
	if ((sel & 0xe0) == 0xc0)
		b->o.reserved[sel2 & 1] = 1 + take(in, 1);
	b->bad = (b->o.flags & ~(XAIO_BUF_MASK | XAIO_ORDER_STRICT)) ||
		 pol == XAIO_BUF_MASK || b->o.reserved[0] || b->o.reserved[1] ||
		 (b->o.n_after && !b->o.after) ||
		 (pol == XAIO_BUF_GIFT && !b->o.buf_free) ||
		 (kind != K_OPEN && (b->o.flags & XAIO_ORDER_STRICT));
	/* The calls' own refusals of a buffer policy. */
	if ((kind == K_CLOSE || kind == K_BARRIER || kind == K_STAT) && pol)
		b->bad = true;
	if (kind == K_RWV && pol == XAIO_BUF_GIFT)
		b->bad = true;
	if ((kind == K_RW || kind == K_RWV) && is_read && pol == XAIO_BUF_COPY)
		b->bad = true;
	return &b->o;
}

static bool copying(const struct optb *b)
{
	return b->present && (b->o.flags & XAIO_BUF_MASK) == XAIO_BUF_COPY;
}

/* --- submissions --- */

struct sub {
	struct sstate *s; /* NULL: synchronous */
	struct xaio_evset_counts before;
	bool must_refuse;
	bool must_fail; /* a documented argument error */
	const char *call;
	uint64_t len; /* data calls: bytes asked */
	bool data;
};

static void tr_opt(const char *what, const struct sub *u, long r,
		   const struct optb *b)
{
	char after[128] = "";
	size_t o = 0;

	if (!b) {
		tr("%s %s -> %ld: set %ld", u->call, what, r,
		   u->s ? (long)(u->s - sets) : -1L);
		return;
	}
	for (uint32_t i = 0; b->o.after && i < b->o.n_after; i++)
		o += (size_t)snprintf(after + o, sizeof(after) - o, " %llu",
				      (unsigned long long)b->after[i]);
	tr("%s %s -> %ld%s: set %ld, opt flags %#x after%s [%s ] tag %#llx "
	   "op %llu",
	   u->call, what, r, veto_now ? " (vetoed)" : "",
	   u->s ? (long)(u->s - sets) : -1L, b->o.flags,
	   b->o.n_after && !b->o.after ? " NULL" : "", after,
	   (unsigned long long)b->o.user_tag, (unsigned long long)b->op_id);
}

static void sub_begin(struct sub *u, struct sstate *s, const char *call,
		      const struct optb *b)
{
	memset(u, 0, sizeof(*u));
	u->s = s;
	u->call = call;
	insert_now = veto_now = 0;
	tr_opt("begin", u, 0, b);
	if (s) {
		CHECK(xaio_evset_counts(s->es, &u->before) == 0, "counts");
		check_counts(&u->before, s, true);
		u->must_refuse = s->attr.error_policy == XAIO_ERR_REFUSE &&
				 u->before.failed > s->failed_mark;
	}
}

/* Checks a submission's result; true when the library took it. */
static bool sub_end(struct sub *u, long r, struct optb *b)
{
	bool accepted;

	drop_loc();
	tr_opt("done", u, r, b);
	CHECK(r == 0 || is_errno(r) || (!u->s && u->data && r > 0),
	      "%s returned %ld", u->call, r);
	if (!u->s && u->data && r > 0) {
		uint64_t want = u->len > INT_MAX ? INT_MAX : u->len;

		CHECK((uint64_t)r <= want, "%s: %ld bytes of %llu", u->call, r,
		      (unsigned long long)u->len);
	}
	if (u->s)
		accepted = r == 0;
	else if (b && b->want_id)
		accepted = b->op_id != 0;
	else
		accepted = r >= 0; /* a guess: GIFT is not checked then */
	if (b && b->want_id) {
		CHECK(!(u->s && r < 0 && b->op_id), "%s: %ld but op id written",
		      u->call, r);
		CHECK(!(u->s && r == 0 && !b->op_id), "%s: no op id", u->call);
		CHECK(!(!u->s && r >= 0 && !b->op_id), "%s: %ld, no op id",
		      u->call, r);
		if (b->op_id) {
			CHECK(b->op_id > base_id && b->op_id - base_id < NTAB,
			      "%s: op id %llu outside the run's", u->call,
			      (unsigned long long)b->op_id);
			remember_id(b->op_id);
		}
	}
	if (u->must_fail || (b && b->bad))
		CHECK(!accepted && r < 0, "%s: accepted bad arguments (%ld)",
		      u->call, r);
	CHECK(!(!u->s && insert_now), "%s: insert callback without a set",
	      u->call);
	CHECK(insert_now <= 1, "%s: %d insert callbacks", u->call, insert_now);
	if (veto_now)
		CHECK(r == -ECANCELED, "%s: vetoed but returned %ld", u->call,
		      r);
	if (u->s) {
		struct xaio_evset_counts c;

		if (u->must_refuse)
			CHECK(r < 0 && !insert_now,
			      "%s: a REFUSE set with a failure took it (%ld)",
			      u->call, r);
		/* A failure may complete between the counts and the call. */
		if (r == -ECANCELED && !veto_now)
			CHECK(u->s->attr.error_policy == XAIO_ERR_REFUSE,
			      "%s: -ECANCELED from a set that does not refuse",
			      u->call);
		if (r == 0 && u->s->has_insert)
			CHECK(insert_now == 1, "%s: taken, %d insert callbacks",
			      u->call, insert_now);
		if (r == 0)
			u->s->inserted++;
		CHECK(xaio_evset_counts(u->s->es, &c) == 0, "counts");
		check_counts(&c, u->s, true);
	}
	if (b && b->g) {
		b->g->accepted = accepted;
		b->g->unknown = !u->s && !b->want_id;
		if (!accepted && !b->g->unknown)
			CHECK(atomic_load(&b->g->calls) == 0,
			      "%s: refused, but its GIFT buffer was freed",
			      u->call);
		/* A synchronous call has completed: freed by now. */
		if (accepted && !u->s)
			CHECK(atomic_load(&b->g->calls) == 1,
			      "%s: synchronous, GIFT freed %d times", u->call,
			      atomic_load(&b->g->calls));
	}
	return accepted;
}

/* --- steps: event sets --- */

static uint64_t pick_timeout(struct input *in)
{
	switch (take(in, 1) % 16) {
	case 0:
	case 1:
	case 2:
	case 3:
	case 4:
		return 0;
	case 5:
	case 6:
	case 7:
		return 100000; /* 100 us */
	case 8:
	case 9:
		return 1000000;
	case 10:
		return 10000000;
	case 11:
		return take(in, 2) * 1000;
	case 12:
		return XAIO_WAIT_FOREVER;
	case 13:
		return UINT64_MAX - 1 - take(in, 1); /* past a century */
	default:
		return 1;
	}
}

union attr_buf {
	struct xaio_evset_attr a;
	unsigned char bytes[sizeof(struct xaio_evset_attr) + 64];
};

static void step_create(struct input *in)
{
	int slot = (int)(take(in, 1) % NSET);
	uint8_t v = (uint8_t)take(in, 1);
	struct sstate *s = &sets[slot];
	union attr_buf ab;
	struct xaio_evset_attr eff = {.size = sizeof(eff)};
	const struct xaio_evset_attr *ap = NULL;
	struct xaio_evset *es = (struct xaio_evset *)&ab; /* poisoned */
	bool valid = true;
	int r;

	if (s->es) {
		r = xaio_evset_create(NULL, NULL);
		CHECK(r == -EINVAL, "create(NULL): %d", r);
		return;
	}
	memset(&ab, 0, sizeof(ab));
	if (v % 4) {
		size_t rsv = offsetof(struct xaio_evset_attr, flags), n;
		struct xaio_evset_attr copy;
		uint8_t w = (uint8_t)take(in, 1);

		switch ((v >> 2) % 8) {
		case 0:
		case 1:
		case 2:
			ab.a.size = sizeof(ab.a);
			break;
		case 3:
			ab.a.size = (uint32_t)rsv;
			break;
		case 4:
			ab.a.size = (uint32_t)(rsv + take(in, 1) % 32);
			break;
		case 5:
			ab.a.size = (uint32_t)(sizeof(ab.a) + take(in, 1) % 64);
			break;
		case 6:
			ab.a.size = (uint32_t)(take(in, 1) % rsv);
			break;
		default:
			ab.a.size = (uint32_t)take(in, 4);
			break;
		}
		ab.a.error_policy = w & 1;
		ab.a.callback_mode = (w >> 1) & 1;
		ab.a.copy_full = (w >> 2) & 1;
		if ((w >> 3) % 8 == 7) /* an out-of-range policy */
			*(&ab.a.error_policy + take(in, 1) % 3) =
				(uint32_t)take(in, 1) + 2;
		switch ((w >> 6) & 3) {
		case 0:
			ab.a.copy_cap = 0;
			break;
		case 1:
			ab.a.copy_cap = take(in, 1) % 3 ? 4096 : 1;
			break;
		case 2:
			ab.a.copy_cap = take(in, 3);
			break;
		default:
			ab.a.copy_cap = 2 * BUFSZ;
			break;
		}
		if (v >= 0xe0)
			ab.a.reserved[take(in, 1) % 3] = 1 + take(in, 1);
		if (v >= 0xd0 && v < 0xe0)
			ab.a.flags = take(in, 1);
		if (v & 0x10) /* bytes past the struct, for a bigger size */
			memset(ab.bytes + sizeof(ab.a), 0xa5, 64);
		ap = &ab.a;
		/* The documented rules, applied to what the library reads. */
		n = ab.a.size < sizeof(copy) ? ab.a.size : sizeof(copy);
		memset(&copy, 0, sizeof(copy));
		memcpy(&copy, &ab.a, n);
		if (ab.a.size < rsv)
			valid = false;
		for (int i = 0; i < 3; i++)
			if (copy.reserved[i])
				valid = false;
		if (copy.reserved32 || (copy.flags & ~XAIO_EVSET_BACKGROUND))
			valid = false;
		if (copy.error_policy > XAIO_ERR_REFUSE ||
		    copy.callback_mode > XAIO_CB_WORKER ||
		    copy.copy_full > XAIO_COPY_EAGAIN)
			valid = false;
		eff = copy;
		eff.size = sizeof(eff);
	}
	if (!eff.copy_cap)
		eff.copy_cap = 64ull << 20;
	r = xaio_evset_create(&es, ap);
	tr("create slot %d attr %s size %u pol %u cb %u full %u cap %llu -> %d",
	   slot, ap ? "yes" : "NULL", ab.a.size, ab.a.error_policy,
	   ab.a.callback_mode, ab.a.copy_full,
	   (unsigned long long)ab.a.copy_cap, r);
	check_rc(r, "xaio_evset_create");
	CHECK((r == 0) == valid, "create: %d, attr %svalid", r,
	      valid ? "" : "in");
	if (r < 0) {
		CHECK(es == NULL, "create failed but *es set");
		return;
	}
	CHECK(es != NULL, "create: NULL set");
	memset(s, 0, sizeof(*s));
	s->es = es;
	s->attr = eff;
	if (v & 0x20) { /* callbacks from the start */
		s->has_insert = (v & 0x40) != 0;
		s->veto_mod = s->has_insert ? (uint32_t)take(in, 1) % 6 : 0;
		s->has_complete = true;
		s->cb_exact = true;
		atomic_store(&s->probe, (v & 0x80) != 0);
		r = xaio_evset_set_callbacks(
			es, s->has_insert ? insert_cb : NULL, complete_cb, s);
		CHECK(r == 0, "set_callbacks: %d", r);
	}
}

static void step_close_set(struct input *in)
{
	int slot = (int)(take(in, 1) % (NSET + 1));
	uint8_t f = (uint8_t)take(in, 1);
	unsigned int flags = f & 7;
	struct sstate *s = slot < NSET ? &sets[slot] : NULL;
	int r;

	if (f >= 0xf0)
		flags |= 8u << (f & 7);
	if (!s || !s->es) {
		r = xaio_evset_close(NULL, flags);
		CHECK(r == 0, "close(NULL): %d", r);
		return;
	}
	r = xaio_evset_close(s->es, flags);
	tr("evset_close slot %d flags %#x -> %d", slot, flags, r);
	if (flags & ~7u) {
		CHECK(r == -EINVAL, "close with flags %#x: %d", flags, r);
		return;
	}
	CHECK(r == 0 || r == -EBUSY, "evset_close: %d", r);
	if ((flags & (XAIO_CLOSE_WAIT | XAIO_CLOSE_CANCEL)) &&
	    (flags & XAIO_CLOSE_DISCARD_ERRORS))
		CHECK(r == 0, "close(WAIT|DISCARD): %d", r);
	if (r == 0) {
		s->es = NULL;
	} else {
		struct xaio_evset_counts c;

		CHECK(xaio_evset_counts(s->es, &c) == 0, "counts");
		check_counts(&c, s, true);
	}
}

static void step_wait(struct input *in)
{
	struct sstate *s;
	struct xaio_evset *es = pick_set(in, &s);
	uint64_t t = pick_timeout(in);
	uint8_t f = (uint8_t)take(in, 1);
	unsigned int flags = f & 1 ? XAIO_WAIT_RETURN_ON_ERROR : 0;
	struct xaio_evset_counts c;
	bool want = !(f & 2);
	int r;

	if (f >= 0xf8)
		flags |= 2u << (f & 3);
	memset(&c, 0xff, sizeof(c));
	r = xaio_evset_wait(es, t, flags, want ? &c : NULL);
	tr("wait %p t %llu flags %#x -> %d", (void *)es, (unsigned long long)t,
	   flags, r);
	if (!es) {
		CHECK(r == 0, "wait(NULL): %d", r);
		if (want)
			zeroed(&c, sizeof(c), "wait(NULL) counts");
		return;
	}
	if (flags & ~XAIO_WAIT_RETURN_ON_ERROR) {
		CHECK(r == -EINVAL, "wait with flags %#x: %d", flags, r);
		return;
	}
	CHECK(r == 0 || r == -ETIMEDOUT ||
		      (r == 1 && (flags & XAIO_WAIT_RETURN_ON_ERROR)),
	      "wait: %d", r);
	if (t == XAIO_WAIT_FOREVER || t > 3153600000ull * SEC)
		CHECK(r != -ETIMEDOUT, "wait forever timed out");
	if (want) {
		check_counts(&c, s, true);
		CHECK((r == 0) == (c.in_progress == 0),
		      "wait: %d with %llu in progress", r,
		      (unsigned long long)c.in_progress);
	}
}

static void step_wait_one(struct input *in, bool by_id)
{
	struct sstate *s;
	struct xaio_evset *es = pick_set(in, &s);
	uint64_t t = pick_timeout(in), id = by_id ? pick_id(in) : 0;
	bool want = take(in, 1) % 4 != 0;
	struct xaio_op_info info;
	int r;

	memset(&info, 0xff, sizeof(info));
	if (t == XAIO_WAIT_FOREVER || t > SEC)
		t = 10 * 1000000; /* an id of an op that never ends: no hang */
	r = by_id ? xaio_evset_op_wait(es, id, t, want ? &info : NULL)
		  : xaio_evset_wait_any(es, t, want ? &info : NULL);
	tr("%s %p id %llu t %llu -> %d", by_id ? "op_wait" : "wait_any",
	   (void *)es, (unsigned long long)id, (unsigned long long)t, r);
	if (!es) {
		CHECK(r == -ENOENT, "wait_one(NULL): %d", r);
		if (want)
			zeroed(&info, sizeof(info), "wait_one(NULL) info");
		return;
	}
	if (by_id && !id) {
		CHECK(r == -EINVAL, "op_wait(0): %d", r);
		return;
	}
	CHECK(r == 0 || r == -ETIMEDOUT || r == -ENOENT, "wait_one: %d", r);
	if (r == 0 && want) {
		check_info(&info, true, false);
		if (by_id)
			CHECK(info.op_id == id, "op_wait(%llu) got %llu",
			      (unsigned long long)id,
			      (unsigned long long)info.op_id);
	}
}

static void step_counts(struct input *in)
{
	struct sstate *s;
	struct xaio_evset *es = pick_set(in, &s);
	struct xaio_evset_counts c;
	int r;

	if (take(in, 1) == 0xff) {
		r = xaio_evset_counts(es, NULL);
		CHECK(r == -EINVAL, "counts(NULL): %d", r);
		return;
	}
	memset(&c, 0xff, sizeof(c));
	r = xaio_evset_counts(es, &c);
	CHECK(r == 0, "counts: %d", r);
	if (!es)
		zeroed(&c, sizeof(c), "counts(NULL)");
	else
		check_counts(&c, s, true);
}

static void step_fd(struct input *in)
{
	struct sstate *s;
	struct xaio_evset *es = pick_set(in, &s);
	bool rd = take(in, 1) & 1;
	int r = xaio_evset_fd(es), r2;
	uint64_t v;

	if (!es) {
		CHECK(r == -EINVAL, "fd(NULL): %d", r);
		return;
	}
	CHECK(r >= 0 || is_errno(r), "fd: %d", r);
	if (r < 0)
		return;
	CHECK(fcntl(r, F_GETFD) == FD_CLOEXEC, "evset fd not close-on-exec");
	r2 = xaio_evset_fd(es);
	CHECK(r2 == r, "fd: %d then %d", r, r2);
	if (rd) {
		ssize_t n = read(r, &v, sizeof(v));

		CHECK(n == 8 || (n < 0 && errno == EAGAIN), "eventfd read");
	}
}

static void step_cancel(struct input *in)
{
	struct sstate *s;
	struct xaio_evset *es = pick_set(in, &s);
	uint64_t id = take(in, 1) & 1 ? 0 : pick_id(in);
	size_t nc = 12345;
	bool want = take(in, 1) & 1;
	int r;

	r = xaio_evset_cancel(es, id, want ? &nc : NULL);
	tr("cancel %p id %llu -> %d (%zu running)", (void *)es,
	   (unsigned long long)id, r, want ? nc : 0);
	CHECK(r == 0 || (es && r == -ENOMEM), "cancel: %d", r);
	if (want)
		CHECK(es ? nc != 12345 : nc == 0, "cancel: not_canceled %zu",
		      nc);
	if (es) {
		struct xaio_evset_counts c;

		CHECK(xaio_evset_counts(es, &c) == 0, "counts");
		check_counts(&c, s, true);
	}
}

static void check_error(const struct xaio_error *e)
{
	CHECK(e->info.api != NULL, "error record: api NULL");
	CHECK(e->info.status != 0 && e->info.status != EINPROGRESS,
	      "error record: status %d", e->info.status);
	check_info(&e->info, true, true);
	CHECK(e->info.status != ECANCELED ||
		      (e->info.flags & XAIO_INFO_DEP_CANCELED),
	      "error record for a canceled op");
	CHECK(e->args != NULL, "error record: args NULL");
	CHECK(memchr(e->msg, 0, sizeof(e->msg)) && e->msg[0],
	      "error record: msg");
}

/* Reads up to max records per call, pages at most times. */
static size_t read_errors(struct xaio_evset *es, size_t max, int pages)
{
	struct xaio_error errs[8];
	size_t total = 0, n;
	int r;

	for (int p = 0; p < pages; p++) {
		n = 777;
		memset(errs, 0xee, sizeof(errs));
		r = xaio_evset_errors(es, max ? errs : NULL, max, &n);
		CHECK(r == 0, "errors: %d", r);
		CHECK(n <= max, "errors: %zu of at most %zu", n, max);
		CHECK(es || n == 0, "errors(NULL): %zu", n);
		for (size_t i = 0; i < n; i++)
			check_error(&errs[i]);
		xaio_evset_free_errors(errs, n);
		for (size_t i = 0; i < n; i++)
			zeroed(&errs[i], sizeof(errs[i]), "freed error");
		total += n;
		if (n < max || !max)
			break;
	}
	return total;
}

static void step_errors(struct input *in)
{
	struct sstate *s;
	struct xaio_evset *es = pick_set(in, &s);
	uint8_t b = (uint8_t)take(in, 1);
	struct xaio_error one;
	size_t n = 5;
	int r;

	switch (b % 8) {
	case 0:
		r = xaio_evset_errors(es, NULL, 1 + b / 8, &n);
		CHECK(r == -EINVAL, "errors(out NULL, max > 0): %d", r);
		return;
	case 1:
		r = xaio_evset_errors(es, &one, 1, NULL);
		CHECK(r == -EINVAL, "errors(n NULL): %d", r);
		return;
	default:
		n = read_errors(es, (b / 8) % 9, 1 + (int)(b % 4));
		tr("errors %p -> %zu", (void *)es, n);
		break;
	}
	if (es) {
		struct xaio_evset_counts c;

		CHECK(xaio_evset_counts(es, &c) == 0, "counts");
		check_counts(&c, s, true);
	}
}

static void step_clear(struct input *in)
{
	struct sstate *s;
	struct xaio_evset *es = pick_set(in, &s);
	struct xaio_evset_counts c;
	int r = xaio_evset_clear_errors(es);

	CHECK(r == 0, "clear_errors: %d", r);
	if (!es)
		return;
	CHECK(xaio_evset_counts(es, &c) == 0, "counts");
	check_counts(&c, s, true);
	s->failed_mark = c.failed;
}

static void step_callbacks(struct input *in)
{
	struct sstate *s;
	struct xaio_evset *es = pick_set(in, &s);
	uint8_t b = (uint8_t)take(in, 1);
	bool ins = b & 1, comp = b & 2;
	int r;

	if (!es) {
		r = xaio_evset_set_callbacks(NULL, insert_cb, complete_cb,
					     NULL);
		CHECK(r == 0, "set_callbacks(NULL): %d", r);
		return;
	}
	r = xaio_evset_set_callbacks(es, ins ? insert_cb : NULL,
				     comp ? complete_cb : NULL, s);
	CHECK(r == 0, "set_callbacks: %d", r);
	s->has_insert = ins;
	s->veto_mod = (uint32_t)((b >> 2) & 0x1f) % 6;
	atomic_store(&s->probe, (b & 0x80) != 0);
	/* Exact while a complete callback was there since the first op. */
	s->cb_exact = comp && (s->inserted == 0 || s->cb_exact);
	s->has_complete = comp;
	tr("callbacks slot %ld insert %d complete %d veto %u", (long)(s - sets),
	   ins, comp, s->veto_mod);
}

/* --- steps: files --- */

static int pick_flags(struct input *in)
{
	uint8_t a = (uint8_t)take(in, 1), b = (uint8_t)take(in, 1);
	int fl = a & 3; /* O_RDONLY, O_WRONLY, O_RDWR, 3 */

	if (a & 0x04)
		fl |= O_CREAT;
	if (a & 0x08)
		fl |= O_TRUNC;
	if (a & 0x10)
		fl |= O_DIRECTORY;
	if (a & 0x20)
		fl |= O_EXCL;
	if (a & 0x40)
		fl |= O_APPEND;
	if (a & 0x80)
		fl |= O_NONBLOCK;
	switch (b % 16) {
	case 0:
		fl |= O_TMPFILE;
		break;
	case 1:
		fl |= O_PATH;
		break;
	case 2:
		fl |= O_DIRECT;
		break;
	case 3:
		fl |= O_NOFOLLOW | O_NOATIME;
		break;
	case 4:
		fl |= O_SYNC | O_DSYNC;
		break;
	case 5:
		fl |= (int)take(in, 4); /* garbage bits */
		break;
	case 6:
		fl |= O_CLOEXEC;
		break;
	default:
		break;
	}
	return fl;
}

static mode_t pick_mode(struct input *in)
{
	switch (take(in, 1) % 6) {
	case 0:
		return 0600;
	case 1:
		return 0644;
	case 2:
		return 0;
	case 3:
		return 07777;
	case 4:
		return (mode_t)take(in, 4);
	default:
		return 0666;
	}
}

static int free_handle_slot(struct input *in)
{
	int start = (int)(take(in, 1) % NH);

	for (int i = 0; i < NH; i++)
		if (!handles[(start + i) % NH])
			return (start + i) % NH;
	return -1;
}

static void step_open(struct input *in, bool at)
{
	int slot = free_handle_slot(in), hd = at ? pick_handle(in) : NH;
	struct xaio_file *d = handle_at(hd), *f = (struct xaio_file *)buf;
	uint8_t pb = (uint8_t)take(in, 1);
	const char *path;
	int flags = pick_flags(in), how = (int)(take(in, 1) % 4);
	mode_t mode = pick_mode(in);
	struct optb ob;
	const struct xaio_opt *opt = pick_opt(in, &ob, K_OPEN, false, NULL, d);
	struct sstate *s;
	struct xaio_evset *es = pick_set(in, &s);
	struct sub u;
	bool nullpath = pb == 0xff;
	int r;

	if (slot < 0)
		return;
	/* Relative names only against a handle: never the cwd. */
	if (d)
		path = relpaths[pb % (sizeof(relpaths) / sizeof(*relpaths))];
	else
		path = paths[pb % 8];
	if (nullpath)
		path = NULL;
	if (pb == 0xfe) { /* no handle out pointer */
		r = at ? (xaio_openat)(NULL, d, path, flags, mode, NULL, NULL)
		       : (xaio_open)(NULL, path, flags, mode, NULL, NULL);
		CHECK(r == -EINVAL, "open(NULL handle out): %d", r);
		return;
	}
	if (ob.g)
		ob.g->expect = NULL; /* an open has no buffer */
	sub_begin(&u, s, at ? "xaio_openat" : "xaio_open", opt ? &ob : NULL);
	u.must_fail = nullpath;
	if (at)
		r = LOCCALL(xaio_openat, how, &f, d, path, flags, mode, opt,
			    es);
	else
		r = LOCCALL(xaio_open, how, &f, path, flags, mode, opt, es);
	tr("%s slot %d dir %d '%s' flags %#x mode %#o -> %d", u.call, slot, hd,
	   path ? path : "(null)", flags, (unsigned)mode, r);
	sub_end(&u, r, opt ? &ob : NULL);
	if (r < 0) {
		CHECK(f == NULL, "%s failed (%d) but *f set", u.call, r);
		return;
	}
	CHECK(f != NULL, "%s: 0 and no handle", u.call);
	handles[slot] = f;
	strict[slot] = opt && (ob.o.flags & XAIO_ORDER_STRICT);
	if (opt && ob.op_id && find_rec(ob.op_id))
		find_rec(ob.op_id)->h1 = f; /* the open is ordered on f */
	if (!es) {
		r = xaio_file_status(f);
		CHECK(r == 0, "synchronous open, status %d", r);
		r = xaio_file_fd(f);
		CHECK(r >= 0 && fcntl(r, F_GETFD) == FD_CLOEXEC,
		      "synchronous open: fd %d", r);
	}
}

static void step_close_file(struct input *in)
{
	int slot = pick_handle(in), how = (int)(take(in, 1) % 4);
	struct xaio_file *f = handle_at(slot);
	struct optb ob;
	const struct xaio_opt *opt = pick_opt(in, &ob, K_CLOSE, false, f, NULL);
	struct sstate *s;
	struct xaio_evset *es = pick_set(in, &s);
	struct sub u;
	bool accepted;
	int r;

	sub_begin(&u, s, "xaio_close", opt ? &ob : NULL);
	u.must_fail = !f;
	r = LOCCALL(xaio_close, how, f, opt, es);
	tr("close slot %d -> %d", slot, r);
	accepted = sub_end(&u, r, opt ? &ob : NULL);
	if (!f)
		return;
	if (!es && !(opt && ob.want_id)) /* close(2) never says EINVAL */
		accepted = !(opt && ob.bad) && r != -EINVAL && r != -ENOMEM;
	if (accepted) {
		handles[slot] = NULL; /* gone: never to be used again */
		strict[slot] = false;
	}
}

static void *pick_buf(struct input *in)
{
	return buf + take(in, 2) % BUFSZ;
}

static void check_done_now(struct sub *u, long r, const struct optb *ob,
			   bool accepted, const ssize_t *done)
{
	if (!done)
		return;
	if (!u->s && r < 0 && !(ob && ob->want_id)) {
		/* Refused (0) or ran and failed (r): cannot tell which. */
		CHECK(*done == 0 || *done == r, "%s: %ld, *done %zd", u->call,
		      r, *done);
		return;
	}
	if (!accepted || (u->s && r < 0)) {
		CHECK(*done == 0, "%s refused (%ld), *done %zd", u->call, r,
		      *done);
		return;
	}
	if (!u->s && r >= 0 && r < INT_MAX)
		CHECK(*done == r, "%s: %ld, *done %zd", u->call, r, *done);
	if (!u->s && r < 0 && ob && ob->want_id)
		CHECK(*done == r, "%s: %ld, *done %zd", u->call, r, *done);
}

static void step_rw(struct input *in, bool write)
{
	int slot = pick_handle(in), how = (int)(take(in, 1) % 4);
	struct xaio_file *f = handle_at(slot);
	char *p = pick_buf(in);
	uint64_t len = pick_len(in);
	int64_t off = pick_off(in);
	struct optb ob;
	const struct xaio_opt *opt = pick_opt(in, &ob, K_RW, !write, f, NULL);
	struct sstate *s;
	struct xaio_evset *es = pick_set(in, &s);
	ssize_t *done = take(in, 1) % 4 ? &dones[cur_step] : NULL;
	struct sub u;
	bool accepted;
	int r;

	if (len <= SSIZE_MAX)
		len = clamp_to(p, len, copying(&ob));
	if (ob.g)
		ob.g->expect = p;
	sub_begin(&u, s, write ? "xaio_pwrite" : "xaio_pread",
		  opt ? &ob : NULL);
	u.data = true;
	u.len = len;
	u.must_fail = !f || len > SSIZE_MAX || off < 0;
	if (done)
		*done = 777;
	if (write)
		r = LOCCALL(xaio_pwrite, how, f, p, (size_t)len, (off_t)off,
			    done, opt, es);
	else
		r = LOCCALL(xaio_pread, how, f, p, (size_t)len, (off_t)off,
			    done, opt, es);
	tr("%s slot %d buf +%ld len %llu off %lld -> %d", u.call, slot,
	   (long)(p - buf), (unsigned long long)len, (long long)off, r);
	accepted = sub_end(&u, r, opt ? &ob : NULL);
	check_done_now(&u, r, opt ? &ob : NULL, accepted, done);
	if (done && es && r == 0) {
		done_used[cur_step] = true;
		done_len[cur_step] = len;
	}
}

static void step_rwv(struct input *in, bool write)
{
	int slot = pick_handle(in), how = (int)(take(in, 1) % 4);
	struct xaio_file *f = handle_at(slot);
	uint8_t c = (uint8_t)take(in, 1);
	int iovcnt;
	int64_t off = pick_off(in);
	struct optb ob;
	const struct xaio_opt *opt = pick_opt(in, &ob, K_RWV, !write, f, NULL);
	struct sstate *s;
	struct xaio_evset *es = pick_set(in, &s);
	ssize_t *done = take(in, 1) % 4 ? &dones[cur_step] : NULL;
	const struct iovec *iov = iovs;
	uint64_t total = 0;
	bool huge = false, accepted;
	struct sub u;
	int r;

	switch (c % 16) {
	case 0:
		iovcnt = -1;
		break;
	case 1:
		iovcnt = 0;
		break;
	case 2:
		iovcnt = IOV_MAX + 1;
		break;
	case 3:
		iovcnt = (c & 0x10) ? IOV_MAX : INT_MIN;
		break;
	default:
		iovcnt = 1 + (int)(c % 4);
		break;
	}
	for (int i = 0; i < IOV_MAX + 1; i++) {
		iovs[i].iov_base = buf;
		iovs[i].iov_len = 0;
	}
	for (int i = 0; i < 4; i++) {
		iovs[i].iov_base = pick_buf(in);
		iovs[i].iov_len =
			take(in, 1) & 1 ? take(in, 2) % (BUFSZ + 1) : 0;
		iovs[i].iov_len = clamp_to(iovs[i].iov_base, iovs[i].iov_len,
					   copying(&ob));
	}
	if ((c >> 5) == 7 && iovcnt >= 2) {
		/* One length past SSIZE_MAX, or a sum that is. */
		huge = true;
		if (c & 0x10) {
			iovs[1].iov_len = (size_t)SSIZE_MAX + 1;
		} else {
			iovs[0].iov_len = (size_t)SSIZE_MAX / 2 + 1;
			iovs[1].iov_len = (size_t)SSIZE_MAX / 2 + 1;
		}
	}
	if ((c >> 5) == 6 && iovcnt > 0)
		iov = NULL;
	for (int i = 0; i < iovcnt && iovcnt <= IOV_MAX; i++)
		total += iovs[i].iov_len;
	if (ob.g)
		ob.g->expect = NULL;
	sub_begin(&u, s, write ? "xaio_pwritev" : "xaio_preadv",
		  opt ? &ob : NULL);
	u.data = true;
	u.len = total;
	u.must_fail =
		!f || iovcnt < 0 || iovcnt > IOV_MAX || off < 0 || huge || !iov;
	if (done)
		*done = 777;
	if (write)
		r = LOCCALL(xaio_pwritev, how, f, iov, iovcnt, (off_t)off, done,
			    opt, es);
	else
		r = LOCCALL(xaio_preadv, how, f, iov, iovcnt, (off_t)off, done,
			    opt, es);
	tr("%s slot %d iovcnt %d total %llu off %lld -> %d", u.call, slot,
	   iovcnt, (unsigned long long)total, (long long)off, r);
	accepted = sub_end(&u, r, opt ? &ob : NULL);
	check_done_now(&u, r, opt ? &ob : NULL, accepted, done);
	if (done && es && r == 0) {
		done_used[cur_step] = true;
		done_len[cur_step] = total;
	}
}

static int64_t pick_size(struct input *in)
{
	switch (take(in, 1) % 8) {
	case 0:
		return 0;
	case 1:
	case 2:
	case 3:
		return (int64_t)take(in, 2) * 16; /* up to 1 MiB */
	case 4:
		return -(int64_t)take(in, 1) - 1;
	case 5:
		return INT64_MAX - (int64_t)take(in, 1);
	case 6:
		/* Past any file system's limit and any tmpfs's size. */
		return ((int64_t)1 << 62) + (int64_t)take(in, 2);
	default:
		return INT64_MIN + (int64_t)take(in, 1);
	}
}

static void step_barrier(struct input *in, int which)
{
	static const char *const names[] = {"xaio_fsync", "xaio_fdatasync",
					    "xaio_ftruncate", "xaio_fallocate"};
	static const int modes[] = {0,
				    FALLOC_FL_KEEP_SIZE,
				    FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				    FALLOC_FL_ZERO_RANGE,
				    FALLOC_FL_COLLAPSE_RANGE,
				    FALLOC_FL_INSERT_RANGE};
	int slot = pick_handle(in), how = (int)(take(in, 1) % 4);
	struct xaio_file *f = handle_at(slot);
	struct optb ob;
	const struct xaio_opt *opt =
		pick_opt(in, &ob, K_BARRIER, false, f, NULL);
	struct sstate *s;
	struct xaio_evset *es = pick_set(in, &s);
	int64_t a = 0, b = 0;
	int mode = 0, r;
	struct sub u;

	if (which == 2) {
		a = pick_size(in);
	} else if (which == 3) {
		uint8_t m = (uint8_t)take(in, 1);

		mode = m < 0xf0 ? modes[m % 6] : (int)take(in, 4);
		a = pick_size(in);
		b = pick_size(in);
		/* Fill at most 1 MiB: below 2^62, the length is small. */
		if (b > (1 << 20) && b < ((int64_t)1 << 62))
			b = 1 << 20;
	}
	sub_begin(&u, s, names[which], opt ? &ob : NULL);
	u.must_fail = !f || (which == 2 && a < 0) ||
		      (which == 3 && (a < 0 || b <= 0));
	switch (which) {
	case 0:
		r = LOCCALL(xaio_fsync, how, f, opt, es);
		break;
	case 1:
		r = LOCCALL(xaio_fdatasync, how, f, opt, es);
		break;
	case 2:
		r = LOCCALL(xaio_ftruncate, how, f, (off_t)a, opt, es);
		break;
	default:
		r = LOCCALL(xaio_fallocate, how, f, mode, (off_t)a, (off_t)b,
			    opt, es);
		break;
	}
	tr("%s slot %d mode %#x %lld %lld -> %d", u.call, slot, mode,
	   (long long)a, (long long)b, r);
	sub_end(&u, r, opt ? &ob : NULL);
}

static unsigned int pick_mask(struct input *in)
{
	switch (take(in, 1) % 5) {
	case 0:
		return STATX_BASIC_STATS;
	case 1:
		return STATX_ALL;
	case 2:
		return 0;
	case 3:
		return (unsigned int)take(in, 4);
	default:
		return STATX_SIZE;
	}
}

static void step_stat(struct input *in, bool by_path)
{
	int slot = pick_handle(in), how = (int)(take(in, 1) % 4);
	struct xaio_file *f = by_path ? handle_at(slot) : handle_at(slot);
	uint8_t pb = (uint8_t)take(in, 1), fb = (uint8_t)take(in, 1);
	unsigned int mask = pick_mask(in);
	struct statx *stx = pb == 0xfe ? NULL : &stxs[cur_step];
	const char *path;
	int flags = 0, r;
	struct optb ob;
	const struct xaio_opt *opt = pick_opt(in, &ob, K_STAT, false, f, NULL);
	struct sstate *s;
	struct xaio_evset *es = pick_set(in, &s);
	struct sub u;

	sub_begin(&u, s, by_path ? "xaio_stat" : "xaio_fstat",
		  opt ? &ob : NULL);
	if (!by_path) {
		u.must_fail = !f || !stx;
		r = LOCCALL(xaio_fstat, how, f, mask, stx, opt, es);
		tr("fstat slot %d mask %#x -> %d", slot, mask, r);
		sub_end(&u, r, opt ? &ob : NULL);
		return;
	}
	/* Read-only: relative names may be against the cwd here. */
	if (pb & 0x80)
		path = relpaths[pb % (sizeof(relpaths) / sizeof(*relpaths))];
	else
		path = paths[pb % 8];
	if (pb == 0xff)
		path = NULL;
	if (fb % 6 == 5 && !(pb & 0x80)) {
		/* A mkdir instead, in the temp dir: ordered by path too. */
		u.call = "xaio_mkdir";
		u.must_fail = !path || !*path;
		r = LOCCALL(xaio_mkdir, how, f, path, 0700, opt, es);
		tr("mkdir dir %d '%s' -> %d", slot, path ? path : "(null)", r);
		sub_end(&u, r, opt ? &ob : NULL);
		return;
	}
	switch (fb % 6) {
	case 1:
		flags = AT_SYMLINK_NOFOLLOW;
		break;
	case 2:
		flags = AT_EMPTY_PATH;
		break;
	case 3:
		flags = AT_STATX_DONT_SYNC | AT_NO_AUTOMOUNT;
		break;
	case 4:
		flags = (int)take(in, 4);
		break;
	default:
		break;
	}
	u.must_fail = !path || !stx;
	r = LOCCALL(xaio_stat, how, f, path, flags, mask, stx, opt, es);
	tr("stat dir %d '%s' flags %#x -> %d", slot, path ? path : "(null)",
	   flags, r);
	sub_end(&u, r, opt ? &ob : NULL);
}

/*
 * The name operations, on paths[0..6] (absolute: never the temp dir itself,
 * which a rename or rmdir would take away) or NULL or PATH_MAX bytes.
 */
static const char *pick_name(struct input *in)
{
	static char longp[PATH_MAX + 1];
	uint8_t b = (uint8_t)take(in, 1);

	if (b == 0xff)
		return NULL;
	if (b == 0xfe) {
		memset(longp, 'n', PATH_MAX);
		return longp;
	}
	return paths[b % 7];
}

/* A documented refusal of a path: NULL, empty or too long. */
static bool bad_name(const char *p)
{
	return !p || !*p || strlen(p) >= PATH_MAX;
}

static void step_names(struct input *in)
{
	int hd = pick_handle(in), hd2 = pick_handle(in);
	struct xaio_file *d = handle_at(hd), *d2 = handle_at(hd2);
	uint8_t which = (uint8_t)take(in, 1) % 8, fb = (uint8_t)take(in, 1);
	const char *p1 = pick_name(in), *p2 = pick_name(in);
	int how = (int)(take(in, 1) % 4), flags = 0, r = 0;
	size_t size = take(in, 1) % (sizeof(lbufs[0]) + 1);
	char *lb = fb == 0xff ? NULL : lbufs[cur_step];
	struct optb ob;
	const struct xaio_opt *opt = pick_opt(in, &ob, K_STAT, false, d2, d);
	struct sstate *s;
	struct xaio_evset *es = pick_set(in, &s);
	static const char *const calls[] = {"xaio_unlink",  "xaio_rmdir",
					    "xaio_rename",  "xaio_link",
					    "xaio_symlink", "xaio_readlink",
					    "xaio_access",  "xaio_copy_file"};
	struct sub u;

	if (ob.g)
		ob.g->expect = NULL; /* no buffer to give */
	sub_begin(&u, s, calls[which], opt ? &ob : NULL);
	u.must_fail = bad_name(p1);
	switch (which) {
	case 0:
		r = LOCCALL(xaio_unlink, how, d, p1, opt, es);
		break;
	case 1:
		r = LOCCALL(xaio_rmdir, how, d, p1, opt, es);
		break;
	case 2: {
		static const unsigned int rf[] = {
			0, RENAME_NOREPLACE, RENAME_EXCHANGE, RENAME_WHITEOUT};

		flags = (int)(fb % 5 < 4 ? rf[fb % 5] : (unsigned)take(in, 4));
		u.must_fail |=
			bad_name(p2) || (flags && flags != RENAME_NOREPLACE &&
					 flags != RENAME_EXCHANGE);
		r = LOCCALL(xaio_rename, how, d, p1, d2, p2,
			    (unsigned int)flags, opt, es);
		break;
	}
	case 3:
		flags = fb % 3 == 0   ? AT_SYMLINK_FOLLOW
			: fb % 3 == 1 ? 0
				      : (int)take(in, 4);
		u.must_fail |= bad_name(p2) || (flags & ~AT_SYMLINK_FOLLOW);
		r = LOCCALL(xaio_link, how, d, p1, d2, p2, flags, opt, es);
		break;
	case 4:
		/* p2 is the target: any string, looked up by nobody. */
		u.must_fail |= bad_name(p2);
		r = LOCCALL(xaio_symlink, how, p2, d, p1, opt, es);
		break;
	case 5:
		u.must_fail |= !lb && size;
		u.data = true; /* synchronous: the target's length */
		u.len = PATH_MAX;
		r = LOCCALL(xaio_readlink, how, d, p1, lb, size, opt, es);
		if (!es && r >= 0 && lb && size)
			CHECK(memchr(lb, 0, size) != NULL,
			      "readlink: no NUL in %zu bytes", size);
		break;
	case 7: {
		/* p1 copied to p2 (either may be anything, even a FIFO: the
		 * worker's opens never block); no info (no slot to keep). */
		unsigned int all = XAIO_COPY_CLONE | XAIO_COPY_NOCLONE |
				   XAIO_COPY_RW | XAIO_COPY_PRESERVE |
				   XAIO_COPY_REPLACE;

		flags = (int)(fb & 0x80 ? (unsigned)take(in, 4) : (fb & all));
		u.must_fail |= bad_name(p2) || ((unsigned)flags & ~all) ||
			       ((flags & XAIO_COPY_CLONE) &&
				(flags & (XAIO_COPY_NOCLONE | XAIO_COPY_RW)));
		u.data = true; /* synchronous: the bytes copied */
		u.len = INT_MAX;
		r = LOCCALL(xaio_copy_file, how, d, p1, d2, p2,
			    (unsigned int)flags, NULL, opt, es);
		break;
	}
	default: {
		int mode = fb & 8 ? (int)take(in, 1) : fb & 7;

		flags = (int)(take(in, 1) & 0x1f) << 8;
		u.must_fail = (mode & ~(R_OK | W_OK | X_OK)) ||
			      (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW |
					 AT_EMPTY_PATH)) ||
			      (bad_name(p1) &&
			       !(p1 && !*p1 && (flags & AT_EMPTY_PATH)));
		r = LOCCALL(xaio_access, how, d, p1, mode, flags, opt, es);
		break;
	}
	}
	tr("%s dirs %d %d '%s' '%.40s' flags %#x size %zu -> %d", u.call, hd,
	   hd2, p1 ? p1 : "(null)", p2 ? p2 : "(null)", flags, size, r);
	sub_end(&u, r, opt ? &ob : NULL);
}

/*
 * The directory operations (dir.c) on paths[0..6] or NULL or PATH_MAX
 * bytes; NULL and "" name the handle itself (or the working directory).
 * A removal gets an absolute path only: the handles may be of directories
 * outside the temp dir ("..").  No xaio_open_nth (a handle of its own).
 */
static void step_dirs(struct input *in)
{
	int hd = pick_handle(in);
	struct xaio_file *d = handle_at(hd);
	uint8_t which = (uint8_t)take(in, 1) % 5, fb = (uint8_t)take(in, 1);
	const char *p1 = pick_name(in);
	int how = (int)(take(in, 1) % 4), r = 0;
	uint64_t n = fb & 0x80 ? UINT64_MAX - (fb & 3) : fb % 6;
	size_t size = take(in, 1) % (sizeof(lbufs[0]) + 1);
	char *lb = fb & 0x40 ? NULL : lbufs[cur_step];
	struct optb ob;
	const struct xaio_opt *opt = pick_opt(in, &ob, K_STAT, false, d, d);
	struct sstate *s;
	struct xaio_evset *es = pick_set(in, &s);
	static const char *const calls[] = {"xaio_readdir", "xaio_dirinfo",
					    "xaio_dirent_nth",
					    "xaio_remove_nth", "xaio_exists"};
	bool too_long = p1 && strlen(p1) >= PATH_MAX;
	struct sub u;

	if (ob.g)
		ob.g->expect = NULL; /* no buffer to give */
	sub_begin(&u, s, calls[which], opt ? &ob : NULL);
	u.must_fail = too_long;
	switch (which) {
	case 0:
		u.data = true; /* synchronous: the count */
		u.len = INT_MAX;
		r = LOCCALL(xaio_readdir, how, d, p1,
			    fb & 0x40 ? NULL : &lists[cur_step], opt, es);
		u.must_fail |= (fb & 0x40) != 0;
		break;
	case 1:
		u.data = true;
		u.len = INT_MAX;
		r = LOCCALL(xaio_dirinfo, how, d, p1, STATX_BASIC_STATS,
			    fb & 0x20 ? NULL : &stxs[cur_step], opt, es);
		break;
	case 2:
		u.must_fail |= !lb && size;
		u.data = true; /* synchronous: the name's length */
		u.len = NAME_MAX;
		r = LOCCALL(xaio_dirent_nth, how, d, p1, n, lb, size, opt, es);
		if (!es && r >= 0 && lb && size)
			CHECK(memchr(lb, 0, size) != NULL,
			      "dirent_nth: no NUL in %zu bytes", size);
		break;
	case 3:
		if (!p1 || !*p1)
			p1 = paths[2];
		r = LOCCALL(xaio_remove_nth, how, d, p1, n, opt, es);
		break;
	default:
		u.must_fail = !p1 || !*p1 || too_long;
		u.data = true; /* synchronous: 1 or 0 */
		u.len = 1;
		r = LOCCALL(xaio_exists, how, d, p1, opt, es);
		break;
	}
	tr("%s dir %d '%s' n %llu size %zu -> %d", u.call, hd,
	   p1 ? p1 : "(null)", (unsigned long long)n, size, r);
	sub_end(&u, r, opt ? &ob : NULL);
}

/* An attribute name: NULL, empty, 256 bytes, no namespace, or user.*. */
static const char *pick_xname(struct input *in, bool *bad)
{
	static char longn[XATTR_NAME_MAX + 2];
	static const char *const names[] = {"user.a", "user.b", "user.c",
					    "plain"};
	uint8_t b = (uint8_t)take(in, 1);

	*bad = b >= 0xfd;
	if (b == 0xff)
		return NULL;
	if (b == 0xfe)
		return "";
	if (b == 0xfd) {
		memcpy(longn, "user.", 5);
		memset(longn + 5, 'n', XATTR_NAME_MAX + 1 - 5);
		return longn;
	}
	return names[b % 4];
}

/*
 * The extended-attribute calls, on a handle (even ones) or by path (odd:
 * paths[0..6], relative to a handle as a directory, or NULL or PATH_MAX
 * bytes): the documented refusals checked.
 */
static void step_xattrs(struct input *in)
{
	static char big[XATTR_SIZE_MAX + 1];
	int hd = pick_handle(in), how = (int)(take(in, 1) % 4);
	struct xaio_file *f = handle_at(hd);
	uint8_t which = (uint8_t)take(in, 1) % 14, fb = (uint8_t)take(in, 1);
	bool path_form = which & 1, bad1, bad2;
	const char *path = path_form ? pick_name(in) : NULL;
	const char *n1 = pick_xname(in, &bad1), *n2 = pick_xname(in, &bad2);
	static const int fl[] = {0, XATTR_CREATE, XATTR_REPLACE,
				 AT_SYMLINK_NOFOLLOW};
	int flags = fb % 5 < 4 ? fl[fb % 5] : (int)take(in, 4);
	size_t size = take(in, 1) % (sizeof(xbufs[0]) + 1);
	char *xb = fb >= 0xf8 ? NULL : xbufs[cur_step];
	struct optb ob;
	const struct xaio_opt *opt =
		pick_opt(in, &ob, which < 2 ? K_RW : K_STAT, false, f, NULL);
	uint32_t pol = opt ? opt->flags & XAIO_BUF_MASK : 0;
	struct sstate *s;
	struct xaio_evset *es = pick_set(in, &s);
	static const char *const calls[] = {
		"xaio_fsetxattr",    "xaio_setxattr",	  "xaio_fgetxattr",
		"xaio_getxattr",     "xaio_fhasxattr",	  "xaio_hasxattr",
		"xaio_flistxattr",   "xaio_listxattr",	  "xaio_fxattrname",
		"xaio_xattrname",    "xaio_frenamexattr", "xaio_renamexattr",
		"xaio_fremovexattr", "xaio_removexattr"};
	/* The flags each takes: a set's XATTR_*, and NOFOLLOW by path. */
	int ok = (which < 2 ? XATTR_CREATE | XATTR_REPLACE : 0) |
		 (path_form ? AT_SYMLINK_NOFOLLOW : 0);
	struct xaio_listing **out = fb == 0xf7 ? NULL : &xlists[cur_step];
	struct sub u;
	int r = 0;

	if (ob.g)
		ob.g->expect = NULL; /* no buffer to give */
	if (!path_form && which >= 2)
		flags = 0; /* the handle forms but set take none */
	if (which < 2 && fb == 0xf6)
		size = sizeof(big); /* E2BIG */
	if (which < 2 && pol == XAIO_BUF_GIFT)
		ob.bad = true; /* a value is always copied */
	sub_begin(&u, s, calls[which], opt ? &ob : NULL);
	u.must_fail = (path_form ? bad_name(path) : !f) || (flags & ~ok) ||
		      (flags & (XATTR_CREATE | XATTR_REPLACE)) ==
			      (XATTR_CREATE | XATTR_REPLACE) ||
		      (which < 6 || which >= 10 ? bad1 : false) ||
		      (which >= 10 && which < 12 && bad2);
	u.data = true; /* synchronous: a size, 1, a count or a length */
	u.len = XATTR_SIZE_MAX;
	switch (which) {
	case 0:
	case 1: {
		const void *v = size == sizeof(big) ? big : xb;

		u.must_fail |= (!v && size) || size > XATTR_SIZE_MAX;
		r = path_form ? LOCCALL(xaio_setxattr, how, f, path, n1, v,
					size, flags, opt, es)
			      : LOCCALL(xaio_fsetxattr, how, f, n1, v, size,
					flags, opt, es);
		break;
	}
	case 2:
	case 3:
		u.must_fail |= !xb && size;
		r = path_form ? LOCCALL(xaio_getxattr, how, f, path, n1, xb,
					size, flags, opt, es)
			      : LOCCALL(xaio_fgetxattr, how, f, n1, xb, size,
					opt, es);
		break;
	case 4:
	case 5:
		r = path_form ? LOCCALL(xaio_hasxattr, how, f, path, n1, flags,
					opt, es)
			      : LOCCALL(xaio_fhasxattr, how, f, n1, opt, es);
		if (!es)
			CHECK(r == 0 || r == 1 || is_errno(r), "has: %d", r);
		break;
	case 6:
	case 7:
		u.must_fail |= !out;
		/* A listing still there from this step's slot: freed first. */
		xaio_listing_free(xlists[cur_step]);
		xlists[cur_step] = NULL;
		r = path_form ? LOCCALL(xaio_listxattr, how, f, path, out,
					flags, opt, es)
			      : LOCCALL(xaio_flistxattr, how, f, out, opt, es);
		if (!es && r >= 0)
			CHECK(xlists[cur_step] &&
				      xlists[cur_step]->count == (size_t)r,
			      "list: %d names, a listing of %zu", r,
			      xlists[cur_step] ? xlists[cur_step]->count : 0);
		break;
	case 8:
	case 9:
		u.must_fail |= !xb && size;
		r = path_form ? LOCCALL(xaio_xattrname, how, f, path, fb % 3,
					xb, size, flags, opt, es)
			      : LOCCALL(xaio_fxattrname, how, f, fb % 3, xb,
					size, opt, es);
		if (!es && r >= 0 && xb && size)
			CHECK(memchr(xb, 0, size) != NULL,
			      "xattrname: no NUL in %zu bytes", size);
		break;
	case 10:
	case 11:
		u.must_fail |= !n2;
		r = path_form ? LOCCALL(xaio_renamexattr, how, f, path, n1, n2,
					flags, opt, es)
			      : LOCCALL(xaio_frenamexattr, how, f, n1, n2, opt,
					es);
		break;
	default:
		r = path_form ? LOCCALL(xaio_removexattr, how, f, path, n1,
					flags, opt, es)
			      : LOCCALL(xaio_fremovexattr, how, f, n1, opt, es);
		break;
	}
	tr("%s handle %d '%s' '%s' '%s' flags %#x size %zu -> %d", u.call, hd,
	   path ? path : "(null)", n1 ? n1 : "(null)", n2 ? n2 : "(null)",
	   flags, size, r);
	sub_end(&u, r, opt ? &ob : NULL);
}

/* Copies, maps and references (file/copy.c, map.c, ref.c). */
static void step_objects(struct input *in)
{
	int hd = pick_handle(in), hd2 = pick_handle(in);
	struct xaio_file *d = handle_at(hd), *d2 = handle_at(hd2);
	uint8_t which = (uint8_t)take(in, 1) % 5, fb = (uint8_t)take(in, 1);
	int how = (int)(take(in, 1) % 4), r = 0;
	size_t size = take(in, 1) % (sizeof(mbufs[0]) + 1);
	char *mb = fb & 0x40 ? NULL : mbufs[cur_step];
	struct optb ob;
	const struct xaio_opt *opt = pick_opt(in, &ob, K_STAT, false, d, d2);
	struct sstate *s;
	struct xaio_evset *es = pick_set(in, &s);
	static const char *const calls[] = {"xaio_copy", "xaio_map_put",
					    "xaio_map_get", "xaio_map_delete",
					    "xaio_ref_get"};
	static const char *const keys[] = {
		"k", "key two", "..", "a/b", "", NULL, XAIO_MAP_TMP_PREFIX "x",
		"k"};
	const char *key = keys[fb % 8];
	bool bad_key =
		!key || !*key || strchr(key, '/') || !strcmp(key, "..") ||
		!strncmp(key, XAIO_MAP_TMP_PREFIX, strlen(XAIO_MAP_TMP_PREFIX));
	struct sub u;

	if (ob.g)
		ob.g->expect = NULL; /* no buffer to give */
	sub_begin(&u, s, calls[which], opt ? &ob : NULL);
	switch (which) {
	case 0: {
		off_t so = fb & 0x10 ? -1 : (off_t)take(in, 2);
		off_t doff = (off_t)take(in, 2);
		uint64_t len = fb & 0x20 ? XAIO_COPY_ALL : take(in, 2);
		unsigned int flags = (unsigned int)take(in, 1) & 0xf;

		u.must_fail = !d || !d2 || so < 0 || (flags & ~7u) ||
			      ((flags & XAIO_COPY_CLONE) && (flags & 6));
		u.data = true; /* synchronous: the bytes copied */
		u.len = len;
		r = LOCCALL(xaio_copy, how, d, so, d2, doff, len, flags, NULL,
			    opt, es);
		break;
	}
	case 1:
		u.must_fail = !d || bad_key || (!mb && size);
		r = LOCCALL(xaio_map_put, how, d, key, mb, size, opt, es);
		break;
	case 2:
		u.must_fail = !d || bad_key || (!mb && size);
		u.data = true; /* synchronous: the value's size */
		u.len = INT_MAX;
		r = LOCCALL(xaio_map_get, how, d, key, mb, size, opt, es);
		break;
	case 3:
		u.must_fail = !d || bad_key;
		r = LOCCALL(xaio_map_delete, how, d, key, opt, es);
		break;
	default: {
		const char *p = pick_name(in);
		int flags = fb & 3 ? (int)(take(in, 1) & 0x1f) << 8 : 0;
		struct xaio_ref *ref = fb & 0x80 ? NULL : &refs[cur_step];

		key = p;
		u.must_fail =
			!ref ||
			(flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH)) ||
			(bad_name(p) && !(p && !*p && (flags & AT_EMPTY_PATH)));
		r = LOCCALL(xaio_ref_get, how, d, p, flags, ref, opt, es);
		break;
	}
	}
	tr("%s handles %d %d '%.40s' fb %#x size %zu -> %d", u.call, hd, hd2,
	   key ? key : "(null)", fb, size, r);
	sub_end(&u, r, opt ? &ob : NULL);
}

static void step_file(struct input *in)
{
	int slot = pick_handle(in);
	struct xaio_file *f = handle_at(slot);
	uint8_t b = (uint8_t)take(in, 1);
	int r, st;

	switch (b % 3) {
	case 0:
		r = xaio_file_status(f);
		tr("file_status slot %d -> %d", slot, r);
		CHECK(f ? r == 0 || is_errno(r) : r == -EINVAL,
		      "file_status: %d", r);
		break;
	case 1: {
		uint64_t t = pick_timeout(in);

		if (t == XAIO_WAIT_FOREVER && !(b & 0x80))
			t = 1000000;
		r = xaio_file_wait(f, t);
		tr("file_wait slot %d t %llu -> %d", slot,
		   (unsigned long long)t, r);
		CHECK(f ? r == 0 || r == -ETIMEDOUT : r == -EINVAL,
		      "file_wait: %d", r);
		if (f && t == XAIO_WAIT_FOREVER)
			CHECK(r == 0, "file_wait forever: %d", r);
		break;
	}
	default:
		r = xaio_file_fd(f);
		tr("file_fd slot %d -> %d", slot, r);
		if (!f) {
			CHECK(r == -EINVAL, "file_fd(NULL): %d", r);
			break;
		}
		CHECK(r >= 0 || is_errno(r), "file_fd: %d", r);
		st = xaio_file_status(f);
		CHECK(st != -EINPROGRESS, "file_fd returned, still pending");
		if (r >= 0) {
			CHECK(st == 0, "file_fd %d, status %d", r, st);
			CHECK(fcntl(r, F_GETFD) == FD_CLOEXEC,
			      "handle's fd %d not close-on-exec", r);
		} else {
			CHECK(st == r, "file_fd %d, status %d", r, st);
		}
		break;
	}
}

/*
 * The metadata changes, on a handle or by path: fuzzed modes (the owner
 * keeps rwx, so the temp dir stays removable), owners (the caller's own
 * or -1: nothing is given away), times (valid, UTIME_NOW, UTIME_OMIT,
 * out of range) and flags.
 */
static void step_meta(struct input *in)
{
	int hd = pick_handle(in), how = (int)(take(in, 1) % 4);
	struct xaio_file *f = handle_at(hd);
	uint8_t which = (uint8_t)take(in, 1) % 6, fb = (uint8_t)take(in, 1);
	bool path_form = which & 1;
	const char *path = path_form ? pick_name(in) : NULL;
	int flags = !path_form	  ? 0
		    : fb % 3 == 0 ? AT_SYMLINK_NOFOLLOW
		    : fb % 3 == 1 ? 0
				  : (int)take(in, 4);
	struct optb ob;
	const struct xaio_opt *opt = pick_opt(in, &ob, K_STAT, false, f, NULL);
	struct sstate *s;
	struct xaio_evset *es = pick_set(in, &s);
	static const char *const calls[] = {"xaio_fchmod",   "xaio_chmod",
					    "xaio_fchown",   "xaio_chown",
					    "xaio_futimens", "xaio_utimens"};
	static const long nsecs[] = {0,	 999999999, 1000000000,
				     -1, UTIME_NOW, UTIME_OMIT};
	struct timespec ts[2];
	struct sub u;
	int r = 0;

	if (ob.g)
		ob.g->expect = NULL; /* no buffer to give */
	sub_begin(&u, s, calls[which], opt ? &ob : NULL);
	u.must_fail = (path_form ? bad_name(path) : !f) ||
		      (flags & ~AT_SYMLINK_NOFOLLOW);
	switch (which / 2) {
	case 0: {
		mode_t mode = (mode_t)take(in, fb & 0x80 ? 4 : 2);

		if (!(mode & ~07777u))
			mode |= 0700;
		u.must_fail |= (mode & ~07777u) != 0;
		r = path_form ? LOCCALL(xaio_chmod, how, f, path, mode, flags,
					opt, es)
			      : LOCCALL(xaio_fchmod, how, f, mode, opt, es);
		break;
	}
	case 1: {
		uid_t uid = fb & 8 ? getuid() : (uid_t)-1;
		gid_t gid = fb & 16 ? getgid() : (gid_t)-1;

		r = path_form ? LOCCALL(xaio_chown, how, f, path, uid, gid,
					flags, opt, es)
			      : LOCCALL(xaio_fchown, how, f, uid, gid, opt, es);
		break;
	}
	default: {
		const struct timespec *t = fb & 0x40 ? NULL : ts;

		for (int i = 0; i < 2; i++) {
			ts[i].tv_sec = (time_t)take(in, 4);
			ts[i].tv_nsec = nsecs[take(in, 1) % 6];
			u.must_fail |= t && (ts[i].tv_nsec == 1000000000 ||
					     ts[i].tv_nsec == -1);
		}
		r = path_form ? LOCCALL(xaio_utimens, how, f, path, t, flags,
					opt, es)
			      : LOCCALL(xaio_futimens, how, f, t, opt, es);
		break;
	}
	}
	tr("%s dir/handle %d '%s' flags %#x -> %d", u.call, hd,
	   path ? path : "(null)", flags, r);
	sub_end(&u, r, opt ? &ob : NULL);
}

/* --- one input --- */

static void step(struct input *in)
{
	int kind = (int)(take(in, 1) % 32);

	cur_kind = kind;
	switch (kind) {
	case 0:
		step_create(in);
		break;
	case 1:
		step_close_set(in);
		break;
	case 2:
		step_wait(in);
		break;
	case 3:
		step_wait_one(in, false);
		break;
	case 4:
		step_wait_one(in, true);
		break;
	case 5:
		step_counts(in);
		break;
	case 6:
		step_fd(in);
		break;
	case 7:
		step_cancel(in);
		break;
	case 8:
		step_errors(in);
		break;
	case 9:
		step_clear(in);
		break;
	case 10:
		step_callbacks(in);
		break;
	case 11:
	case 12:
		step_open(in, kind == 12);
		break;
	case 13:
		step_close_file(in);
		break;
	case 14:
	case 15:
		step_rw(in, kind == 15);
		break;
	case 16:
	case 17:
		step_rwv(in, kind == 17);
		break;
	case 18:
	case 19:
	case 20:
	case 21:
		step_barrier(in, kind - 18);
		break;
	case 22:
	case 23:
		step_stat(in, kind == 23);
		break;
	case 24:
	case 25:
		step_file(in);
		break;
	case 26:
		step_names(in);
		break;
	case 27:
		step_dirs(in);
		break;
	case 28:
		step_xattrs(in);
		break;
	case 29:
		step_objects(in);
		break;
	case 30:
		step_meta(in);
		break;
	default:
		/* Opens again: most steps need a handle. */
		step_open(in, false);
		break;
	}
}

static void begin_run(void)
{
	struct xaio_opt o = {0};
	struct statx stx;
	uint64_t id = 0;
	int r;

	reset_files();
	memset(handles, 0, sizeof(handles));
	memset(strict, 0, sizeof(strict));
	memset(ids, 0, sizeof(ids));
	nids = 0;
	for (int i = 0; i < NGIFT; i++) {
		gifts[i].expect = NULL;
		atomic_store(&gifts[i].calls, 0);
		gifts[i].accepted = gifts[i].unknown = gifts[i].used = false;
	}
	ngift = 0;
	memset(dones, 0, sizeof(dones));
	memset(done_used, 0, sizeof(done_used));
	for (int i = 0; i < NTAB; i++)
		atomic_store(&cbtab[i], 0);
	/* A synchronous op tells where this input's op ids start. */
	o.op_id = &id;
	r = (xaio_stat)(NULL, dir, 0, STATX_TYPE, &stx, &o, NULL);
	if (r != 0 || !id)
		fail("probe stat: %d, id %llu", r, (unsigned long long)id);
	base_id = id;
	for (int i = 0; i < NSET; i++) {
		memset(&sets[i], 0, sizeof(sets[i]));
		sets[i].attr.copy_cap = 64ull << 20;
	}
	/* Slots 0 and 1 start with a default set and a worker-mode one. */
	r = xaio_evset_create(&sets[0].es, NULL);
	CHECK(r == 0, "create: %d", r);
	{
		struct xaio_evset_attr a = {.size = sizeof(a),
					    .callback_mode = XAIO_CB_WORKER};

		r = xaio_evset_create(&sets[1].es, &a);
		CHECK(r == 0, "create: %d", r);
		sets[1].attr = a;
		sets[1].attr.copy_cap = 64ull << 20;
	}
}

static void end_run(int fds_before)
{
	struct xaio_evset_counts c;
	struct xaio_op_info info;
	int r, fds;

	cur_step = -1;
	cur_kind = -2; /* the drain */
	for (int i = 0; i < NH; i++) {
		if (!handles[i])
			continue;
		r = xaio_file_wait(handles[i], DRAIN_NS);
		CHECK(r == 0, "drain: handle %d not done after 10 s (%d)", i,
		      r);
		r = (xaio_close)(handles[i], NULL, NULL);
		tr("drain: close handle %d -> %d", i, r);
		check_rc(r, "drain close");
		handles[i] = NULL;
	}
	for (int i = 0; i < NSET; i++) {
		struct sstate *s = &sets[i];
		size_t n;

		if (!s->es)
			continue;
		r = xaio_evset_wait(s->es, DRAIN_NS, 0, &c);
		CHECK(r == 0,
		      "drain: set %d not done after 10 s (%d, %llu in "
		      "progress)",
		      i, r, (unsigned long long)c.in_progress);
		check_counts(&c, s, true);
		CHECK(c.in_progress == 0 && c.bytes_copied == 0,
		      "drain: %llu in progress, %llu copied",
		      (unsigned long long)c.in_progress,
		      (unsigned long long)c.bytes_copied);
		/* wait harvested everything: nothing completed is left. */
		r = xaio_evset_wait_any(s->es, 0, &info);
		CHECK(r == -ENOENT,
		      "drain: wait returned 0 but wait_any found op %llu (%d)",
		      (unsigned long long)info.op_id, r);
		if (i != 2) {
			n = read_errors(s->es, 8, 1000);
			CHECK(xaio_evset_counts(s->es, &c) == 0, "counts");
			CHECK(c.errors == 0,
			      "drain: %llu errors after reading "
			      "%zu",
			      (unsigned long long)c.errors, n);
		}
		if (s->cb_exact && s->attr.callback_mode == XAIO_CB_WAITER)
			CHECK(atomic_load(&s->complete_calls) == s->inserted,
			      "drain: %u complete callbacks for %llu ops",
			      atomic_load(&s->complete_calls),
			      (unsigned long long)s->inserted);
		r = xaio_evset_close(s->es, XAIO_CLOSE_DISCARD_ERRORS);
		CHECK(r == 0, "drain: close(DISCARD_ERRORS): %d", r);
		s->es = NULL;
		if (s->cb_exact && s->attr.callback_mode == XAIO_CB_WORKER)
			CHECK(atomic_load(&s->complete_calls) == s->inserted,
			      "drain: %u worker callbacks for %llu ops",
			      atomic_load(&s->complete_calls),
			      (unsigned long long)s->inserted);
	}
	for (int i = 0; i < ngift; i++) {
		struct gift *g = &gifts[i];
		int calls = atomic_load(&g->calls);

		if (!g->used || g->unknown)
			continue;
		CHECK(calls == (g->accepted ? 1 : 0),
		      "drain: GIFT %d %s, freed %d times", i,
		      g->accepted ? "accepted" : "refused", calls);
	}
	for (int i = 0; i < MAXSTEP + 8; i++) {
		xaio_listing_free(xlists[i]);
		xlists[i] = NULL;
		if (!done_used[i])
			continue;
		CHECK(dones[i] == 0 || is_errno(dones[i]) ||
			      (dones[i] > 0 &&
			       (uint64_t)dones[i] <= done_len[i]),
		      "drain: step %d *done %zd of %llu", i, dones[i],
		      (unsigned long long)done_len[i]);
	}
	for (int i = 0; i < MAXSTEP + 8; i++) {
		for (size_t j = 1; lists[i] && j < lists[i]->count; j++)
			CHECK(strcmp(lists[i]->entries[j - 1].name,
				     lists[i]->entries[j].name) < 0,
			      "drain: listing of step %d not sorted", i);
		xaio_listing_free(lists[i]);
		lists[i] = NULL;
	}
	fds = count_fds();
	if (fds != fds_before) {
		char cmd[64];

		snprintf(cmd, sizeof(cmd), "ls -l /proc/%d/fd >&2",
			 (int)getpid());
		if (system(cmd) < 0)
			perror("system");
		fail("drain: %d descriptors open, %d before the input", fds,
		     fds_before);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = {data, size};
	int fds_before;

	setup_once();
	atomic_store(&run_deadline, now_ns() + hang_s * SEC);
	begin_run();
	fds_before = count_fds();
	for (cur_step = 0; cur_step < MAXSTEP && in.n; cur_step++)
		step(&in);
	end_run(fds_before);
	atomic_store(&run_deadline, 0);
	return 0;
}

#ifndef XAIO_LIBFUZZER
/* Without libFuzzer: replay the files named on the command line. */
int main(int argc, char **argv)
{
	int n = 0;

	setup_once();
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		static uint8_t data[1 << 16];
		size_t len;

		if (!f) {
			perror(argv[i]);
			return 1;
		}
		len = fread(data, 1, sizeof(data), f);
		fclose(f);
		if (trace)
			fprintf(stderr, "%s:\n", argv[i]);
		cur_input = argv[i];
		LLVMFuzzerTestOneInput(data, len);
		n++;
	}
	printf("replayed %d inputs\n%d passed, 0 failed\n", n, n);
	return 0;
}
#endif
