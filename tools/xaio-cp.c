// SPDX-License-Identifier: MIT
/*
 * xaio-cp: a recursive copy on event sets, with cp -a's faithfulness
 * (content, holes, mode, ownership when root, nanosecond times, symbolic
 * links, hard links within the tree, empty directories, extended
 * attributes).  See xaio-cp(1) and "xaio-cp:
 * how it is built" in docs/event-sets.md.
 *
 * One thread, one event set.  Every entry of the tree is a node; what is
 * done for it is a handful of operations submitted into the set, tagged
 * (xaio_opt.user_tag) with the node (or attribute) and what the operation
 * was, and the main loop harvests completions (xaio_evset_wait_any) and
 * submits what they make possible:
 *   - an lstat (xaio_stat) of each source entry, at most MAX_STATS at once
 *     (not of one listed as DT_REG: its copy's fstat tells what is needed);
 *   - a directory: xaio_mkdir of the copy (0700 while it fills),
 *     xaio_readdir and xaio_listxattr of the source at once; its entries
 *     become nodes; once every entry is done (a subdirectory: finished
 *     itself) and its attributes are set, its owner, mode and times, by
 *     path (they run after what the set still does below the directory:
 *     ordering by path);
 *   - a regular file, at most MAX_FILES at once: one xaio_copy_file
 *     (open, create, content with holes kept, extended attributes, owner,
 *     times, mode, closes: all on one pool worker, so one hand-off per
 *     file instead of ten), at most PER_DIR of them into one directory
 *     (its queue; directories take turns);
 *   - a file whose inode was seen already (st_nlink > 1): xaio_link to
 *     the first copy, ordered behind that copy's creation by path;
 *   - a symbolic link: xaio_readlink, then xaio_symlink, chown and
 *     utimens by path with AT_SYMLINK_NOFOLLOW;
 *   - anything else (FIFO, device, socket): mknodat(2) once the
 *     directory exists, then the same metadata by path.
 * A failure is reported with the path and the operation, the rest of the
 * copy goes on, and the exit status is 1 (2 for a usage error).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <xaio.h>

#define MAX_FILES 64 /* regular files in flight (each xaio_copy_file) */
#define MAX_STATS 256 /* lstats in flight */
/* Copies in flight into one directory: creating files there takes its
 * lock (a second one copies its bytes meanwhile; more only spin). */
#define PER_DIR 2
#define XATTR_VALUE_MAX 65536 /* XATTR_SIZE_MAX */

/* What an operation was (the low bits of its user_tag). */
enum kind {
	K_STAT,
	K_MKDIR,
	K_READDIR,
	K_DSTOP, /* on the copy: mkdir, link, symlink, owner, mode, times */
	K_READLINK,
	K_COPY,
	K_XLIST, /* the source's attribute names */
	K_XGET, /* one attribute's value (tag: struct xattr) */
	K_XSET, /* set on the copy (tag: struct xattr) */
	K_KINDS /* at most 16: the tagged structures are 16-byte aligned */
};

struct node;

/* One extended attribute on its way from the source to the copy. */
struct xattr {
	struct node *n;
	char *name;
	char value[XATTR_VALUE_MAX];
} __attribute__((aligned(16)));

struct node {
	char *src, *dst;
	struct statx st;
	struct node *parent; /* a directory, or NULL at the top */
	uint32_t ops; /* operations in flight on it */
	uint32_t waiting; /* a directory: entries not done yet */
	bool failed; /* reported: what depends on it is not attempted */
	bool done_entry; /* counted done in its parent */
	bool made; /* a directory: its mkdir completed (or EEXIST) */
	bool listed; /* a directory: its entries are nodes */
	bool final; /* a directory: its metadata is submitted */
	/* A regular file. */
	struct xaio_copy_info copy; /* its xaio_copy_file's outcome */
	bool has_slot;
	/* Listed as DT_REG: copied without an lstat; done (in its directory)
	 * when the copy completes, which says whether it has other links. */
	bool unstat;
	/* A directory (or `top`): its files waiting to be copied, its copies
	 * in flight, its place among the directories that may start one. */
	struct node *fq_head, *fq_tail, *rd_next;
	uint32_t fq_active;
	bool rd_queued;
	uint32_t xpending; /* attribute operations not done yet */
	struct xaio_listing *xnames; /* the source's attribute names */
	struct xaio_listing *listing; /* a directory's, while it is used */
	char *target; /* a symbolic link's */
	size_t target_size;
	struct node *q_next; /* a queue (stats, files, specials) */
	struct node *deferred; /* a directory: specials waiting for mkdir */
	struct ino_ent *inode; /* a file with hard links: its table entry */
	struct node *c_next; /* the list of nodes to look at (reap) */
	bool checking; /* on that list */
} __attribute__((aligned(16)));

/* An inode copied already, for hard links. */
struct ino_ent {
	dev_t dev;
	uint64_t ino;
	char *dst; /* its first copy */
	bool created; /* the first copy's create is submitted */
	struct node *links; /* further links waiting for that */
	struct ino_ent *next;
};

static struct xaio_evset *es;
static bool verbose, progress, is_root;
static int status; /* 1 once anything failed */
static uint64_t inflight; /* operations submitted, not harvested */
static uint32_t stats_inflight, files_open;
static struct node *stat_head, *stat_tail; /* to lstat */
/* Directories with a file waiting and room for it (round robin), and the
 * stand-in directory of the files named on the command line. */
static struct node *ready_head, *ready_tail, top;
static struct ino_ent *inodes[4096];
static uint64_t n_files, n_bytes;
static uint64_t t0, t_shown;
static bool line_shown;
static struct node *check_head; /* nodes that may be done with */

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void clear_line(void)
{
	if (line_shown)
		fputs("\r\033[K", stderr);
	line_shown = false;
}

static void show_progress(bool last)
{
	uint64_t t = now_ns();
	double s = (double)(t - t0) / 1e9;

	if (!progress || (!last && t - t_shown < 200000000u))
		return;
	t_shown = t;
	fprintf(stderr, "\r\033[K%llu files, %.1f MiB, %.1f MiB/s",
		(unsigned long long)n_files, (double)n_bytes / 1048576.0,
		s > 0 ? (double)n_bytes / 1048576.0 / s : 0.0);
	if (last)
		fputc('\n', stderr);
	line_shown = !last;
}

static void report(const char *path, const char *what, int err)
{
	clear_line();
	fprintf(stderr, "xaio-cp: %s: %s: %s\n", path, what, strerror(err));
	status = 1;
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p) {
		fputs("xaio-cp: out of memory\n", stderr);
		exit(1);
	}
	return p;
}

static char *join(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *p = xmalloc(la + lb + 2);

	memcpy(p, a, la);
	p[la] = '/';
	memcpy(p + la + 1, b, lb + 1);
	return p;
}

/* --- submitting --- */

static struct xaio_opt tag(void *p, enum kind k)
{
	struct xaio_opt o = {0};

	o.user_tag = (uint64_t)(uintptr_t)p | (uint64_t)k;
	return o;
}

/*
 * Accounts for a submission: r is the call's return.  A refused call is a
 * failure of the operation it named (reported; nothing was started).
 */
static bool sub(struct node *n, int r, const char *path, const char *what)
{
	if (r < 0) {
		report(path, what, -r);
		n->failed = true;
		return false;
	}
	n->ops++;
	inflight++;
	return true;
}

static void node_done(struct node *n);
static void links_run(struct node *n);
static bool other_link(struct node *n);
static struct ino_ent *ino_find(const struct node *n);

static struct node *node_new(char *src, char *dst, struct node *parent)
{
	struct node *n = aligned_alloc(16, sizeof(*n));

	if (!n) {
		fputs("xaio-cp: out of memory\n", stderr);
		exit(1);
	}
	memset(n, 0, sizeof(*n));
	n->src = src;
	n->dst = dst;
	n->parent = parent;
	if (parent)
		parent->waiting++;
	return n;
}

static void enqueue(struct node **head, struct node **tail, struct node *n)
{
	n->q_next = NULL;
	if (*tail)
		(*tail)->q_next = n;
	else
		*head = n;
	*tail = n;
}

static struct node *dequeue(struct node **head, struct node **tail)
{
	struct node *n = *head;

	if (n) {
		*head = n->q_next;
		if (!*head)
			*tail = NULL;
	}
	return n;
}

static void free_node(struct node *n)
{
	free(n->src);
	free(n->dst);
	free(n->target);
	xaio_listing_free(n->listing);
	xaio_listing_free(n->xnames);
	free(n);
}

/* The node's part is over: counted in its parent, freed when idle. */
static void entry_done(struct node *n)
{
	struct node *p = n->parent;

	if (n->done_entry)
		return;
	n->done_entry = true;
	if (p && --p->waiting == 0)
		node_done(p);
}

/* n may be done with: looked at (and freed) by the main loop, later. */
static void maybe_free(struct node *n)
{
	if (n->checking)
		return;
	n->checking = true;
	n->c_next = check_head;
	check_head = n;
}

static void reap(void)
{
	struct node *n;

	while ((n = check_head)) {
		bool dir = S_ISDIR(n->st.stx_mode);

		check_head = n->c_next;
		n->checking = false;
		if (n->ops || n->xpending || !n->done_entry || n->fq_active ||
		    (dir && (n->waiting || !n->final)))
			continue;
		if (n->has_slot)
			files_open--;
		free_node(n);
	}
}

/* Owner (root: as the source; else the group only, silently), as cp -a. */
static void set_owner(struct node *n, int flags)
{
	struct xaio_opt o = tag(n, K_DSTOP);
	uid_t uid = is_root ? n->st.stx_uid : (uid_t)-1;
	gid_t gid = n->st.stx_gid;

	if (!is_root && gid == getegid())
		return;
	sub(n, xaio_chown(NULL, n->dst, uid, gid, flags, &o, es), n->dst,
	    "chown");
}

static void set_times(struct node *n, int flags)
{
	struct xaio_opt o = tag(n, K_DSTOP);
	struct timespec ts[2] = {
		{n->st.stx_atime.tv_sec, n->st.stx_atime.tv_nsec},
		{n->st.stx_mtime.tv_sec, n->st.stx_mtime.tv_nsec},
	};

	sub(n, xaio_utimens(NULL, n->dst, ts, flags, &o, es), n->dst,
	    "utimens");
}

/* Owner, mode and times by path, in that order (the path orders them). */
static void meta_by_path(struct node *n)
{
	struct xaio_opt o = tag(n, K_DSTOP);

	set_owner(n, 0);
	sub(n, xaio_chmod(NULL, n->dst, n->st.stx_mode & 07777, 0, &o, es),
	    n->dst, "chmod");
	set_times(n, 0);
}

/* A directory whose entries are all done: its metadata, last. */
static void dir_final(struct node *n)
{
	n->final = true;
	if (!n->failed)
		meta_by_path(n);
	entry_done(n);
	maybe_free(n);
}

/* A directory's last entry is done, or its last attribute set. */
static void node_done(struct node *n)
{
	if (S_ISDIR(n->st.stx_mode) && n->listed && !n->final && !n->waiting &&
	    !n->xpending)
		dir_final(n);
}

/* --- extended attributes --- */

/* The source's names (a directory's: a file's go with xaio_copy_file). */
static void xattr_list(struct node *n)
{
	struct xaio_opt o = tag(n, K_XLIST);
	int r = xaio_listxattr(NULL, n->src, &n->xnames, 0, &o, es);

	if (sub(n, r, n->src, "listxattr"))
		n->xpending++;
}

/* The names are in: each value is read, then set on the copy. */
static void xattr_names(struct node *n)
{
	struct xaio_listing *l = n->xnames;

	for (size_t i = 0; l && !n->failed && i < l->count; i++) {
		struct xattr *x = aligned_alloc(16, sizeof(*x));
		struct xaio_opt o = tag(x, K_XGET);
		int r;

		if (!x) {
			report(n->src, "getxattr", ENOMEM);
			break;
		}
		x->n = n;
		x->name = strdup(l->entries[i].name);
		r = xaio_getxattr(NULL, n->src, x->name, x->value,
				  sizeof(x->value), 0, &o, es);
		if (!sub(n, r, n->src, "getxattr")) {
			free(x->name);
			free(x);
			continue;
		}
		n->xpending++;
	}
}

/* A value is in (the result: its size): set on the copy; false if not. */
static bool xattr_got(struct xattr *x, int64_t size)
{
	struct node *n = x->n;
	struct xaio_opt o = tag(x, K_XSET);
	int r;

	if (size > (int64_t)sizeof(x->value)) {
		report(n->src, "getxattr", E2BIG);
		return false;
	}
	r = xaio_setxattr(NULL, n->dst, x->name, x->value, (size_t)size, 0, &o,
			  es);
	if (!sub(n, r, n->dst, "setxattr"))
		return false;
	n->xpending++;
	return true;
}

static void link_make(struct node *n, const char *first)
{
	struct xaio_opt o = tag(n, K_DSTOP);

	sub(n, xaio_link(NULL, first, NULL, n->dst, 0, &o, es), n->dst, "link");
	n_files++;
	entry_done(n);
	maybe_free(n);
}

/* The first copy of n's inode is being created: the other links now. */
static void links_run(struct node *n)
{
	struct ino_ent *e = n->inode;
	struct node *l;

	if (!e)
		return;
	e->created = true;
	while ((l = e->links)) {
		e->links = l->q_next;
		link_make(l, e->dst);
	}
}

static void file_start(struct node *n)
{
	struct xaio_opt o = tag(n, K_COPY);
	/* Owner as cp -a: as the source when root, else the group only. */
	unsigned int fl = XAIO_COPY_MODE | XAIO_COPY_TIMES | XAIO_COPY_XATTRS |
			  XAIO_COPY_REPLACE;

	if (is_root || n->unstat || n->st.stx_gid != getegid())
		fl |= XAIO_COPY_OWNER;
	n->has_slot = true;
	files_open++;
	if (!sub(n,
		 xaio_copy_file(NULL, n->src, NULL, n->dst, fl, &n->copy, &o,
				es),
		 n->src, "copy"))
		n->unstat = false;
	if (!n->unstat)
		entry_done(n); /* by path: the directory's metadata follows */
	links_run(n); /* (they fail, and say so, if the copy did) */
	maybe_free(n);
}

/* The directory a file is copied into (its queue and count). */
static struct node *file_dir(struct node *n)
{
	return n->parent ? n->parent : &top;
}

/* d may start a copy: among the ready directories, if not already. */
static void dir_ready(struct node *d)
{
	if (d->rd_queued || !d->fq_head || d->fq_active >= PER_DIR)
		return;
	d->rd_queued = true;
	d->rd_next = NULL;
	if (ready_tail)
		ready_tail->rd_next = d;
	else
		ready_head = d;
	ready_tail = d;
}

/* Copies, at most MAX_FILES in flight, taking directories in turn. */
static void files_run(void)
{
	struct node *d, *n;

	while (files_open < MAX_FILES && (d = ready_head)) {
		ready_head = d->rd_next;
		if (!ready_head)
			ready_tail = NULL;
		d->rd_queued = false;
		n = d->fq_head;
		d->fq_head = n->q_next;
		if (!d->fq_head)
			d->fq_tail = NULL;
		d->fq_active++;
		file_start(n);
		dir_ready(d);
	}
}

/* n waits for its copy, in its directory's queue. */
static void file_queue(struct node *n)
{
	struct node *d = file_dir(n);

	enqueue(&d->fq_head, &d->fq_tail, n);
	dir_ready(d);
	files_run();
}

/*
 * The copy of a file copied without an lstat is done (ok: it succeeded).
 * A file with other links: the first copy of its inode is kept, a later
 * one is replaced by a link to it (unlink, then link: ordered by path).
 */
static void unstat_done(struct node *n, bool ok)
{
	n->unstat = false;
	if (ok && n->copy.nlink > 1) {
		n->st.stx_ino = n->copy.ino;
		n->st.stx_dev_major = major((dev_t)n->copy.dev);
		n->st.stx_dev_minor = minor((dev_t)n->copy.dev);
		n->st.stx_nlink = (uint32_t)n->copy.nlink;
		if (ino_find(n)) {
			struct xaio_opt o = tag(n, K_DSTOP);

			/* Before the link, which other_link may submit. */
			sub(n, xaio_unlink(NULL, n->dst, &o, es), n->dst,
			    "unlink");
			n_files--; /* counted again by the link */
			other_link(n);
			return;
		}
		other_link(n); /* the first copy of its inode */
		links_run(n);
	}
	entry_done(n);
}

/* A copy completed (any status): its directory has room again. */
static void file_copied(struct node *n)
{
	struct node *d = file_dir(n);

	d->fq_active--;
	dir_ready(d);
	if (d != &top)
		maybe_free(d);
}

/* --- entries --- */

static void stat_run(void)
{
	struct node *n;

	while (stats_inflight < MAX_STATS &&
	       (n = dequeue(&stat_head, &stat_tail))) {
		struct xaio_opt o = tag(n, K_STAT);

		if (sub(n,
			xaio_stat(NULL, n->src, AT_SYMLINK_NOFOLLOW,
				  STATX_BASIC_STATS, &n->st, &o, es),
			n->src, "stat")) {
			stats_inflight++;
		} else {
			entry_done(n);
			maybe_free(n);
		}
	}
}

/*
 * A file with more than one link: true when its inode was seen already
 * (n is then linked to the first copy, now or once that is created);
 * false for the first, which is entered in the table.
 */
/* The table's entry of n's inode, or NULL. */
static struct ino_ent *ino_find(const struct node *n)
{
	uint64_t h = (n->st.stx_ino * 31 + n->st.stx_dev_minor) % 4096;
	dev_t dev = makedev(n->st.stx_dev_major, n->st.stx_dev_minor);

	for (struct ino_ent *e = inodes[h]; e; e = e->next)
		if (e->ino == n->st.stx_ino && e->dev == dev)
			return e;
	return NULL;
}

static bool other_link(struct node *n)
{
	uint64_t h = (n->st.stx_ino * 31 + n->st.stx_dev_minor) % 4096;
	struct ino_ent *e = ino_find(n);

	if (e) {
		if (e->created) {
			link_make(n, e->dst);
		} else {
			n->q_next = e->links;
			e->links = n;
		}
		return true;
	}
	e = xmalloc(sizeof(*e));
	memset(e, 0, sizeof(*e));
	e->ino = n->st.stx_ino;
	e->dev = makedev(n->st.stx_dev_major, n->st.stx_dev_minor);
	e->dst = strdup(n->dst);
	e->next = inodes[h];
	inodes[h] = e;
	n->inode = e;
	return false;
}

/* A FIFO, device or socket: mknodat(2) (no xaio call), once its
 * directory exists. */
static void special_make(struct node *n)
{
	if (mknodat(AT_FDCWD, n->dst, n->st.stx_mode & (S_IFMT | 07777),
		    makedev(n->st.stx_rdev_major, n->st.stx_rdev_minor)) < 0)
		report(n->dst, "mknod", errno);
	else
		meta_by_path(n);
	entry_done(n);
	maybe_free(n);
}

static void say(const struct node *n)
{
	if (verbose) {
		clear_line();
		printf("'%s' -> '%s'\n", n->src, n->dst);
	}
}

/* The source's lstat is in: what the entry is decides the rest. */
static void stat_done(struct node *n)
{
	struct xaio_opt o;
	mode_t m = n->st.stx_mode;

	say(n);
	if (S_ISDIR(m)) {
		o = tag(n, K_MKDIR);
		sub(n, xaio_mkdir(NULL, n->dst, 0700, &o, es), n->dst, "mkdir");
		xattr_list(n);
		o = tag(n, K_READDIR);
		if (!sub(n, xaio_readdir(NULL, n->src, &n->listing, &o, es),
			 n->src, "readdir")) {
			n->listed = true;
			node_done(n);
		}
	} else if (S_ISREG(m)) {
		if (n->st.stx_nlink > 1 && other_link(n))
			return;
		file_queue(n);
	} else if (S_ISLNK(m)) {
		n->target_size = n->st.stx_size + 1;
		n->target = xmalloc(n->target_size);
		o = tag(n, K_READLINK);
		if (!sub(n,
			 xaio_readlink(NULL, n->src, n->target, n->target_size,
				       &o, es),
			 n->src, "readlink")) {
			entry_done(n);
			maybe_free(n);
		}
	} else if (n->parent && !n->parent->made) {
		n->q_next = n->parent->deferred;
		n->parent->deferred = n;
	} else {
		special_make(n);
	}
}

static void readlink_done(struct node *n, const struct xaio_op_info *in)
{
	struct xaio_opt o = tag(n, K_DSTOP);

	if ((size_t)in->result >= n->target_size) {
		/* Longer than its lstat said (changed meanwhile): again. */
		free(n->target);
		n->target_size = (size_t)in->result + 1;
		n->target = xmalloc(n->target_size);
		o = tag(n, K_READLINK);
		if (sub(n,
			xaio_readlink(NULL, n->src, n->target, n->target_size,
				      &o, es),
			n->src, "readlink"))
			return;
	} else if (sub(n, xaio_symlink(n->target, NULL, n->dst, &o, es), n->dst,
		       "symlink")) {
		set_owner(n, AT_SYMLINK_NOFOLLOW);
		set_times(n, AT_SYMLINK_NOFOLLOW);
	}
	entry_done(n);
}

static void readdir_done(struct node *n)
{
	struct xaio_listing *l = n->listing;

	n->listing = NULL;
	n->listed = true;
	n->waiting++; /* held while the entries are added */
	/* No copy to fill (its mkdir failed, reported): not its entries. */
	for (size_t i = 0; l && !n->failed && i < l->count; i++) {
		struct node *c = node_new(join(n->src, l->entries[i].name),
					  join(n->dst, l->entries[i].name), n);

		if (l->entries[i].type == DT_REG) {
			/* No lstat: the copy's own fstat tells the rest. */
			c->unstat = true;
			c->st.stx_mode = S_IFREG;
			say(c);
			file_queue(c);
		} else {
			enqueue(&stat_head, &stat_tail, c);
		}
	}
	xaio_listing_free(l);
	if (--n->waiting == 0)
		node_done(n);
}

static void mkdir_done(struct node *n)
{
	struct node *s;

	n->made = true;
	while ((s = n->deferred)) {
		n->deferred = s->q_next;
		special_make(s);
	}
}

/* Which path an operation's failure names, and what to call it. */
static const char *op_name(const struct xaio_op_info *in)
{
	return strncmp(in->api, "xaio_", 5) ? in->api : in->api + 5;
}

/* An attribute operation completed (x: its attribute, or NULL). */
static void xattr_done(struct node *n, enum kind k, struct xattr *x,
		       const struct xaio_op_info *in)
{
	bool keep = false; /* x is named by the set submitted for it */

	n->xpending--;
	if (!in->status && k == K_XLIST)
		xattr_names(n);
	else if (!in->status && k == K_XGET)
		keep = xattr_got(x, in->result);
	if (x && !keep) {
		free(x->name);
		free(x);
	}
	node_done(n);
	maybe_free(n);
}

/* A regular file's xaio_copy_file failed: named by the step that did. */
static void copy_failed(struct node *n, int err)
{
	static const char *const what[] = {
		[XAIO_COPY_STEP_NONE] = "copy_file",
		[XAIO_COPY_STEP_OPEN] = "open",
		[XAIO_COPY_STEP_CREATE] = "open",
		[XAIO_COPY_STEP_DATA] = "copy",
		[XAIO_COPY_STEP_XATTRS] = "setxattr",
		[XAIO_COPY_STEP_OWNER] = "fchown",
		[XAIO_COPY_STEP_TIMES] = "futimens",
		[XAIO_COPY_STEP_MODE] = "fchmod",
		[XAIO_COPY_STEP_CLOSE] = "close",
	};
	uint32_t st = n->copy.step;

	if (st >= sizeof(what) / sizeof(what[0]))
		st = XAIO_COPY_STEP_NONE;
	report(st <= XAIO_COPY_STEP_OPEN ? n->src : n->dst, what[st], err);
	n->failed = true;
}

/* Is the failure one cp -a says nothing about? */
static bool quiet(enum kind k, const struct xaio_op_info *in)
{
	int e = in->status;

	/* Not the owner, as non-root; a file system without attributes; an
	 * attribute removed meanwhile. */
	return (!is_root && e == EPERM && strstr(in->api, "chown")) ||
	       (k == K_XLIST && (e == ENOTSUP || e == EOPNOTSUPP)) ||
	       (k == K_XGET && e == ENODATA);
}

static void harvest(const struct xaio_op_info *in)
{
	enum kind k = (enum kind)(in->user_tag & 15);
	void *p = (void *)(uintptr_t)(in->user_tag & ~(uint64_t)15);
	struct xattr *x = k == K_XGET || k == K_XSET ? p : NULL;
	struct node *n = x ? x->n : p;
	bool src_side = k == K_STAT || k == K_READDIR || k == K_READLINK ||
			k == K_XLIST || k == K_XGET;

	inflight--;
	n->ops--;
	if (in->status && k == K_MKDIR && in->status == EEXIST) {
		struct stat st;

		/* A directory that is there already: merged into. */
		if (stat(n->dst, &st) == 0 && S_ISDIR(st.st_mode)) {
			mkdir_done(n);
			maybe_free(n);
			return;
		}
	}
	if (k == K_COPY) {
		file_copied(n);
		if (n->unstat)
			unstat_done(n, !in->status);
	}
	if (in->status && k == K_COPY &&
	    !(in->flags & XAIO_INFO_DEP_CANCELED)) {
		copy_failed(n, in->status);
		maybe_free(n);
		return;
	}
	if (in->status && !quiet(k, in)) {
		/* Dependents of a reported failure: not reported again. */
		if (!(in->flags & XAIO_INFO_DEP_CANCELED) &&
		    !(k == K_STAT && n->failed))
			report(src_side ? n->src : n->dst, op_name(in),
			       in->status);
		/* An attribute that could not be copied stops nothing. */
		if (k != K_XLIST && k != K_XGET && k != K_XSET)
			n->failed = true;
	}
	if (k == K_XLIST || k == K_XGET || k == K_XSET) {
		xattr_done(n, k, x, in);
		return;
	}
	switch (k) {
	case K_STAT:
		stats_inflight--;
		if (in->status)
			entry_done(n);
		else
			stat_done(n);
		break;
	case K_MKDIR:
		mkdir_done(n);
		break;
	case K_READDIR:
		if (in->status) {
			n->listed = true;
			node_done(n);
		} else {
			readdir_done(n);
		}
		break;
	case K_READLINK:
		if (in->status)
			entry_done(n);
		else
			readlink_done(n, in);
		break;
	case K_COPY:
		n_bytes += (uint64_t)in->result;
		n_files++;
		break;
	default:
		break;
	}
	maybe_free(n);
}

/* --- the command --- */

static void usage(void)
{
	fputs("usage: xaio-cp [-v] [--progress] SRC... DST\n"
	      "Copies each SRC (recursively, as cp -a) to DST, or into DST "
	      "when "
	      "it is a directory.\n",
	      stderr);
	exit(2);
}

/* The last component of path, without trailing slashes (malloc'ed). */
static char *base_name(const char *path)
{
	size_t n = strlen(path);
	const char *b;

	while (n > 1 && path[n - 1] == '/')
		n--;
	b = path + n;
	while (b > path && b[-1] != '/')
		b--;
	return strndup(b, (size_t)(path + n - b));
}

static char *strip(const char *path)
{
	size_t n = strlen(path);

	while (n > 1 && path[n - 1] == '/')
		n--;
	return strndup(path, n);
}

/* Is dst (to be created) inside the directory src? */
static bool inside(const char *src, const char *dst)
{
	char *s = realpath(src, NULL), *dcopy = strdup(dst), *slash, *d;
	bool in = false;

	slash = dcopy ? strrchr(dcopy, '/') : NULL;
	if (slash)
		*slash = 0;
	d = realpath(slash ? (*dcopy ? dcopy : "/") : ".", NULL);
	if (s && d) {
		size_t ls = strlen(s);

		in = !strncmp(s, d, ls) && (d[ls] == '/' || !d[ls]);
	}
	free(s);
	free(d);
	free(dcopy);
	return in;
}

int main(int argc, char **argv)
{
	static const struct option longs[] = {
		{"progress", no_argument, NULL, 'p'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct stat dst_st;
	bool dst_dir;
	const char *dst;
	int c, r;

	while ((c = getopt_long(argc, argv, "vh", longs, NULL)) != -1) {
		switch (c) {
		case 'v':
			verbose = true;
			break;
		case 'p':
			progress = true;
			break;
		case 'h':
			printf("usage: xaio-cp [-v] [--progress] SRC... DST\n");
			return 0;
		default:
			usage();
		}
	}
	if (argc - optind < 2)
		usage();
	is_root = geteuid() == 0;
	if (!progress && !verbose && isatty(2))
		progress = true;
	dst = argv[argc - 1];
	dst_dir = stat(dst, &dst_st) == 0 && S_ISDIR(dst_st.st_mode);
	if (argc - optind > 2 && !dst_dir) {
		fprintf(stderr, "xaio-cp: target '%s' is not a directory\n",
			dst);
		return 2;
	}
	r = xaio_evset_create(&es, NULL);
	if (r < 0) {
		fprintf(stderr, "xaio-cp: xaio_evset_create: %s\n",
			strerror(-r));
		return 1;
	}
	t0 = now_ns();
	for (int i = optind; i < argc - 1; i++) {
		char *b = base_name(argv[i]);
		char *to = dst_dir ? join(dst, b) : strip(dst);
		struct stat st, tst;

		const char *why = NULL;

		free(b);
		/* The same file: the copy's O_TRUNC would empty the source. */
		if (lstat(argv[i], &st) == 0 && lstat(to, &tst) == 0 &&
		    st.st_dev == tst.st_dev && st.st_ino == tst.st_ino)
			why = "is the same file as";
		else if (lstat(argv[i], &st) == 0 && S_ISDIR(st.st_mode) &&
			 inside(argv[i], to))
			why = "cannot be copied into itself,";
		if (why) {
			fprintf(stderr, "xaio-cp: '%s' %s '%s'\n", argv[i], why,
				to);
			status = 1;
			free(to);
			continue;
		}
		enqueue(&stat_head, &stat_tail,
			node_new(strip(argv[i]), to, NULL));
	}
	for (;;) {
		struct xaio_op_info in;

		reap();
		stat_run();
		files_run();
		if (!inflight && !stat_head && !ready_head)
			break;
		r = xaio_evset_wait_any(es, 200000000u, &in);
		if (r == 0) {
			harvest(&in);
			if (in.status)
				xaio_evset_clear_errors(es);
		} else if (r != -ETIMEDOUT) {
			fprintf(stderr, "xaio-cp: xaio_evset_wait_any: %s\n",
				strerror(-r));
			return 1;
		}
		show_progress(false);
	}
	if (progress)
		show_progress(true);
	xaio_evset_close(es, XAIO_CLOSE_DISCARD_ERRORS);
	reap();
	for (size_t i = 0; i < sizeof(inodes) / sizeof(inodes[0]); i++) {
		while (inodes[i]) {
			struct ino_ent *e = inodes[i];

			inodes[i] = e->next;
			free(e->dst);
			free(e);
		}
	}
	return status;
}
