// SPDX-License-Identifier: MIT
/*
 * xaio-cp: a recursive copy on event sets, with cp -a's faithfulness
 * (content, holes, mode, ownership when root, nanosecond times, symbolic
 * links, hard links within the tree, empty directories, extended
 * attributes when the library has them).  See xaio-cp(1) and "xaio-cp:
 * how it is built" in docs/event-sets.md.
 *
 * One thread, one event set.  Every entry of the tree is a node; what is
 * done for it is a handful of operations submitted into the set, tagged
 * (xaio_opt.user_tag) with the node or chunk and what the operation was,
 * and the main loop harvests completions (xaio_evset_wait_any) and
 * submits what they make possible:
 *   - an lstat (xaio_stat) of each source entry, at most MAX_STATS at once;
 *   - a directory: xaio_mkdir of the copy (0700 while it fills) and
 *     xaio_readdir of the source at once; its entries become nodes; once
 *     every entry is done (a subdirectory: finished itself), its owner,
 *     mode and times, by path (they run after what the set still does
 *     below the directory: ordering by path);
 *   - a regular file, at most MAX_FILES at once (two descriptors each):
 *     two future handles (source, copy), the content (xaio_copy when the
 *     library has it, else chunks of xaio_pread/xaio_pwrite over the data
 *     segments that SEEK_DATA/SEEK_HOLE find, so that holes stay holes),
 *     then ftruncate to the size, fchown, fchmod, futimens and the closes,
 *     all queued at once behind the handle's barriers;
 *   - a file whose inode was seen already (st_nlink > 1): xaio_link to
 *     the first copy, ordered behind that copy's creation by path;
 *   - a symbolic link: xaio_readlink, then xaio_symlink, chown and
 *     utimens by path with AT_SYMLINK_NOFOLLOW;
 *   - anything else (FIFO, device, socket): mknodat(2) once the
 *     directory exists, then the same metadata by path.
 * A failure is reported with the path and the operation, the rest of the
 * copy goes on, and the exit status is 1 (2 for a usage error).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
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

#define MAX_FILES 64 /* regular files open at once (two descriptors each) */
#define MAX_STATS 256 /* lstats in flight */
#define CHUNK (256u << 10) /* bytes of one read/write */
#define CHUNKS_PER_FILE 4 /* chunks in flight per file */
#define MAX_BUFS 128 /* chunk buffers, all files together */

/* What this libxaio has (its header says, by its macros). */
#ifdef XAIO_COPY_ALL
#define COPY 1
#else
#define COPY 0
#endif
#ifdef xaio_listxattr
#define XATTRS 1
#else
#define XATTRS 0
#endif

/* What an operation was (the low bits of its user_tag). */
enum kind {
	K_STAT,
	K_MKDIR,
	K_READDIR,
	K_SRCOP, /* on the source: its open, a failure names the source */
	K_DSTOP, /* on the copy: create, truncate, owner, mode, times ... */
	K_CLOSE,
	K_READ,
	K_WRITE,
	K_READLINK,
	K_COPY,
	K_KINDS
};

struct node;

/* A piece of a file's content in flight (stop-gap copy). */
struct chunk {
	struct node *n;
	char *buf;
	off_t off;
	size_t len, got;
	struct chunk *next; /* the free list */
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
	struct xaio_file *fs, *fd;
	off_t next_off; /* the next byte to read */
	off_t seg_end; /* end of the data segment at next_off */
	uint32_t chunks; /* in flight */
	bool eof, closing, has_slot;
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
static struct node *file_head, *file_tail; /* regular files waiting */
static struct chunk *free_chunks;
static uint32_t nbufs;
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
		if (n->ops || !n->done_entry ||
		    (dir && (n->waiting || !n->final)))
			continue;
		if (n->has_slot)
			files_open--;
		free_node(n);
	}
}

/* Owner (root: as the source; else the group only, silently), as cp -a. */
static void set_owner(struct node *n, struct xaio_file *f, int flags)
{
	struct xaio_opt o = tag(n, K_DSTOP);
	uid_t uid = is_root ? n->st.stx_uid : (uid_t)-1;
	gid_t gid = n->st.stx_gid;

	if (!is_root && gid == getegid())
		return;
	if (f)
		sub(n, xaio_fchown(f, uid, gid, &o, es), n->dst, "fchown");
	else
		sub(n, xaio_chown(NULL, n->dst, uid, gid, flags, &o, es),
		    n->dst, "chown");
}

static void set_times(struct node *n, struct xaio_file *f, int flags)
{
	struct xaio_opt o = tag(n, K_DSTOP);
	struct timespec ts[2] = {
		{n->st.stx_atime.tv_sec, n->st.stx_atime.tv_nsec},
		{n->st.stx_mtime.tv_sec, n->st.stx_mtime.tv_nsec},
	};

	if (f)
		sub(n, xaio_futimens(f, ts, &o, es), n->dst, "futimens");
	else
		sub(n, xaio_utimens(NULL, n->dst, ts, flags, &o, es), n->dst,
		    "utimens");
}

/* A directory whose entries are all done: its metadata, last. */
/* Owner, mode and times by path, in that order (the path orders them). */
static void meta_by_path(struct node *n)
{
	struct xaio_opt o = tag(n, K_DSTOP);

	set_owner(n, NULL, 0);
	sub(n, xaio_chmod(NULL, n->dst, n->st.stx_mode & 07777, 0, &o, es),
	    n->dst, "chmod");
	set_times(n, NULL, 0);
}

static void dir_final(struct node *n)
{
	n->final = true;
	if (!n->failed)
		meta_by_path(n);
	entry_done(n);
	maybe_free(n);
}

/* Called when a directory's last entry is done. */
static void node_done(struct node *n)
{
	if (S_ISDIR(n->st.stx_mode) && n->listed && !n->final)
		dir_final(n);
}

/* --- regular files --- */

static struct chunk *chunk_get(struct node *n)
{
	struct chunk *c = free_chunks;

	if (c) {
		free_chunks = c->next;
	} else {
		if (nbufs >= MAX_BUFS)
			return NULL;
		c = aligned_alloc(16, sizeof(*c));
		if (!c || !(c->buf = malloc(CHUNK))) {
			free(c);
			return NULL;
		}
		nbufs++;
	}
	c->n = n;
	return c;
}

static void chunk_put(struct chunk *c)
{
	c->next = free_chunks;
	free_chunks = c;
}

/* The content is copied (or given up): size, owner, mode, times, closes. */
static void file_finish(struct node *n)
{
	struct xaio_opt o = tag(n, K_DSTOP), oc = tag(n, K_CLOSE);

	if (n->closing)
		return;
	n->closing = true;
	if (!n->failed) {
		sub(n, xaio_ftruncate(n->fd, (off_t)n->st.stx_size, &o, es),
		    n->dst, "ftruncate");
		set_owner(n, n->fd, 0);
		sub(n, xaio_fchmod(n->fd, n->st.stx_mode & 07777, &o, es),
		    n->dst, "fchmod");
		set_times(n, n->fd, 0);
	}
	sub(n, xaio_close(n->fs, &oc, es), n->src, "close");
	sub(n, xaio_close(n->fd, &oc, es), n->dst, "close");
	n_files++;
}

/*
 * The data segment at or after n->next_off (SEEK_DATA/SEEK_HOLE on the
 * source, once it is open): false at the end.
 */
static bool next_segment(struct node *n)
{
	int fd;
	off_t d, h;

	if (n->next_off >= (off_t)n->st.stx_size)
		return false;
	if (n->next_off < n->seg_end)
		return true;
	/* Not sparse: one segment, the whole file, with no system call. */
	if (n->st.stx_blocks * 512 >= n->st.stx_size) {
		n->seg_end = (off_t)n->st.stx_size;
		return true;
	}
	fd = xaio_file_fd(n->fs); /* waits for the open, which is done */
	if (fd < 0)
		return false;
	d = lseek(fd, n->next_off, SEEK_DATA);
	if (d < 0) /* ENXIO: only a hole is left */
		return false;
	h = lseek(fd, d, SEEK_HOLE);
	if (h < 0)
		h = (off_t)n->st.stx_size;
	n->next_off = d;
	n->seg_end = h;
	return true;
}

/* Reads as many chunks as the file and the buffers allow. */
static void file_pump(struct node *n)
{
	while (!n->failed && !n->eof && n->chunks < CHUNKS_PER_FILE) {
		struct chunk *c;
		struct xaio_opt o;

		if (!next_segment(n)) {
			n->eof = true;
			break;
		}
		if (!(c = chunk_get(n)))
			break;
		c->off = n->next_off;
		c->len = CHUNK;
		if ((off_t)c->len > n->seg_end - c->off)
			c->len = (size_t)(n->seg_end - c->off);
		c->got = 0;
		n->next_off += (off_t)c->len;
		o = tag(c, K_READ);
		if (!sub(n,
			 xaio_pread(n->fs, c->buf, c->len, c->off, NULL, &o,
				    es),
			 n->src, "pread")) {
			chunk_put(c);
			break;
		}
		n->chunks++;
	}
	if ((n->failed || n->eof) && !n->chunks)
		file_finish(n);
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
	struct xaio_opt os = tag(n, K_SRCOP), od = tag(n, K_DSTOP);
	int r;

	n->has_slot = true;
	files_open++;
	r = xaio_open(&n->fs, n->src, O_RDONLY | O_NOFOLLOW, 0, &os, es);
	if (!sub(n, r, n->src, "open")) {
		entry_done(n);
		maybe_free(n);
		return;
	}
	r = xaio_open(&n->fd, n->dst, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW,
		      0600, &od, es);
	entry_done(n); /* created: the directory's metadata may follow */
	links_run(n);
	if (!sub(n, r, n->dst, "open")) {
		struct xaio_opt oc = tag(n, K_CLOSE);

		sub(n, xaio_close(n->fs, &oc, es), n->src, "close");
		n->closing = true;
		maybe_free(n);
		return;
	}
#ifdef XAIO_COPY_ALL
	{
		struct xaio_opt oc = tag(n, K_COPY);

		if (sub(n,
			xaio_copy(n->fs, 0, n->fd, 0, XAIO_COPY_ALL, 0, NULL,
				  &oc, es),
			n->dst, "copy"))
			n->eof = true;
		file_finish(n);
	}
#else
	/* Sparse files wait for the open to find their data (file_pump). */
	if (n->st.stx_blocks * 512 >= n->st.stx_size)
		file_pump(n);
#endif
}

static void files_run(void)
{
	struct node *n;

	while (files_open < MAX_FILES && (n = dequeue(&file_head, &file_tail)))
		file_start(n);
}

/* Writes what c holds: false if the write was refused (reported). */
static bool chunk_write(struct chunk *c)
{
	struct xaio_opt o = tag(c, K_WRITE);

	return sub(c->n,
		   xaio_pwrite(c->n->fd, c->buf, c->got, c->off, NULL, &o, es),
		   c->n->dst, "write");
}

static void chunk_done(struct chunk *c, enum kind k,
		       const struct xaio_op_info *in)
{
	struct node *n = c->n;

	if (in->status) {
		if (!(in->flags & XAIO_INFO_DEP_CANCELED) && !n->failed)
			report(k == K_READ ? n->src : n->dst,
			       k == K_READ ? "read" : "write", in->status);
		n->failed = true;
	} else if (k == K_READ) {
		/* Shorter than it was: the rest is not there (ftruncate). */
		if ((size_t)in->result < c->len)
			n->eof = true;
		c->got = (size_t)in->result;
		if (c->got && chunk_write(c))
			return;
	} else {
		/* A short write: the rest, from where it stopped. */
		n_bytes += (uint64_t)in->result;
		c->off += in->result;
		c->got -= (size_t)in->result;
		memmove(c->buf, c->buf + in->result, c->got);
		if (c->got && chunk_write(c))
			return;
	}
	chunk_put(c);
	n->chunks--;
	file_pump(n);
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
static bool other_link(struct node *n)
{
	uint64_t h = (n->st.stx_ino * 31 + n->st.stx_dev_minor) % 4096;
	dev_t dev = makedev(n->st.stx_dev_major, n->st.stx_dev_minor);
	struct ino_ent *e;

	for (e = inodes[h]; e; e = e->next) {
		if (e->ino != n->st.stx_ino || e->dev != dev)
			continue;
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
	e->dev = dev;
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
		o = tag(n, K_READDIR);
		if (!sub(n, xaio_readdir(NULL, n->src, &n->listing, &o, es),
			 n->src, "readdir")) {
			n->listed = true;
			dir_final(n);
		}
	} else if (S_ISREG(m)) {
		if (n->st.stx_nlink > 1 && other_link(n))
			return;
		enqueue(&file_head, &file_tail, n);
		files_run();
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
		set_owner(n, NULL, AT_SYMLINK_NOFOLLOW);
		set_times(n, NULL, AT_SYMLINK_NOFOLLOW);
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

		enqueue(&stat_head, &stat_tail, c);
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

static void harvest(const struct xaio_op_info *in)
{
	enum kind k = (enum kind)(in->user_tag & 15);
	void *p = (void *)(uintptr_t)(in->user_tag & ~(uint64_t)15);
	struct node *n =
		k == K_READ || k == K_WRITE ? ((struct chunk *)p)->n : p;
	bool dep = in->flags & XAIO_INFO_DEP_CANCELED;

	inflight--;
	n->ops--;
	if (in->status && k != K_READ && k != K_WRITE) {
		/* Not the owner as non-root: silently, as cp -a. */
		bool quiet = !is_root && in->status == EPERM &&
			     strstr(in->api, "chown");

		if (k == K_MKDIR && in->status == EEXIST) {
			struct stat st;

			if (stat(n->dst, &st) == 0 && S_ISDIR(st.st_mode)) {
				mkdir_done(n);
				maybe_free(n);
				return;
			}
		}
		if (!dep && !quiet && !(k == K_STAT && n->failed))
			report(k == K_STAT || k == K_READDIR || k == K_SRCOP ||
					       k == K_READLINK
				       ? n->src
				       : n->dst,
			       op_name(in), in->status);
		if (!quiet)
			n->failed = true;
		if (k == K_STAT) {
			stats_inflight--;
			entry_done(n);
		} else if (k == K_MKDIR) {
			mkdir_done(n);
		} else if (k == K_READDIR) {
			n->listed = true;
			n->waiting++;
			if (--n->waiting == 0)
				node_done(n);
		} else if (k == K_READLINK) {
			entry_done(n);
		} else if ((k == K_SRCOP || k == K_DSTOP) && n->fd &&
			   !n->closing) {
			/* The open of a file: its reads are cancelled. */
			n->eof = true;
			file_pump(n);
		}
		maybe_free(n);
		return;
	}
	switch (k) {
	case K_STAT:
		stats_inflight--;
		stat_done(n);
		break;
	case K_MKDIR:
		mkdir_done(n);
		break;
	case K_READDIR:
		readdir_done(n);
		break;
	case K_READ:
	case K_WRITE:
		chunk_done(p, k, in);
		break;
	case K_SRCOP:
#ifndef XAIO_COPY_ALL
		/* The source is open: a sparse file's data can be found. */
		if (!n->closing)
			file_pump(n);
#endif
		break;
	case K_READLINK:
		readlink_done(n, in);
		break;
	case K_COPY:
		n_bytes += (uint64_t)in->result;
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
			printf("usage: xaio-cp [-v] [--progress] SRC... DST\n"
			       "extended attributes: %s\n"
			       "content: %s\n",
			       XATTRS ? "copied"
				      : "not copied (no xaio_listxattr)",
			       COPY ? "xaio_copy" : "xaio_pread/xaio_pwrite");
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
		struct stat st;

		free(b);
		if (lstat(argv[i], &st) == 0 && S_ISDIR(st.st_mode) &&
		    inside(argv[i], to)) {
			fprintf(stderr,
				"xaio-cp: cannot copy '%s' into itself, '%s'\n",
				argv[i], to);
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
		if (!inflight && !stat_head && !file_head)
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
	while (free_chunks) {
		struct chunk *ch = free_chunks;

		free_chunks = ch->next;
		free(ch->buf);
		free(ch);
	}
	return status;
}
