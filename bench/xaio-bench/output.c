// SPDX-License-Identifier: MIT
/*
 * xaio-bench output: presents the result_set main.c has filled (cells with
 * their medians, spreads and reasons), never measures.  It owns the text
 * table on stdout, the JSON document (its schema is schema.json beside this
 * file), the SVG charts, and the targets computed from the cells, which
 * the table and the JSON share.  Only workloads in o.wl_mask appear
 * anywhere.  Single threaded; no state outside the calls.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <xaio/version.h>

#include "bench.h"

#define CW 48 /* one table cell's text */

/* Who is compared with whom, in the table, the JSON and the targets. */
static const struct pair {
	const char *x, *vs;
} pairs[] = {
	{"xaio", "glibc"},   {"xaio", "uring-plain"}, {"xaio", "uring-tuned"},
	{"xaio-es", "sync"}, {"xaio-es", "libuv"},    {"xaio-cp", "cp"},
};
#define NVS (sizeof(pairs) / sizeof(pairs[0]))

static int ran(const struct result_set *r, enum wl w)
{
	return (r->b->o.wl_mask & (1u << w)) != 0;
}

/* A copy command on another workload, or another engine on a copy. */
static int other_kind(const struct result_set *r, unsigned ei, enum wl w)
{
	return !(workloads[w].ops & OP_COPY) != !(r->b->eng[ei]->ops & OP_COPY);
}

static unsigned neng(const struct result_set *r)
{
	return r->b->neng < MAX_ENG ? r->b->neng : MAX_ENG;
}

unsigned wl_depths(const struct result_set *r, enum wl w, unsigned *d)
{
	const struct opts *o = &r->b->o;
	unsigned i, n;

	if (!workloads[w].uses_depth) {
		d[0] = workloads[w].depth;
		d[1] = workloads[w].depth2;
		/* --quick keeps its 20 s: the statx storm at 64 only */
		return workloads[w].depth2 && !(o->quick && w == W_STATX) ? 2
									  : 1;
	}
	n = o->ndepths < MAX_DEPTHS ? o->ndepths : MAX_DEPTHS;
	for (i = 0; i < n; i++)
		d[i] = o->depths[i];
	return n;
}

static const struct cell *cellp(const struct result_set *r, enum wl w,
				unsigned di, unsigned ei)
{
	return &r->cells[w][di][ei];
}

static int eng_find(const struct result_set *r, const char *name)
{
	unsigned i;

	for (i = 0; i < neng(r); i++)
		if (!strcmp(r->b->eng[i]->name, name))
			return (int)i;
	return -1;
}

/* The depth a cell ran at: a sync engine runs at 1 in every column. */
static unsigned run_depth(const struct cell *c, unsigned col)
{
	return c->depth ? c->depth : col;
}

/* Whether engine ei has an OK cell in workload w. */
static int any_ok(const struct result_set *r, enum wl w, unsigned ei)
{
	unsigned d[MAX_DEPTHS], n = wl_depths(r, w, d), di;

	for (di = 0; di < n; di++)
		if (cellp(r, w, di, ei)->st == ST_OK)
			return 1;
	return 0;
}

static const char *st_word(enum status st)
{
	switch (st) {
	case ST_OK:
		return "ok";
	case ST_NA:
		return "n/a";
	case ST_SKIPPED:
		return "skipped";
	case ST_ABSENT:
		return "absent";
	case ST_FAILED:
		return "failed";
	}
	return "?";
}

static const char *st_label(enum status st)
{
	return st == ST_FAILED ? "FAILED" : st_word(st);
}

/* `why` without a leading "<word>: " that repeats the status. */
static const char *bare(const char *why, const char *word)
{
	size_t n = strlen(word);

	if (!strncasecmp(why, word, n) && why[n] == ':') {
		why += n + 1;
		while (*why == ' ')
			why++;
	}
	return *why ? why : "no reason given";
}

/* Why engine ei is absent, or NULL when it is not. */
static const char *eng_absent(const struct result_set *r, unsigned ei)
{
	const struct engine *e = r->b->eng[ei];
	unsigned d[MAX_DEPTHS], n, di, w;
	const char *s;

	if (e->absent && (s = e->absent()))
		return s;
	for (w = 0; w < W_COUNT; w++) {
		if (!ran(r, w))
			continue;
		n = wl_depths(r, w, d);
		for (di = 0; di < n; di++) {
			const struct cell *c = cellp(r, w, di, ei);

			if (c->st == ST_ABSENT)
				return c->why[0] ? c->why : "absent";
		}
	}
	return NULL;
}

static int busy(const struct result_set *r)
{
	double n = r->ncpu;

	return r->ncpu > 0 && (r->load_before[0] > n || r->load_after[0] > n);
}

static double spread(const struct cell *c)
{
	return c->median > 0 ? (c->max - c->min) / c->median : NAN;
}

/* xaio's median over engine vi's at depth index di, NAN when not both OK */
static double ratio(const struct result_set *r, enum wl w, unsigned di, int xi,
		    int vi)
{
	const struct cell *x, *v;

	if (xi < 0 || vi < 0)
		return NAN;
	x = cellp(r, w, di, (unsigned)xi);
	v = cellp(r, w, di, (unsigned)vi);
	if (x->st != ST_OK || v->st != ST_OK || !(v->median > 0))
		return NAN;
	return x->median / v->median;
}

/* Numbers */

/* About three significant digits and a suffix: 950, 37.1, 4.12. */
static void fmt3(char *buf, size_t n, double v, const char *sfx)
{
	double a = fabs(v);
	int dec = a >= 99.95 ? 0 : a >= 9.995 ? 1 : 2;

	if (!isfinite(v))
		snprintf(buf, n, "?");
	else if (v == 0)
		snprintf(buf, n, "0%s", sfx);
	else
		snprintf(buf, n, "%.*f%s", dec, v, sfx);
}

/* A rate with a k/M/G suffix: 950, 37.1k, 412k, 1.23M. */
static void fmt_rate(char *buf, size_t n, double v)
{
	static const char *const sfx[] = {"", "k", "M", "G", "T"};
	unsigned k = 0;

	while (isfinite(v) && fabs(v) >= 999.5 && k + 1 < 5) {
		v /= 1000;
		k++;
	}
	fmt3(buf, n, v, sfx[k]);
}

/* A ratio: 0.97x, 10.8x, 120x; "-" when there is none. */
static void fmt_x(char *buf, size_t n, double v)
{
	if (isfinite(v))
		fmt3(buf, n, v, "x");
	else
		snprintf(buf, n, "-");
}

/* An axis label: a rate without trailing zeros (25k, 2.5M, 0). */
static void fmt_tick(char *buf, size_t n, double v, int plain)
{
	char *dot, *e, *z;
	int dec;

	if (plain) {
		/* as many decimals as the value has, up to 3 */
		for (dec = 0; dec < 3; dec++) {
			double s = v * pow(10, dec);

			if (fabs(s - round(s)) < 1e-6 * (fabs(s) + 1))
				break;
		}
		snprintf(buf, n, "%.*f", dec, v);
		return;
	}
	fmt_rate(buf, n, v);
	dot = strchr(buf, '.');
	if (!dot)
		return;
	for (e = dot + 1; *e >= '0' && *e <= '9'; e++)
		;
	for (z = e; z > dot + 1 && z[-1] == '0'; z--)
		;
	if (z == dot + 1)
		z = dot;
	memmove(z, e, strlen(e) + 1);
}

/* Length of the valid UTF-8 sequence at s, 0 when it is not one. */
static unsigned u8len(const unsigned char *s)
{
	unsigned c = s[0], n, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] >= 0xa0) ||
	    (c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] >= 0x90))
		return 0;
	return n;
}

/* Terminal columns of a UTF-8 string (µ and ± are one each). */
static int cols(const char *s)
{
	int n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

static void pad(const char *s, int w)
{
	int i;

	fputs(s, stdout);
	for (i = cols(s); i < w; i++)
		putchar(' ');
}

/* A reason on the terminal: control bytes and bad UTF-8 as '?'. */
static void tput(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned n;

	while (*p) {
		n = u8len(p);
		if (!n || *p < 0x20 || *p == 0x7f) {
			putchar('?');
			p++;
		} else {
			fwrite(p, 1, n, stdout);
			p += n;
		}
	}
}

/* Files */

static FILE *open_out(const char *path, int *is_stdout)
{
	*is_stdout = !strcmp(path, "-");
	errno = 0;
	return *is_stdout ? stdout : fopen(path, "w");
}

/* Closes (flushes stdout) and returns 0 or -errno. */
static int close_out(FILE *f, int is_stdout)
{
	int e = 0;

	if (ferror(f))
		e = errno ? errno : EIO;
	if (is_stdout) {
		if (fflush(f) && !e)
			e = errno ? errno : EIO;
	} else if (fclose(f) && !e) {
		e = errno ? errno : EIO;
	}
	return -e;
}

/* Targets */

enum { T_COUNT = 11 };

struct target {
	const char *id, *what;
	char label[64]; /* "xaio/uring-plain randread" */
	const char *x; /* the engine judged: "xaio", "xaio-es" */
	int over_depths; /* the minimum over depths, else one depth */
	double value, goal; /* NAN: none */
	int depth; /* of the value; -1: none */
	int met; /* 1, 0, -1: not known (null) */
	char why[256];
};

static void cell_why(char *buf, size_t n, const char *eng, const struct cell *c)
{
	snprintf(buf, n, "%s %s: %s", eng, st_word(c->st),
		 bare(c->why, st_word(c->st)));
}

/* Why xaio versus vs at depth index di is not measured. */
static void pair_why(const struct result_set *r, enum wl w, unsigned di, int xi,
		     int vi, char *buf, size_t n)
{
	const struct cell *x = cellp(r, w, di, (unsigned)xi);
	const struct cell *v = cellp(r, w, di, (unsigned)vi);

	if (x->st != ST_OK)
		cell_why(buf, n, r->b->eng[xi]->name, x);
	else if (v->st != ST_OK)
		cell_why(buf, n, r->b->eng[vi]->name, v);
	else
		snprintf(buf, n, "%s median is 0", r->b->eng[vi]->name);
}

/* Finds xaio and vs for target t; 0 when the target cannot be measured. */
static int t_engines(const struct result_set *r, struct target *t, enum wl w,
		     const char *vs, int *xi, int *vi)
{
	*xi = eng_find(r, t->x);
	*vi = eng_find(r, vs);
	if (!ran(r, w))
		snprintf(t->why, sizeof(t->why), "%s not run",
			 workloads[w].name);
	else if (*xi < 0)
		snprintf(t->why, sizeof(t->why), "engine %s not run", t->x);
	else if (*vi < 0)
		snprintf(t->why, sizeof(t->why), "engine %s not run", vs);
	else
		return 1;
	return 0;
}

/* The minimum of xaio/vs over the depths of w. */
static void t_min(const struct result_set *r, struct target *t, enum wl w,
		  const char *vs)
{
	unsigned d[MAX_DEPTHS], n, di, nmiss = 0, miss_d = 0;
	char miss[200] = "";
	int xi, vi;

	snprintf(t->label, sizeof(t->label), "%s/%s %s", t->x, vs,
		 workloads[w].name);
	t->over_depths = 1;
	if (!t_engines(r, t, w, vs, &xi, &vi))
		return;
	n = wl_depths(r, w, d);
	if (!n)
		snprintf(t->why, sizeof(t->why), "no depth run");
	for (di = 0; di < n; di++) {
		double v = ratio(r, w, di, xi, vi);

		if (isfinite(v)) {
			if (!isfinite(t->value) || v < t->value) {
				t->value = v;
				t->depth = (int)d[di];
			}
			continue;
		}
		if (!nmiss++) {
			miss_d = d[di];
			pair_why(r, w, di, xi, vi, miss, sizeof(miss));
			snprintf(t->why, sizeof(t->why), "%s", miss);
		}
	}
	if (!isfinite(t->value))
		return;
	if (nmiss)
		snprintf(t->why, sizeof(t->why),
			 "not measured at depth %u%s: %s", miss_d,
			 nmiss > 1 ? " and others" : "", miss);
	if (isfinite(t->goal))
		t->met = t->value < t->goal ? 0 : nmiss ? -1 : 1;
}

/* xaio/vs at one depth of w. */
static void t_at(const struct result_set *r, struct target *t, enum wl w,
		 const char *vs, unsigned depth)
{
	unsigned d[MAX_DEPTHS], n, di;
	int xi, vi;
	double v;

	if (workloads[w].ops & OP_COPY)
		snprintf(t->label, sizeof(t->label), "%s/%s %s", t->x, vs,
			 workloads[w].name);
	else
		snprintf(t->label, sizeof(t->label), "%s/%s %s depth %u", t->x,
			 vs, workloads[w].name, depth);
	if (!t_engines(r, t, w, vs, &xi, &vi))
		return;
	n = wl_depths(r, w, d);
	for (di = 0; di < n && d[di] != depth; di++)
		;
	if (di == n) {
		snprintf(t->why, sizeof(t->why), "depth %u not run", depth);
		return;
	}
	v = ratio(r, w, di, xi, vi);
	if (!isfinite(v)) {
		pair_why(r, w, di, xi, vi, t->why, sizeof(t->why));
		return;
	}
	t->value = v;
	t->depth = (int)depth;
	if (isfinite(t->goal))
		t->met = v >= t->goal;
}

static void targets(const struct result_set *r, struct target *t)
{
	static const char *const what[T_COUNT] = {
		"xaio >= 0.9x uring-plain, randread, every depth",
		"xaio >= 0.9x uring-plain, randread-direct, every depth",
		"xaio >= 5x glibc, randread-direct depth 32",
		"xaio / uring-tuned, randread, minimum over depths",
		"xaio / uring-tuned, randread-direct, minimum over depths",
		"xaio-es >= 2.5x sync, small-read depth 64 (#18)",
		"xaio-es >= 5x libuv, small-read depth 64 (#18)",
		"xaio-es >= 1.0x sync, small-create depth 64 (#18)",
		"xaio-es >= 1.2x sync, statx depth 64 (#20)",
		"xaio-cp >= 1.5x cp -a, cp-small (#20)",
		"xaio-cp >= 1.0x cp -a, cp-large (#20)",
	};
	/* T6..T11: one depth each */
	static const struct {
		enum wl w;
		const char *vs;
		unsigned depth;
		double goal;
	} at[] = {
		{W_SMALL_READ, "sync", 64, 2.5},
		{W_SMALL_READ, "libuv", 64, 5},
		{W_SMALL_CREATE, "sync", 64, 1.0},
		{W_STATX, "sync", 64, 1.2},
		{W_CP_SMALL, "cp", 1, 1.5},
		{W_CP_LARGE, "cp", 1, 1.0},
	};
	static const char *const id[T_COUNT] = {
		"T1", "T2", "T3", "T4",	 "T5",	"T6",
		"T7", "T8", "T9", "T10", "T11",
	};
	unsigned i;

	memset(t, 0, T_COUNT * sizeof(*t));
	for (i = 0; i < T_COUNT; i++) {
		t[i].id = id[i];
		t[i].what = what[i];
		t[i].value = NAN;
		t[i].goal = NAN;
		t[i].depth = -1;
		t[i].met = -1;
		t[i].x = i < 5 ? "xaio" : i < 9 ? "xaio-es" : "xaio-cp";
	}
	t[0].goal = 0.9;
	t[1].goal = 0.9;
	t[2].goal = 5;
	t_min(r, &t[0], W_RANDREAD, "uring-plain");
	t_min(r, &t[1], W_RANDREAD_DIRECT, "uring-plain");
	t_at(r, &t[2], W_RANDREAD_DIRECT, "glibc", 32);
	t_min(r, &t[3], W_RANDREAD, "uring-tuned");
	t_min(r, &t[4], W_RANDREAD_DIRECT, "uring-tuned");
	for (i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		t[5 + i].goal = at[i].goal;
		t_at(r, &t[5 + i], at[i].w, at[i].vs, at[i].depth);
	}
}

/* The table */

static void cell_text(char *buf, size_t n, const struct cell *c, unsigned col)
{
	char v[24];
	size_t len;

	if (c->st != ST_OK) {
		snprintf(buf, n, "%s", st_label(c->st));
		return;
	}
	fmt_rate(v, sizeof(v), c->median);
	len = (size_t)snprintf(buf, n, "%s", v);
	if (c->nrep > 1 && isfinite(spread(c)) && len < n)
		len += (size_t)snprintf(buf + len, n - len, " ±%.0f%%",
					100 * spread(c));
	if (run_depth(c, col) != col && len < n)
		snprintf(buf + len, n - len, " @%u", run_depth(c, col));
}

/* CPU per operation at the deepest depth engine ei is OK at. */
static void cpu_text(const struct result_set *r, enum wl w, unsigned ei,
		     char *buf, size_t n)
{
	unsigned d[MAX_DEPTHS], nd = wl_depths(r, w, d), di, best = 0;
	const struct cell *c, *pick = NULL;
	char v[24];

	for (di = 0; di < nd; di++) {
		c = cellp(r, w, di, ei);
		if (c->st == ST_OK && (!pick || run_depth(c, d[di]) > best)) {
			pick = c;
			best = run_depth(c, d[di]);
		}
	}
	if (!pick) {
		snprintf(buf, n, "-");
		return;
	}
	fmt3(v, sizeof(v), pick->cpu_us, "");
	if (nd > 1)
		snprintf(buf, n, "%s @%u", v, best);
	else
		snprintf(buf, n, "%s", v);
}

struct note {
	enum status st;
	const char *why;
	unsigned emask, dmask;
};

static void print_engines(const struct result_set *r, unsigned emask)
{
	const char *sep = "";
	unsigned ei;

	for (ei = 0; ei < neng(r); ei++) {
		if (emask & (1u << ei)) {
			printf("%s%s", sep, r->b->eng[ei]->name);
			sep = ", ";
		}
	}
}

/* Each distinct reason for a cell that is not OK, once. */
static void print_notes(const struct result_set *r, enum wl w)
{
	unsigned d[MAX_DEPTHS], n = wl_depths(r, w, d), di, ei, i, nn = 0;
	unsigned could = 0; /* engines not absent nor n/a at every depth */
	struct note notes[MAX_DEPTHS * MAX_ENG];

	for (ei = 0; ei < neng(r); ei++)
		for (di = 0; di < n && !eng_absent(r, ei); di++)
			if (cellp(r, w, di, ei)->st != ST_NA)
				could |= 1u << ei;
	for (di = 0; di < n; di++) {
		for (ei = 0; ei < neng(r); ei++) {
			const struct cell *c = cellp(r, w, di, ei);
			unsigned same_eng;

			if (c->st == ST_OK || c->st == ST_ABSENT)
				continue;
			for (i = 0; i < nn; i++) {
				same_eng = notes[i].emask & (1u << ei);
				if (notes[i].st == c->st &&
				    !strcmp(notes[i].why, c->why) &&
				    (c->st != ST_FAILED || same_eng))
					break;
			}
			if (i == nn) {
				notes[nn].st = c->st;
				notes[nn].why = c->why;
				notes[nn].emask = 0;
				notes[nn++].dmask = 0;
			}
			notes[i].emask |= 1u << ei;
			notes[i].dmask |= 1u << di;
		}
	}
	for (i = 0; i < nn; i++) {
		const struct note *t = &notes[i];

		printf("  %s", st_label(t->st));
		if (t->st != ST_SKIPPED || t->emask != could) {
			printf(" (");
			print_engines(r, t->emask);
			if (t->st == ST_FAILED && workloads[w].uses_depth) {
				const char *sep = ", depth ";

				for (di = 0; di < n; di++) {
					if (t->dmask & (1u << di)) {
						printf("%s%u", sep, d[di]);
						sep = ", ";
					}
				}
			}
			printf(")");
		}
		printf(": ");
		tput(bare(t->why, st_word(t->st)));
		putchar('\n');
	}
}

static void print_block(const struct result_set *r, enum wl w)
{
	const struct workload *wl = &workloads[w];
	unsigned d[MAX_DEPTHS], n = wl_depths(r, w, d), ne = neng(r);
	unsigned ncol = n + 2, nrow = 1, row, col, di, ei, v;
	char txt[1 + MAX_ENG + NVS][MAX_DEPTHS + 2][CW];
	int wid[MAX_DEPTHS + 2] = {0};

	memset(txt, 0, sizeof(txt));
	snprintf(txt[0][0], CW, "engine");
	for (di = 0; di < n; di++)
		if (wl->ops & OP_COPY)
			snprintf(txt[0][1 + di], CW, "%s/s", wl->unit);
		else
			snprintf(txt[0][1 + di], CW, "depth %u", d[di]);
	snprintf(txt[0][n + 1], CW, "%s",
		 wl->ops & OP_COPY
			 ? (wl->unit[0] == 'M' ? "cpu µs/MiB" : "cpu µs/file")
			 : "cpu µs/op");
	for (ei = 0; ei < ne; ei++) {
		if (other_kind(r, ei, w))
			continue; /* the notes say n/a, in one line */
		snprintf(txt[nrow][0], CW, "%s", r->b->eng[ei]->name);
		for (di = 0; di < n; di++)
			cell_text(txt[nrow][1 + di], CW, cellp(r, w, di, ei),
				  d[di]);
		cpu_text(r, w, ei, txt[nrow][n + 1], CW);
		nrow++;
	}
	for (v = 0; v < NVS; v++) {
		int xi = eng_find(r, pairs[v].x), vi = eng_find(r, pairs[v].vs);

		if (xi < 0 || vi < 0 || !any_ok(r, w, (unsigned)xi) ||
		    !any_ok(r, w, (unsigned)vi))
			continue;
		snprintf(txt[nrow][0], CW, "%s/%s", pairs[v].x, pairs[v].vs);
		for (di = 0; di < n; di++)
			fmt_x(txt[nrow][1 + di], CW, ratio(r, w, di, xi, vi));
		nrow++;
	}
	for (row = 0; row < nrow; row++)
		for (col = 0; col < ncol; col++)
			if (cols(txt[row][col]) > wid[col])
				wid[col] = cols(txt[row][col]);

	printf("\n%s: %s (%s/s, median of %u; ±spread = (max-min)/median)\n",
	       wl->name, wl->desc, wl->unit, r->b->o.reps);
	for (row = 0; row < nrow; row++) {
		unsigned last = ncol - 1;

		while (last > 0 && !txt[row][last][0])
			last--;
		printf("  ");
		for (col = 0; col < last; col++)
			pad(txt[row][col], wid[col] + 3);
		printf("%s\n", txt[row][last]);
	}
	print_notes(r, w);
}

static void print_targets(const struct result_set *r)
{
	struct target t[T_COUNT];
	char v[24], g[24];
	unsigned i;

	targets(r, t);
	printf("\ntargets:\n");
	for (i = 0; i < T_COUNT; i++) {
		const char *st = !isfinite(t[i].value)	? "-"
				 : !isfinite(t[i].goal) ? "report"
				 : t[i].met == 1	? "met"
				 : t[i].met == 0	? "MISSED"
							: "partly";

		printf("  %-3s  %-7s %s: ", t[i].id, st, t[i].label);
		if (!isfinite(t[i].value)) {
			printf("not measured (");
			tput(t[i].why);
			printf(")\n");
			continue;
		}
		fmt_x(v, sizeof(v), t[i].value);
		if (t[i].over_depths)
			printf("min %s (depth %d)", v, t[i].depth);
		else
			printf("%s", v);
		if (isfinite(t[i].goal)) {
			snprintf(g, sizeof(g), "%g", t[i].goal);
			printf(" %s %sx",
			       t[i].value < t[i].goal ? "<" : ">=", g);
		}
		if (t[i].why[0]) {
			printf("; ");
			tput(t[i].why);
		}
		printf("\n");
	}
}

void print_table(const struct result_set *r)
{
	const struct opts *o = &r->b->o;
	unsigned ei, w;
	int nw = 0;

	printf("xaio-bench %s: %d CPUs, Linux %s, %s at %s, file %g MiB, "
	       "%u x %g s\n",
	       XAIO_VERSION_STRING, r->ncpu, r->kernel, r->fs,
	       o->dir ? o->dir : "?", (double)o->size / (1 << 20), o->reps,
	       o->duration);
	printf("xaio backend: %s", r->backend[0] ? r->backend : "unknown");
	if (r->backend_why[0]) {
		printf(" (");
		tput(r->backend_why);
		putchar(')');
	}
	printf("\nload average: %.2f %.2f %.2f before, %.2f %.2f %.2f after\n",
	       r->load_before[0], r->load_before[1], r->load_before[2],
	       r->load_after[0], r->load_after[1], r->load_after[2]);
	if (busy(r))
		printf("WARNING: 1-minute load %.2f before, %.2f after, on %d "
		       "CPUs: the machine is busy: figures are noisy\n",
		       r->load_before[0], r->load_after[0], r->ncpu);
	printf("engines:\n");
	for (ei = 0; ei < neng(r); ei++)
		nw = cols(r->b->eng[ei]->name) > nw ? cols(r->b->eng[ei]->name)
						    : nw;
	for (ei = 0; ei < neng(r); ei++) {
		const struct engine *e = r->b->eng[ei];
		const char *a = eng_absent(r, ei);

		printf("  ");
		pad(e->name, nw + 2);
		if (a) {
			printf("absent: ");
			tput(bare(a, "absent"));
			putchar('\n');
		} else {
			printf("%s\n", e->desc ? e->desc : "");
		}
	}
	for (w = 0; w < W_COUNT; w++)
		if (ran(r, w))
			print_block(r, w);
	print_targets(r);
}

/* JSON */

static void jstr(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned n;

	if (!s) {
		fputs("null", f);
		return;
	}
	putc('"', f);
	while (*p) {
		n = u8len(p);
		if (*p == '"' || *p == '\\') {
			putc('\\', f);
			putc(*p++, f);
		} else if (*p < 0x20 || *p == 0x7f) {
			fprintf(f, "\\u%04x", *p++);
		} else if (!n) {
			fputs("\\ufffd", f);
			p++;
		} else {
			fwrite(p, 1, n, f);
			p += n;
		}
	}
	putc('"', f);
}

static void jnum(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, "%.10g", v);
	else
		fputs("null", f);
}

static void jbool(FILE *f, int v)
{
	fputs(v ? "true" : "false", f);
}

static void jnums(FILE *f, const double *v, unsigned n)
{
	unsigned i;

	putc('[', f);
	for (i = 0; i < n; i++) {
		if (i)
			fputs(", ", f);
		jnum(f, v[i]);
	}
	putc(']', f);
}

static void juints(FILE *f, const unsigned *v, unsigned n)
{
	unsigned i;

	putc('[', f);
	for (i = 0; i < n; i++)
		fprintf(f, "%s%u", i ? ", " : "", v[i]);
	putc(']', f);
}

static void json_machine(FILE *f, const struct result_set *r)
{
	fputs(" \"machine\": {\"kernel\": ", f);
	jstr(f, r->kernel);
	fprintf(f, ", \"cpus\": %d, \"fs\": ", r->ncpu);
	jstr(f, r->fs);
	fputs(", \"dir\": ", f);
	jstr(f, r->b->o.dir ? r->b->o.dir : "");
	fputs(",\n  \"load_before\": ", f);
	jnums(f, r->load_before, 3);
	fputs(", \"load_after\": ", f);
	jnums(f, r->load_after, 3);
	fputs(", \"busy\": ", f);
	jbool(f, busy(r));
	fputs(",\n  \"xaio_backend\": ", f);
	jstr(f, r->backend);
	fputs(", \"xaio_backend_why\": ", f);
	jstr(f, r->backend_why);
	fputs("},\n", f);
}

static void json_options(FILE *f, const struct result_set *r)
{
	const struct opts *o = &r->b->o;
	unsigned nd = o->ndepths < MAX_DEPTHS ? o->ndepths : MAX_DEPTHS;

	fprintf(f, " \"options\": {\"size\": %zu, \"bs\": %zu, \"duration\": ",
		o->size, o->bs);
	jnum(f, o->duration);
	fprintf(f, ", \"reps\": %u, \"depths\": ", o->reps);
	juints(f, o->depths, nd);
	fprintf(f, ", \"fsync_every\": %u, \"files\": %u, \"quick\": ",
		o->fsync_every, o->nsmall);
	jbool(f, o->quick);
	fprintf(f,
		",\n  \"tree_files\": %u, \"large_size\": %zu, "
		"\"xaio_cp\": ",
		o->ntree, o->large);
	jstr(f, o->xaio_cp);
	fputs("},\n", f);
}

static void json_engines(FILE *f, const struct result_set *r)
{
	unsigned ei;

	fputs(" \"engines\": [", f);
	for (ei = 0; ei < neng(r); ei++) {
		const struct engine *e = r->b->eng[ei];
		const char *a = eng_absent(r, ei);

		fputs(ei ? ",\n  {\"name\": " : "\n  {\"name\": ", f);
		jstr(f, e->name);
		fputs(", \"desc\": ", f);
		jstr(f, e->desc ? e->desc : "");
		fprintf(f,
			", \"status\": \"%s\", \"why\": ", a ? "absent" : "ok");
		jstr(f, a);
		putc('}', f);
	}
	fputs("],\n", f);
}

static void json_cell(FILE *f, const struct result_set *r, const struct cell *c,
		      unsigned ei, unsigned col)
{
	int ok = c->st == ST_OK;
	unsigned i, nrep = c->nrep < MAX_REPS ? c->nrep : MAX_REPS;

	fputs("    {\"engine\": ", f);
	jstr(f, r->b->eng[ei]->name);
	fprintf(f, ", \"depth\": %u, \"status\": \"%s\", \"why\": ",
		ok ? run_depth(c, col) : col, st_word(c->st));
	jstr(f, ok ? NULL : c->why);
	fputs(",\n     \"median\": ", f);
	jnum(f, ok ? c->median : NAN);
	fputs(", \"min\": ", f);
	jnum(f, ok ? c->min : NAN);
	fputs(", \"max\": ", f);
	jnum(f, ok ? c->max : NAN);
	fputs(", \"spread\": ", f);
	jnum(f, ok ? spread(c) : NAN);
	fputs(", \"mib_s\": ", f);
	jnum(f, ok ? c->mib_s : NAN);
	fputs(", \"cpu_us\": ", f);
	jnum(f, ok ? c->cpu_us : NAN);
	fputs(",\n     \"reps\": [", f);
	for (i = 0; i < nrep; i++) {
		const struct sample *s = &c->rep[i];

		fputs(i ? ", {\"rate\": " : "{\"rate\": ", f);
		jnum(f, s->rate);
		fputs(", \"mib_s\": ", f);
		jnum(f, s->mib_s);
		fputs(", \"cpu_us\": ", f);
		jnum(f, s->cpu_us);
		fprintf(f, ", \"ops\": %llu}", (unsigned long long)s->ops);
	}
	fputs("]}", f);
}

static void json_workload(FILE *f, const struct result_set *r, enum wl w)
{
	const struct workload *wl = &workloads[w];
	unsigned d[MAX_DEPTHS], n = wl_depths(r, w, d), di, ei, v;
	int first = 1;

	fputs("  {\"name\": ", f);
	jstr(f, wl->name);
	fputs(", \"desc\": ", f);
	jstr(f, wl->desc);
	fputs(", \"unit\": ", f);
	jstr(f, wl->unit);
	fputs(", \"depths\": ", f);
	juints(f, d, n);
	fputs(",\n   \"cells\": [", f);
	for (di = 0; di < n; di++) {
		for (ei = 0; ei < neng(r); ei++) {
			fputs(first ? "\n" : ",\n", f);
			first = 0;
			json_cell(f, r, cellp(r, w, di, ei), ei, d[di]);
		}
	}
	fputs("],\n   \"ratios\": [", f);
	first = 1;
	for (v = 0; v < NVS; v++) {
		int xi = eng_find(r, pairs[v].x), vi = eng_find(r, pairs[v].vs);

		for (di = 0; xi >= 0 && vi >= 0 && di < n; di++) {
			fprintf(f, "%s    {\"depth\": %u, \"engine\": ",
				first ? "\n" : ",\n", d[di]);
			first = 0;
			jstr(f, pairs[v].x);
			fputs(", \"vs\": ", f);
			jstr(f, pairs[v].vs);
			fputs(", \"value\": ", f);
			jnum(f, ratio(r, w, di, xi, vi));
			putc('}', f);
		}
	}
	fputs("]}", f);
}

static void json_targets(FILE *f, const struct result_set *r)
{
	struct target t[T_COUNT];
	unsigned i;

	targets(r, t);
	fputs(" \"targets\": [", f);
	for (i = 0; i < T_COUNT; i++) {
		fputs(i ? ",\n  {\"id\": " : "\n  {\"id\": ", f);
		jstr(f, t[i].id);
		fputs(", \"what\": ", f);
		jstr(f, t[i].what);
		fputs(",\n   \"value\": ", f);
		jnum(f, t[i].value);
		fputs(", \"goal\": ", f);
		jnum(f, t[i].goal);
		fputs(", \"depth\": ", f);
		if (t[i].depth >= 0)
			fprintf(f, "%d", t[i].depth);
		else
			fputs("null", f);
		fputs(", \"met\": ", f);
		if (t[i].met >= 0)
			jbool(f, t[i].met);
		else
			fputs("null", f);
		fputs(", \"why\": ", f);
		jstr(f, t[i].why[0] ? t[i].why : NULL);
		putc('}', f);
	}
	fputs("],\n", f);
}

/* No cell of a run workload failed. */
static int all_ok(const struct result_set *r)
{
	unsigned d[MAX_DEPTHS], n, di, ei, w;

	for (w = 0; w < W_COUNT; w++) {
		if (!ran(r, w))
			continue;
		n = wl_depths(r, w, d);
		for (di = 0; di < n; di++)
			for (ei = 0; ei < neng(r); ei++)
				if (cellp(r, w, di, ei)->st == ST_FAILED)
					return 0;
	}
	return 1;
}

int write_json(const struct result_set *r, const char *path)
{
	int out, i, first = 1;
	unsigned w;
	FILE *f = open_out(path, &out);

	if (!f)
		return errno ? -errno : -EIO;
	fputs("{\n \"tool\": \"xaio-bench\", \"version\": ", f);
	jstr(f, XAIO_VERSION_STRING);
	fputs(", \"schema\": 1,\n \"command\": [", f);
	for (i = 0; i < r->argc && r->argv && r->argv[i]; i++) {
		if (i)
			fputs(", ", f);
		jstr(f, r->argv[i]);
	}
	fputs("],\n", f);
	json_machine(f, r);
	json_options(f, r);
	json_engines(f, r);
	fputs(" \"workloads\": [", f);
	for (w = 0; w < W_COUNT; w++) {
		if (!ran(r, w))
			continue;
		fputs(first ? "\n" : ",\n", f);
		first = 0;
		json_workload(f, r, w);
	}
	fputs("],\n", f);
	json_targets(f, r);
	fputs(" \"ok\": ", f);
	jbool(f, all_ok(r));
	fputs("\n}\n", f);
	return close_out(f, out);
}

/* SVG */

#define SVG_W 760
#define SVG_H 440
#define PX0 76.0 /* the plot area */
#define PX1 584.0
#define PY0 60.0
#define PY1 370.0
#define LEG_X 600.0
#define GREY "#9a9a9a"

/* By engine index. */
static const char *const palette[MAX_ENG] = {
	"#d62728", "#1f77b4", "#7f7f7f", "#2ca02c", "#ff7f0e", "#9467bd",
	"#8c564b", "#17becf", "#e377c2", "#bcbd22", "#393b79", "#637939",
};

/* XML text: & < > " escaped, control characters and bad UTF-8 replaced */
static void xesc(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned n;

	while (*p) {
		n = u8len(p);
		if (*p == '&')
			fputs("&amp;", f);
		else if (*p == '<')
			fputs("&lt;", f);
		else if (*p == '>')
			fputs("&gt;", f);
		else if (*p == '"')
			fputs("&quot;", f);
		else if (*p < 0x20)
			putc(' ', f);
		else if (!n)
			fputs("\xef\xbf\xbd", f);
		else
			fwrite(p, 1, n, f);
		p += n ? n : 1;
	}
}

struct axis {
	double top, step;
	int plain; /* tick labels without k/M */
};

/* From 0 to a round number at or above vmax, about 5 steps. */
static void nice_axis(struct axis *a, double vmax, int plain)
{
	double raw, mag, m;

	if (!isfinite(vmax) || vmax <= 0)
		vmax = 1;
	raw = vmax / 5;
	mag = pow(10, floor(log10(raw)));
	m = raw / mag;
	a->step = mag * (m <= 1	    ? 1
			 : m <= 2   ? 2
			 : m <= 2.5 ? 2.5
			 : m <= 5   ? 5
				    : 10);
	a->top = ceil(vmax / a->step - 1e-9) * a->step;
	a->plain = plain;
}

static double ypos(const struct axis *a, double v)
{
	return PY1 - v / a->top * (PY1 - PY0);
}

static void svg_open(FILE *f, const struct result_set *r, const char *title)
{
	char sub[512];

	fprintf(f,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" "
		"width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
		"font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" "
		"font-size=\"12\">\n<title>",
		SVG_W, SVG_H, SVG_W, SVG_H);
	xesc(f, title);
	fprintf(f,
		"</title>\n<rect x=\"0\" y=\"0\" width=\"%d\" "
		"height=\"%d\" fill=\"#ffffff\"/>\n",
		SVG_W, SVG_H);
	fprintf(f,
		"<text x=\"%.0f\" y=\"24\" font-size=\"15\" "
		"font-weight=\"bold\" fill=\"#222\">",
		PX0);
	xesc(f, title);
	snprintf(sub, sizeof(sub),
		 "xaio-bench %s, Linux %s, %s; median of %u x %g s, "
		 "bars: min to max",
		 XAIO_VERSION_STRING, r->kernel, r->fs, r->b->o.reps,
		 r->b->o.duration);
	fprintf(f,
		"</text>\n<text x=\"%.0f\" y=\"42\" font-size=\"11\" "
		"fill=\"#555\">",
		PX0);
	xesc(f, sub);
	fputs("</text>\n", f);
}

/* Grid, tick labels, axis lines and the two axis titles. */
static void svg_axes(FILE *f, const struct axis *a, const char *ylabel,
		     const char *xlabel)
{
	unsigned i, nt = (unsigned)(a->top / a->step + 0.5);
	char t[32];

	for (i = 0; i <= nt; i++) {
		double y = ypos(a, i * a->step);

		fmt_tick(t, sizeof(t), i * a->step, a->plain);
		fprintf(f,
			"<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
			"stroke=\"#e4e4e4\"/>\n<text x=\"%.1f\" y=\"%.1f\" "
			"text-anchor=\"end\" fill=\"#333\">%s</text>\n",
			PX0, y, PX1, y, PX0 - 6, y + 4, t);
	}
	fprintf(f,
		"<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
		"stroke=\"#333\"/>\n<line x1=\"%.1f\" y1=\"%.1f\" "
		"x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n",
		PX0, PY0, PX0, PY1, PX0, PY1, PX1, PY1);
	fprintf(f,
		"<text transform=\"translate(18 %.1f) rotate(-90)\" "
		"text-anchor=\"middle\" fill=\"#222\">",
		(PY0 + PY1) / 2);
	xesc(f, ylabel);
	fprintf(f,
		"</text>\n<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
		"fill=\"#222\">",
		(PX0 + PX1) / 2, PY1 + 52);
	xesc(f, xlabel);
	fputs("</text>\n", f);
}

/*
 * Every engine: a swatch and its name when drawn, else its name greyed
 * with why it is not ("(absent)", "(n/a)").
 */
static void svg_legend(FILE *f, const struct result_set *r,
		       const char *const *state, int bars, enum wl w)
{
	unsigned ei, row = 0;

	fprintf(f,
		"<text x=\"%.1f\" y=\"%.1f\" font-weight=\"bold\" "
		"fill=\"#222\">engines</text>\n",
		LEG_X, PY0);
	for (ei = 0; ei < neng(r); ei++) {
		double y = PY0 + 20 + 20 * row;
		const char *col = palette[ei];

		if (other_kind(r, ei, w))
			continue; /* a copy command on a request chart */
		row++;
		if (state[ei]) {
			fprintf(f,
				"<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" "
				"fill=\"" GREY "\">",
				LEG_X + 22, y + 4);
			xesc(f, r->b->eng[ei]->name);
			fprintf(f, " (%s)</text>\n", state[ei]);
			continue;
		}
		if (bars)
			fprintf(f,
				"<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" "
				"height=\"10\" fill=\"%s\"/>\n",
				LEG_X, y - 5, col);
		else
			fprintf(f,
				"<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
				"y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2\"/>"
				"<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" "
				"fill=\"%s\"/>\n",
				LEG_X, y, LEG_X + 16, y, col, LEG_X + 8, y,
				col);
		fprintf(f,
			"<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" "
			"fill=\"#222\">",
			LEG_X + 22, y + 4);
		xesc(f, r->b->eng[ei]->name);
		fputs("</text>\n", f);
	}
}

/* Why engine ei is not drawn in the chart of workloads ws, or NULL. */
static const char *not_drawn(const struct result_set *r, unsigned ei,
			     const unsigned *ws, unsigned nw)
{
	enum status st = ST_NA;
	unsigned i, d[MAX_DEPTHS], n, di;

	if (eng_absent(r, ei))
		return "absent";
	for (i = 0; i < nw; i++) {
		n = wl_depths(r, ws[i], d);
		for (di = 0; di < n; di++) {
			const struct cell *c = cellp(r, ws[i], di, ei);

			if (c->st == ST_OK)
				return NULL;
			if (c->st == ST_FAILED || (i == 0 && di == 0))
				st = c->st;
		}
	}
	return st_label(st);
}

/* In the middle of a chart no engine is drawn in. */
static void svg_empty(FILE *f)
{
	fprintf(f,
		"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
		"font-size=\"13\" fill=\"" GREY "\">no engine measured this: "
		"see the legend and the table</text>\n",
		(PX0 + PX1) / 2, (PY0 + PY1) / 2);
}

/* A vertical min..max bar with caps. */
static void svg_errbar(FILE *f, double x, double y0, double y1)
{
	if (y0 - y1 < 1)
		return;
	fprintf(f,
		"<path d=\"M%.1f %.1fV%.1fM%.1f %.1fH%.1fM%.1f %.1fH%.1f\" "
		"fill=\"none\" stroke-width=\"1\"/>\n",
		x, y0, y1, x - 3, y0, x + 3, x - 3, y1, x + 3);
}

struct pt {
	double x; /* depth */
	const struct cell *c;
};

static double lg(double x)
{
	return log2(x < 1 ? 1 : x);
}

/* Queue depth on a log2 scale, [lo, hi] padded inside the plot. */
static double xpos(double d, double lo, double hi)
{
	double padl = 0.4;

	if (hi <= lo)
		return (PX0 + PX1) / 2;
	return PX0 + (lg(d) - lo + padl) / (hi - lo + 2 * padl) * (PX1 - PX0);
}

static void add_tick(double *t, unsigned *n, double x)
{
	unsigned i, j;

	for (i = 0; i < *n && t[i] < x; i++)
		;
	if (i < *n && t[i] == x)
		return;
	for (j = *n; j > i; j--)
		t[j] = t[j - 1];
	t[i] = x;
	(*n)++;
}

static void svg_series(FILE *f, const struct result_set *r, enum wl w,
		       unsigned ei, const struct pt *p, unsigned np,
		       const struct axis *a, double lo, double hi, double labx)
{
	const char *col = palette[ei], *name = r->b->eng[ei]->name;
	char v[24], mn[24], mx[24];
	unsigned i;

	fputs("<g class=\"series\" data-engine=\"", f);
	xesc(f, name);
	fprintf(f, "\" stroke=\"%s\" fill=\"%s\">\n", col, col);
	if (np > 1) {
		fprintf(f, "<polyline fill=\"none\" stroke-width=\"2\" "
			   "points=\"");
		for (i = 0; i < np; i++)
			fprintf(f, "%s%.1f,%.1f", i ? " " : "",
				xpos(p[i].x, lo, hi), ypos(a, p[i].c->median));
		fputs("\"/>\n", f);
	} else if (labx > 0) {
		/*
		 * One point (a sync engine): a reference line across, labelled
		 * between the first two depths, where no point is, on white.
		 */
		double y = ypos(a, p[0].c->median);
		double tw = 6.5 * (cols(name) + 10);

		fprintf(f,
			"<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
			"stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>\n"
			"<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
			"height=\"14\" fill=\"#ffffff\" fill-opacity=\"0.85\" "
			"stroke=\"none\"/>\n<text x=\"%.1f\" y=\"%.1f\" "
			"text-anchor=\"middle\" stroke=\"none\" "
			"font-size=\"11\">",
			PX0, y, PX1, y, labx - tw / 2, y - 17, tw, labx, y - 6);
		xesc(f, name);
		fprintf(f, " (depth %.0f)</text>\n", p[0].x);
	}
	for (i = 0; i < np; i++) {
		const struct cell *c = p[i].c;
		double x = xpos(p[i].x, lo, hi);

		svg_errbar(f, x, ypos(a, c->min), ypos(a, c->max));
		fmt_rate(v, sizeof(v), c->median);
		fmt_rate(mn, sizeof(mn), c->min);
		fmt_rate(mx, sizeof(mx), c->max);
		fprintf(f,
			"<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" "
			"stroke=\"#ffffff\" stroke-width=\"1\"><title>",
			x, ypos(a, c->median));
		xesc(f, name);
		fprintf(f, " depth %.0f: %s ", p[i].x, v);
		xesc(f, workloads[w].unit);
		fprintf(f, "/s (min %s, max %s)</title></circle>\n", mn, mx);
	}
	fputs("</g>\n", f);
}

/* Operations/s over queue depth, one line per engine. */
static void svg_line(FILE *f, const struct result_set *r, enum wl w)
{
	const struct workload *wl = &workloads[w];
	unsigned d[MAX_DEPTHS], n = wl_depths(r, w, d), di, ei, i, j, nt = 0;
	unsigned np[MAX_ENG] = {0}, ws[1] = {w};
	struct pt p[MAX_ENG][MAX_DEPTHS], tmp;
	double ticks[MAX_DEPTHS * (MAX_ENG + 1)], vmax = 0, lo, hi, labx;
	const char *state[MAX_ENG];
	char title[160], ylabel[64], t[16];
	struct axis a;

	for (di = 0; di < n; di++)
		add_tick(ticks, &nt, d[di] < 1 ? 1 : d[di]);
	for (ei = 0; ei < neng(r); ei++) {
		state[ei] = not_drawn(r, ei, ws, 1);
		for (di = 0; !state[ei] && di < n; di++) {
			const struct cell *c = cellp(r, w, di, ei);
			double x = run_depth(c, d[di]);

			if (c->st != ST_OK)
				continue;
			for (i = 0; i < np[ei] && p[ei][i].x != x; i++)
				;
			if (i < np[ei])
				continue; /* the same depth again: once */
			p[ei][np[ei]].x = x < 1 ? 1 : x;
			p[ei][np[ei]++].c = c;
			add_tick(ticks, &nt, x < 1 ? 1 : x);
			vmax = fmax(vmax, fmax(c->median, c->max));
		}
		for (i = 1; i < np[ei]; i++) /* by depth */
			for (j = i; j > 0 && p[ei][j - 1].x > p[ei][j].x; j--) {
				tmp = p[ei][j];
				p[ei][j] = p[ei][j - 1];
				p[ei][j - 1] = tmp;
			}
	}
	snprintf(title, sizeof(title), "%s: %s", wl->name, wl->desc);
	snprintf(ylabel, sizeof(ylabel), "%s/s (median)", wl->unit);
	svg_open(f, r, title);
	nice_axis(&a, vmax, 0);
	svg_axes(f, &a, ylabel, "queue depth (requests in flight, log2 scale)");
	lo = nt ? lg(ticks[0]) : 0;
	hi = nt ? lg(ticks[nt - 1]) : 0;
	for (i = 0; i < nt; i++) {
		double x = xpos(ticks[i], lo, hi);

		snprintf(t, sizeof(t), "%.0f", ticks[i]);
		fprintf(f,
			"<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
			"stroke=\"#eeeeee\"/>\n<line x1=\"%.1f\" y1=\"%.1f\" "
			"x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n"
			"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
			"fill=\"#333\">%s</text>\n",
			x, PY0, x, PY1 - 1, x, PY1, x, PY1 + 5, x, PY1 + 20, t);
	}
	for (ei = 0; ei < neng(r) && !np[ei]; ei++)
		;
	if (ei == neng(r))
		svg_empty(f);
	labx = nt > 1 ? (xpos(ticks[0], lo, hi) + xpos(ticks[1], lo, hi)) / 2
		      : -1;
	for (ei = 0; ei < neng(r); ei++)
		if (np[ei])
			svg_series(f, r, w, ei, p[ei], np[ei], &a, lo, hi,
				   labx);
	svg_legend(f, r, state, 0, w);
	fputs("</svg>\n", f);
}

/* Value, low and high of a bar: operations/s or MiB/s. */
static void bar_vals(const struct cell *c, int mib, double *v, double *lo,
		     double *hi)
{
	double k = mib ? (c->median > 0 ? c->mib_s / c->median : 0) : 1;

	*v = mib ? c->mib_s : c->median;
	*lo = c->min * k;
	*hi = c->max * k;
}

static void svg_bar(FILE *f, const struct result_set *r, enum wl w, unsigned ei,
		    double x, double bw, const struct axis *a, int mib)
{
	const struct cell *c = cellp(r, w, 0, ei);
	double v, lo, hi, y;
	char s[24], sl[24], sh[24];

	if (c->st != ST_OK) {
		fprintf(f,
			"<text transform=\"translate(%.1f %.1f) rotate(-90)\" "
			"font-size=\"10\" stroke=\"none\" fill=\"" GREY
			"\">%s</text>\n",
			x + bw / 2 + 3.5, PY1 - 4, st_label(c->st));
		return;
	}
	bar_vals(c, mib, &v, &lo, &hi);
	y = ypos(a, v);
	if (mib) {
		fmt3(s, sizeof(s), v, " MiB/s");
		fmt3(sl, sizeof(sl), lo, "");
		fmt3(sh, sizeof(sh), hi, "");
	} else {
		fmt_rate(s, sizeof(s), v);
		fmt_rate(sl, sizeof(sl), lo);
		fmt_rate(sh, sizeof(sh), hi);
	}
	fprintf(f,
		"<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
		"stroke=\"none\"><title>",
		x, y, bw, PY1 - y);
	xesc(f, r->b->eng[ei]->name);
	fprintf(f, " %s: %s", workloads[w].name, s);
	if (!mib) {
		putc(' ', f);
		xesc(f, workloads[w].unit);
		fputs("/s", f);
	}
	if (c->depth && c->depth != workloads[w].depth)
		fprintf(f, " at depth %u", c->depth);
	fprintf(f, " (min %s, max %s)</title></rect>\n", sl, sh);
	fputs("<g stroke=\"#222\">", f);
	svg_errbar(f, x + bw / 2, ypos(a, lo), ypos(a, hi));
	fputs("</g>\n", f);
	if (bw >= 30)
		fprintf(f,
			"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
			"font-size=\"9\" stroke=\"none\" fill=\"#222\">%s"
			"</text>\n",
			x + bw / 2, ypos(a, fmax(v, hi)) - 4, s);
}

/* Grouped bars: one group per workload of ws[], one bar per engine. */
static void svg_bars(FILE *f, const struct result_set *r, const char *title,
		     const unsigned *ws, unsigned nw, int mib)
{
	const char *state[MAX_ENG];
	char ylabel[96], sub[32];
	unsigned ei, i, nb = 0, slot[MAX_ENG];
	double vmax = 0, gw, bw;
	struct axis a;
	size_t len = 0;

	ylabel[0] = 0;
	for (i = 0; i < nw; i++) {
		char u[40];

		snprintf(u, sizeof(u), "%s/s", workloads[ws[i]].unit);
		if (!mib && !strstr(ylabel, u) && len < sizeof(ylabel))
			len += (size_t)snprintf(ylabel + len,
						sizeof(ylabel) - len, "%s%s",
						len ? ", " : "", u);
	}
	if (mib)
		snprintf(ylabel, sizeof(ylabel), "MiB/s (median)");
	else if (len < sizeof(ylabel))
		snprintf(ylabel + len, sizeof(ylabel) - len, " (median)");
	for (ei = 0; ei < neng(r); ei++) {
		state[ei] = not_drawn(r, ei, ws, nw);
		if (state[ei])
			continue;
		slot[ei] = nb++;
		for (i = 0; i < nw; i++) {
			const struct cell *c = cellp(r, ws[i], 0, ei);
			double v, lo, hi;

			if (c->st != ST_OK)
				continue;
			bar_vals(c, mib, &v, &lo, &hi);
			vmax = fmax(vmax, fmax(v, hi));
		}
	}
	svg_open(f, r, title);
	nice_axis(&a, vmax, mib);
	svg_axes(f, &a, ylabel, "workload");
	if (!nb)
		svg_empty(f);
	gw = (PX1 - PX0) / nw;
	bw = nb ? fmin(gw * 0.8 / nb, 56) : 0;
	for (i = 0; i < nw; i++) {
		double cx = PX0 + gw * (i + 0.5);

		if (ws[i] == W_CP_SMALL)
			snprintf(sub, sizeof(sub), "%u files", r->b->o.ntree);
		else if (ws[i] == W_CP_LARGE)
			snprintf(sub, sizeof(sub), "%u x %zu MiB",
				 CP_LARGE_FILES, r->b->o.large >> 20);
		else
			snprintf(sub, sizeof(sub), "depth %u",
				 workloads[ws[i]].depth);
		fprintf(f,
			"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
			"fill=\"#222\">",
			cx, PY1 + 18);
		xesc(f, workloads[ws[i]].name);
		fprintf(f,
			"</text>\n<text x=\"%.1f\" y=\"%.1f\" "
			"text-anchor=\"middle\" font-size=\"10\" "
			"fill=\"#666\">%s</text>\n",
			cx, PY1 + 32, sub);
	}
	for (ei = 0; ei < neng(r); ei++) {
		if (state[ei])
			continue;
		fputs("<g class=\"series\" data-engine=\"", f);
		xesc(f, r->b->eng[ei]->name);
		fprintf(f, "\" fill=\"%s\" stroke=\"%s\">\n", palette[ei],
			palette[ei]);
		for (i = 0; i < nw; i++) {
			double x = PX0 + gw * (i + 0.5) - nb * bw / 2 +
				   slot[ei] * bw;

			svg_bar(f, r, ws[i], ei, x + 1, bw - 2, &a, mib);
		}
		fputs("</g>\n", f);
	}
	svg_legend(f, r, state, 1, (enum wl)ws[0]);
	fputs("</svg>\n", f);
}

enum { C_LINE, C_BARS };

struct chart {
	const char *file, *title;
	int kind, mib;
	unsigned ws[3], nw;
};

static int svg_write(const struct result_set *r, const char *dir,
		     const struct chart *ch)
{
	unsigned ws[3], nw = 0, i;
	char path[4096];
	FILE *f;

	for (i = 0; i < ch->nw; i++)
		if (ran(r, ch->ws[i]))
			ws[nw++] = ch->ws[i];
	if (!nw)
		return 0;
	if (snprintf(path, sizeof(path), "%s/%s", dir, ch->file) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	errno = 0;
	f = fopen(path, "w");
	if (!f)
		return errno ? -errno : -EIO;
	if (ch->kind == C_LINE)
		svg_line(f, r, ws[0]);
	else
		svg_bars(f, r, ch->title, ws, nw, ch->mib);
	return close_out(f, 0);
}

int write_svgs(const struct result_set *r, const char *dir)
{
	static const struct chart charts[] = {
		{"randread.svg", NULL, C_LINE, 0, {W_RANDREAD}, 1},
		{"randread-direct.svg",
		 NULL,
		 C_LINE,
		 0,
		 {W_RANDREAD_DIRECT},
		 1},
		{"small-files.svg",
		 "small files: open, read or create, close; statx",
		 C_BARS,
		 0,
		 {W_SMALL_READ, W_SMALL_CREATE, W_STATX},
		 3},
		{"throughput.svg",
		 "throughput: sequential 1 MiB reads and writes",
		 C_BARS,
		 1,
		 {W_SEQREAD, W_SEQWRITE},
		 2},
		{"randwrite-fsync.svg",
		 NULL,
		 C_BARS,
		 0,
		 {W_RANDWRITE_FSYNC},
		 1},
		{"statx.svg", NULL, C_LINE, 0, {W_STATX}, 1},
		{"cp-small.svg", NULL, C_BARS, 0, {W_CP_SMALL}, 1},
		{"cp-large.svg", NULL, C_BARS, 0, {W_CP_LARGE}, 1},
	};
	char title[160];
	unsigned i;
	int e;

	if (mkdir(dir, 0755) && errno != EEXIST)
		return -errno;
	for (i = 0; i < sizeof(charts) / sizeof(charts[0]); i++) {
		struct chart ch = charts[i];

		if (!ch.title) {
			const struct workload *wl = &workloads[ch.ws[0]];

			snprintf(title, sizeof(title), "%s: %s", wl->name,
				 wl->desc);
			if (ch.ws[0] == W_RANDWRITE_FSYNC)
				snprintf(title, sizeof(title),
					 "%s: %s (N = %u)", wl->name, wl->desc,
					 r->b->o.fsync_every);
			ch.title = title;
		}
		e = svg_write(r, dir, &ch);
		if (e)
			return e;
	}
	return 0;
}
