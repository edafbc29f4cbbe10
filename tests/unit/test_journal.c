#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "journal.h"
#include "regfile.h"

/* Header offsets and record sizes from the format in journal.h. */
#define OFF_VERSION	8
#define OFF_FILE_ID	12
#define OFF_KEY_ID	28
#define OFF_ID_MAX	36
#define OFF_MAC		44
#define FRAME_LEN	4
#define MAC_LEN		32

#define COLLECT_MAX	64

/* A fresh directory per test, with the journal and key paths in it. */
struct fixture {
	char	dir[64];
	char	path[128];
	char	rejected[160];
	char	tmp[160];
	char	key_path[128];
	uint8_t	key[JOURNAL_KEY_LEN];
	uint8_t	other_key[JOURNAL_KEY_LEN];
	char	err[512];
};

/* Sessions passed to the journal_open callback. */
struct collect {
	struct journal_session s[COLLECT_MAX];
	size_t	n;		/* calls, also past COLLECT_MAX */
	uint64_t drop_id;	/* the callback drops this session; 0: none */
};

/* A journal file built by the test from the documented format alone. */
struct writer {
	uint8_t	*buf;
	size_t	len;
	size_t	cap;
	uint8_t	key[JOURNAL_KEY_LEN];
	uint8_t	file_id[16];
	uint64_t seq;
};

static int
fixture_setup(void **state)
{
	struct fixture *f;

	f = calloc(1, sizeof(*f));
	assert_non_null(f);
	strcpy(f->dir, "/tmp/test_journal.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/sessions", f->dir);
	snprintf(f->rejected, sizeof(f->rejected), "%s.rejected", f->path);
	snprintf(f->tmp, sizeof(f->tmp), "%s.tmp", f->path);
	snprintf(f->key_path, sizeof(f->key_path), "%s/key", f->dir);
	memset(f->key, 0x11, sizeof(f->key));
	memset(f->other_key, 0x22, sizeof(f->other_key));
	*state = f;
	return 0;
}

static int
fixture_teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static uint8_t *
file_read_all(const char *path, size_t *len)
{
	struct stat st;
	uint8_t *buf;
	FILE *fp;

	assert_int_equal(stat(path, &st), 0);
	buf = malloc((size_t)st.st_size + 1);
	assert_non_null(buf);
	fp = fopen(path, "r");
	assert_non_null(fp);
	*len = fread(buf, 1, (size_t)st.st_size, fp);
	assert_int_equal(*len, (size_t)st.st_size);
	fclose(fp);
	return buf;
}

static void
file_write_all(const char *path, const void *data, size_t len)
{
	FILE *fp;

	fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

static off_t
file_size(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

/* Number of entries in dir, without "." and "..". */
static int
dir_count(const char *dir)
{
	struct dirent *e;
	DIR *d;
	int n = 0;

	d = opendir(dir);
	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	}

	closedir(d);
	return n;
}

/* A session with fields derived from id, so each one differs. */
static struct journal_session
session_make(uint64_t id)
{
	struct journal_session s;
	char cookie[32];

	memset(&s, 0, sizeof(s));
	s.id = id;
	snprintf(cookie, sizeof(cookie), "cookie-%llu",
	    (unsigned long long)id);
	assert_int_equal(journal_cookie_hash(cookie, s.cookie_hash), 0);
	snprintf(s.user, sizeof(s.user), "user%llu", (unsigned long long)id);
	strcpy(s.group, id % 2 == 0 ? "staff" : "contractors");
	strcpy(s.pool, "pool-a");
	s.addr = 0x0a000000u + (uint32_t)id;
	s.netmask = 0xffffff00u;
	s.started = 1700000000 + (int64_t)id;
	s.expires = s.started + 86400;
	s.last_seen = s.started;
	s.reconnects = 0;
	s.flags = JOURNAL_ATTACHED;
	return s;
}

static void
session_assert_equal(const struct journal_session *a,
    const struct journal_session *b)
{
	assert_int_equal(a->id, b->id);
	assert_memory_equal(a->cookie_hash, b->cookie_hash,
	    JOURNAL_COOKIE_HASH_LEN);
	assert_string_equal(a->user, b->user);
	assert_string_equal(a->group, b->group);
	assert_string_equal(a->pool, b->pool);
	assert_int_equal(a->addr, b->addr);
	assert_int_equal(a->netmask, b->netmask);
	assert_int_equal(a->started, b->started);
	assert_int_equal(a->expires, b->expires);
	assert_int_equal(a->last_seen, b->last_seen);
	assert_int_equal(a->reconnects, b->reconnects);
	assert_int_equal(a->flags, b->flags);
}

static bool
collect_session(const struct journal_session *s, void *arg)
{
	struct collect *c = arg;

	if (c->n < COLLECT_MAX)
		c->s[c->n] = *s;
	c->n++;
	return s->id != c->drop_id;
}

/* Open the journal at f->path, collecting the restored sessions in c. */
static struct journal *
journal_open_collect(struct fixture *f, const uint8_t *key,
    struct collect *c, int expected_status)
{
	struct journal *j = NULL;
	int rc;

	memset(c, 0, sizeof(*c));
	rc = journal_open(f->path, key, &j, collect_session, c, f->err,
	    sizeof(f->err));
	if (rc != expected_status)
		print_error("journal_open: %d (%s)\n", rc, f->err);
	assert_int_equal(rc, expected_status);
	assert_non_null(j);
	return j;
}

static struct journal *
journal_open_empty(struct fixture *f)
{
	struct collect c;

	return journal_open_collect(f, f->key, &c, JOURNAL_FRESH);
}

static void
session_append(struct journal *j, uint64_t id)
{
	struct journal_session s = session_make(id);

	assert_int_equal(journal_append_up(j, &s), 0);
}

/*
 * Write a new journal with three logins, an update of session 2 and a
 * logout of session 1, and close it. *last_start is the offset of the
 * last record.
 */
static void
journal_write_sample(struct fixture *f, size_t *last_start)
{
	struct journal *j;

	unlink(f->path);
	j = journal_open_empty(f);
	session_append(j, 1);
	session_append(j, 2);
	session_append(j, 3);
	assert_int_equal(journal_append_update(j, 2, 1700000500, 1, 0), 0);
	*last_start = journal_file_size(j);
	assert_int_equal(journal_append_down(j, 1), 0);
	journal_close(j);
}

/* The sessions that journal_write_sample leaves, in login order. */
static void
sample_assert_live(const struct collect *c)
{
	struct journal_session s2 = session_make(2);
	struct journal_session s3 = session_make(3);

	s2.last_seen = 1700000500;
	s2.reconnects = 1;
	s2.flags = 0;
	assert_int_equal(c->n, 2);
	session_assert_equal(&c->s[0], &s2);
	session_assert_equal(&c->s[1], &s3);
}

/* The sessions before the logout of session 1, the last record. */
static void
sample_assert_before_last(const struct collect *c)
{
	struct journal_session s1 = session_make(1);

	assert_int_equal(c->n, 3);
	session_assert_equal(&c->s[0], &s1);
	assert_int_equal(c->s[1].id, 2);
	assert_int_equal(c->s[1].reconnects, 1);
	assert_int_equal(c->s[2].id, 3);
}

/* ---- an independent writer of the file format ---- */

static void
writer_put(struct writer *w, const void *p, size_t n)
{
	if (w->len + n > w->cap) {
		w->cap = (w->len + n) * 2;
		w->buf = realloc(w->buf, w->cap);
		assert_non_null(w->buf);
	}

	memcpy(w->buf + w->len, p, n);
	w->len += n;
}

static void
be_put(uint8_t *p, uint64_t v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static void
writer_uint(struct writer *w, uint64_t v, size_t n)
{
	uint8_t p[8];

	be_put(p, v, n);
	writer_put(w, p, n);
}

static void
writer_str(struct writer *w, const char *s)
{
	writer_uint(w, strlen(s), 1);
	writer_put(w, s, strlen(s));
}

static void
hmac_sha256(const uint8_t *key, const uint8_t *data, size_t len,
    uint8_t out[MAC_LEN])
{
	unsigned int outlen = 0;

	assert_non_null(HMAC(EVP_sha256(), key, JOURNAL_KEY_LEN, data, len,
	    out, &outlen));
	assert_int_equal(outlen, MAC_LEN);
}

static void
writer_init(struct writer *w, const uint8_t *key, uint64_t id_max)
{
	uint8_t mac[MAC_LEN];

	memset(w, 0, sizeof(*w));
	memcpy(w->key, key, JOURNAL_KEY_LEN);
	memset(w->file_id, 0x5a, sizeof(w->file_id));
	writer_put(w, "HEJRNL\r\n", 8);
	writer_uint(w, JOURNAL_VERSION, 4);
	writer_put(w, w->file_id, sizeof(w->file_id));
	hmac_sha256(key, (const uint8_t *)"key id", 6, mac);
	writer_put(w, mac, 8);
	writer_uint(w, id_max, 8);
	hmac_sha256(key, w->buf, w->len, mac);
	writer_put(w, mac, sizeof(mac));
	assert_int_equal(w->len, JOURNAL_HEADER_LEN);
}

/* Append a record whose type and payload are body. */
static void
writer_record(struct writer *w, const uint8_t *body, size_t len)
{
	uint8_t input[16 + 8 + FRAME_LEN + 512];
	uint8_t mac[MAC_LEN];
	size_t start = w->len;

	writer_uint(w, len, 2);
	writer_uint(w, len ^ 0xffff, 2);
	writer_put(w, body, len);
	memcpy(input, w->file_id, 16);
	be_put(input + 16, w->seq++, 8);
	memcpy(input + 24, w->buf + start, FRAME_LEN + len);
	hmac_sha256(w->key, input, 24 + FRAME_LEN + len, mac);
	writer_put(w, mac, sizeof(mac));
}

/* A login record with tail extra bytes, as a later version may append. */
static void
writer_up_tail(struct writer *w, const struct journal_session *s,
    size_t tail)
{
	struct writer body = { 0 };

	writer_uint(&body, JOURNAL_UP, 1);
	writer_uint(&body, s->id, 8);
	writer_put(&body, s->cookie_hash, JOURNAL_COOKIE_HASH_LEN);
	writer_str(&body, s->user);
	writer_str(&body, s->group);
	writer_str(&body, s->pool);
	writer_uint(&body, s->addr, 4);
	writer_uint(&body, (uint64_t)s->started, 8);
	writer_uint(&body, (uint64_t)s->expires, 8);
	writer_uint(&body, (uint64_t)s->last_seen, 8);
	writer_uint(&body, s->reconnects, 4);
	writer_uint(&body, s->flags, 4);

	/* Without a netmask, the record is as earlier versions wrote it. */
	if (s->netmask != 0)
		writer_uint(&body, s->netmask, 4);
	for (; tail > 0; tail--)
		writer_uint(&body, 0xa5, 1);
	writer_record(w, body.buf, body.len);
	free(body.buf);
}

static void
writer_up(struct writer *w, const struct journal_session *s)
{
	writer_up_tail(w, s, 0);
}

static void
writer_update(struct writer *w, uint64_t id, int64_t last_seen,
    uint32_t reconnects, uint32_t flags)
{
	uint8_t body[1 + 8 + 8 + 4 + 4];

	body[0] = JOURNAL_UPDATE;
	be_put(body + 1, id, 8);
	be_put(body + 9, (uint64_t)last_seen, 8);
	be_put(body + 17, reconnects, 4);
	be_put(body + 21, flags, 4);
	writer_record(w, body, sizeof(body));
}

static void
writer_down(struct writer *w, uint64_t id)
{
	uint8_t body[1 + 8];

	body[0] = JOURNAL_DOWN;
	be_put(body + 1, id, 8);
	writer_record(w, body, sizeof(body));
}

/* ---- tests ---- */

static void
test_open_missing_creates(void **state)
{
	struct fixture *f = *state;
	struct journal *j;
	struct collect c;
	struct stat st;

	j = journal_open_collect(f, f->key, &c, JOURNAL_FRESH);
	assert_int_equal(c.n, 0);
	assert_int_equal(journal_count(j), 0);
	assert_string_equal(f->err, "");
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_size, JOURNAL_HEADER_LEN);
	assert_int_equal(journal_file_size(j), JOURNAL_HEADER_LEN);
	journal_close(j);

	j = journal_open_collect(f, f->key, &c, JOURNAL_LOADED);
	assert_int_equal(c.n, 0);
	journal_close(j);
	assert_int_equal(access(f->tmp, F_OK), -1);
}

static void
test_round_trip(void **state)
{
	struct fixture *f = *state;
	struct journal *j;
	struct collect c;
	size_t last_start;

	journal_write_sample(f, &last_start);
	j = journal_open_collect(f, f->key, &c, JOURNAL_LOADED);
	assert_string_equal(f->err, "");
	sample_assert_live(&c);
	assert_int_equal(journal_count(j), 2);
	assert_null(journal_find(j, 1));
	assert_non_null(journal_find(j, 2));
	assert_int_equal(journal_find(j, 2)->reconnects, 1);
	assert_int_equal(journal_id_max(j), 3);

	/* The reopened journal appends where the rewrite left off. */
	session_append(j, 4);
	assert_int_equal(journal_append_down(j, 2), 0);
	journal_close(j);

	j = journal_open_collect(f, f->key, &c, JOURNAL_LOADED);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.s[0].id, 3);
	assert_int_equal(c.s[1].id, 4);
	journal_close(j);
}

static void
test_append_errors(void **state)
{
	struct fixture *f = *state;
	struct journal_session s = session_make(7);
	struct journal *j;
	uint64_t size;

	j = journal_open_empty(f);
	assert_int_equal(journal_append_up(j, &s), 0);
	size = journal_file_size(j);

	assert_int_equal(journal_append_up(j, &s), -EEXIST);
	assert_int_equal(journal_append_update(j, 8, 0, 0, 0), -ENOENT);
	assert_int_equal(journal_append_down(j, 8), -ENOENT);

	s.id = 8;
	s.user[0] = '\0';
	assert_int_equal(journal_append_up(j, &s), -EINVAL);
	s = session_make(8);
	memset(s.group, 'g', sizeof(s.group));
	assert_int_equal(journal_append_up(j, &s), -EINVAL);
	s = session_make(8);
	memset(s.user, 'u', sizeof(s.user));
	assert_int_equal(journal_append_up(j, &s), -EINVAL);

	assert_int_equal(journal_file_size(j), size);
	assert_int_equal(file_size(f->path), (off_t)size);
	assert_int_equal(journal_count(j), 1);
	journal_close(j);
}

static void
test_longest_strings_round_trip(void **state)
{
	struct fixture *f = *state;
	struct journal_session s = session_make(9);
	struct journal *j;
	struct collect c;

	memset(s.user, 'u', sizeof(s.user) - 1);
	memset(s.group, 'g', sizeof(s.group) - 1);
	s.pool[0] = '\0';
	s.expires = 0;
	s.last_seen = -1;
	s.addr = 0xffffffffu;
	j = journal_open_empty(f);
	assert_int_equal(journal_append_up(j, &s), 0);
	journal_close(j);

	j = journal_open_collect(f, f->key, &c, JOURNAL_LOADED);
	assert_int_equal(c.n, 1);
	session_assert_equal(&c.s[0], &s);
	journal_close(j);
}

static void
test_callback_drops_session(void **state)
{
	struct fixture *f = *state;
	struct journal *j;
	struct collect c;
	size_t last_start;

	journal_write_sample(f, &last_start);
	memset(&c, 0, sizeof(c));
	c.drop_id = 2;
	assert_int_equal(journal_open(f->path, f->key, &j, collect_session,
	    &c, f->err, sizeof(f->err)), JOURNAL_LOADED);
	assert_int_equal(c.n, 2);
	assert_int_equal(journal_count(j), 1);
	assert_null(journal_find(j, 2));
	journal_close(j);

	j = journal_open_collect(f, f->key, &c, JOURNAL_LOADED);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.s[0].id, 3);
	journal_close(j);
}

static void
test_compact_keeps_live(void **state)
{
	struct fixture *f = *state;
	struct journal *j;
	struct collect c;
	uint64_t before, id;
	size_t i;

	j = journal_open_empty(f);
	for (id = 1; id <= 600; id++)
		session_append(j, id);
	for (id = 1; id <= 600; id++) {
		if (id % 20 != 0)
			assert_int_equal(journal_append_down(j, id), 0);
	}

	assert_true(journal_compact_due(j));
	before = journal_file_size(j);
	assert_int_equal(journal_compact(j), 0);
	assert_int_equal(journal_count(j), 30);
	assert_false(journal_compact_due(j));
	assert_true(journal_file_size(j) * 10 < before);
	assert_int_equal(file_size(f->path), (off_t)journal_file_size(j));
	assert_int_equal(access(f->tmp, F_OK), -1);

	/* Appends continue in the new file. */
	session_append(j, 601);
	journal_close(j);

	j = journal_open_collect(f, f->key, &c, JOURNAL_LOADED);
	assert_int_equal(c.n, 31);
	for (i = 0; i < 30; i++) {
		struct journal_session s = session_make(20 * (i + 1));

		session_assert_equal(&c.s[i], &s);
	}
	assert_int_equal(c.s[30].id, 601);
	assert_int_equal(journal_id_max(j), 601);
	journal_close(j);
}

static void
test_compact_not_due_small(void **state)
{
	struct fixture *f = *state;
	struct journal *j;
	uint64_t id;

	j = journal_open_empty(f);
	for (id = 1; id <= 20; id++)
		session_append(j, id);
	for (id = 1; id <= 20; id++)
		assert_int_equal(journal_append_down(j, id), 0);

	/* All sessions ended, but the file is below JOURNAL_COMPACT_MIN. */
	assert_false(journal_compact_due(j));
	assert_int_equal(journal_compact(j), 0);
	assert_int_equal(journal_file_size(j), JOURNAL_HEADER_LEN);
	journal_close(j);
}

static void
test_id_max_survives_compaction(void **state)
{
	struct fixture *f = *state;
	struct journal *j;
	struct collect c;

	j = journal_open_empty(f);
	session_append(j, 41);
	session_append(j, 40);
	assert_int_equal(journal_append_down(j, 41), 0);
	assert_int_equal(journal_compact(j), 0);
	journal_close(j);

	j = journal_open_collect(f, f->key, &c, JOURNAL_LOADED);
	assert_int_equal(c.n, 1);
	assert_int_equal(journal_id_max(j), 41);
	journal_close(j);
}

static void
test_clear_forgets_sessions(void **state)
{
	struct fixture *f = *state;
	struct journal *j;
	struct collect c;

	j = journal_open_empty(f);
	session_append(j, 1);
	session_append(j, 2);
	assert_int_equal(journal_clear(j), 0);
	assert_int_equal(journal_count(j), 0);
	assert_int_equal(journal_file_size(j), JOURNAL_HEADER_LEN);
	journal_close(j);

	j = journal_open_collect(f, f->key, &c, JOURNAL_LOADED);
	assert_int_equal(c.n, 0);
	assert_int_equal(journal_id_max(j), 2);
	journal_close(j);
}

static void
test_torn_tail_every_offset(void **state)
{
	struct fixture *f = *state;
	uint8_t *data;
	size_t len, last_start, cut;
	struct journal *j;
	struct collect c;

	journal_write_sample(f, &last_start);
	data = file_read_all(f->path, &len);
	assert_true(last_start < len);

	for (cut = last_start; cut < len; cut++) {
		file_write_all(f->path, data, cut);
		j = journal_open_collect(f, f->key, &c, cut == last_start ?
		    JOURNAL_LOADED : JOURNAL_TRUNCATED);
		sample_assert_before_last(&c);
		if (cut > last_start)
			assert_non_null(strstr(f->err, "damaged record 4 at"));
		journal_close(j);

		/* The rewrite at open left a clean file. */
		j = journal_open_collect(f, f->key, &c, JOURNAL_LOADED);
		sample_assert_before_last(&c);
		journal_close(j);
	}

	assert_int_equal(access(f->rejected, F_OK), -1);
	free(data);
}

static void
test_zero_tail_cut(void **state)
{
	struct fixture *f = *state;
	uint8_t *data, *padded;
	size_t len, last_start;
	struct journal *j;
	struct collect c;

	journal_write_sample(f, &last_start);
	data = file_read_all(f->path, &len);

	/* Zeros in place of the last record, as some file systems show. */
	memset(data + last_start, 0, len - last_start);
	file_write_all(f->path, data, len);
	j = journal_open_collect(f, f->key, &c, JOURNAL_TRUNCATED);
	sample_assert_before_last(&c);
	journal_close(j);

	/* A record whose second half became zeros, then more zeros. */
	journal_write_sample(f, &last_start);
	free(data);
	data = file_read_all(f->path, &len);
	padded = calloc(1, len + 4096);
	assert_non_null(padded);
	memcpy(padded, data, len);
	memset(padded + len - 20, 0, 20);
	file_write_all(f->path, padded, len + 4096);
	j = journal_open_collect(f, f->key, &c, JOURNAL_TRUNCATED);
	sample_assert_before_last(&c);
	journal_close(j);

	/* Zeros after a complete file. */
	memcpy(padded, data, len);
	file_write_all(f->path, padded, len + 4096);
	j = journal_open_collect(f, f->key, &c, JOURNAL_TRUNCATED);
	sample_assert_live(&c);
	journal_close(j);

	free(padded);
	free(data);
}

/*
 * Flip one byte at off and open. Before the last record, the file must be
 * rejected. In the last record, only its frame makes the file corrupt,
 * and any other byte makes the record a torn tail.
 */
static void
flip_assert_rejected(struct fixture *f, const uint8_t *data, size_t len,
    size_t off, size_t last_start)
{
	uint8_t *copy = malloc(len);
	struct journal *j;
	struct collect c;
	int expected;

	assert_non_null(copy);
	memcpy(copy, data, len);
	copy[off] ^= 0x01;
	file_write_all(f->path, copy, len);
	unlink(f->rejected);

	if (off >= OFF_KEY_ID && off < OFF_ID_MAX)
		expected = JOURNAL_FOREIGN;
	else if (off < last_start + FRAME_LEN)
		expected = JOURNAL_CORRUPT;
	else
		expected = JOURNAL_TRUNCATED;

	j = journal_open_collect(f, f->key, &c, expected);
	if (expected == JOURNAL_TRUNCATED) {
		sample_assert_before_last(&c);
	} else {
		assert_int_equal(c.n, 0);
		assert_int_equal(journal_count(j), 0);
		assert_non_null(strstr(f->err, "moved it to"));
		free(copy);
		copy = file_read_all(f->rejected, &len);
		assert_int_equal(copy[off], data[off] ^ 0x01);
	}

	journal_close(j);
	free(copy);
}

static void
test_flipped_byte_rejected(void **state)
{
	struct fixture *f = *state;
	uint8_t *data;
	size_t len, last_start, off;

	journal_write_sample(f, &last_start);
	data = file_read_all(f->path, &len);
	for (off = 0; off < len; off++)
		flip_assert_rejected(f, data, len, off, last_start);
	free(data);
}

static void
test_foreign_key_ignored(void **state)
{
	struct fixture *f = *state;
	uint8_t *data, *aside;
	size_t len, aside_len, last_start;
	struct journal *j;
	struct collect c;

	journal_write_sample(f, &last_start);
	data = file_read_all(f->path, &len);

	j = journal_open_collect(f, f->other_key, &c, JOURNAL_FOREIGN);
	assert_int_equal(c.n, 0);
	assert_int_equal(journal_count(j), 0);
	assert_non_null(strstr(f->err, "another key"));
	journal_close(j);

	aside = file_read_all(f->rejected, &aside_len);
	assert_int_equal(aside_len, len);
	assert_memory_equal(aside, data, len);

	/* The new file belongs to the other key now. */
	j = journal_open_collect(f, f->key, &c, JOURNAL_FOREIGN);
	journal_close(j);
	free(aside);
	free(data);
}

/* A second rejected file goes beside the first instead of over it. */
static void
test_second_rejection_kept_apart(void **state)
{
	struct fixture *f = *state;
	uint8_t *first, *kept;
	size_t len, kept_len, last_start;
	char second[sizeof(f->rejected) + 8];
	struct journal *j;
	struct collect c;

	journal_write_sample(f, &last_start);
	first = file_read_all(f->path, &len);
	j = journal_open_collect(f, f->other_key, &c, JOURNAL_FOREIGN);
	journal_close(j);
	j = journal_open_collect(f, f->key, &c, JOURNAL_FOREIGN);
	journal_close(j);

	kept = file_read_all(f->rejected, &kept_len);
	assert_int_equal(kept_len, len);
	assert_memory_equal(kept, first, len);
	snprintf(second, sizeof(second), "%s.1", f->rejected);
	assert_int_equal(access(second, F_OK), 0);
	assert_non_null(strstr(f->err, second));
	free(kept);
	free(first);
}

static void
test_garbage_file_ignored(void **state)
{
	struct fixture *f = *state;
	uint8_t garbage[1000];
	struct journal *j;
	struct collect c;
	size_t i;

	for (i = 0; i < sizeof(garbage); i++)
		garbage[i] = (uint8_t)(i * 7 + 3);
	file_write_all(f->path, garbage, sizeof(garbage));
	j = journal_open_collect(f, f->key, &c, JOURNAL_CORRUPT);
	assert_non_null(strstr(f->err, "not a session journal"));
	assert_int_equal(c.n, 0);
	journal_close(j);

	file_write_all(f->path, "hello\n", 6);
	j = journal_open_collect(f, f->key, &c, JOURNAL_CORRUPT);
	journal_close(j);

	/* The magic alone, without the rest of the header. */
	file_write_all(f->path, "HEJRNL\r\n", 8);
	j = journal_open_collect(f, f->key, &c, JOURNAL_CORRUPT);
	journal_close(j);
}

static void
test_empty_file_fresh(void **state)
{
	struct fixture *f = *state;
	struct journal *j;
	struct collect c;

	file_write_all(f->path, "", 0);
	j = journal_open_collect(f, f->key, &c, JOURNAL_FRESH);
	assert_int_equal(c.n, 0);
	assert_int_equal(file_size(f->path), JOURNAL_HEADER_LEN);
	journal_close(j);
	assert_int_equal(access(f->rejected, F_OK), -1);
}

static void
test_unsupported_version_ignored(void **state)
{
	struct fixture *f = *state;
	struct journal *j;
	struct writer w;
	struct collect c;

	writer_init(&w, f->key, 0);
	w.buf[OFF_VERSION + 3] = 2;
	file_write_all(f->path, w.buf, w.len);
	j = journal_open_collect(f, f->key, &c, JOURNAL_CORRUPT);
	assert_non_null(strstr(f->err, "version 2"));
	journal_close(j);
	free(w.buf);
}

/* A file written by the test from the format in journal.h loads. */
static void
test_format_as_documented(void **state)
{
	struct fixture *f = *state;
	struct journal_session s1 = session_make(1), s2 = session_make(2);
	struct journal *j;
	struct writer w;
	struct collect c;

	writer_init(&w, f->key, 5);
	writer_up(&w, &s1);
	writer_up(&w, &s2);
	writer_update(&w, 1, 1700000123, 3, 0);
	writer_down(&w, 2);
	file_write_all(f->path, w.buf, w.len);

	j = journal_open_collect(f, f->key, &c, JOURNAL_LOADED);
	s1.last_seen = 1700000123;
	s1.reconnects = 3;
	s1.flags = 0;
	assert_int_equal(c.n, 1);
	session_assert_equal(&c.s[0], &s1);
	assert_int_equal(journal_id_max(j), 5);
	journal_close(j);
	free(w.buf);
}

/* A login record without the netmask, as earlier versions wrote it. */
static void
test_record_without_netmask(void **state)
{
	struct fixture *f = *state;
	struct journal_session s1 = session_make(1);
	struct journal *j;
	struct writer w;
	struct collect c;

	s1.netmask = 0;
	writer_init(&w, f->key, 1);
	writer_up(&w, &s1);
	file_write_all(f->path, w.buf, w.len);

	j = journal_open_collect(f, f->key, &c, JOURNAL_LOADED);
	assert_int_equal(c.n, 1);
	session_assert_equal(&c.s[0], &s1);
	journal_close(j);
	free(w.buf);
}

/*
 * Records with fields that a later version appended: the fields are
 * skipped, so that a rollback keeps the sessions.
 */
static void
test_records_with_later_fields(void **state)
{
	struct fixture *f = *state;
	struct journal_session s1 = session_make(1), s2 = session_make(2);
	struct journal *j;
	struct writer w;
	struct collect c;
	uint8_t update[1 + 8 + 8 + 4 + 4 + 3], down[1 + 8 + 2];

	writer_init(&w, f->key, 1);
	writer_up_tail(&w, &s1, 4);
	writer_up_tail(&w, &s2, 4);
	memset(update, 0x5a, sizeof(update));
	update[0] = JOURNAL_UPDATE;
	be_put(update + 1, s1.id, 8);
	be_put(update + 9, 1234, 8);
	be_put(update + 17, 7, 4);
	be_put(update + 21, s1.flags, 4);
	writer_record(&w, update, sizeof(update));
	memset(down, 0x5a, sizeof(down));
	down[0] = JOURNAL_DOWN;
	be_put(down + 1, s2.id, 8);
	writer_record(&w, down, sizeof(down));
	file_write_all(f->path, w.buf, w.len);

	j = journal_open_collect(f, f->key, &c, JOURNAL_LOADED);
	assert_int_equal(c.n, 1);
	s1.last_seen = 1234;
	s1.reconnects = 7;
	session_assert_equal(&c.s[0], &s1);
	journal_close(j);
	free(w.buf);
}

/* The file journal.c writes matches the format in journal.h. */
static void
test_header_as_documented(void **state)
{
	struct fixture *f = *state;
	uint8_t mac[MAC_LEN], input[16 + 8 + 512];
	size_t len, body;
	uint8_t *data;
	struct journal *j;

	j = journal_open_empty(f);
	session_append(j, 3);
	journal_close(j);
	data = file_read_all(f->path, &len);

	assert_memory_equal(data, "HEJRNL\r\n", 8);
	assert_int_equal(data[OFF_VERSION + 3], JOURNAL_VERSION);
	hmac_sha256(f->key, (const uint8_t *)"key id", 6, mac);
	assert_memory_equal(data + OFF_KEY_ID, mac, 8);
	assert_int_equal(data[OFF_ID_MAX + 7], 0);
	hmac_sha256(f->key, data, OFF_MAC, mac);
	assert_memory_equal(data + OFF_MAC, mac, MAC_LEN);

	body = (size_t)data[JOURNAL_HEADER_LEN] << 8 |
	    data[JOURNAL_HEADER_LEN + 1];
	assert_int_equal(len, JOURNAL_HEADER_LEN + FRAME_LEN + body + MAC_LEN);
	assert_int_equal(data[JOURNAL_HEADER_LEN + 4], JOURNAL_UP);
	memcpy(input, data + OFF_FILE_ID, 16);
	memset(input + 16, 0, 8);
	memcpy(input + 24, data + JOURNAL_HEADER_LEN, FRAME_LEN + body);
	hmac_sha256(f->key, input, 24 + FRAME_LEN + body, mac);
	assert_memory_equal(data + len - MAC_LEN, mac, MAC_LEN);
	free(data);
}

/* Records that are authentic but describe impossible changes. */
static void
test_inconsistent_records_ignored(void **state)
{
	struct fixture *f = *state;
	struct journal_session s1 = session_make(1);
	struct journal *j;
	struct writer w;
	struct collect c;

	writer_init(&w, f->key, 0);
	writer_up(&w, &s1);
	writer_up(&w, &s1);
	writer_up(&w, &s1);
	file_write_all(f->path, w.buf, w.len);
	j = journal_open_collect(f, f->key, &c, JOURNAL_CORRUPT);
	assert_non_null(strstr(f->err, "second login record"));
	journal_close(j);
	free(w.buf);

	writer_init(&w, f->key, 0);
	writer_down(&w, 9);
	writer_up(&w, &s1);
	file_write_all(f->path, w.buf, w.len);
	j = journal_open_collect(f, f->key, &c, JOURNAL_CORRUPT);
	assert_non_null(strstr(f->err, "not live"));
	assert_int_equal(c.n, 0);
	journal_close(j);
	free(w.buf);
}

/* Records removed or moved to another position fail their MAC. */
static void
test_moved_records_ignored(void **state)
{
	struct fixture *f = *state;
	struct journal_session s1 = session_make(1), s2 = session_make(2);
	struct journal *j;
	struct writer w;
	struct collect c;
	size_t first, second;
	uint8_t *copy;

	writer_init(&w, f->key, 0);
	writer_up(&w, &s1);
	first = w.len;
	writer_down(&w, 1);
	second = w.len;
	writer_up(&w, &s1);
	writer_down(&w, 1);

	/* Drop the first logout: the later records no longer fit. */
	copy = malloc(w.len);
	assert_non_null(copy);
	memcpy(copy, w.buf, first);
	memcpy(copy + first, w.buf + second, w.len - second);
	file_write_all(f->path, copy, w.len - (second - first));
	j = journal_open_collect(f, f->key, &c, JOURNAL_CORRUPT);
	assert_non_null(strstr(f->err, "fails authentication"));
	assert_int_equal(c.n, 0);
	journal_close(j);

	/* Swap the two logins at the start of a file. */
	free(w.buf);
	writer_init(&w, f->key, 0);
	writer_up(&w, &s1);
	first = w.len;
	writer_up(&w, &s2);
	memcpy(copy + JOURNAL_HEADER_LEN, w.buf + first, w.len - first);
	memcpy(copy + JOURNAL_HEADER_LEN + w.len - first,
	    w.buf + JOURNAL_HEADER_LEN, first - JOURNAL_HEADER_LEN);
	memcpy(copy, w.buf, JOURNAL_HEADER_LEN);
	file_write_all(f->path, copy, w.len);
	j = journal_open_collect(f, f->key, &c, JOURNAL_CORRUPT);
	assert_non_null(strstr(f->err, "record 0 at offset 76: fails "
	    "authentication"));
	journal_close(j);
	free(copy);
	free(w.buf);
}

static void
test_second_open_busy(void **state)
{
	struct fixture *f = *state;
	struct journal *j, *second = NULL;

	j = journal_open_empty(f);
	assert_int_equal(journal_open(f->path, f->key, &second, NULL, NULL,
	    f->err, sizeof(f->err)), -EBUSY);
	assert_null(second);
	assert_non_null(strstr(f->err, "another process"));
	journal_close(j);

	assert_int_equal(journal_open(f->path, f->key, &second, NULL, NULL,
	    f->err, sizeof(f->err)), JOURNAL_LOADED);
	journal_close(second);
}

/*
 * A journal whose file and lock file were deleted writes both again, with
 * its live sessions, and keeps a second process away from the new ones.
 */
static void
test_deleted_file_recreated(void **state)
{
	struct fixture *f = *state;
	struct journal *j, *second = NULL;
	struct collect c;
	char lock[160];

	snprintf(lock, sizeof(lock), "%s.lock", f->path);
	j = journal_open_empty(f);
	session_append(j, 7);
	assert_false(journal_file_gone(j));

	assert_int_equal(unlink(f->path), 0);
	assert_int_equal(unlink(lock), 0);
	assert_true(journal_file_gone(j));
	assert_int_equal(journal_recreate(j), 0);
	assert_false(journal_file_gone(j));
	assert_int_equal(journal_open(f->path, f->key, &second, NULL, NULL,
	    f->err, sizeof(f->err)), -EBUSY);
	journal_close(j);

	j = journal_open_collect(f, f->key, &c, JOURNAL_LOADED);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.s[0].id, 7);
	journal_close(j);
}

/* A file put in the journal's place counts as gone and is replaced. */
static void
test_replaced_file_recreated(void **state)
{
	struct fixture *f = *state;
	struct journal *j;
	struct collect c;

	j = journal_open_empty(f);
	session_append(j, 3);
	assert_int_equal(unlink(f->path), 0);
	file_write_all(f->path, "old", 3);
	assert_true(journal_file_gone(j));
	assert_int_equal(journal_recreate(j), 0);
	journal_close(j);

	j = journal_open_collect(f, f->key, &c, JOURNAL_LOADED);
	assert_int_equal(c.n, 1);
	journal_close(j);
}

/* journal_foreach visits the live sessions in login order. */
static void
test_foreach_login_order(void **state)
{
	struct fixture *f = *state;
	struct journal *j;
	struct collect c;

	j = journal_open_empty(f);
	session_append(j, 1);
	session_append(j, 2);
	session_append(j, 3);
	assert_int_equal(journal_append_down(j, 2), 0);
	memset(&c, 0, sizeof(c));
	journal_foreach(j, collect_session, &c);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.s[0].id, 1);
	assert_int_equal(c.s[1].id, 3);

	/* The callback's false ends the walk. */
	memset(&c, 0, sizeof(c));
	c.drop_id = 1;
	journal_foreach(j, collect_session, &c);
	assert_int_equal(c.n, 1);
	journal_close(j);
}

/*
 * A forked child that closes its copies does not take the owner's lock
 * or file away.
 */
static void
test_close_in_child_keeps_lock(void **state)
{
	struct fixture *f = *state;
	struct journal *j, *second = NULL;
	int status;
	pid_t pid;

	j = journal_open_empty(f);
	if ((pid = fork()) == 0) {
		journal_close_in_child(j);
		_exit(0);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(journal_open(f->path, f->key, &second, NULL, NULL,
	    f->err, sizeof(f->err)), -EBUSY);
	session_append(j, 1);
	assert_int_equal(journal_count(j), 1);
	journal_close(j);
}

/* A write that hits RLIMIT_FSIZE is cut off again and changes nothing. */
static void
test_failed_write_cut(void **state)
{
	struct fixture *f = *state;
	struct rlimit old, limit;
	struct journal_session s = session_make(3);
	struct journal *j;
	struct collect c;
	uint64_t size;

	j = journal_open_empty(f);
	session_append(j, 1);
	session_append(j, 2);
	size = journal_file_size(j);

	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	assert_ptr_not_equal(signal(SIGXFSZ, SIG_IGN), SIG_ERR);
	limit = old;
	limit.rlim_cur = size + 10;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &limit), 0);
	assert_int_equal(journal_append_up(j, &s), -EFBIG);
	limit.rlim_cur = JOURNAL_HEADER_LEN + 10;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &limit), 0);
	assert_int_equal(journal_compact(j), -EFBIG);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);

	assert_int_equal(journal_file_size(j), size);
	assert_int_equal(file_size(f->path), (off_t)size);
	assert_int_equal(access(f->tmp, F_OK), -1);
	assert_int_equal(journal_count(j), 2);
	assert_int_equal(journal_append_up(j, &s), 0);
	journal_close(j);

	j = journal_open_collect(f, f->key, &c, JOURNAL_LOADED);
	assert_int_equal(c.n, 3);
	session_assert_equal(&c.s[2], &s);
	journal_close(j);
}

/*
 * A logout whose record cannot be written still ends the session, and
 * journal_sync rewrites the file without it once it can.
 */
static void
test_failed_down_rewritten(void **state)
{
	struct fixture *f = *state;
	struct rlimit old, limit;
	struct journal *j;
	struct collect c;

	j = journal_open_empty(f);
	session_append(j, 1);
	session_append(j, 2);

	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	assert_ptr_not_equal(signal(SIGXFSZ, SIG_IGN), SIG_ERR);
	limit = old;
	limit.rlim_cur = journal_file_size(j);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &limit), 0);
	assert_int_equal(journal_append_down(j, 1), -EFBIG);
	assert_int_equal(journal_count(j), 1);
	assert_true(journal_needs_rewrite(j));
	limit.rlim_cur = JOURNAL_HEADER_LEN + 10;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &limit), 0);
	assert_int_equal(journal_sync(j), -EFBIG);
	assert_true(journal_needs_rewrite(j));
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);

	assert_int_equal(journal_sync(j), 0);
	assert_false(journal_needs_rewrite(j));
	journal_close(j);

	j = journal_open_collect(f, f->key, &c, JOURNAL_LOADED);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.s[0].id, 2);
	journal_close(j);
}

static double
elapsed_ms(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) * 1e3 +
	    (double)(now.tv_nsec - start->tv_nsec) / 1e6;
}

static void
test_many_sessions_load(void **state)
{
	struct fixture *f = *state;
	struct journal_session s;
	struct timespec start;
	struct journal *j;
	struct writer w;
	struct collect c;
	uint64_t id;

	writer_init(&w, f->key, 0);
	for (id = 1; id <= 50000; id++) {
		s = session_make(id);
		writer_up(&w, &s);
	}
	for (id = 1; id <= 50000; id += 2)
		writer_down(&w, id);
	file_write_all(f->path, w.buf, w.len);

	clock_gettime(CLOCK_MONOTONIC, &start);
	j = journal_open_collect(f, f->key, &c, JOURNAL_LOADED);
	print_message("loaded 25000 live of 75000 records (%zu bytes) and "
	    "rewrote them in %.0f ms\n", w.len, elapsed_ms(&start));
	assert_int_equal(c.n, 25000);
	assert_int_equal(journal_count(j), 25000);
	assert_int_equal(c.s[0].id, 2);
	assert_non_null(journal_find(j, 50000));
	assert_null(journal_find(j, 49999));
	assert_true(journal_file_size(j) < w.len);
	journal_close(j);
	free(w.buf);
}

static void
test_key_created_0600(void **state)
{
	struct fixture *f = *state;
	uint8_t key[JOURNAL_KEY_LEN], again[JOURNAL_KEY_LEN];
	uint8_t zero[JOURNAL_KEY_LEN] = { 0 };
	struct stat st;

	assert_int_equal(journal_key_load_or_create(f->key_path, key, f->err,
	    sizeof(f->err)), 0);
	assert_int_equal(stat(f->key_path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_size, JOURNAL_KEY_LEN);
	assert_memory_not_equal(key, zero, sizeof(key));

	assert_int_equal(journal_key_load_or_create(f->key_path, again,
	    f->err, sizeof(f->err)), 0);
	assert_memory_equal(key, again, sizeof(key));

	/* No temporary file is left beside the key file. */
	assert_int_equal(dir_count(f->dir), 1);
}

/* journal_key_write writes the given key and never replaces a file. */
static void
test_key_write_given(void **state)
{
	struct fixture *f = *state;
	uint8_t key[JOURNAL_KEY_LEN];
	struct stat st;

	assert_int_equal(journal_key_write(f->key_path, f->key), 0);
	assert_int_equal(stat(f->key_path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(journal_key_load_or_create(f->key_path, key, f->err,
	    sizeof(f->err)), 0);
	assert_memory_equal(key, f->key, sizeof(key));

	assert_int_equal(journal_key_write(f->key_path, f->other_key),
	    -EEXIST);
	assert_int_equal(journal_key_load_or_create(f->key_path, key, f->err,
	    sizeof(f->err)), 0);
	assert_memory_equal(key, f->key, sizeof(key));
	assert_int_equal(dir_count(f->dir), 1);
}

static void
key_assert_rejected(struct fixture *f, int expected, const char *message)
{
	uint8_t key[JOURNAL_KEY_LEN];

	assert_int_equal(journal_key_load_or_create(f->key_path, key, f->err,
	    sizeof(f->err)), expected);
	if (strstr(f->err, message) == NULL)
		print_error("error message: %s\n", f->err);
	assert_non_null(strstr(f->err, message));
}

static void
test_key_wrong_size_rejected(void **state)
{
	struct fixture *f = *state;
	uint8_t bytes[JOURNAL_KEY_LEN + 1] = { 1 };

	file_write_all(f->key_path, bytes, JOURNAL_KEY_LEN - 1);
	assert_int_equal(chmod(f->key_path, 0600), 0);
	key_assert_rejected(f, -EINVAL, "has 31 bytes, expected 32");

	file_write_all(f->key_path, bytes, JOURNAL_KEY_LEN + 1);
	key_assert_rejected(f, -EINVAL, "has 33 bytes, expected 32");

	file_write_all(f->key_path, "", 0);
	key_assert_rejected(f, -EINVAL, "has 0 bytes");

	/* A wrong file is reported, never replaced. */
	assert_int_equal(file_size(f->key_path), 0);
}

static void
test_key_open_mode_rejected(void **state)
{
	struct fixture *f = *state;
	uint8_t bytes[JOURNAL_KEY_LEN] = { 1 };

	file_write_all(f->key_path, bytes, sizeof(bytes));
	assert_int_equal(chmod(f->key_path, 0644), 0);
	key_assert_rejected(f, -EPERM, "mode 0644, expected 0600");

	assert_int_equal(unlink(f->key_path), 0);
	assert_int_equal(mkdir(f->key_path, 0700), 0);
	key_assert_rejected(f, -EISDIR, "Is a directory");

	/* Opening a FIFO for reading would wait for a writer. */
	assert_int_equal(rmdir(f->key_path), 0);
	assert_int_equal(mkfifo(f->key_path, 0600), 0);
	key_assert_rejected(f, -REGFILE_ENOTREG, "not a regular file");
}

static void
test_key_derive_rfc5869(void **state)
{
	/* RFC 5869 test case 1: PRK, info, and the first 32 bytes of OKM. */
	static const uint8_t prk[JOURNAL_KEY_LEN] = {
		0x07, 0x77, 0x09, 0x36, 0x2c, 0x2e, 0x32, 0xdf,
		0x0d, 0xdc, 0x3f, 0x0d, 0xc4, 0x7b, 0xba, 0x63,
		0x90, 0xb6, 0xc7, 0x3b, 0xb5, 0x0f, 0x9c, 0x31,
		0x22, 0xec, 0x84, 0x4a, 0xd7, 0xc2, 0xb3, 0xe5,
	};
	static const uint8_t okm[JOURNAL_KEY_LEN] = {
		0x3c, 0xb2, 0x5f, 0x25, 0xfa, 0xac, 0xd5, 0x7a,
		0x90, 0x43, 0x4f, 0x64, 0xd0, 0x36, 0x2f, 0x2a,
		0x2d, 0x2d, 0x0a, 0x90, 0xcf, 0x1a, 0x5a, 0x4c,
		0x5d, 0xb0, 0x2d, 0x56, 0xec, 0xc4, 0xc5, 0xbf,
	};
	uint8_t out[JOURNAL_KEY_LEN], other[JOURNAL_KEY_LEN];

	(void)state;
	assert_int_equal(journal_key_derive(prk,
	    "\xf0\xf1\xf2\xf3\xf4\xf5\xf6\xf7\xf8\xf9", out), 0);
	assert_memory_equal(out, okm, sizeof(okm));

	assert_int_equal(journal_key_derive(prk, JOURNAL_LABEL_JOURNAL, out),
	    0);
	assert_int_equal(journal_key_derive(prk, JOURNAL_LABEL_COOKIE, other),
	    0);
	assert_memory_not_equal(out, other, sizeof(out));
}

static void
test_cookie_hash_sha256(void **state)
{
	/* SHA-256("abc") from FIPS 180-2, appendix B.1. */
	static const uint8_t expected[JOURNAL_COOKIE_HASH_LEN] = {
		0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea,
		0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
		0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c,
		0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
	};
	uint8_t hash[JOURNAL_COOKIE_HASH_LEN];

	(void)state;
	assert_int_equal(journal_cookie_hash("abc", hash), 0);
	assert_memory_equal(hash, expected, sizeof(hash));
}

/* The parser alone gives what journal_open gives, and writes nothing. */
static void
test_parse_buffer_like_open(void **state)
{
	struct fixture *f = *state;
	struct collect c;
	size_t last, len, after;
	uint8_t *data, *again;

	journal_write_sample(f, &last);
	data = file_read_all(f->path, &len);

	memset(&c, 0, sizeof(c));
	assert_int_equal(journal_parse_buffer(data, len, f->key,
	    collect_session, &c, f->err, sizeof(f->err)), JOURNAL_LOADED);
	sample_assert_live(&c);

	memset(&c, 0, sizeof(c));
	assert_int_equal(journal_parse_buffer(data, last + 3, f->key,
	    collect_session, &c, f->err, sizeof(f->err)), JOURNAL_TRUNCATED);
	sample_assert_before_last(&c);

	memset(&c, 0, sizeof(c));
	assert_int_equal(journal_parse_buffer(data, len, f->other_key,
	    collect_session, &c, f->err, sizeof(f->err)), JOURNAL_FOREIGN);
	assert_int_equal(c.n, 0);
	assert_int_equal(journal_parse_buffer(data, 0, f->key, NULL, NULL,
	    f->err, sizeof(f->err)), JOURNAL_FRESH);

	again = file_read_all(f->path, &after);
	assert_int_equal(after, len);
	assert_memory_equal(again, data, len);
	free(again);
	free(data);
}

#define FIXTURE_TEST(name) \
	cmocka_unit_test_setup_teardown(name, fixture_setup, fixture_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		FIXTURE_TEST(test_open_missing_creates),
		FIXTURE_TEST(test_round_trip),
		FIXTURE_TEST(test_append_errors),
		FIXTURE_TEST(test_longest_strings_round_trip),
		FIXTURE_TEST(test_callback_drops_session),
		FIXTURE_TEST(test_compact_keeps_live),
		FIXTURE_TEST(test_compact_not_due_small),
		FIXTURE_TEST(test_id_max_survives_compaction),
		FIXTURE_TEST(test_clear_forgets_sessions),
		FIXTURE_TEST(test_torn_tail_every_offset),
		FIXTURE_TEST(test_zero_tail_cut),
		FIXTURE_TEST(test_flipped_byte_rejected),
		FIXTURE_TEST(test_foreign_key_ignored),
		FIXTURE_TEST(test_second_rejection_kept_apart),
		FIXTURE_TEST(test_garbage_file_ignored),
		FIXTURE_TEST(test_empty_file_fresh),
		FIXTURE_TEST(test_parse_buffer_like_open),
		FIXTURE_TEST(test_unsupported_version_ignored),
		FIXTURE_TEST(test_format_as_documented),
		FIXTURE_TEST(test_record_without_netmask),
		FIXTURE_TEST(test_records_with_later_fields),
		FIXTURE_TEST(test_header_as_documented),
		FIXTURE_TEST(test_inconsistent_records_ignored),
		FIXTURE_TEST(test_moved_records_ignored),
		FIXTURE_TEST(test_second_open_busy),
		FIXTURE_TEST(test_deleted_file_recreated),
		FIXTURE_TEST(test_replaced_file_recreated),
		FIXTURE_TEST(test_foreach_login_order),
		FIXTURE_TEST(test_close_in_child_keeps_lock),
		FIXTURE_TEST(test_failed_write_cut),
		FIXTURE_TEST(test_failed_down_rewritten),
		FIXTURE_TEST(test_many_sessions_load),
		FIXTURE_TEST(test_key_created_0600),
		FIXTURE_TEST(test_key_write_given),
		FIXTURE_TEST(test_key_wrong_size_rejected),
		FIXTURE_TEST(test_key_open_mode_rejected),
		FIXTURE_TEST(test_key_derive_rfc5869),
		FIXTURE_TEST(test_cookie_hash_sha256),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
