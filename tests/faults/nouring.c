// SPDX-License-Identifier: MIT
/*
 * io_uring unavailable when the process starts.  Each case re-executes
 * this program (child mode "aio": reads, a write, an fsync, a list and a
 * pipe read, all checked, with SIGEV_THREAD notifications) in a child
 * where io_uring is refused, with XAIO_VERBOSE=1:
 *
 *  - a seccomp filter makes io_uring_setup fail with EPERM, or ENOSYS:
 *    with XAIO_BACKEND unset (auto) and with XAIO_BACKEND=uring the
 *    requests succeed on the thread pool, the child holds no io_uring fd,
 *    and the report says "backend threads (io_uring refused: <strerror>)";
 *  - a filter on io_uring_register only (io_uring_setup works, the probe
 *    of the supported ops fails): the same, and the ring that was set up
 *    is closed again (no io_uring fd left);
 *  - RLIMIT_MEMLOCK 0, and 32 KiB, for an unprivileged process (uid/gid
 *    65534, set after the limit): the requests succeed either on io_uring
 *    (on the ring size the limit allowed: xaio halves it on ENOMEM down to
 *    8 entries) or on threads with the reason ENOMEM; each case prints
 *    which ("observed: ...").  The child's files live under TMPDIR=/tmp.
 */
#include <aio.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "faults.h"

#if defined(__x86_64__)
#define FX_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define FX_AUDIT_ARCH AUDIT_ARCH_AARCH64
#elif defined(__i386__)
#define FX_AUDIT_ARCH AUDIT_ARCH_I386
#endif

#define BLK 4096
#define NREAD 8

/* Child mode "aio": a bit of everything, every result checked. */
static int child_aio(void)
{
	static unsigned char rbuf[NREAD][BLK], wbuf[BLK], lbuf[2][BLK];
	static unsigned char pbuf[64];
	static struct aiocb r[NREAD], w, s, l[2], pr;
	struct aiocb *all[NREAD], *list[2];
	unsigned char want[BLK];
	unsigned sizes[8];
	int fd, p[2], base, rings, ids = 0;

	base = xt_count_fds();
	fx_notes_reset();
	fd = xt_make_file("aio", 16 * BLK, O_CLOEXEC);
	XT_ASSERT(fd >= 0);
	XT_ASSERT_OK(pipe2(p, O_CLOEXEC));

	/* A pipe read that waits while the rest runs. */
	xt_cb_set_op(&pr, LIO_READ, p[0], pbuf, sizeof(pbuf), 0);
	fx_sev_thread(&pr.aio_sigevent, ids++);
	XT_ASSERT_OK(aio_read(&pr));

	for (int i = 0; i < NREAD; i++) {
		xt_cb_set_op(&r[i], LIO_READ, fd, rbuf[i], BLK, (off_t)i * BLK);
		fx_sev_thread(&r[i].aio_sigevent, ids++);
		all[i] = &r[i];
		XT_ASSERT_OK(aio_read(&r[i]));
	}
	XT_ASSERT_EQ(fx_wait_all(all, NREAD, 5000), 0);
	for (int i = 0; i < NREAD; i++) {
		XT_ASSERT_EQ(aio_error(&r[i]), 0);
		XT_ASSERT_EQ(aio_return(&r[i]), BLK);
		xt_fill_pattern(want, BLK, (uint64_t)i * BLK);
		XT_ASSERT_MEM_EQ(rbuf[i], want, BLK);
	}

	memset(wbuf, 0x3c, BLK);
	xt_cb_set_op(&w, LIO_WRITE, fd, wbuf, BLK, 9 * BLK);
	fx_sev_thread(&w.aio_sigevent, ids++);
	XT_ASSERT_OK(aio_write(&w));
	xt_cb_set_op(&s, LIO_NOP, fd, NULL, 0, 0);
	fx_sev_thread(&s.aio_sigevent, ids++);
	XT_ASSERT_OK(aio_fsync(O_SYNC, &s));
	XT_ASSERT_EQ(fx_wait(&w, 5000), 0);
	XT_ASSERT_EQ(fx_wait(&s, 5000), 0);
	XT_ASSERT_EQ(aio_return(&w), BLK);
	XT_ASSERT_EQ(aio_error(&s), 0);
	XT_ASSERT_EQ(aio_return(&s), 0);

	xt_cb_set_op(&l[0], LIO_READ, fd, lbuf[0], BLK, 9 * BLK);
	xt_cb_set_op(&l[1], LIO_READ, fd, lbuf[1], BLK, 10 * BLK);
	for (int i = 0; i < 2; i++) {
		fx_sev_thread(&l[i].aio_sigevent, ids++);
		list[i] = &l[i];
	}
	XT_ASSERT_OK(lio_listio(LIO_WAIT, list, 2, NULL));
	XT_ASSERT_EQ(aio_return(&l[0]), BLK);
	XT_ASSERT_MEM_EQ(lbuf[0], wbuf, BLK);
	XT_ASSERT_EQ(aio_return(&l[1]), BLK);
	xt_fill_pattern(want, BLK, 10 * BLK);
	XT_ASSERT_MEM_EQ(lbuf[1], want, BLK);

	XT_ASSERT_EQ(aio_error(&pr), EINPROGRESS);
	XT_ASSERT_EQ(write(p[1], "ping", 4), 4);
	XT_ASSERT_EQ(fx_wait(&pr, 5000), 0);
	XT_ASSERT_EQ(aio_return(&pr), 4);
	XT_ASSERT(!memcmp(pbuf, "ping", 4));

	XT_ASSERT_EQ(fx_notes_expect(ids, 5000), 0);
	close(p[0]);
	close(p[1]);
	close(fd);
	rings = fx_ring_sizes(sizes, 8);
	printf("rings=%d", rings);
	for (int i = 0; i < rings && i < 8; i++)
		printf(" sq_entries=%u", sizes[i]);
	printf(" uid=%d\n", (int)getuid());
	XT_ASSERT_GE(rings, 0);
	XT_ASSERT_EQ(xt_count_fds(), base + xt_count_engine_fds());
	return XT_PASS;
}

static int child_main(const char *mode)
{
	if (!strcmp(mode, "aio"))
		return child_aio();
	fprintf(stderr, "unknown child mode %s\n", mode);
	return XT_FAIL;
}

FX_CHILD_MAIN(child_main)

struct filter {
	long nr; /* the system call refused */
	int err; /* with this errno */
};

/* In the child before exec: refuse f->nr with f->err. */
static int install_filter(void *arg)
{
#ifdef FX_AUDIT_ARCH
	const struct filter *f = arg;
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, FX_AUDIT_ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)f->nr, 0, 1),
		BPF_STMT(BPF_RET | BPF_K,
			 SECCOMP_RET_ERRNO |
				 ((unsigned)f->err & SECCOMP_RET_DATA)),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {sizeof(code) / sizeof(code[0]), code};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) {
		fprintf(stderr, "skip: cannot install a seccomp filter: %s\n",
			strerror(errno));
		return XT_SKIP;
	}
	return 0;
#else
	fprintf(stderr, "skip: no seccomp audit arch for this CPU\n");
	return XT_SKIP;
#endif
}

/* Runs child mode "aio" with pre(arg) and env; checks the verdict. */
static int run_aio(struct fx_proc *p, int (*pre)(void *), void *arg,
		   const char *const *env)
{
	memset(p, 0, sizeof(*p));
	p->mode = "aio";
	p->pre = pre;
	p->arg = arg;
	p->env = env;
	p->timeout_ms = 10000;
	if (fx_run(p))
		return XT_FAIL;
	return fx_verdict(p);
}

/* The child ran on threads for the reason given, and has no ring. */
static int expect_threads(const struct fx_proc *p, const char *why)
{
	struct fx_report r;
	char line[256];

	snprintf(line, sizeof(line), "xaio: backend threads (%s), ", why);
	if (!strstr(p->err, line) || fx_parse_report(p->err, &r)) {
		fprintf(stderr, "want a report starting \"%s\", got:\n%s", line,
			p->err);
		return XT_FAIL;
	}
	XT_ASSERT_GT(r.submitted, 0);
	XT_ASSERT_EQ(r.on_ring, 0);
	XT_ASSERT_EQ(r.inline_reads + r.on_threads, r.submitted);
	XT_ASSERT_EQ(r.reissued, 0);
	XT_ASSERT_EQ(r.completed, r.submitted);
	if (!strstr(p->out, "rings=0 ")) {
		fprintf(stderr, "the child holds an io_uring fd: %s", p->out);
		return XT_FAIL;
	}
	return XT_PASS;
}

static int seccomp_case(long nr, int err, const char *backend, const char *why)
{
	struct filter f = {nr, err};
	const char *env_auto[] = {"XAIO_BACKEND", "XAIO_VERBOSE=1", NULL};
	const char *env_uring[] = {"XAIO_BACKEND=uring", "XAIO_VERBOSE=1",
				   NULL};
	struct fx_proc p;
	int r;

	r = run_aio(&p, install_filter, &f,
		    strcmp(backend, "uring") ? env_auto : env_uring);
	if (r != XT_PASS)
		return r;
	return expect_threads(&p, why);
}

/* seccomp: io_uring_setup -> EPERM, XAIO_BACKEND unset. */
static int nouring_seccomp_eperm(void)
{
	XT_REQUIRE_BACKEND();
	return seccomp_case(__NR_io_uring_setup, EPERM, "auto",
			    "io_uring refused: Operation not permitted");
}

/* seccomp: io_uring_setup -> ENOSYS, XAIO_BACKEND unset. */
static int nouring_seccomp_enosys(void)
{
	XT_REQUIRE_BACKEND();
	return seccomp_case(__NR_io_uring_setup, ENOSYS, "auto",
			    "io_uring refused: Function not implemented");
}

/* seccomp: XAIO_BACKEND=uring still works, on threads, and says why. */
static int nouring_seccomp_forced_uring(void)
{
	int r;

	XT_REQUIRE_BACKEND();
	r = seccomp_case(__NR_io_uring_setup, EPERM, "uring",
			 "io_uring refused: Operation not permitted");
	if (r != XT_PASS)
		return r;
	return seccomp_case(__NR_io_uring_setup, ENOSYS, "uring",
			    "io_uring refused: Function not implemented");
}

/* io_uring_setup works but io_uring_register (the op probe) is refused. */
static int nouring_seccomp_register(void)
{
	XT_REQUIRE_BACKEND();
	return seccomp_case(__NR_io_uring_register, EPERM, "auto",
			    "io_uring refused: Operation not permitted");
}

/* In the child before exec: RLIMIT_MEMLOCK *arg bytes, uid/gid 65534. */
static int drop_to_nobody(void *arg)
{
	rlim_t bytes = *(const rlim_t *)arg;
	struct rlimit lim = {bytes, bytes};

	if (setrlimit(RLIMIT_MEMLOCK, &lim) < 0 || setgroups(0, NULL) < 0 ||
	    setgid(65534) < 0 || setuid(65534) < 0) {
		fprintf(stderr,
			"skip: cannot drop to uid 65534 with "
			"RLIMIT_MEMLOCK %llu: %s\n",
			(unsigned long long)bytes, strerror(errno));
		return XT_SKIP;
	}
	return 0;
}

/*
 * RLIMIT_MEMLOCK `bytes`, unprivileged: the requests work, on io_uring
 * (with a ring of the size the limit allowed) or on threads for ENOMEM.
 */
static int memlock_case(rlim_t bytes)
{
	const char *env[] = {"XAIO_BACKEND", "XAIO_VERBOSE=1", "TMPDIR=/tmp",
			     NULL};
	struct fx_report r;
	struct fx_proc p;
	unsigned entries = 0;
	int rings = -1, res;

	XT_SKIP_IF(geteuid() != 0, "changing uid needs root");
	res = run_aio(&p, drop_to_nobody, &bytes, env);
	if (res != XT_PASS)
		return res;
	XT_ASSERT(strstr(p.out, "uid=65534"));
	if (fx_parse_report(p.err, &r)) {
		fprintf(stderr, "no XAIO_VERBOSE line in:\n%s", p.err);
		return XT_FAIL;
	}
	sscanf(p.out, "rings=%d sq_entries=%u", &rings, &entries);
	XT_ASSERT_EQ(r.completed, r.submitted);
	if (!strcmp(r.backend, "io_uring")) {
		XT_ASSERT(!strcmp(r.reason, "default"));
		XT_ASSERT_EQ(rings, 1);
		XT_ASSERT_GE(entries, 8);
		XT_ASSERT_GT(r.on_ring, 0);
		printf("observed: RLIMIT_MEMLOCK %llu as uid 65534: backend "
		       "io_uring, %u-entry SQ (%s)\n",
		       (unsigned long long)bytes, entries,
		       entries < 256 ? "halved on ENOMEM"
				     : "full size: the kernel does not charge "
				       "the rings to RLIMIT_MEMLOCK");
		return XT_PASS;
	}
	if (expect_threads(&p, "io_uring refused: Cannot allocate memory"))
		return XT_FAIL;
	printf("observed: RLIMIT_MEMLOCK %llu as uid 65534: backend threads "
	       "(io_uring refused: Cannot allocate memory)\n",
	       (unsigned long long)bytes);
	return XT_PASS;
}

/* RLIMIT_MEMLOCK 0: not even the smallest ring fits. */
static int nouring_memlock_zero(void)
{
	XT_REQUIRE_BACKEND();
	return memlock_case(0);
}

/* RLIMIT_MEMLOCK 32 KiB: a smaller ring than the default may fit. */
static int nouring_memlock_small(void)
{
	XT_REQUIRE_BACKEND();
	return memlock_case(32 * 1024);
}

static const struct xt_case cases[] = {
	{"nouring_seccomp_eperm", nouring_seccomp_eperm},
	{"nouring_seccomp_enosys", nouring_seccomp_enosys},
	{"nouring_seccomp_forced_uring", nouring_seccomp_forced_uring},
	{"nouring_seccomp_register", nouring_seccomp_register},
	{"nouring_memlock_zero", nouring_memlock_zero},
	{"nouring_memlock_small", nouring_memlock_small},
};

XT_MAIN(cases)
