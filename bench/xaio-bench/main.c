// SPDX-License-Identifier: MIT
/*
 * xaio-bench: options, the suite and its order, the statistics of each
 * cell, the machine's description, signals and the exit status.  Each
 * repetition runs every selected workload, depth and engine once, engines
 * alternating, so a slow minute of a shared machine falls on all of them;
 * a cell reports the median of its repetitions.  Single threaded; the
 * SIGINT/SIGTERM/SIGHUP handler only sets bench_stop, and the files are
 * removed on every way out.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/io_uring.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <xaio/version.h>

#include "bench.h"

volatile sig_atomic_t bench_stop;

static const struct engine *const all_engines[] = {
	&eng_xaio,  &eng_xaio_es,     &eng_glibc,
	&eng_sync,  &eng_uring_plain, &eng_uring_tuned,
	&eng_libuv, &eng_xaio_cp,     &eng_cp,
};
#define NENG (sizeof(all_engines) / sizeof(all_engines[0]))

static const unsigned default_depths[] = {1, 8, 32, 128};
static const unsigned quick_depths[] = {1, 32};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: xaio-bench [options]\n"
		"  -q, --quick            the short suite (about 20 s)\n"
		"  -l, --list             list the workloads and engines\n"
		"  -w, --workloads LIST   comma-separated workloads (--list),\n"
		"                         or 'default', or 'full' (all)\n"
		"  -e, --engines LIST     comma-separated engines (--list)\n"
		"  -d, --depths LIST      queue depths (default 1,8,32,128)\n"
		"  -b, --bs SIZE          random-read block size (default 4k)\n"
		"  -s, --size SIZE        data file size (default 256M)\n"
		"  -t, --duration SECS    seconds per sample (default 0.5)\n"
		"  -r, --reps N           repetitions (default 3)\n"
		"  -D, --dir DIR          where the files go (default "
		"$XAIO_BENCH_DIR or /var/tmp)\n"
		"  -f, --fsync-every N    randwrite-fsync: writes per fsync "
		"(default 16)\n"
		"  -n, --files N          small files (default 1000)\n"
		"  -N, --tree-files N     files of the statx and cp-small "
		"trees (default 10000)\n"
		"  -L, --large-size SIZE  cp-large: size of each of its 4 "
		"files (default 256M)\n"
		"  -X, --xaio-cp PATH     the xaio-cp to run (default: "
		"found)\n"
		"  -j, --json FILE        every figure as JSON (- for stdout)\n"
		"  -g, --svg DIR          charts as SVG files in DIR\n"
		"  -P, --no-progress      no progress line\n"
		"  -V, --version          print the version\n"
		"  -h, --help             this text\n");
}

__attribute__((format(printf, 1, 2))) static int bad(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "xaio-bench: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	usage(stderr);
	return 2;
}

/* "4k", "256M", "1G", "4096": bytes, or 0 when malformed. */
static size_t parse_size(const char *s)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		return 0;
	switch (*end) {
	case 'k':
	case 'K':
		shift = 10;
		break;
	case 'm':
	case 'M':
		shift = 20;
		break;
	case 'g':
	case 'G':
		shift = 30;
		break;
	case '\0':
		break;
	default:
		return 0;
	}
	if (*end && end[1] && strcmp(end + 1, "iB") && strcmp(end + 1, "B"))
		return 0;
	if (v > (~0ULL >> shift))
		return 0;
	return (size_t)(v << shift);
}

static int parse_uint(const char *s, unsigned lo, unsigned hi, unsigned *v)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || n < lo || n > hi)
		return -1;
	*v = (unsigned)n;
	return 0;
}

static int parse_depths(struct opts *o, const char *s)
{
	char buf[256], *tok, *save;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	o->ndepths = 0;
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (o->ndepths == MAX_DEPTHS ||
		    parse_uint(tok, 1, 1024, &o->depths[o->ndepths]))
			return -1;
		o->ndepths++;
	}
	return o->ndepths ? 0 : -1;
}

/* The default suite's workloads (and --quick's): all but -w full's. */
static unsigned default_mask(void)
{
	unsigned i, m = 0;

	for (i = 0; i < W_COUNT; i++)
		if (!workloads[i].full_only)
			m |= 1u << i;
	return m;
}

/* A comma-separated list of names into a bit mask: 0, or -1 (*which). */
static int parse_names(const char *s, int wl, unsigned *mask,
		       const char **which)
{
	static char buf[256];
	char *tok, *save;
	unsigned i, n = wl ? W_COUNT : (unsigned)NENG;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	*mask = 0;
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (wl && !strcmp(tok, "full")) {
			*mask |= (1u << W_COUNT) - 1;
			continue;
		}
		if (wl && !strcmp(tok, "default")) {
			*mask |= default_mask();
			continue;
		}
		for (i = 0; i < n; i++)
			if (!strcmp(tok, wl ? workloads[i].name
					    : all_engines[i]->name))
				break;
		if (i == n) {
			*which = tok;
			return -1;
		}
		*mask |= 1u << i;
	}
	return *mask ? 0 : -1;
}

static void list(void)
{
	unsigned i;

	printf("workloads:\n");
	for (i = 0; i < W_COUNT; i++)
		printf("  %-16s %s%s%s\n", workloads[i].name, workloads[i].desc,
		       workloads[i].uses_depth ? " (at every --depth)" : "",
		       workloads[i].full_only ? " (-w full only)" : "");
	printf("engines:\n");
	for (i = 0; i < NENG; i++) {
		const struct engine *e = all_engines[i];
		const char *why = e->absent ? e->absent() : NULL;

		printf("  %-16s %s%s%s\n", e->name, e->desc, why ? "; " : "",
		       why ? why : "");
	}
}

static int parse(struct opts *o, int argc, char **argv)
{
	static const struct option lo[] = {
		{"quick", no_argument, NULL, 'q'},
		{"list", no_argument, NULL, 'l'},
		{"workloads", required_argument, NULL, 'w'},
		{"engines", required_argument, NULL, 'e'},
		{"depths", required_argument, NULL, 'd'},
		{"bs", required_argument, NULL, 'b'},
		{"size", required_argument, NULL, 's'},
		{"duration", required_argument, NULL, 't'},
		{"reps", required_argument, NULL, 'r'},
		{"dir", required_argument, NULL, 'D'},
		{"fsync-every", required_argument, NULL, 'f'},
		{"files", required_argument, NULL, 'n'},
		{"tree-files", required_argument, NULL, 'N'},
		{"large-size", required_argument, NULL, 'L'},
		{"xaio-cp", required_argument, NULL, 'X'},
		{"json", required_argument, NULL, 'j'},
		{"svg", required_argument, NULL, 'g'},
		{"no-progress", no_argument, NULL, 'P'},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *depths = NULL, *size = NULL, *dur = NULL, *reps = NULL,
		   *files = NULL, *which = NULL, *tree = NULL, *large = NULL;
	int c, listing = 0;
	char *end;

	memset(o, 0, sizeof(*o));
	o->bs = BLK;
	o->fsync_every = 16;
	o->wl_mask = default_mask();
	o->eng_mask = (1u << NENG) - 1;
	o->progress = isatty(STDOUT_FILENO);
	o->dir = getenv("XAIO_BENCH_DIR");
	if (!o->dir || !*o->dir)
		o->dir = "/var/tmp";
	opterr = 0;
	while ((c = getopt_long(argc, argv,
				":qlw:e:d:b:s:t:r:D:f:n:N:L:X:j:g:PVh", lo,
				NULL)) != -1) {
		switch (c) {
		case 'q':
			o->quick = 1;
			break;
		case 'l':
			listing = 1;
			break;
		case 'w':
			if (parse_names(optarg, 1, &o->wl_mask, &which))
				return bad("unknown workload '%s' (see --list)",
					   which ? which : optarg);
			break;
		case 'e':
			if (parse_names(optarg, 0, &o->eng_mask, &which))
				return bad("unknown engine '%s' (see --list)",
					   which ? which : optarg);
			break;
		case 'd':
			depths = optarg;
			break;
		case 'b':
			o->bs = parse_size(optarg);
			if (!o->bs || o->bs % BLK || o->bs > (1 << 20))
				return bad("--bs %s: a multiple of 4k up to 1M",
					   optarg);
			break;
		case 's':
			size = optarg;
			break;
		case 't':
			dur = optarg;
			break;
		case 'r':
			reps = optarg;
			break;
		case 'D':
			o->dir = optarg;
			break;
		case 'f':
			if (parse_uint(optarg, 1, 1u << 20, &o->fsync_every))
				return bad("--fsync-every %s: a number >= 1",
					   optarg);
			break;
		case 'n':
			files = optarg;
			break;
		case 'N':
			tree = optarg;
			break;
		case 'L':
			large = optarg;
			break;
		case 'X':
			o->xaio_cp = optarg;
			break;
		case 'j':
			o->json = optarg;
			break;
		case 'g':
			o->svg = optarg;
			break;
		case 'P':
			o->progress = 0;
			break;
		case 'V':
			printf("xaio-bench %s\n", XAIO_VERSION_STRING);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		case ':':
			return bad("option '%s' needs an argument",
				   argv[optind - 1]);
		default:
			return bad("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return bad("unexpected argument '%s'", argv[optind]);
	if (listing) {
		list();
		return 0;
	}
	if (depths) {
		if (parse_depths(o, depths))
			return bad("--depths %s: up to 8 numbers 1..1024",
				   depths);
	} else if (o->quick) {
		memcpy(o->depths, quick_depths, sizeof(quick_depths));
		o->ndepths = 2;
	} else {
		memcpy(o->depths, default_depths, sizeof(default_depths));
		o->ndepths = 4;
	}
	o->size = o->quick ? 64 << 20 : 256 << 20;
	if (size) {
		o->size = parse_size(size);
		if (o->size < (1 << 20) || o->size % (1 << 20))
			return bad("--size %s: a whole number of MiB, >= 1M",
				   size);
	}
	o->duration = o->quick ? 0.1 : 0.5;
	if (dur) {
		o->duration = strtod(dur, &end);
		if (end == dur || *end || !(o->duration > 0) ||
		    o->duration > 3600)
			return bad("--duration %s: seconds, > 0", dur);
	}
	o->reps = 3;
	if (reps && parse_uint(reps, 1, MAX_REPS, &o->reps))
		return bad("--reps %s: 1..64", reps);
	o->nsmall = o->quick ? 256 : 1000;
	if (files && parse_uint(files, 1, 1u << 20, &o->nsmall))
		return bad("--files %s: 1..1048576", files);
	o->ntree = 10000;
	if (tree && parse_uint(tree, 1, 1u << 20, &o->ntree))
		return bad("--tree-files %s: 1..1048576", tree);
	o->large = o->quick ? 32 << 20 : 256 << 20;
	if (large) {
		o->large = parse_size(large);
		if (o->large < (1 << 20) || o->large % (1 << 20) ||
		    o->large > (64ULL << 30))
			return bad("--large-size %s: a whole number of MiB, "
				   "1M..64G",
				   large);
	}
	if (o->bs > o->size)
		return bad("--bs %zu: larger than --size %zu", o->bs, o->size);
	return -1; /* run */
}

static void on_signal(int sig)
{
	bench_stop = sig;
}

static void catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static const char *fs_name(long type)
{
	static char hex[32];

	switch ((unsigned long)type & 0xffffffffUL) {
	case 0xef53:
		return "ext4";
	case 0x58465342:
		return "xfs";
	case 0x9123683e:
		return "btrfs";
	case 0x01021994:
		return "tmpfs";
	case 0x794c7630:
		return "overlayfs";
	case 0x6969:
		return "nfs";
	case 0x2fc12fc1:
		return "zfs";
	case 0xf2f52010:
		return "f2fs";
	case 0x01021997:
		return "9p";
	case 0x65735546:
		return "fuse";
	}
	snprintf(hex, sizeof(hex), "0x%lx", (unsigned long)type);
	return hex;
}

/*
 * The backend xaio's engine will choose, by the test it makes itself: the
 * bench links libxaio-posix, whose engine exports only the POSIX names.
 */
static void describe_machine(struct result_set *r)
{
	const char *env = getenv("XAIO_BACKEND");
	struct io_uring_params p;
	struct utsname u;
	struct statfs sf;
	long fd;

	r->ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (uname(&u) == 0)
		snprintf(r->kernel, sizeof(r->kernel), "%s", u.release);
	snprintf(r->fs, sizeof(r->fs), "%s",
		 statfs(r->b->o.dir, &sf) == 0 ? fs_name((long)sf.f_type)
					       : "unknown");
	if (env && (!strcmp(env, "threads") || !strcmp(env, "threadpool"))) {
		snprintf(r->backend, sizeof(r->backend), "threads");
		snprintf(r->backend_why, sizeof(r->backend_why),
			 "XAIO_BACKEND=%s", env);
		return;
	}
	memset(&p, 0, sizeof(p));
	fd = syscall(__NR_io_uring_setup, 8, &p);
	if (fd >= 0) {
		close((int)fd);
		snprintf(r->backend, sizeof(r->backend), "io_uring");
		snprintf(r->backend_why, sizeof(r->backend_why), "%s",
			 env && *env && strcmp(env, "auto")
				 ? "XAIO_BACKEND"
				 : "io_uring_setup works here");
		return;
	}
	snprintf(r->backend, sizeof(r->backend), "threads");
	snprintf(r->backend_why, sizeof(r->backend_why),
		 "io_uring_setup refused: %s", strerror(errno));
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void summarize(struct cell *c)
{
	double v[MAX_REPS];
	unsigned i;

	if (c->st != ST_OK || !c->nrep)
		return;
	for (i = 0; i < c->nrep; i++)
		v[i] = c->rep[i].rate;
	c->median = median(v, c->nrep);
	c->min = v[0];
	c->max = v[c->nrep - 1];
	for (i = 0; i < c->nrep; i++)
		v[i] = c->rep[i].mib_s;
	c->mib_s = median(v, c->nrep);
	for (i = 0; i < c->nrep; i++)
		v[i] = c->rep[i].cpu_us;
	c->cpu_us = median(v, c->nrep);
}

/*
 * Decides before any run whether engine e runs workload w at depth d:
 * ST_OK (run it, at c->depth) or why not.
 */
static void classify(const struct bench *b, const struct engine *e, enum wl w,
		     unsigned d, struct cell *c)
{
	const char *why = e->absent ? e->absent() : NULL, *opt;
	int copy = (workloads[w].ops & OP_COPY) != 0;

	c->depth = e->sync ? 1 : d;
	c->st = ST_OK;
	if (copy != ((e->ops & OP_COPY) != 0)) {
		c->st = ST_NA;
		snprintf(c->why, sizeof(c->why), "%s",
			 copy ? "not a copy command"
			      : "a copy command: cp-small and cp-large only");
	} else if (why) {
		c->st = ST_ABSENT;
		snprintf(c->why, sizeof(c->why), "%s", why);
	} else if (copy && !e->command(b, &opt, c->why, sizeof(c->why))) {
		c->st = ST_NA;
	} else if ((workloads[w].ops & e->ops) != workloads[w].ops) {
		c->st = ST_NA;
		snprintf(c->why, sizeof(c->why), "%s has no %s", e->name,
			 workloads[w].ops & OP_STATX   ? "statx"
			 : workloads[w].ops & OP_FSYNC ? "fsync"
						       : "read or write");
	} else if (e->sync && workloads[w].uses_depth && d != 1) {
		c->st = ST_NA;
		snprintf(c->why, sizeof(c->why),
			 "%s is synchronous: depth 1 only", e->name);
	} else if (w == W_RANDREAD_DIRECT && !b->direct_ok) {
		c->st = ST_SKIPPED;
		snprintf(c->why, sizeof(c->why), "%s", b->direct_why);
	}
}

static void progress(const struct bench *b, unsigned done, unsigned total,
		     unsigned rep, enum wl w, unsigned d, const char *eng)
{
	if (!b->o.progress)
		return;
	if (workloads[w].ops & OP_COPY)
		printf("\r\033[K[%u/%u] rep %u/%u: %s, %s", done, total,
		       rep + 1, b->o.reps, workloads[w].name, eng);
	else
		printf("\r\033[K[%u/%u] rep %u/%u: %s depth %u, %s", done,
		       total, rep + 1, b->o.reps, workloads[w].name, d, eng);
	fflush(stdout);
}

/* Runs every repetition: 0, 1 when a cell failed, -EINTR when stopped. */
static int run_suite(struct result_set *rs)
{
	struct bench *b = rs->b;
	unsigned pass, w, di, ei, k, rot, nd, d[MAX_DEPTHS], total = 0;
	unsigned done = 0;
	int failed = 0;

	/* Pass 0 decides what runs and counts it; pass k is repetition k. */
	for (pass = 0; pass <= b->o.reps; pass++)
		for (w = 0; w < W_COUNT; w++) {
			if (!(b->o.wl_mask & (1u << w)))
				continue;
			nd = wl_depths(rs, (enum wl)w, d);
			/*
			 * The copies rotate which engine goes first: on this
			 * kind of VM the first large copy after a pause can be
			 * several times slower (xaio-bench(1)).
			 */
			rot = workloads[w].ops & OP_COPY ? pass : 0;
			for (di = 0; di < nd; di++)
				for (k = 0; k < b->neng; k++) {
					struct cell *c;
					struct sample *s;
					int e;

					ei = (k + rot) % b->neng;
					c = &rs->cells[w][di][ei];
					s = &c->rep[c->nrep];
					if (!pass) {
						classify(b, b->eng[ei],
							 (enum wl)w, d[di], c);
						total += c->st == ST_OK
								 ? b->o.reps
								 : 0;
						continue;
					}
					if (bench_stop)
						return -EINTR;
					if (c->st != ST_OK)
						continue;
					progress(b, ++done, total, pass - 1,
						 (enum wl)w, c->depth,
						 b->eng[ei]->name);
					e = run_sample(b, b->eng[ei],
						       (enum wl)w, c->depth, s,
						       c->why, sizeof(c->why));
					if (bench_stop)
						return -EINTR;
					if (e) {
						c->st = ST_FAILED;
						failed = 1;
						continue;
					}
					c->nrep++;
				}
		}
	if (b->o.progress)
		printf("\r\033[K");
	for (w = 0; w < W_COUNT; w++)
		for (di = 0; di < MAX_DEPTHS; di++)
			for (ei = 0; ei < b->neng; ei++)
				summarize(&rs->cells[w][di][ei]);
	return failed;
}

int main(int argc, char **argv)
{
	static struct bench b;
	static struct result_set rs;
	unsigned i;
	int r, status = 0;

	r = parse(&b.o, argc, argv);
	if (r >= 0)
		return r;
	for (i = 0; i < NENG; i++)
		if (b.o.eng_mask & (1u << i))
			b.eng[b.neng++] = all_engines[i];
	rs.b = &b;
	rs.argc = argc;
	rs.argv = argv;
	catch_signals();
	describe_machine(&rs);
	if (getloadavg(rs.load_before, 3) < 0)
		memset(rs.load_before, 0, sizeof(rs.load_before));
	r = prepare_files(&b);
	if (!r)
		r = run_suite(&rs);
	remove_files(&b);
	if (r == -EINTR || bench_stop) {
		if (b.o.progress)
			printf("\r\033[K");
		fprintf(stderr, "xaio-bench: interrupted; files removed\n");
		return 128 + (bench_stop ? bench_stop : SIGINT);
	}
	if (r < 0) {
		fprintf(stderr,
			"xaio-bench: %s: cannot prepare the files: %s\n",
			b.o.dir, strerror(-r));
		return 1;
	}
	status = r;
	if (getloadavg(rs.load_after, 3) < 0)
		memset(rs.load_after, 0, sizeof(rs.load_after));
	print_table(&rs);
	if (b.o.json && (r = write_json(&rs, b.o.json)) < 0) {
		fprintf(stderr, "xaio-bench: %s: %s\n", b.o.json, strerror(-r));
		status = 1;
	}
	if (b.o.svg && (r = write_svgs(&rs, b.o.svg)) < 0) {
		fprintf(stderr, "xaio-bench: %s: %s\n", b.o.svg, strerror(-r));
		status = 1;
	}
	fflush(stdout);
	return status;
}
